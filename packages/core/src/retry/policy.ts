import { ValidationError, type ValidationIssue } from "../errors/index";

/**
 * How a backoff delay is randomised, as the AWS Architecture Blog's "Exponential
 * Backoff And Jitter" defines it: `full` picks uniformly in `[0, cap]`, `equal` in
 * `[cap / 2, cap]`, and `none` always waits `cap`.
 */
export type JitterMode = "full" | "equal" | "none";

/**
 * When and how often a failed operation is tried again.
 *
 * The delay before retry number `n` (1-based) is
 * `min(maxDelayMs, baseDelayMs * multiplier ** (n - 1))`, randomised by `jitter`, and
 * never less than a `Retry-After` the error carries (`retryAfterMs`).
 */
export interface RetryPolicy {
  /** Total attempts, the first one included (1 means never retry). A positive integer or `Infinity`. */
  maxAttempts: number;
  /** Give up (with the last error) when the next wait would end later than this after the first attempt started. `Infinity` for no bound. */
  maxElapsedMs: number;
  /** The cap of the first backoff, in milliseconds. */
  baseDelayMs: number;
  /** No backoff is longer than this (a `Retry-After` may still ask for more). */
  maxDelayMs: number;
  /** How much the cap grows per attempt (at least 1). */
  multiplier: number;
  /** How the delay is randomised. */
  jitter: JitterMode;
  /**
   * Decides whether an error is worth another attempt. Defaults to `isRetryable` from the
   * error hierarchy; when given, it replaces that decision.
   */
  retryOn?: (error: unknown, attempt: number) => boolean;
}

/**
 * The policy distro uses when none is given: 5 attempts within 60 s, backoff from 200 ms
 * doubling up to 10 s, full jitter.
 *
 * @example
 * ```ts
 * import { DEFAULT_RETRY_POLICY, retry } from "@distro/core";
 *
 * await retry(() => fetchOrders(), { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 });
 * ```
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  maxElapsedMs: 60_000,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: "full",
});

/**
 * Builds a complete {@link RetryPolicy} from the fields you want to change, filling the
 * rest from {@link DEFAULT_RETRY_POLICY}, and checks it.
 *
 * @param overrides - the fields that differ from the default
 * @returns a checked policy
 * @throws ValidationError when a field is out of range (each issue names the field)
 * @example
 * ```ts
 * import { retryPolicy } from "@distro/core";
 *
 * const policy = retryPolicy({ maxAttempts: 8, jitter: "equal" });
 * ```
 */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(overrides) };
  assertRetryPolicy(policy);
  return policy;
}

function stripUndefined(value: Partial<RetryPolicy>): Partial<RetryPolicy> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as Partial<RetryPolicy>;
}

/**
 * Checks that a {@link RetryPolicy} can be followed: a positive whole number of attempts
 * (or `Infinity`), non-negative delays and budget, `maxDelayMs >= baseDelayMs`, a
 * multiplier of at least 1, a known jitter mode.
 *
 * @param policy - the policy to check
 * @throws ValidationError listing every field that is out of range
 * @example
 * ```ts
 * import { assertRetryPolicy, DEFAULT_RETRY_POLICY } from "@distro/core";
 *
 * assertRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 0 }); // throws, path ["maxAttempts"]
 * ```
 */
export function assertRetryPolicy(policy: RetryPolicy): void {
  const issues: ValidationIssue[] = [];
  if (typeof policy !== "object" || policy === null) {
    throw new ValidationError("Retry policy must be an object", [
      { code: "invalid_type", path: [], message: "Expected a retry policy object" },
    ]);
  }
  const { maxAttempts, maxElapsedMs, baseDelayMs, maxDelayMs, multiplier, jitter, retryOn } = policy;
  if (
    typeof maxAttempts !== "number" ||
    !(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1))
  ) {
    issues.push({
      code: "invalid_value",
      path: ["maxAttempts"],
      message: "Expected a whole number of at least 1, or Infinity",
    });
  }
  for (const [name, value] of [
    ["maxElapsedMs", maxElapsedMs],
    ["baseDelayMs", baseDelayMs],
    ["maxDelayMs", maxDelayMs],
  ] as const) {
    const infinityAllowed = name === "maxElapsedMs";
    if (
      typeof value !== "number" ||
      Number.isNaN(value) ||
      value < 0 ||
      (!infinityAllowed && !Number.isFinite(value))
    ) {
      issues.push({
        code: "invalid_value",
        path: [name],
        message: infinityAllowed
          ? "Expected a non-negative number of milliseconds, or Infinity"
          : "Expected a finite non-negative number of milliseconds",
      });
    }
  }
  if (
    typeof baseDelayMs === "number" &&
    typeof maxDelayMs === "number" &&
    Number.isFinite(baseDelayMs) &&
    Number.isFinite(maxDelayMs) &&
    maxDelayMs < baseDelayMs
  ) {
    issues.push({
      code: "too_small",
      path: ["maxDelayMs"],
      message: "maxDelayMs must be at least baseDelayMs",
    });
  }
  if (typeof multiplier !== "number" || !Number.isFinite(multiplier) || multiplier < 1) {
    issues.push({
      code: "invalid_value",
      path: ["multiplier"],
      message: "Expected a finite number of at least 1",
    });
  }
  if (jitter !== "full" && jitter !== "equal" && jitter !== "none") {
    issues.push({ code: "invalid_value", path: ["jitter"], message: 'Expected "full", "equal" or "none"' });
  }
  if (retryOn !== undefined && typeof retryOn !== "function") {
    issues.push({ code: "invalid_type", path: ["retryOn"], message: "Expected a function" });
  }
  if (issues.length > 0) throw new ValidationError("Retry policy is invalid", issues);
}

/**
 * The backoff before retry number `attempt` (1 is the wait after the first failure):
 * exponential growth from `baseDelayMs` by `multiplier`, capped at `maxDelayMs`, then
 * randomised by the policy's jitter. Whole milliseconds.
 *
 * @param policy - the retry policy
 * @param attempt - which retry this wait precedes, from 1
 * @param random - a source of numbers in `[0, 1)` (injectable so tests are exact)
 * @returns the delay in whole milliseconds, between 0 and `maxDelayMs`
 * @throws ValidationError when `attempt` is not a whole number of at least 1
 * @example
 * ```ts
 * import { computeBackoff, DEFAULT_RETRY_POLICY } from "@distro/core";
 *
 * computeBackoff({ ...DEFAULT_RETRY_POLICY, jitter: "none" }, 3, Math.random); // 800
 * ```
 */
export function computeBackoff(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ValidationError("Backoff attempt must be a whole number of at least 1", [
      { code: "invalid_value", path: ["attempt"], message: `Expected a whole number >= 1, got ${attempt}` },
    ]);
  }
  // multiplier ** (attempt - 1) overflows to Infinity for large attempts; the cap then applies.
  const growth = policy.baseDelayMs === 0 ? 0 : policy.baseDelayMs * policy.multiplier ** (attempt - 1);
  const cap = Math.min(policy.maxDelayMs, growth);
  if (policy.jitter === "none") return Math.floor(cap);
  const unit = clampUnit(random());
  if (policy.jitter === "equal") return Math.floor(cap / 2 + (unit * cap) / 2);
  return Math.floor(unit * cap);
}

/** Keeps a random draw inside [0, 1) whatever an injected source returns. */
function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return value >= 1 ? 1 - Number.EPSILON : value;
}
