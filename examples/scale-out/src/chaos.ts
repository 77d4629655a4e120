import type { WorkerPool } from "./pool";

/** Settings of {@link startChaos}. */
export interface ChaosSettings {
  /** Mean time between kills (default 3,000 ms); each wait is drawn between half and one and a half of it. */
  everyMs?: number;
  /** Randomness for the victim and the waits (default `Math.random`). */
  random?: () => number;
  /** Told about each kill and restart. */
  log?: (line: string) => void;
}

/** A running chaos loop. */
export interface Chaos {
  /** Workers killed so far. */
  readonly kills: number;
  /** Why the loop ended early (a restarted worker that never got ready), if it did. */
  readonly failure: unknown;
  /**
   * Stops killing; waits for a restart in progress to finish.
   *
   * @returns when stopped
   * @throws the loop's failure, if it ended early
   */
  stop(): Promise<void>;
}

/**
 * Kills a random worker of the pool with SIGKILL every few seconds and starts a new one in
 * its place at once, until stopped. The victim gets no warning: whatever it held (inbox
 * leases, idempotency claims, unacknowledged deliveries, an ERP request in flight) is
 * left as a crash leaves it.
 *
 * @param pool - the workers
 * @param settings - pace, randomness, log
 * @returns the running loop
 * @example
 * ```ts
 * const chaos = startChaos(pool, { everyMs: 3_000 });
 * // ... feed and wait ...
 * await chaos.stop();
 * console.log(`${chaos.kills} workers killed`);
 * ```
 */
export function startChaos(pool: WorkerPool, settings: ChaosSettings = {}): Chaos {
  const everyMs = settings.everyMs ?? 3_000;
  const random = settings.random ?? Math.random;
  let kills = 0;
  let stopped = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const pause = (milliseconds: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, milliseconds);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopped) {
      await pause(everyMs * (0.5 + random()));
      if (stopped) break;
      const slot = Math.floor(random() * pool.size);
      await pool.kill(slot);
      kills += 1;
      settings.log?.(`chaos: SIGKILL worker ${slot + 1}, restarting it`);
      await pool.restart(slot);
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    get kills() {
      return kills;
    },
    get failure() {
      return failure;
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      if (failure !== undefined) throw failure;
    },
  };
}
