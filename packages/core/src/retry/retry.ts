import { isRetryable } from "../errors/index";
import { abortError, sleepWithSignal } from "./abort";
import { assertRetryPolicy, computeBackoff, type RetryPolicy } from "./policy";

/** A source of the current time in epoch milliseconds. */
export interface RetryClock {
  /** The current time, in epoch milliseconds. */
  now(): number;
}

/** Waits `ms` milliseconds; should reject when `signal` fires. */
export type RetrySleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** What the operation passed to {@link retry} learns about the attempt it is making. */
export interface RetryAttempt {
  /** Which attempt this is, from 1. */
  attempt: number;
  /** Milliseconds since the first attempt started. */
  elapsedMs: number;
  /** The caller's abort signal, to pass on to I/O. */
  signal: AbortSignal | undefined;
}

/** What {@link RetryOptions.onRetry} is told before each wait. */
export interface RetryEvent {
  /** The attempt that just failed, from 1. */
  attempt: number;
  /** Its error. */
  error: unknown;
  /** How long the wait before the next attempt is, in milliseconds. */
  delayMs: number;
  /** The `Retry-After` the error asked for, when it carried one. */
  retryAfterMs: number | undefined;
  /** Milliseconds since the first attempt started. */
  elapsedMs: number;
}

/** Injectable time, waiting, randomness and cancellation for {@link retry}. */
export interface RetryOptions {
  /** Where the elapsed time is read; defaults to `Date.now`. */
  clock?: RetryClock;
  /** How a wait happens; defaults to a real timer that honours the signal. */
  sleep?: RetrySleep;
  /** Numbers in `[0, 1)` for jitter; defaults to `Math.random`. */
  random?: () => number;
  /** Stops the loop: no new attempt starts and a wait ends early once it fires. */
  signal?: AbortSignal;
  /** Called before each wait (for logs and metrics). */
  onRetry?: (event: RetryEvent) => void;
}

const systemClock: RetryClock = { now: () => Date.now() };

/**
 * Runs `fn` until it succeeds, following a {@link RetryPolicy}.
 *
 * - An error the policy does not retry (by default: `isRetryable(error)` is false) is
 *   thrown at once.
 * - Between attempts it waits the policy's backoff, but never less than a
 *   `retryAfterMs` the error (or its cause) carries (`RateLimitedError`, `UpstreamError`,
 *   `CircuitOpenError`).
 * - When the attempts run out, or the next wait would end past `maxElapsedMs` after the
 *   start, it gives up with the last error, unchanged.
 * - When `signal` fires, no further attempt starts and a pending wait ends; the error
 *   thrown is the signal's reason as a `DistroError` (`TimeoutError` for
 *   `AbortSignal.timeout`, code `ABORTED` otherwise).
 *
 * @param fn - the operation; receives the attempt number, elapsed time and signal
 * @param policy - when and how often to retry
 * @param options - injectable clock, sleep, random, an abort signal and an `onRetry` hook
 * @returns what `fn` returned on its first success
 * @throws the last error of `fn` when it is not retryable or the budget is spent
 * @throws ValidationError when the policy is invalid
 * @throws DistroError (`ABORTED` or `TimeoutError`) when the signal fires
 * @example
 * ```ts
 * import { retry, retryPolicy } from "@distro/core";
 *
 * const orders = await retry(({ signal }) => erp.listOrders({ signal }), retryPolicy({ maxAttempts: 4 }), {
 *   onRetry: ({ attempt, delayMs, error }) => console.warn(`attempt ${attempt} failed, waiting ${delayMs} ms`, error),
 * });
 * ```
 */
export async function retry<T>(
  fn: (attempt: RetryAttempt) => Promise<T> | T,
  policy: RetryPolicy,
  options: RetryOptions = {},
): Promise<T> {
  assertRetryPolicy(policy);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? sleepWithSignal;
  const random = options.random ?? Math.random;
  const { signal } = options;
  const shouldRetry = policy.retryOn ?? ((error: unknown) => isRetryable(error));
  const startedAt = clock.now();

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortError(signal);
    try {
      return await fn({ attempt, elapsedMs: clock.now() - startedAt, signal });
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      if (attempt >= policy.maxAttempts || !shouldRetry(error, attempt)) throw error;
      const retryAfterMs = retryAfterOf(error);
      const delayMs = Math.max(computeBackoff(policy, attempt, random), retryAfterMs ?? 0);
      const elapsedMs = clock.now() - startedAt;
      if (!Number.isFinite(delayMs) || elapsedMs + delayMs > policy.maxElapsedMs) throw error;
      options.onRetry?.({ attempt, error, delayMs, retryAfterMs, elapsedMs });
      await sleep(delayMs, signal);
      if (signal?.aborted) throw abortError(signal);
    }
  }
}

/**
 * The `retryAfterMs` an error carries, when it is a usable number of milliseconds: on the
 * error itself, or else on its causes (an `AuthError` wrapping a token endpoint's 429).
 */
function retryAfterOf(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const value = (current as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof value === "number" && !Number.isNaN(value) && value >= 0) return Math.ceil(value);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
