import type { ConsoleSources } from "../console/sources";
import type { CollectingMetrics } from "./otel-metrics";

/**
 * Settings of {@link registerConsoleMetrics}.
 *
 * @example
 * ```ts
 * registerConsoleMetrics(createMetricsRegistry(), { bus }, { clock: () => Date.now() });
 * ```
 */
export interface ConsoleMetricsSettings {
  /** The clock, epoch milliseconds (default `Date.now`), for dead-letter age and sync lag. */
  clock?: () => number;
}

/**
 * Adds gauges read from the console's sources at each scrape: pending dead letters and
 * the age of the oldest per subscriber and type, flows per state, queue depth, rate-limit
 * utilisation, circuit state and latency per upstream, sync lag per job, and EDI
 * acknowledgements per partner and state.
 *
 * @typeParam R - the registry's type, returned as given
 * @param registry - where the gauges live: the Prometheus registry, or an OpenTelemetry
 *   meter through {@link createOtelMetrics}
 * @param sources - the same sources the console shows
 * @param settings - clock
 * @returns the registry, for chaining
 * @example
 * ```ts
 * import { createBus } from "@distro/core";
 * import { createMetricsRegistry, registerConsoleMetrics } from "@distro/console";
 *
 * const bus = createBus();
 * const metrics = registerConsoleMetrics(createMetricsRegistry(), { bus });
 * await metrics.expose(); // includes distro_dead_letters and distro_dead_letter_oldest_age_seconds
 * ```
 */
export function registerConsoleMetrics<R extends CollectingMetrics>(
  registry: R,
  sources: ConsoleSources,
  settings: ConsoleMetricsSettings = {},
): R {
  const clock = settings.clock ?? Date.now;
  const deadLetters = registry.gauge("distro_dead_letters", {
    help: "Pending dead letters",
    labelNames: ["subscriber", "type"],
  });
  const deadLetterAge = registry.gauge("distro_dead_letter_oldest_age_seconds", {
    help: "Age of the oldest pending dead letter",
    labelNames: ["subscriber", "type"],
  });
  const flows = registry.gauge("distro_flows", {
    help: "Flow instances by state",
    labelNames: ["flow", "status"],
  });
  const queueDepth = registry.gauge("distro_queue_depth", {
    help: "Calls waiting in front of an upstream",
    labelNames: ["system"],
  });
  const inFlight = registry.gauge("distro_upstream_in_flight", {
    help: "Calls in flight",
    labelNames: ["system"],
  });
  const utilisation = registry.gauge("distro_rate_limit_utilisation_ratio", {
    help: "Calls started in the last interval over the configured rate",
    labelNames: ["system"],
  });
  const circuitOpen = registry.gauge("distro_circuit_open", {
    help: "1 when the upstream's circuit is open, 0.5 half-open, 0 closed",
    labelNames: ["system"],
  });
  const latency = registry.gauge("distro_upstream_latency_seconds", {
    help: "Upstream latency percentiles over the recent calls",
    labelNames: ["system", "quantile"],
  });
  const lag = registry.gauge("distro_sync_lag_seconds", {
    help: "How far a sync job is behind its source",
    labelNames: ["job"],
  });
  const acknowledgements = registry.gauge("distro_edi_acknowledgements", {
    help: "Outbound EDI groups by acknowledgement state",
    labelNames: ["partner", "state"],
  });
  const deadLetterStore = sources.bus?.deadLetters ?? sources.deadLetters;

  registry.onCollect(async () => {
    const now = clock();
    for (const gauge of [
      deadLetters,
      deadLetterAge,
      flows,
      queueDepth,
      inFlight,
      utilisation,
      circuitOpen,
      latency,
      lag,
      acknowledgements,
    ])
      gauge.reset();
    if (deadLetterStore) {
      const oldest = new Map<string, { subscriber: string; type: string; count: number; first: number }>();
      for (const entry of await deadLetterStore.list({ status: "pending", limit: 100_000 })) {
        const labels = { subscriber: entry.subscriber, type: entry.type ?? "" };
        const key = JSON.stringify(labels);
        const found = oldest.get(key) ?? { ...labels, count: 0, first: entry.firstFailedAt };
        found.count += 1;
        found.first = Math.min(found.first, entry.firstFailedAt);
        oldest.set(key, found);
      }
      for (const { subscriber, type, count, first } of oldest.values()) {
        deadLetters.set(count, { subscriber, type });
        deadLetterAge.set(Math.max(0, now - first) / 1000, { subscriber, type });
      }
    }
    if (sources.flows) {
      for (const instance of await sources.flows.list())
        flows.inc({ flow: instance.flow, status: instance.status });
    }
    for (const upstream of sources.upstreams ?? []) {
      const snapshot = await upstream.snapshot();
      const system = snapshot.system ?? upstream.system;
      if (snapshot.queued !== undefined) queueDepth.set(snapshot.queued, { system });
      if (snapshot.inFlight !== undefined) inFlight.set(snapshot.inFlight, { system });
      if (snapshot.utilisation !== undefined) utilisation.set(snapshot.utilisation, { system });
      if (snapshot.circuit !== undefined)
        circuitOpen.set(snapshot.circuit === "open" ? 1 : snapshot.circuit === "half-open" ? 0.5 : 0, {
          system,
        });
      if (snapshot.latency) {
        latency.set(snapshot.latency.p50 / 1000, { system, quantile: "0.5" });
        latency.set(snapshot.latency.p95 / 1000, { system, quantile: "0.95" });
        latency.set(snapshot.latency.p99 / 1000, { system, quantile: "0.99" });
      }
    }
    for (const job of sources.syncJobs ?? []) {
      const checkpoint = job.checkpoints ? await job.checkpoints.load(job.id) : undefined;
      const lagMs =
        checkpoint?.sourceTime !== undefined
          ? Math.max(0, now - checkpoint.sourceTime)
          : job.job?.lastReport()?.lagMs;
      if (lagMs !== undefined) lag.set(lagMs / 1000, { job: job.id });
    }
    if (sources.ediPartners) {
      for (const acknowledgement of await sources.ediPartners.acknowledgements()) {
        const status = acknowledgement.status;
        const state =
          status === undefined || acknowledgement.acknowledgedAt === undefined
            ? now > acknowledgement.dueAt
              ? "overdue"
              : "pending"
            : status === "A" || status === "7"
              ? "accepted"
              : status === "E" || status === "P"
                ? "partial"
                : status === "8"
                  ? "received"
                  : "rejected";
        acknowledgements.inc({ partner: acknowledgement.partner, state });
      }
    }
  });
  return registry;
}
