import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError, isDistroError, RateLimitedError, type UpstreamError } from "../errors/index";
import { retryPolicy } from "../retry/index";
import { createHttpClient } from "./http-client";
import { fakeTime, type LoopbackServer, sendJson, startLoopbackServer } from "./test-server.test-helper";

type Fault =
  | { kind: "reset" }
  | { kind: "status"; status: number; retryAfter?: { seconds: number } | { dateSecondsAhead: number } };

const retryableFault: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant<Fault>({ kind: "reset" }),
  fc.record({
    kind: fc.constant("status" as const),
    status: fc.constantFrom(408, 425, 429, 500, 502, 503, 504),
    retryAfter: fc.option(
      fc.oneof(
        fc.record({ seconds: fc.integer({ min: 0, max: 30 }) }),
        fc.record({ dateSecondsAhead: fc.integer({ min: 0, max: 30 }) }),
      ),
      { nil: undefined },
    ),
  }),
);
const terminalFault: fc.Arbitrary<Fault> = fc.record({
  kind: fc.constant("status" as const),
  status: fc.constantFrom(400, 401, 403, 404, 409, 412, 422, 501),
});

describe("createHttpClient against a misbehaving server (property)", () => {
  let server: LoopbackServer;
  let script: Fault[] = [];
  let offset = 0;
  let now = () => 0;
  /** For each send of the current run that answered with a Retry-After date: that date, in epoch ms. */
  let retryAt: (number | undefined)[] = [];

  beforeAll(async () => {
    server = await startLoopbackServer((request, response, raw) => {
      const fault = script[request.index - offset];
      if (fault === undefined) return sendJson(response, 200, { ok: true });
      if (fault.kind === "reset") {
        raw.socket.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      if (fault.retryAfter && "seconds" in fault.retryAfter)
        headers["retry-after"] = String(fault.retryAfter.seconds);
      if (fault.retryAfter && "dateSecondsAhead" in fault.retryAfter) {
        const date = new Date(now() + fault.retryAfter.dateSecondsAhead * 1000);
        headers["retry-after"] = date.toUTCString();
        // An HTTP date has whole seconds: the upstream asks to wait until that second.
        retryAt[request.index - offset] = Math.floor(date.getTime() / 1000) * 1000;
      }
      sendJson(response, fault.status, { error: { code: `E${fault.status}` } }, headers);
    });
  });
  afterAll(() => server.close());

  it("a GET ends as the first success or the right typed error, after the right number of sends, never sooner than Retry-After", async () => {
    const policy = retryPolicy({
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      maxElapsedMs: Number.POSITIVE_INFINITY,
      jitter: "none",
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(retryableFault, { maxLength: 6 }),
        fc.option(terminalFault, { nil: undefined }),
        async (retryables, terminal) => {
          script = terminal ? [...retryables, terminal] : retryables;
          offset = server.requests.length;
          retryAt = [];
          const time = fakeTime(Date.UTC(2026, 10, 30, 12, 0, 0));
          now = time.clock.now;
          const wokeAt: number[] = [];
          const sleep = async (ms: number) => {
            await time.sleep(ms);
            wokeAt.push(time.clock.now());
          };
          const http = createHttpClient({
            baseUrl: server.origin,
            system: "erp",
            retry: policy,
            clock: time.clock,
            sleep,
          });
          const outcome = await http.get("items").catch((error: unknown) => ({ error }));
          const sends = server.requests.length - offset;

          // What should happen: each retryable fault costs one send until the attempts run
          // out; the send after them (a terminal fault or a success) ends the request.
          const expectedSends = Math.min(retryables.length + 1, policy.maxAttempts);
          expect(sends).toBe(expectedSends);
          const lastFault = script[expectedSends - 1];
          if (lastFault === undefined) {
            expect("status" in outcome && outcome.status).toBe(200);
          } else {
            const error = (outcome as { error: unknown }).error;
            expect(isDistroError(error)).toBe(true);
            if (lastFault.kind === "reset") expect((error as UpstreamError).status).toBe(0);
            else if (lastFault.status === 429) expect(error).toBeInstanceOf(RateLimitedError);
            else if (lastFault.status === 401) expect(error).toBeInstanceOf(AuthError);
            else expect((error as UpstreamError).status).toBe(lastFault.status);
          }
          // Each wait honours the Retry-After of the response before it: at least the
          // seconds asked, or until the date given.
          time.sleeps.forEach((ms, index) => {
            const fault = script[index];
            if (fault?.kind !== "status" || !fault.retryAfter) return;
            if ("seconds" in fault.retryAfter)
              expect(ms).toBeGreaterThanOrEqual(fault.retryAfter.seconds * 1000);
            else expect(wokeAt[index]).toBeGreaterThanOrEqual(retryAt[index]!);
          });
          expect(time.sleeps).toHaveLength(sends - 1);
        },
      ),
      { numRuns: 40 },
    );
  });
});
