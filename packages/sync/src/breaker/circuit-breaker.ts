import { CircuitOpenError, isRetryable } from "@distro/core";
import { type Clock, systemClock } from "../clock/index";

/** The breaker's state: calls flow, are refused, or one trial is let through. */
export type CircuitState = "closed" | "open" | "half-open";

/** Settings of {@link createCircuitBreaker}. */
export interface CircuitBreakerSettings {
  /** The upstream system, named in `CircuitOpenError`. */
  system: string;
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call (default 30 s). */
  openForMs?: number;
  /** Trial calls let through while half-open (default 1). */
  halfOpenTrials?: number;
  /** Which errors count as the upstream failing (default: retryable ones: 5xx, 429, timeouts, network). */
  isFailure?: (error: unknown) => boolean;
  /** Time source. */
  clock?: Clock;
  /** Told of every state change. */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

/** A circuit breaker for one upstream. */
export interface CircuitBreaker {
  /**
   * Runs `task` unless the circuit is open.
   * @throws CircuitOpenError when open (or half-open with its trials taken)
   */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** The state now (an open circuit whose time is up reads as half-open). */
  readonly state: CircuitState;
  /** Counters since creation. */
  stats(): CircuitBreakerStats;
}

/** What a breaker has seen. */
export interface CircuitBreakerStats {
  /** The state now. */
  state: CircuitState;
  /** Consecutive failures counted now. */
  consecutiveFailures: number;
  /** Calls refused while open. */
  rejected: number;
  /** Times the circuit opened. */
  opened: number;
}

/**
 * A per-upstream circuit breaker: closed while calls succeed; open after
 * `failureThreshold` consecutive failures, refusing calls with a typed
 * `CircuitOpenError` for `openForMs`; then half-open, letting `halfOpenTrials`
 * calls through: a success closes it, a failure opens it again. Errors that are not the
 * upstream's fault (validation, not found) do not count.
 *
 * @param settings - system, thresholds and clock
 * @returns the breaker
 * @example
 * ```ts
 * import { createCircuitBreaker } from "@distro/sync";
 *
 * const breaker = createCircuitBreaker({ system: "erp", failureThreshold: 5, openForMs: 10_000 });
 * const price = await breaker.run(() => erp.price("C1", "BOLT-M8"));
 * ```
 */
export function createCircuitBreaker(settings: CircuitBreakerSettings): CircuitBreaker {
  const clock = settings.clock ?? systemClock;
  const threshold = settings.failureThreshold ?? 5;
  const openForMs = settings.openForMs ?? 30_000;
  const trials = settings.halfOpenTrials ?? 1;
  const isFailure = settings.isFailure ?? isRetryable;
  let state: CircuitState = "closed";
  let openedAt = 0;
  let consecutiveFailures = 0;
  let trialsInFlight = 0;
  let rejected = 0;
  let opened = 0;

  const move = (next: CircuitState) => {
    if (next === state) return;
    const previous = state;
    state = next;
    settings.onStateChange?.(next, previous);
  };
  const current = (): CircuitState => {
    if (state === "open" && clock.now() - openedAt >= openForMs) {
      move("half-open");
      trialsInFlight = 0;
    }
    return state;
  };
  const open = () => {
    openedAt = clock.now();
    opened++;
    move("open");
  };

  return {
    get state() {
      return current();
    },
    stats: () => ({ state: current(), consecutiveFailures, rejected, opened }),
    async run(task) {
      const now = current();
      const retryIn = () => Math.max(0, Math.ceil(openedAt + openForMs - clock.now()));
      if (now === "open" || (now === "half-open" && trialsInFlight >= trials)) {
        rejected++;
        throw new CircuitOpenError(settings.system, now === "open" ? retryIn() : 0, {
          details: { state: now, consecutiveFailures },
        });
      }
      const isTrial = now === "half-open";
      if (isTrial) trialsInFlight++;
      try {
        const result = await task();
        consecutiveFailures = 0;
        if (isTrial || state === "half-open") move("closed");
        return result;
      } catch (error) {
        if (isFailure(error)) {
          consecutiveFailures++;
          if (isTrial || state === "half-open" || consecutiveFailures >= threshold) open();
        } else if (isTrial) {
          move("closed");
          consecutiveFailures = 0;
        }
        throw error;
      } finally {
        if (isTrial) trialsInFlight = Math.max(0, trialsInFlight - 1);
      }
    },
  };
}
