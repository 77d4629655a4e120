import { isDistroError, RateLimitedError, TimeoutError } from "@distro/core";
import PQueue from "p-queue";
import type { CircuitBreaker } from "../breaker/index";
import { type Clock, systemClock } from "../clock/index";
import type { ReadPriority } from "../policy/index";
import { createRateGate } from "./rate-gate";

/** What the limiter does when its queue is full. */
export type WhenFull = "refuse" | "wait";

/** How the limiter adapts its rate to the upstream's health (AIMD). */
export interface AdaptiveSettings {
  /** The lowest rate it may fall to (default 1). */
  minRatePerInterval?: number;
  /** Multiplies the rate on a throttle signal (default 0.5). */
  decreaseFactor?: number;
  /** Added to the rate after each healthy interval (default 1). */
  increaseStep?: number;
  /** A call slower than this counts as a congestion signal (default: latency is ignored). */
  latencyThresholdMs?: number;
  /**
   * After a throttle, the rate climbs back no higher than 90% of the rate that was
   * throttled for this long (default 60 s); after that it probes up to the maximum again.
   */
  ceilingHoldMs?: number;
}

/** Settings of {@link createUpstreamLimiter}. */
export interface UpstreamLimiterSettings {
  /** The upstream system, e.g. `erp`. */
  system: string;
  /** The most calls started in any window of `intervalMs` (the upstream's published limit). */
  ratePerInterval: number;
  /** The window (default 1000 ms). */
  intervalMs?: number;
  /** Extra milliseconds of window, to absorb network jitter (default 0). */
  marginMs?: number;
  /** The most calls in flight at once (default 4). */
  concurrency?: number;
  /** The most calls waiting for a start; beyond it, callers are refused or wait (default 1000). */
  queueCapacity?: number;
  /** Refuse with `RateLimitedError` or wait (up to `waitTimeoutMs`) when full (default `refuse`). */
  whenFull?: WhenFull;
  /** How long a caller waits for queue room in `wait` mode before a `TimeoutError` (default 5000). */
  waitTimeoutMs?: number;
  /** Adapt the rate to 429 / 503 / latency; `false` keeps it fixed (default on). */
  adaptive?: AdaptiveSettings | false;
  /** A breaker every call runs through. */
  breaker?: CircuitBreaker;
  /** Time source. */
  clock?: Clock;
}

/** Options of one {@link UpstreamLimiter.run}. */
export interface LimiterRunOptions {
  /** `interactive` (a customer waits) starts ahead of `batch`; or a number, higher first (default `batch`). */
  priority?: ReadPriority | number;
  /** Give up with a `TimeoutError` if the call has not started within this time. */
  maxWaitMs?: number;
  /** Abandons the call while it is still queued. */
  signal?: AbortSignal;
}

/** Counters of a limiter. */
export interface LimiterStats {
  /** The current (adapted) rate per interval. */
  rate: number;
  /** Calls waiting for a start. */
  queued: number;
  /** Calls in flight. */
  inFlight: number;
  /** Calls started. */
  started: number;
  /** Calls refused because the queue was full or the start would come too late. */
  refused: number;
  /** Throttle signals received (429, 503, slow calls). */
  throttled: number;
}

/** An outcome the limiter learns from. */
export interface LimiterFeedback {
  /** The HTTP status, when there was a response. */
  status?: number;
  /** `Retry-After` in milliseconds, when given. */
  retryAfterMs?: number;
  /** How long the call took. */
  latencyMs?: number;
}

/** Back-pressure in front of one upstream system. */
export interface UpstreamLimiter {
  /**
   * Runs `task` when the rate, the concurrency and its priority allow.
   * @throws RateLimitedError when the queue is full (`refuse`) or the start would miss `maxWaitMs`
   * @throws TimeoutError when `wait` mode or `maxWaitMs` runs out
   * @throws CircuitOpenError when the breaker is open
   */
  run<T>(task: () => Promise<T>, options?: LimiterRunOptions): Promise<T>;
  /** Tells the limiter about a call made outside `run` (or with more detail). */
  feedback(feedback: LimiterFeedback): void;
  /** Counters. */
  stats(): LimiterStats;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
}

const PRIORITY: Record<ReadPriority, number> = { interactive: 10, batch: 0 };

/**
 * Back-pressure for one upstream, on p-queue: a sliding-window rate (no window of
 * `intervalMs` ever holds more than the current rate), a concurrency cap, a bounded
 * queue (refuse with a typed error, or wait with a timeout: memory never grows without
 * bound), priorities (customer-facing reads ahead of batch work), and AIMD adaptation:
 * a 429 / 503 / slow call halves the rate and honours `Retry-After`; each healthy interval
 * adds one back, up to the configured rate. Errors thrown by `task` that carry a status
 * or `retryAfterMs` (distro's `UpstreamError`, `RateLimitedError`) are learnt from
 * automatically.
 *
 * @param settings - rate, concurrency, queue, adaptation, breaker and clock
 * @returns the limiter
 * @example
 * ```ts
 * import { createUpstreamLimiter } from "@distro/sync";
 *
 * const erp = createUpstreamLimiter({ system: "erp", ratePerInterval: 50, concurrency: 8, queueCapacity: 200 });
 * const price = await erp.run(() => fetchPrice("C1", "BOLT-M8"), { priority: "interactive", maxWaitMs: 250 });
 * ```
 */
export function createUpstreamLimiter(settings: UpstreamLimiterSettings): UpstreamLimiter {
  const clock = settings.clock ?? systemClock;
  const intervalMs = settings.intervalMs ?? 1000;
  const maxRate = Math.max(1, Math.floor(settings.ratePerInterval));
  const capacity = settings.queueCapacity ?? 1000;
  const whenFull = settings.whenFull ?? "refuse";
  const waitTimeoutMs = settings.waitTimeoutMs ?? 5000;
  const adaptive = settings.adaptive === false ? undefined : (settings.adaptive ?? {});
  const minRate = Math.max(1, Math.min(maxRate, adaptive?.minRatePerInterval ?? 1));
  const gate = createRateGate({
    ratePerInterval: maxRate,
    intervalMs,
    marginMs: settings.marginMs ?? 0,
    clock,
  });
  const queue = new PQueue({ concurrency: Math.max(1, settings.concurrency ?? 4) });
  let rate = maxRate;
  let ceiling = maxRate;
  let ceilingUntil = Number.NEGATIVE_INFINITY;
  let lastDecreaseAt = Number.NEGATIVE_INFINITY;
  let healthySince = clock.now();
  let started = 0;
  let refused = 0;
  let throttled = 0;

  const setRate = (next: number) => {
    rate = Math.max(minRate, Math.min(maxRate, Math.floor(next)));
    gate.setRate(rate);
  };

  const throttle = (retryAfterMs: number | undefined) => {
    throttled++;
    const now = clock.now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) gate.pauseUntil(now + retryAfterMs);
    if (!adaptive) return;
    healthySince = now;
    // One decrease per interval: a burst of 429s from one overload is one signal.
    if (now - lastDecreaseAt < intervalMs) return;
    lastDecreaseAt = now;
    ceiling = Math.max(minRate, Math.floor(rate * 0.9));
    ceilingUntil = now + (adaptive.ceilingHoldMs ?? 60_000);
    setRate(rate * (adaptive.decreaseFactor ?? 0.5));
  };

  const healthy = () => {
    if (!adaptive || rate >= maxRate) return;
    const now = clock.now();
    if (now - healthySince < intervalMs) return;
    const steps = Math.floor((now - healthySince) / intervalMs);
    healthySince += steps * intervalMs;
    const limit = now < ceilingUntil ? ceiling : maxRate;
    if (rate < limit) setRate(Math.min(limit, rate + steps * (adaptive.increaseStep ?? 1)));
  };

  const feedback = (outcome: LimiterFeedback) => {
    const status = outcome.status;
    if (status === 429 || status === 503) return throttle(outcome.retryAfterMs);
    const threshold = adaptive?.latencyThresholdMs;
    if (threshold !== undefined && outcome.latencyMs !== undefined && outcome.latencyMs > threshold) {
      return throttle(outcome.retryAfterMs);
    }
    if (status === undefined || status < 500) healthy();
  };

  const learnFrom = (error: unknown, latencyMs: number) => {
    if (!isDistroError(error)) return;
    const carried = error as unknown as { status?: unknown; retryAfterMs?: unknown };
    const retryAfterMs = typeof carried.retryAfterMs === "number" ? carried.retryAfterMs : undefined;
    if (error.code === "RATE_LIMITED") return feedback({ status: 429, retryAfterMs, latencyMs });
    if (typeof carried.status === "number") feedback({ status: carried.status, retryAfterMs, latencyMs });
  };

  const waitForRoom = async (signal: AbortSignal | undefined) => {
    const deadline = clock.now() + waitTimeoutMs;
    while (queue.size >= capacity) {
      const remaining = deadline - clock.now();
      if (remaining <= 0 || signal?.aborted) {
        refused++;
        throw new TimeoutError(`No room in the ${settings.system} queue within ${waitTimeoutMs} ms`, {
          details: { system: settings.system, queueCapacity: capacity },
        });
      }
      await Promise.race([queue.onSizeLessThan(capacity), clock.sleep(Math.min(remaining, 50))]);
    }
  };

  return {
    feedback,
    idle: () => queue.onIdle(),
    stats: () => ({
      rate,
      queued: queue.size,
      inFlight: queue.pending,
      started,
      refused,
      throttled,
    }),
    async run(task, options = {}) {
      if (queue.size >= capacity) {
        if (whenFull === "refuse") {
          refused++;
          throw new RateLimitedError(`The ${settings.system} queue is full (${capacity} waiting)`, {
            retryAfterMs: Math.ceil((capacity / rate) * intervalMs),
            details: { system: settings.system, queueCapacity: capacity },
          });
        }
        await waitForRoom(options.signal);
      }
      const priority =
        typeof options.priority === "number" ? options.priority : PRIORITY[options.priority ?? "batch"];
      const enqueuedAt = clock.now();
      const deadline = options.maxWaitMs === undefined ? undefined : enqueuedAt + options.maxWaitMs;
      return queue.add(
        async () => {
          if (!(await gate.acquire(deadline))) {
            refused++;
            throw new RateLimitedError(
              `${settings.system} cannot start this call within ${options.maxWaitMs} ms at ${rate} per ${intervalMs} ms`,
              {
                retryAfterMs: Math.max(0, Math.ceil(gate.nextSlotAt() - clock.now())),
                details: { system: settings.system },
              },
            );
          }
          started++;
          const run = () => task();
          const began = clock.now();
          try {
            const result = await (settings.breaker ? settings.breaker.run(run) : run());
            feedback({ latencyMs: clock.now() - began });
            return result;
          } catch (error) {
            learnFrom(error, clock.now() - began);
            throw error;
          }
        },
        { priority, signal: options.signal },
      ) as Promise<Awaited<ReturnType<typeof task>>>;
    },
  };
}
