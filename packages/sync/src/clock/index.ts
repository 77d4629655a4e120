/**
 * The source of time every part of `@distro/sync` uses, so tests and benchmarks can run
 * on a virtual clock. `now` returns milliseconds (any epoch, but monotonic is best);
 * `sleep` resolves after the given number of milliseconds on that same clock.
 */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number;
  /** Resolves after `milliseconds` have passed on this clock. */
  sleep(milliseconds: number): Promise<void>;
}

/**
 * The real clock: `performance.timeOrigin + performance.now()` (monotonic, wall-clock
 * aligned) and `setTimeout` for sleeping.
 *
 * @example
 * ```ts
 * import { systemClock } from "@distro/sync";
 *
 * const started = systemClock.now();
 * await systemClock.sleep(10);
 * systemClock.now() - started; // about 10
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (milliseconds) =>
    new Promise((resolve) => {
      setTimeout(resolve, Math.max(0, milliseconds));
    }),
};

/** A {@link Clock} whose time only moves when the test says so. */
export interface ManualClock extends Clock {
  /** Moves time forward and wakes every sleeper whose time has come, in order. */
  advance(milliseconds: number): Promise<void>;
  /** How many sleepers are waiting. */
  readonly sleepers: number;
}

/**
 * A virtual clock for tests and property tests: `sleep` resolves only when
 * {@link ManualClock.advance} moves time past its deadline.
 *
 * @param start - the initial time in milliseconds (default 0)
 * @returns a manual clock
 * @example
 * ```ts
 * import { createManualClock } from "@distro/sync";
 *
 * const clock = createManualClock();
 * const slept = clock.sleep(1000);
 * await clock.advance(1000); // `slept` resolves now
 * await slept;
 * ```
 */
export function createManualClock(start = 0): ManualClock {
  let current = start;
  let sequence = 0;
  const waiting: { at: number; order: number; wake: () => void }[] = [];
  // Lets every promise chain woken so far run to its next real wait.
  const flush = () =>
    new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
  return {
    now: () => current,
    sleep(milliseconds) {
      if (milliseconds <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiting.push({ at: current + milliseconds, order: sequence++, wake: resolve });
      });
    },
    get sleepers() {
      return waiting.length;
    },
    async advance(milliseconds) {
      const target = current + Math.max(0, milliseconds);
      for (;;) {
        await flush();
        waiting.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = waiting[0];
        if (!next || next.at > target) break;
        waiting.shift();
        current = Math.max(current, next.at);
        next.wake();
      }
      current = target;
      await flush();
    },
  };
}
