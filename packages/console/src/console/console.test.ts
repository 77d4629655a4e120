import {
  createInMemoryAuditLog,
  createMemoryDeadLetterStore,
  isDistroError,
  UpstreamError,
} from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import { createProcessManager, defineFlow, FlowHold, task } from "@distro/orchestration";
import {
  createCircuitBreaker,
  createMemoryCheckpointStore,
  createSyncJob,
  createUpstreamLimiter,
} from "@distro/sync";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { browserPresent, client, orderScenario, serve } from "./console.test-helper";
import { type ConsoleSettings, createConsole } from "./create-console";
import { createUpstreamProbe } from "./upstream-probe";

const KEY = "ops-key-123";
const authorize = (request: Request) => request.headers.get("x-ops-key") === KEY;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function setup(extra: Partial<ConsoleSettings> = {}) {
  const scenario = await orderScenario();
  closers.push(() => scenario.bus.close());
  const handler = createConsole({
    basePath: "/ops",
    authorize,
    sources: { flows: scenario.manager, audit: scenario.audit, bus: scenario.bus },
    ...extra,
  });
  const server = await serve(handler);
  closers.push(server.close);
  const http = client(server.origin, { "x-ops-key": KEY });
  return { scenario, server, http };
}

async function deadLetterFor(scenario: Awaited<ReturnType<typeof orderScenario>>, orderId: string) {
  await scenario.confirm(orderId);
  await waitUntil(
    async () => (await scenario.bus.deadLetters.list()).some((entry) => entry.subject === orderId),
    {
      description: `a dead letter for ${orderId}`,
    },
  );
  const entry = (await scenario.bus.deadLetters.list()).find((candidate) => candidate.subject === orderId)!;
  return entry;
}

describe("browser test gate", () => {
  it("skips with a printed reason when chromium is missing, and fails under DISTRO_REQUIRE_SERVICES=1", () => {
    const lines: string[] = [];
    expect(browserPresent("/nonexistent/chromium", {}, (line) => lines.push(line))).toBe(false);
    expect(lines).toEqual([
      "[distro] /nonexistent/chromium is missing (apt-get install -y chromium): skipping the console browser test",
    ]);
    expect(() => browserPresent("/nonexistent/chromium", { DISTRO_REQUIRE_SERVICES: "1" })).toThrow(
      /DISTRO_REQUIRE_SERVICES=1/,
    );
    expect(browserPresent(process.execPath, { DISTRO_REQUIRE_SERVICES: "1" })).toBe(true);
  });
});

describe("createConsole settings", () => {
  it("refuses to start without an authorize hook: nothing is open by default", () => {
    let caught: unknown;
    try {
      createConsole({ sources: {} } as unknown as ConsoleSettings);
    } catch (error) {
      caught = error;
    }
    expect(isDistroError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ path: ["authorize"] }] });
  });
});

describe("auth hook", () => {
  it("answers 403 to pages, the API and actions unless authorize approves, and performs nothing", async () => {
    const { scenario, server, http } = await setup();
    const entry = await deadLetterFor(scenario, "1001");
    const token = await http.token("/ops");
    const stranger = client(server.origin);
    for (const path of [
      "/ops/flows",
      "/ops/dead-letters",
      "/ops/api/dead-letters",
      `/ops/api/dead-letters/${entry.id}`,
    ]) {
      const response = await stranger.get(path);
      expect(response.status, path).toBe(403);
      expect(await response.json()).toMatchObject({ code: "FORBIDDEN" });
    }
    // Even with a valid token and cookie from an authorised session, a refused request does nothing.
    const refused = await stranger.postJson(
      `/ops/api/dead-letters/${entry.id}/replay`,
      {},
      { "x-csrf-token": token, cookie: `distro_console_csrf=${token}`, "x-ops-key": "wrong" },
    );
    expect(refused.status).toBe(403);
    expect((await scenario.bus.deadLetters.get(entry.id))?.status).toBe("pending");
  });

  it("treats an authorize hook that throws, or returns a non-boolean, as a refusal", async () => {
    for (const hook of [
      () => {
        throw new Error("session store down");
      },
      () => "yes" as unknown as boolean,
      async () => false,
    ]) {
      const server = await serve(
        createConsole({ authorize: hook, sources: { audit: createInMemoryAuditLog() } }),
      );
      closers.push(server.close);
      expect((await fetch(`${server.origin}/flows`)).status).toBe(403);
    }
  });

  it("answers 404 outside its base path, without consulting anything else", async () => {
    const { server } = await setup();
    expect((await fetch(`${server.origin}/other`, { headers: { "x-ops-key": KEY } })).status).toBe(404);
  });
});

describe("CSRF", () => {
  it("refuses an action without a token, without the cookie, with a forged token, or from another origin", async () => {
    const { scenario, http, server } = await setup();
    const entry = await deadLetterFor(scenario, "1002");
    const path = `/ops/api/dead-letters/${entry.id}/replay`;
    const token = await http.token("/ops");

    const noToken = await http.postJson(path, {});
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toMatchObject({
      code: "CSRF_INVALID",
      detail: "The request carries no CSRF proof (the csrf field or the x-csrf-token header)",
    });

    const noCookie = await fetch(`${server.origin}${path}`, {
      method: "POST",
      headers: { "x-ops-key": KEY, "x-csrf-token": token, "content-type": "application/json" },
      body: "{}",
    });
    expect(noCookie.status).toBe(403);

    const [issued, nonce] = token.split(".");
    const forged = `${issued}.${nonce}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    const forgedResponse = await http.postJson(
      path,
      {},
      { "x-csrf-token": forged, cookie: `distro_console_csrf=${forged}` },
    );
    expect(forgedResponse.status).toBe(403);
    expect(await forgedResponse.json()).toMatchObject({ code: "CSRF_INVALID" });

    const crossOrigin = await http.postJson(
      path,
      {},
      { "x-csrf-token": token, origin: "https://evil.example" },
    );
    expect(crossOrigin.status).toBe(403);

    expect((await scenario.bus.deadLetters.get(entry.id))?.status).toBe("pending");
    expect(scenario.handled.size).toBe(1);

    const accepted = await http.postJson(path, {}, { "x-csrf-token": token });
    expect(accepted.status).toBe(200);
  });

  it("rejects tokens that are not exactly the signed one (property)", async () => {
    const { scenario, http } = await setup();
    const entry = await deadLetterFor(scenario, "1003");
    const token = await http.token("/ops");
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (candidate) => {
        fc.pre(candidate !== token && !/[;,\s]/.test(candidate));
        const response = await http.postJson(
          `/ops/api/dead-letters/${entry.id}/replay`,
          {},
          {
            "x-csrf-token": candidate,
            cookie: `distro_console_csrf=${encodeURIComponent(candidate)}`,
          },
        );
        return response.status === 403;
      }),
      { numRuns: 40 },
    );
    expect((await scenario.bus.deadLetters.get(entry.id))?.status).toBe("pending");
  });
});

describe("validation", () => {
  it("answers 4xx with typed reasons that name the field", async () => {
    const { scenario, http, server } = await setup();
    const entry = await deadLetterFor(scenario, "1004");
    const token = await http.token("/ops");
    const headers = { "x-csrf-token": token };

    const noReason = await http.postJson(
      `/ops/api/dead-letters/${entry.id}/discard`,
      { reason: "  " },
      headers,
    );
    expect(noReason.status).toBe(400);
    expect(await noReason.json()).toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [{ path: ["reason"] }],
    });

    const badType = await http.postJson(
      `/ops/api/dead-letters/${entry.id}/discard`,
      { reason: { text: "x" } },
      headers,
    );
    expect(badType.status).toBe(400);
    expect(await badType.json()).toMatchObject({ issues: [{ path: ["reason"], code: "invalid_type" }] });

    const replayUrl = `${server.origin}/ops/api/dead-letters/${entry.id}/replay`;
    const raw = await fetch(replayUrl, {
      method: "POST",
      headers: {
        "x-ops-key": KEY,
        "x-csrf-token": token,
        cookie: `distro_console_csrf=${token}`,
        "content-type": "application/json",
      },
      body: "{not json",
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ issues: [{ code: "invalid_json" }] });

    const wrongMedia = await fetch(replayUrl, {
      method: "POST",
      headers: {
        "x-ops-key": KEY,
        "x-csrf-token": token,
        cookie: `distro_console_csrf=${token}`,
        "content-type": "text/xml",
      },
      body: "<replay/>",
    });
    expect(wrongMedia.status).toBe(415);

    const unknown = await http.postJson("/ops/api/dead-letters/0123456789abcdef/replay", {}, headers);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "NOT_FOUND" });

    const badId = await http.get(`/ops/api/dead-letters/${encodeURIComponent("<script>")}`);
    expect(badId.status).toBe(400);
    for (const path of ["/ops/api/flows/%E0%A4%A", "/ops/flows/%E0%A4%A", "/ops/api/dead-letters/%ZZ"]) {
      const malformed = await http.get(path);
      expect(malformed.status, path).toBe(400);
    }

    const badFilter = await http.postJson(
      "/ops/api/dead-letters/replay",
      { limit: "100000", status: "discarded" },
      headers,
    );
    expect(badFilter.status).toBe(400);
    const body = (await badFilter.json()) as { issues: { path: string[] }[] };
    expect(body.issues.map((found) => found.path[0]).sort()).toEqual(["limit", "status"]);

    const badFlowFilter = await http.get("/ops/api/flows?status=exploded");
    expect(badFlowFilter.status).toBe(400);
    expect(await badFlowFilter.json()).toMatchObject({ issues: [{ path: ["status"] }] });

    const tooBig = await http.postJson(
      `/ops/api/dead-letters/${entry.id}/discard`,
      { reason: "x".repeat(70_000) },
      headers,
    );
    expect(tooBig.status).toBe(413);
    // A chunked body (no content-length) is cut off at the cap too.
    const chunked = await fetch(replayUrl, {
      method: "POST",
      headers: {
        "x-ops-key": KEY,
        "x-csrf-token": token,
        cookie: `distro_console_csrf=${token}`,
        "content-type": "application/json",
      },
      body: new ReadableStream({
        start(controller) {
          for (let index = 0; index < 20; index++)
            controller.enqueue(new TextEncoder().encode(" ".repeat(8_192)));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);

    expect((await scenario.bus.deadLetters.get(entry.id))?.status).toBe("pending");
  });

  it("never answers 5xx to any path, method or query (property)", async () => {
    const scenario = await orderScenario();
    closers.push(() => scenario.bus.close());
    await deadLetterFor(scenario, "7001");
    const handler = createConsole({
      basePath: "/ops",
      authorize: () => true,
      sources: {
        flows: scenario.manager,
        audit: scenario.audit,
        bus: scenario.bus,
        ediPartners: { acknowledgements: () => [] },
      },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.webPath(),
        fc.webQueryParameters(),
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "HEAD"),
        fc.string(),
        async (path, query, method, body) => {
          const url = `http://127.0.0.1/ops${path.startsWith("/") ? path : `/${path}`}?${query}`;
          const response = await handler(
            new Request(
              url,
              method === "GET" || method === "HEAD"
                ? { method }
                : { method, body, headers: { "content-type": "application/json" } },
            ),
          );
          return response.status < 500;
        },
      ),
      { numRuns: 300 },
    );
  });

  it("answers 409 with the reason when the entry was discarded before a replay", async () => {
    const { scenario, http } = await setup();
    const entry = await deadLetterFor(scenario, "1005");
    const headers = { "x-csrf-token": await http.token("/ops") };
    expect(
      (
        await http.postJson(
          `/ops/api/dead-letters/${entry.id}/discard`,
          { reason: "duplicate of 1004" },
          headers,
        )
      ).status,
    ).toBe(200);
    const replay = await http.postJson(`/ops/api/dead-letters/${entry.id}/replay`, {}, headers);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ code: "DEAD_LETTER_NOT_PENDING" });
    // The discard is recorded in the audit trail with who did it.
    const trail = await scenario.audit.list({ correlationId: "corr-1005" });
    expect(trail.find((found) => found.step === "dead-letter.discard")).toMatchObject({
      system: "console",
      actor: "console",
    });
  });
});

describe("idempotent actions", () => {
  it("replaying the same entry twice, or ten times at once, replays it once", async () => {
    const { scenario, http } = await setup({ actor: () => "ops:alice" });
    const entry = await deadLetterFor(scenario, "1006");
    await scenario.book("1006");
    const headers = { "x-csrf-token": await http.token("/ops") };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        http.postJson(`/ops/api/dead-letters/${entry.id}/replay`, {}, headers),
      ),
    );
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as { eventId: string }[];
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(new Set(bodies.map((body) => body.eventId)).size).toBe(1);
    const again = await http.postJson(`/ops/api/dead-letters/${entry.id}/replay`, {}, headers);
    expect(((await again.json()) as { eventId: string }).eventId).toBe(bodies[0]!.eventId);

    await waitUntil(async () => (await scenario.manager.get("o2c:1006"))?.status === "completed", {
      description: "the flow to complete",
    });
    const stored = await scenario.bus.deadLetters.get(entry.id);
    expect(stored?.replays).toHaveLength(1);
    expect(scenario.handled.get(bodies[0]!.eventId)).toBe(1);
    const trail = await scenario.audit.list({ correlationId: "corr-1006" });
    expect(trail.filter((found) => found.step === "dead-letter.replay")).toHaveLength(1);
    expect(trail.find((found) => found.step === "dead-letter.replay")?.actor).toBe("ops:alice");
  });

  it("any interleaving of replays and bulk replays of the same entries publishes each entry once (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("one", "bulk"), fc.nat({ max: 2 }), fc.boolean()), {
          minLength: 1,
          maxLength: 12,
        }),
        async (plan) => {
          const { scenario, http } = await setup();
          const entries: Awaited<ReturnType<typeof deadLetterFor>>[] = [];
          for (const orderId of ["6001", "6002", "6003"])
            entries.push(await deadLetterFor(scenario, orderId));
          const headers = { "x-csrf-token": await http.token("/ops") };
          let pending: Promise<Response>[] = [];
          for (const [kind, index, awaitNow] of plan) {
            pending.push(
              kind === "one"
                ? http.postJson(`/ops/api/dead-letters/${entries[index]!.id}/replay`, {}, headers)
                : http.postJson(
                    "/ops/api/dead-letters/replay",
                    { subscriber: "erp-confirmations", idempotencyKey: `k-${index}` },
                    headers,
                  ),
            );
            if (awaitNow) {
              await Promise.all(pending);
              pending = [];
            }
          }
          const statuses = (await Promise.all(pending)).map((response) => response.status);
          expect(statuses.every((status) => status === 200)).toBe(true);
          for (const entry of entries) {
            const stored = await scenario.bus.deadLetters.get(entry.id);
            expect(stored?.replays.length ?? 0).toBeLessThanOrEqual(1);
          }
          const touched = new Set(
            plan.filter(([kind]) => kind === "one").map(([, index]) => entries[index]!.id),
          );
          for (const id of touched) expect((await scenario.bus.deadLetters.get(id))?.replays).toHaveLength(1);
          for (const close of closers.splice(0)) await close();
        },
      ),
      { numRuns: 15 },
    );
  });

  it("bulk replay by filter runs once per key, refuses the key with another filter, and never replays an entry twice", async () => {
    const { scenario, http } = await setup();
    for (const id of ["2001", "2002", "2003"]) await deadLetterFor(scenario, id);
    const headers = { "x-csrf-token": await http.token("/ops") };
    const filter = {
      type: "com.distro.erp.order.confirmed",
      subscriber: "erp-confirmations",
      idempotencyKey: "bulk-1",
    };
    const first = await http.postJson("/ops/api/dead-letters/replay", filter, headers);
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { replayed: { id: string; eventId: string }[] };
    expect(firstBody.replayed).toHaveLength(3);
    const second = await http.postJson("/ops/api/dead-letters/replay", filter, headers);
    expect(await second.json()).toEqual(firstBody);

    const reused = await http.postJson("/ops/api/dead-letters/replay", { ...filter, type: "other" }, headers);
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED" });

    // The orders are still unknown: each replay fails again into a new dead letter, and a second
    // bulk replay with a new key replays only those new entries, never the replayed originals.
    await waitUntil(
      async () => (await scenario.bus.deadLetters.list()).length === 3 && scenario.handled.size === 6,
    );
    const originals = new Set(firstBody.replayed.map((replayed) => replayed.id));
    const next = await http.postJson(
      "/ops/api/dead-letters/replay",
      { ...filter, idempotencyKey: "bulk-2" },
      headers,
    );
    const nextBody = (await next.json()) as { replayed: { id: string }[] };
    expect(nextBody.replayed).toHaveLength(3);
    expect(nextBody.replayed.some((replayed) => originals.has(replayed.id))).toBe(false);
    for (const id of originals) expect((await scenario.bus.deadLetters.get(id))?.replays).toHaveLength(1);
  });
});

describe("held flows", () => {
  it("releases a held flow once per hold, from the API or the page, and refuses one that is not held", async () => {
    const audit = createInMemoryAuditLog();
    const manager = createProcessManager({ audit });
    let approved = false;
    let runs = 0;
    manager.register(
      defineFlow("credit", [
        task("credit-check", async () => {
          runs += 1;
          if (!approved) throw new FlowHold("CREDIT_LIMIT", "Order total exceeds available credit");
          return "approved";
        }),
      ]),
    );
    await manager.start("credit", {}, { id: "credit:1", correlationId: "corr-credit-1" });
    const server = await serve(
      createConsole({
        basePath: "/ops",
        authorize,
        actor: () => "ops:bob",
        sources: { flows: manager, audit },
      }),
    );
    closers.push(server.close);
    const http = client(server.origin, { "x-ops-key": KEY });
    const page = await (await http.get("/ops/flows/credit%3A1")).text();
    expect(page).toContain("CREDIT_LIMIT");
    const token = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect(page).toContain('data-action="release"');

    approved = true;
    const [first, second] = await Promise.all([
      http.postJson(
        "/ops/api/flows/credit%3A1/release",
        { note: "approved by credit control" },
        { "x-csrf-token": token },
      ),
      http.postJson(
        "/ops/api/flows/credit%3A1/release",
        { note: "approved by credit control" },
        { "x-csrf-token": token },
      ),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await first.json()).toEqual({ id: "credit:1", status: "completed" });
    expect(runs).toBe(2);
    const trail = await audit.list({ correlationId: "corr-credit-1" });
    expect(trail.filter((entry) => entry.step === "flow.release")).toHaveLength(1);
    expect(trail.find((entry) => entry.step === "flow.release")).toMatchObject({
      actor: "ops:bob",
      details: { note: "approved by credit control" },
    });

    expect(await second.json()).toEqual({ id: "credit:1", status: "completed" });
    const again = await http.postForm("/ops/flows/credit%3A1/release", { csrf: token });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe("/ops/flows/credit%3A1?done=released");
    expect(runs).toBe(2);

    await manager.start("credit", {}, { id: "credit:2" });
    const notHeld = await http.postForm("/ops/flows/credit%3A2/release", { csrf: token });
    expect(notHeld.status).toBe(409);
    expect(await notHeld.text()).toContain("FLOW_NOT_HELD");
    const noCsrf = await http.postJson("/ops/api/flows/credit%3A1/release", {});
    expect(noCsrf.status).toBe(403);
  });
});

describe("redaction", () => {
  it("masks e-mail addresses, phones, card numbers and tokens in dead-letter payloads, in the API and in pages", async () => {
    const { scenario, http } = await setup();
    const entry = await deadLetterFor(scenario, "1007");
    const secrets = ["jane.roe@example.com", "tok_live_9f8e7d6c5b4a", "4111 1111 1111 1111", "7946 0958"];
    const bodies = [
      await (await http.get(`/ops/api/dead-letters/${entry.id}`)).text(),
      await (await http.get("/ops/api/dead-letters")).text(),
      await (await http.get(`/ops/dead-letters/${entry.id}`)).text(),
      await (await http.get("/ops/dead-letters")).text(),
    ];
    for (const body of bodies) for (const secret of secrets) expect(body).not.toContain(secret);
    const inspected = JSON.parse(bodies[0]!) as {
      deadLetter: { message: { data: Record<string, unknown> } };
    };
    expect(inspected.deadLetter.message.data).toMatchObject({
      orderId: "1007",
      customer: { name: "Jane Roe", email: "[REDACTED]", phone: "[REDACTED]" },
      accessToken: "[REDACTED]",
      note: "Confirm with [REDACTED], card [REDACTED]",
    });
    // The stored message is untouched: a replay still sends the original data.
    expect(JSON.parse((await scenario.bus.deadLetters.get(entry.id))!.message).data.accessToken).toBe(
      "tok_live_9f8e7d6c5b4a",
    );
  });

  it("applies the host's rules (per field path) to flows and their audit trail too", async () => {
    const { scenario, http } = await setup({ redact: { paths: ["**.name"] } });
    await scenario.book("1008");
    const flow = await (await http.get("/ops/api/flows/o2c%3A1008")).text();
    expect(flow).not.toContain("jane.roe@example.com");
    expect(JSON.parse(flow).flow.input).toEqual({ orderId: "1008", email: "[REDACTED]" });
    await deadLetterFor(scenario, "1009");
    const list = await (await http.get("/ops/api/dead-letters?status=all")).text();
    const page = await (await http.get(`/ops/dead-letters/${JSON.parse(list).deadLetters[0].id}`)).text();
    expect(page).not.toContain("Jane Roe");
  });

  it("escapes everything it renders", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    await deadLetters.add({
      subscriber: "<img src=x onerror=alert(1)>",
      message: '{"type":"<script>alert(1)</script>"}',
      type: "<script>alert(1)</script>",
      error: { name: "Error", code: "UNKNOWN", message: "<b>boom</b>", retryable: false },
      attempts: 1,
      firstFailedAt: 0,
      lastFailedAt: 0,
    });
    const server = await serve(createConsole({ authorize, sources: { deadLetters } }));
    closers.push(server.close);
    const page = await (
      await fetch(`${server.origin}/dead-letters`, { headers: { "x-ops-key": KEY } })
    ).text();
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});

describe("pages", () => {
  it("shows flows with their state and a flow's audit trail as a timeline", async () => {
    const { scenario, http } = await setup();
    await scenario.book("3001");
    const list = await (await http.get("/ops/flows")).text();
    expect(list).toContain('data-flow-id="o2c:3001"');
    expect(list).toContain('data-status="waiting"');
    expect(list).toContain("waiting at <b>erp-confirmed</b>");
    const detail = await http.get("/ops/flows/o2c%3A3001");
    expect(detail.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await detail.text();
    expect(html).toContain('aria-label="Audit timeline"');
    expect(html).toContain("book-order");
    expect(html).not.toMatch(/<(script|link)\b/);
    expect(html).not.toMatch(/src="http|href="http/);
    const api = (await (await http.get("/ops/api/flows?status=waiting")).json()) as {
      flows: { id: string }[];
    };
    expect(api.flows.map((flow) => flow.id)).toEqual(["o2c:3001"]);
    const audit = (await (await http.get("/ops/api/audit/corr-3001")).json()) as {
      timeline: { step: string }[];
    };
    expect(audit.timeline.map((entry) => entry.step)).toEqual(["book-order", "erp-confirmed"]);
  });

  it("replays from a form post: 303 back to the entry, which then shows as replayed", async () => {
    const { scenario, http } = await setup();
    const entry = await deadLetterFor(scenario, "3002");
    await scenario.book("3002");
    const page = await (await http.get(`/ops/dead-letters/${entry.id}`)).text();
    const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(token).toBeDefined();
    const posted = await http.postForm(`/ops/dead-letters/${entry.id}/replay`, { csrf: token! });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toBe(`/ops/dead-letters/${entry.id}?done=replayed`);
    const after = await (await http.get(posted.headers.get("location")!)).text();
    expect(after).toContain("Replayed.");
    expect(after).toContain('data-status="replayed"');
    await waitUntil(async () => (await scenario.manager.get("o2c:3002"))?.status === "completed");

    const refused = await http.postForm(`/ops/dead-letters/${entry.id}/discard`, {
      csrf: token!,
      reason: "",
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("Expected a non-empty reason");
  });

  it("shows sync jobs with lag and last checkpoint, upstream health and EDI acknowledgement status", async () => {
    let now = 1_700_000_000_000;
    const clock = {
      now: () => now,
      sleep: (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)),
    };
    const checkpoints = createMemoryCheckpointStore();
    const job = createSyncJob<{ sku: string; updatedAt: number }>({
      id: "inventory:erp->shop",
      checkpoints,
      clock,
      schema: {
        safeParse: (value: unknown) => ({
          success: true as const,
          data: value as { sku: string; updatedAt: number },
        }),
      },
      keyOf: (record) => record.sku,
      write: async () => {},
      async *pages() {
        yield {
          records: [{ sku: "M8-BOLT", updatedAt: now - 90_000 }],
          cursor: "c-1",
          sourceTime: now - 90_000,
        };
      },
    });
    await job.run();
    const breaker = createCircuitBreaker({ system: "erp", failureThreshold: 1, clock });
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 10,
      intervalMs: 1_000,
      breaker,
      clock,
    });
    const probe = createUpstreamProbe({
      system: "erp",
      ratePerInterval: 10,
      intervalMs: 1_000,
      limiter,
      breaker,
      clock: clock.now,
    });
    for (const latencyMs of [20, 30, 40, 50, 500, 60, 70, 80])
      probe.observe({ latencyMs, failed: latencyMs === 500 });
    await breaker
      .run(() => Promise.reject(new UpstreamError("ERP down", { status: 503, system: "erp" })))
      .catch(() => undefined);
    const server = await serve(
      createConsole({
        authorize,
        clock: clock.now,
        sources: {
          syncJobs: [{ id: "inventory:erp->shop", name: "Inventory", job, checkpoints }],
          upstreams: [probe],
          ediPartners: {
            partners: [{ id: "ZZ:ACME", name: "Acme Supply" }],
            acknowledgements: () => [
              {
                partner: "ZZ:ACME",
                functionalId: "SH",
                controlNumber: "1",
                sentAt: now - 10,
                dueAt: now + 1_000,
                status: "A",
                acknowledgedAt: now,
              },
              {
                partner: "ZZ:ACME",
                functionalId: "IN",
                controlNumber: "2",
                sentAt: now - 10,
                dueAt: now + 1_000,
                status: "R",
                acknowledgedAt: now,
              },
              {
                partner: "ZZ:ACME",
                functionalId: "SH",
                controlNumber: "3",
                sentAt: now - 5_000,
                dueAt: now - 1,
              },
              {
                partner: "ZZ:BETA",
                functionalId: "UNB",
                controlNumber: "4",
                sentAt: now - 10,
                dueAt: now + 1_000,
              },
            ],
          },
        },
      }),
    );
    closers.push(server.close);
    const get = async (path: string) =>
      (await fetch(`${server.origin}${path}`, { headers: { "x-ops-key": KEY } })).json();
    now += 30_000;
    const jobs = (await get("/api/sync-jobs")) as {
      syncJobs: { lagMs: number; checkpoint: { cursor: string }; lastRun: { written: number } }[];
    };
    expect(jobs.syncJobs[0]).toMatchObject({
      lagMs: 120_000,
      checkpoint: { cursor: "c-1" },
      lastRun: { written: 1 },
    });
    now -= 29_500;
    const upstreams = (await get("/api/upstreams")) as { upstreams: Record<string, unknown>[] };
    expect(upstreams.upstreams[0]).toMatchObject({
      system: "erp",
      utilisation: 0.8,
      circuit: "open",
      configuredRate: 10,
      latency: { p50: 50, p95: 500, p99: 500, count: 8 },
      errorRate: 0.125,
    });
    const partners = (await get("/api/edi-partners")) as {
      partners: { id: string; name: string; counts: Record<string, number> }[];
    };
    expect(partners.partners.map((partner) => [partner.id, partner.name, partner.counts])).toEqual([
      [
        "ZZ:ACME",
        "Acme Supply",
        { accepted: 1, partial: 0, rejected: 1, received: 0, pending: 0, overdue: 1 },
      ],
      ["ZZ:BETA", "ZZ:BETA", { accepted: 0, partial: 0, rejected: 0, received: 0, pending: 1, overdue: 0 }],
    ]);
    for (const path of ["/sync-jobs", "/upstreams", "/edi-partners"]) {
      const response = await fetch(`${server.origin}${path}`, { headers: { "x-ops-key": KEY } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("<svg");
    }
  });
});
