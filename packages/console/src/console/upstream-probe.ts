import { ValidationError, type ValidationIssue } from "@distro/core";
import type { UpstreamSnapshot, UpstreamSource } from "./sources";

/**
 * The counters of a `@distro/sync` `UpstreamLimiter` that the probe reads.
 *
 * @example
 * ```ts
 * const stats: LimiterStatsLike = limiter.stats();
 * ```
 */
export interface LimiterStatsLike {
  /** The rate in force now. */
  rate: number;
  /** Calls waiting. */
  queued: number;
  /** Calls in flight. */
  inFlight: number;
  /** Calls refused. */
  refused: number;
  /** Throttle signals received. */
  throttled: number;
}

/**
 * A limiter whose counters can be read (`@distro/sync`'s `UpstreamLimiter` fits).
 *
 * @example
 * ```ts
 * const limiter: LimiterLike = createUpstreamLimiter({ system: "erp", ratePerInterval: 50 });
 * ```
 */
export interface LimiterLike {
  /** The counters now. */
  stats(): LimiterStatsLike;
}

/**
 * A circuit breaker whose state can be read (`@distro/sync`'s `CircuitBreaker` fits).
 *
 * @example
 * ```ts
 * const breaker: BreakerLike = createCircuitBreaker({ system: "erp" });
 * ```
 */
export interface BreakerLike {
  /** The state now and how often it opened. */
  stats(): { state: "closed" | "open" | "half-open"; opened: number };
}

/**
 * Settings of {@link createUpstreamProbe}.
 *
 * @example
 * ```ts
 * const settings: UpstreamProbeSettings = { system: "erp", ratePerInterval: 50, intervalMs: 1_000 };
 * ```
 */
export interface UpstreamProbeSettings {
  /** The system, e.g. `erp`. */
  system: string;
  /** The configured rate per interval (what utilisation is measured against). */
  ratePerInterval: number;
  /** The interval of the rate, in milliseconds (default 1,000). */
  intervalMs?: number;
  /** The limiter in front of the upstream (a `@distro/sync` `UpstreamLimiter` fits). */
  limiter?: LimiterLike;
  /** Its circuit breaker (a `@distro/sync` `CircuitBreaker` fits). */
  breaker?: BreakerLike;
  /** How many recent calls are kept for percentiles and error rate (default 1,024). */
  window?: number;
  /** The clock, epoch milliseconds (default `Date.now`). */
  clock?: () => number;
}

/**
 * An {@link UpstreamSource} that also learns from each call.
 *
 * @example
 * ```ts
 * const erp: UpstreamProbe = createUpstreamProbe({ system: "erp", ratePerInterval: 50 });
 * erp.observe({ latencyMs: 42 });
 * ```
 */
export interface UpstreamProbe extends UpstreamSource {
  /**
   * Records one finished call to the upstream.
   *
   * @param call - its latency, and whether it failed
   */
  observe(call: { latencyMs: number; failed?: boolean }): void;
}

/**
 * Watches one upstream for the console: rate-limit utilisation (calls started in the
 * last interval over the configured rate), latency percentiles and error rate over the
 * recent calls, and the limiter's and breaker's state.
 *
 * @param settings - system, configured rate, limiter, breaker, clock
 * @returns the probe; call `observe` after each upstream call
 * @throws ValidationError when the system is empty or the rate is not a positive number
 * @example
 * ```ts
 * import { createCircuitBreaker, createUpstreamLimiter } from "@distro/sync";
 * import { createUpstreamProbe } from "@distro/console";
 *
 * const breaker = createCircuitBreaker({ system: "erp" });
 * const limiter = createUpstreamLimiter({ system: "erp", ratePerInterval: 50, breaker });
 * const erp = createUpstreamProbe({ system: "erp", ratePerInterval: 50, limiter, breaker });
 * const started = Date.now();
 * await limiter.run(() => fetch("http://127.0.0.1:8081/orders"));
 * erp.observe({ latencyMs: Date.now() - started });
 * ```
 */
export function createUpstreamProbe(settings: UpstreamProbeSettings): UpstreamProbe {
  const issues: ValidationIssue[] = [];
  if (typeof settings?.system !== "string" || settings.system.length === 0)
    issues.push({ code: "invalid_type", path: ["system"], message: "Expected a non-empty string" });
  if (typeof settings?.ratePerInterval !== "number" || !(settings.ratePerInterval > 0))
    issues.push({ code: "too_small", path: ["ratePerInterval"], message: "Expected a number above 0" });
  if (settings?.intervalMs !== undefined && !(settings.intervalMs > 0))
    issues.push({ code: "too_small", path: ["intervalMs"], message: "Expected a number above 0" });
  if (issues.length > 0) throw new ValidationError("Invalid upstream probe settings", issues);
  const intervalMs = settings.intervalMs ?? 1_000;
  const size = Math.max(1, settings.window ?? 1_024);
  const clock = settings.clock ?? Date.now;
  const calls: { at: number; latencyMs: number; failed: boolean }[] = [];

  return {
    system: settings.system,
    observe(call) {
      const latencyMs = Number.isFinite(call?.latencyMs) ? Math.max(0, call.latencyMs) : 0;
      calls.push({ at: clock(), latencyMs, failed: call?.failed === true });
      if (calls.length > size) calls.splice(0, calls.length - size);
    },
    snapshot() {
      const now = clock();
      const recent = calls.filter((call) => call.at > now - intervalMs).length;
      const snapshot: UpstreamSnapshot = {
        system: settings.system,
        utilisation: recent / settings.ratePerInterval,
        configuredRate: settings.ratePerInterval,
        intervalMs,
      };
      if (settings.limiter) {
        const stats = settings.limiter.stats();
        snapshot.currentRate = stats.rate;
        snapshot.queued = stats.queued;
        snapshot.inFlight = stats.inFlight;
        snapshot.refused = stats.refused;
        snapshot.throttled = stats.throttled;
      }
      if (settings.breaker) {
        const stats = settings.breaker.stats();
        snapshot.circuit = stats.state;
        snapshot.circuitOpened = stats.opened;
      }
      if (calls.length > 0) {
        const sorted = calls.map((call) => call.latencyMs).sort((left, right) => left - right);
        snapshot.latency = {
          p50: percentile(sorted, 0.5),
          p95: percentile(sorted, 0.95),
          p99: percentile(sorted, 0.99),
          count: sorted.length,
        };
        snapshot.errorRate = calls.filter((call) => call.failed).length / calls.length;
      }
      return snapshot;
    },
  };
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: number[], rank: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(rank * sorted.length) - 1));
  return sorted[index] ?? 0;
}
