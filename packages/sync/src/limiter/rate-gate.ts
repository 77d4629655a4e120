import { type Clock, systemClock } from "../clock/index";

/** Settings of {@link createRateGate}. */
export interface RateGateSettings {
  /** Most starts allowed in any window of `intervalMs`. */
  ratePerInterval: number;
  /** The window length in milliseconds (default 1000). */
  intervalMs?: number;
  /**
   * Extra milliseconds added to the window, to absorb transit jitter between this
   * process and the upstream's own counter (default 0).
   */
  marginMs?: number;
  /** Time source (default the system clock). */
  clock?: Clock;
}

/** A sliding-window gate: no window of `intervalMs` ever holds more than the rate. */
export interface RateGate {
  /**
   * Reserves the next start slot and resolves at that slot's time with `true`. With a
   * `deadline`, a slot later than the deadline is not reserved and it resolves `false`
   * at once.
   */
  acquire(deadline?: number): Promise<boolean>;
  /**
   * The time the next slot would start, were it reserved now.
   * @returns a timestamp on the gate's clock
   */
  nextSlotAt(): number;
  /** Blocks every start until `time` (honours `Retry-After`). */
  pauseUntil(time: number): void;
  /** Changes the rate; slots already reserved keep their time. */
  setRate(ratePerInterval: number): void;
  /** The current rate. */
  readonly rate: number;
}

/**
 * A sliding-window rate gate. Slots are reserved first come, first served, and each
 * reservation starts no earlier than `intervalMs + marginMs` after the reservation
 * `rate` places before it, so any window of `intervalMs` holds at most `rate` starts,
 * whatever the burst. Memory is bounded by the highest rate used.
 *
 * @param settings - rate, window, margin and clock
 * @returns the gate
 * @example
 * ```ts
 * import { createRateGate } from "@distro/sync";
 *
 * const gate = createRateGate({ ratePerInterval: 50, intervalMs: 1000 });
 * await gate.acquire(); // resolves when a slot is free
 * const started = await gate.acquire(Date.now() + 100); // false: no slot within 100 ms
 * ```
 */
export function createRateGate(settings: RateGateSettings): RateGate {
  const clock = settings.clock ?? systemClock;
  const window = (settings.intervalMs ?? 1000) + (settings.marginMs ?? 0);
  let rate = Math.max(1, Math.floor(settings.ratePerInterval));
  let highestRate = rate;
  let pausedUntil = Number.NEGATIVE_INFINITY;
  // The most recent reservations, oldest first; never longer than the highest rate.
  let slots: number[] = [];

  const nextSlotAt = () => {
    let at = Math.max(clock.now(), pausedUntil);
    if (slots.length >= rate) {
      const reference = slots[slots.length - rate]!;
      at = Math.max(at, reference + window);
    }
    const last = slots[slots.length - 1];
    if (last !== undefined) at = Math.max(at, last);
    return at;
  };

  return {
    get rate() {
      return rate;
    },
    nextSlotAt,
    async acquire(deadline) {
      for (;;) {
        const at = nextSlotAt();
        if (deadline !== undefined && at > deadline) return false;
        slots.push(at);
        if (slots.length > highestRate * 2 + 8) slots = slots.slice(slots.length - highestRate);
        const wait = at - clock.now();
        if (wait > 0) await clock.sleep(wait);
        // A pause that arrived while this slot waited (a Retry-After) moves it back.
        if (clock.now() >= pausedUntil) return true;
      }
    },
    pauseUntil(time) {
      pausedUntil = Math.max(pausedUntil, time);
    },
    setRate(ratePerInterval) {
      rate = Math.max(1, Math.floor(ratePerInterval));
      highestRate = Math.max(highestRate, rate);
    },
  };
}
