/** A clock that only moves when told: `now()` for code under test, `advance` for the test. */
export interface ManualClock {
  /**
   * The current time.
   *
   * @returns epoch milliseconds
   */
  now(): number;
  /**
   * Moves time forward.
   *
   * @param milliseconds - how far
   */
  advance(milliseconds: number): void;
  /**
   * Sets the time.
   *
   * @param epochMilliseconds - the new time
   */
  set(epochMilliseconds: number): void;
}

/**
 * A clock for tests: starts at `start` and moves only by `advance` / `set`, so tests of
 * expiry, retention and backoff never depend on wall-clock time.
 *
 * @param start - the starting time, epoch milliseconds (default 2026-01-01T00:00:00Z)
 * @returns the clock
 * @example
 * ```ts
 * import { createManualClock } from "@distro/core/testing";
 *
 * const clock = createManualClock();
 * clock.advance(30_000);
 * ```
 */
export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance(milliseconds) {
      current += milliseconds;
    },
    set(epochMilliseconds) {
      current = epochMilliseconds;
    },
  };
}
