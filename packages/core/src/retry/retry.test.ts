import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  DistroError,
  isDistroError,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from "../errors/index";
import { computeBackoff, type RetryPolicy } from "./policy";
import { type RetryEvent, retry } from "./retry";

/** A clock that only moves when the injected sleep is called, so every wait is exact. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

const transient = () => new UpstreamError("ERP answered 503", { status: 503, system: "erp" });
const exact: RetryPolicy = {
  maxAttempts: 5,
  maxElapsedMs: 60_000,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: "none",
};

describe("retry", () => {
  it("returns the first success without waiting", async () => {
    const time = fakeTime();
    const fn = vi.fn(async () => "ok");
    await expect(retry(fn, exact, time)).resolves.toBe("ok");
    expect(fn).toHaveBeenCalledTimes(1);
    expect(time.sleeps).toEqual([]);
  });

  it("retries transient failures with exponential backoff and passes the attempt number", async () => {
    const time = fakeTime();
    const attempts: number[] = [];
    const result = await retry(
      ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 4) throw transient();
        return attempt;
      },
      exact,
      time,
    );
    expect(result).toBe(4);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(time.sleeps).toEqual([100, 200, 400]);
  });

  it("stops at once on a non-retryable error and throws it unchanged", async () => {
    const time = fakeTime();
    const error = new ValidationError("bad order", [{ code: "custom", path: ["sku"], message: "Required" }]);
    const fn = vi.fn(async () => {
      throw error;
    });
    await expect(retry(fn, exact, time)).rejects.toBe(error);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(time.sleeps).toEqual([]);
  });

  it("does not retry a plain programming error", async () => {
    const fn = vi.fn(async () => {
      throw new TypeError("x is undefined");
    });
    await expect(retry(fn, exact, fakeTime())).rejects.toBeInstanceOf(TypeError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("retries a network error (ECONNRESET under fetch's TypeError)", async () => {
    const time = fakeTime();
    let calls = 0;
    const result = await retry(
      () => {
        calls++;
        if (calls === 1)
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }),
          });
        return "ok";
      },
      exact,
      time,
    );
    expect(result).toBe("ok");
    expect(time.sleeps).toEqual([100]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const time = fakeTime();
    const errors: Error[] = [];
    const promise = retry(
      () => {
        const error = transient();
        errors.push(error);
        throw error;
      },
      { ...exact, maxAttempts: 3 },
      time,
    );
    const error = await promise.catch((caught: unknown) => caught);
    expect(error).toBe(errors[2]);
    expect(errors).toHaveLength(3);
    expect(time.sleeps).toEqual([100, 200]);
  });

  it("never waits less than the Retry-After an error carries", async () => {
    const time = fakeTime();
    let calls = 0;
    await retry(
      () => {
        calls++;
        if (calls === 1) throw new RateLimitedError("429", { retryAfterMs: 5_000 });
        if (calls === 2) throw new UpstreamError("503", { status: 503, retryAfterMs: 1_500.2 });
        if (calls === 3) throw new RateLimitedError("429", { retryAfterMs: 10 });
        return "done";
      },
      exact,
      time,
    );
    // max(backoff, Retry-After): 5000 > 100, 1501 > 200, 400 > 10.
    expect(time.sleeps).toEqual([5_000, 1_501, 400]);
  });

  it("finds a Retry-After on the error's cause", async () => {
    const time = fakeTime();
    let calls = 0;
    await retry(
      () => {
        calls++;
        if (calls === 1) {
          throw new DistroError("AUTH_FAILED", "token endpoint busy", {
            retryable: true,
            cause: new UpstreamError("429", { status: 429, retryAfterMs: 4_000 }),
          });
        }
        return "ok";
      },
      exact,
      time,
    );
    expect(time.sleeps).toEqual([4_000]);
  });

  it("gives up with the last error when the next wait would pass maxElapsedMs", async () => {
    const time = fakeTime();
    const last = new RateLimitedError("429", { retryAfterMs: 30_000 });
    let calls = 0;
    const promise = retry(
      () => {
        calls++;
        if (calls === 1) throw new RateLimitedError("429", { retryAfterMs: 20_000 });
        throw last;
      },
      { ...exact, maxElapsedMs: 45_000 },
      time,
    );
    await expect(promise).rejects.toBe(last);
    expect(calls).toBe(2);
    expect(time.sleeps).toEqual([20_000]);
  });

  it("counts the time spent inside attempts against maxElapsedMs", async () => {
    const time = fakeTime();
    let calls = 0;
    await expect(
      retry(
        () => {
          calls++;
          time.advance(900);
          throw transient();
        },
        { ...exact, maxElapsedMs: 2_000 },
        time,
      ),
    ).rejects.toBeInstanceOf(UpstreamError);
    // 900 + 100 = 1000 <= 2000; 1000 + 900 + 200 = 2100 > 2000.
    expect(calls).toBe(2);
    expect(time.sleeps).toEqual([100]);
  });

  it("gives up when an error asks to wait forever", async () => {
    const time = fakeTime();
    const error = new RateLimitedError("never", { retryAfterMs: Number.POSITIVE_INFINITY });
    await expect(
      retry(
        () => {
          throw error;
        },
        { ...exact, maxElapsedMs: Number.POSITIVE_INFINITY },
        time,
      ),
    ).rejects.toBe(error);
    expect(time.sleeps).toEqual([]);
  });

  it("lets retryOn replace the default decision", async () => {
    const time = fakeTime();
    const seen: number[] = [];
    let calls = 0;
    const result = await retry(
      () => {
        calls++;
        if (calls < 3) throw new DistroError("LOCKED", "record locked");
        return calls;
      },
      {
        ...exact,
        retryOn: (error, attempt) => {
          seen.push(attempt);
          return isDistroError(error) && error.code === "LOCKED";
        },
      },
      time,
    );
    expect(result).toBe(3);
    expect(seen).toEqual([1, 2]);
    await expect(
      retry(() => Promise.reject(transient()), { ...exact, retryOn: () => false }, time),
    ).rejects.toBeInstanceOf(UpstreamError);
  });

  it("tells onRetry about each wait", async () => {
    const time = fakeTime();
    const events: RetryEvent[] = [];
    let calls = 0;
    await retry(
      () => {
        calls++;
        if (calls < 3) throw new RateLimitedError("429", { retryAfterMs: calls === 1 ? 700 : undefined });
        return "ok";
      },
      exact,
      { ...time, onRetry: (event) => events.push(event) },
    );
    expect(
      events.map(({ attempt, delayMs, retryAfterMs, elapsedMs }) => ({
        attempt,
        delayMs,
        retryAfterMs,
        elapsedMs,
      })),
    ).toEqual([
      { attempt: 1, delayMs: 700, retryAfterMs: 700, elapsedMs: 0 },
      { attempt: 2, delayMs: 200, retryAfterMs: undefined, elapsedMs: 700 },
    ]);
    expect(events[0]?.error).toBeInstanceOf(RateLimitedError);
  });

  it("uses the injected random source for jitter", async () => {
    const time = fakeTime();
    let calls = 0;
    await retry(
      () => {
        calls++;
        if (calls < 3) throw transient();
        return "ok";
      },
      { ...exact, jitter: "full" },
      { ...time, random: () => 0.5 },
    );
    expect(time.sleeps).toEqual([50, 100]);
  });

  it("checks the policy before the first attempt", async () => {
    const fn = vi.fn(async () => "ok");
    await expect(retry(fn, { ...exact, maxAttempts: 0 })).rejects.toBeInstanceOf(ValidationError);
    expect(fn).not.toHaveBeenCalled();
  });

  describe("with an abort signal", () => {
    it("does not start when the signal already fired", async () => {
      const controller = new AbortController();
      controller.abort();
      const fn = vi.fn(async () => "ok");
      const error = await retry(fn, exact, { signal: controller.signal }).catch((caught: unknown) => caught);
      expect(isDistroError(error) && error.code).toBe("ABORTED");
      expect(fn).not.toHaveBeenCalled();
    });

    it("ends a pending real wait as soon as the signal fires", async () => {
      const controller = new AbortController();
      let calls = 0;
      const promise = retry(
        () => {
          calls++;
          setTimeout(() => controller.abort(new Error("shutting down")), 5);
          throw transient();
        },
        { ...exact, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000, maxElapsedMs: Number.POSITIVE_INFINITY },
        { signal: controller.signal },
      );
      const error = await promise.catch((caught: unknown) => caught);
      expect(isDistroError(error) && error.code).toBe("ABORTED");
      expect((error as Error).cause).toEqual(new Error("shutting down"));
      expect(calls).toBe(1);
    });

    it("reports an AbortSignal.timeout as a TimeoutError and keeps a DistroError reason as is", async () => {
      const timedOut = AbortSignal.abort(new DOMException("timed out", "TimeoutError"));
      await expect(retry(() => "never", exact, { signal: timedOut })).rejects.toBeInstanceOf(TimeoutError);
      const reason = new DistroError("SHUTDOWN", "worker stopping");
      await expect(retry(() => "never", exact, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });

    it("stops after an attempt that failed because the signal fired", async () => {
      const controller = new AbortController();
      const fn = vi.fn(async () => {
        controller.abort();
        throw transient();
      });
      const error = await retry(fn, exact, { ...fakeTime(), signal: controller.signal }).catch(
        (caught: unknown) => caught,
      );
      expect(isDistroError(error) && error.code).toBe("ABORTED");
      expect(fn).toHaveBeenCalledTimes(1);
    });
  });

  it("for any failure sequence: honours Retry-After, attempts and the elapsed budget, and ends with the right outcome", async () => {
    const failureArb = fc.oneof(
      fc.record({
        kind: fc.constant("transient" as const),
        retryAfterMs: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
        workMs: fc.integer({ min: 0, max: 3_000 }),
      }),
      fc.record({
        kind: fc.constant("permanent" as const),
        retryAfterMs: fc.constant(undefined),
        workMs: fc.integer({ min: 0, max: 3_000 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(failureArb, { maxLength: 12 }),
        fc.record({
          maxAttempts: fc.integer({ min: 1, max: 10 }),
          maxElapsedMs: fc.integer({ min: 0, max: 60_000 }),
          baseDelayMs: fc.integer({ min: 0, max: 2_000 }),
          maxDelayMs: fc.integer({ min: 2_000, max: 15_000 }),
          multiplier: fc.constantFrom(1, 1.5, 2, 3),
          jitter: fc.constantFrom("full" as const, "equal" as const, "none" as const),
        }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (failures, policy, draw) => {
          const time = fakeTime(0);
          const thrown: unknown[] = [];
          let calls = 0;
          const outcome = await retry(
            () => {
              const failure = failures[calls];
              calls++;
              if (failure === undefined) return "ok";
              time.advance(failure.workMs);
              const error =
                failure.kind === "permanent"
                  ? new ValidationError("bad", [])
                  : new UpstreamError("503", { status: 503, retryAfterMs: failure.retryAfterMs });
              thrown.push(error);
              throw error;
            },
            policy,
            { ...time, random: () => draw },
          ).catch((error: unknown) => ({ error }));

          expect(calls).toBeLessThanOrEqual(policy.maxAttempts);
          expect(time.sleeps).toHaveLength(calls - 1);
          const slept = time.sleeps.reduce((sum, ms) => sum + ms, 0);
          expect(slept).toBeLessThanOrEqual(policy.maxElapsedMs);
          time.sleeps.forEach((ms, index) => {
            expect(ms).toBeGreaterThanOrEqual(failures[index]?.retryAfterMs ?? 0);
            expect(failures[index]?.kind).toBe("transient");
          });
          if (typeof outcome === "string") {
            expect(calls).toBe(failures.length + 1);
          } else {
            // The error thrown is always the last one the operation threw.
            expect(outcome.error).toBe(thrown[thrown.length - 1]);
            const last = failures[calls - 1]!;
            const stoppedEarly = last.kind === "permanent" || calls === policy.maxAttempts;
            if (!stoppedEarly) {
              // It gave up on the budget: the next wait would have crossed maxElapsedMs.
              const nextWait = Math.max(
                computeBackoff(policy, calls, () => draw),
                last.retryAfterMs ?? 0,
              );
              expect(time.clock.now() + nextWait).toBeGreaterThan(policy.maxElapsedMs);
            }
          }
        },
      ),
    );
  });
});
