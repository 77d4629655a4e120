import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/index";
import {
  assertRetryPolicy,
  computeBackoff,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryPolicy,
} from "./policy";

const policyArb = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 20 }),
  maxElapsedMs: fc.integer({ min: 0, max: 1_000_000 }),
  baseDelayMs: fc.integer({ min: 0, max: 5_000 }),
  extraDelayMs: fc.integer({ min: 0, max: 120_000 }),
  multiplier: fc.double({ min: 1, max: 4, noNaN: true }),
  jitter: fc.constantFrom("full" as const, "equal" as const, "none" as const),
});

type RawPolicy = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;

function toPolicy(value: RawPolicy): RetryPolicy {
  const { extraDelayMs, ...rest } = value;
  return { ...rest, maxDelayMs: rest.baseDelayMs + extraDelayMs };
}

describe("computeBackoff", () => {
  it("grows exponentially from the base and stops at the cap without jitter", () => {
    const policy: RetryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      jitter: "none",
    };
    expect(
      [1, 2, 3, 4, 5, 6, 40, 2_000].map((attempt) => computeBackoff(policy, attempt, () => 0.5)),
    ).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
  });

  it("draws full jitter in [0, cap] and equal jitter in [cap/2, cap]", () => {
    const full: RetryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      baseDelayMs: 1_000,
      maxDelayMs: 1_000,
      jitter: "full",
    };
    const equal: RetryPolicy = { ...full, jitter: "equal" };
    expect(computeBackoff(full, 1, () => 0)).toBe(0);
    expect(computeBackoff(full, 1, () => 0.25)).toBe(250);
    expect(computeBackoff(equal, 1, () => 0)).toBe(500);
    expect(computeBackoff(equal, 1, () => 0.5)).toBe(750);
    // A broken random source cannot push the delay out of range.
    expect(computeBackoff(full, 1, () => 7)).toBeLessThanOrEqual(1_000);
    expect(computeBackoff(full, 1, () => Number.NaN)).toBe(0);
  });

  it("stays within [0, maxDelayMs] and within its jitter band for any policy and attempt", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (raw, attempt, draw) => {
          const policy = toPolicy(raw);
          const delay = computeBackoff(policy, attempt, () => draw);
          const growth =
            policy.baseDelayMs === 0 ? 0 : policy.baseDelayMs * policy.multiplier ** (attempt - 1);
          const cap = Math.min(policy.maxDelayMs, growth);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
          if (policy.jitter === "none") expect(delay).toBe(Math.floor(cap));
          if (policy.jitter === "equal") expect(delay).toBeGreaterThanOrEqual(Math.floor(cap / 2));
          expect(delay).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it("never shrinks the cap from one attempt to the next", () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 200 }), (raw, attempt) => {
        const policy = { ...toPolicy(raw), jitter: "none" as const };
        expect(computeBackoff(policy, attempt + 1)).toBeGreaterThanOrEqual(computeBackoff(policy, attempt));
      }),
    );
  });

  it("refuses an attempt number that is not a whole number of at least 1", () => {
    for (const attempt of [0, -1, 1.5, Number.NaN]) {
      const error = catchError(() => computeBackoff(DEFAULT_RETRY_POLICY, attempt));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toEqual(["attempt"]);
    }
  });
});

describe("retryPolicy and assertRetryPolicy", () => {
  it("fills the defaults and keeps the overrides", () => {
    expect(retryPolicy({ maxAttempts: 2, jitter: "equal", baseDelayMs: undefined })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 2,
      jitter: "equal",
    });
    expect(retryPolicy({ maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: 5_000 }).maxAttempts).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("names every field that is out of range", () => {
    const error = catchError(() =>
      retryPolicy({
        maxAttempts: 0,
        maxElapsedMs: -1,
        baseDelayMs: Number.NaN,
        maxDelayMs: Number.POSITIVE_INFINITY,
        multiplier: 0.5,
        jitter: "sometimes" as never,
        retryOn: "yes" as never,
      }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path[0])).toEqual([
      "maxAttempts",
      "maxElapsedMs",
      "baseDelayMs",
      "maxDelayMs",
      "multiplier",
      "jitter",
      "retryOn",
    ]);
  });

  it("refuses a cap below the base delay and a non-object", () => {
    const error = catchError(() => retryPolicy({ baseDelayMs: 500, maxDelayMs: 100 }));
    expect((error as ValidationError).issues).toEqual([expect.objectContaining({ path: ["maxDelayMs"] })]);
    expect(catchError(() => assertRetryPolicy(null as never))).toBeInstanceOf(ValidationError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}
