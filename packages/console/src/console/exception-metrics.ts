import type { CollectingMetrics } from "../metrics/otel-metrics";
import type { ExceptionsSource } from "./sources";

/**
 * Settings of {@link registerExceptionMetrics}.
 *
 * @example
 * ```ts
 * registerExceptionMetrics(registry, { store: exceptions }, { clock: () => Date.now() });
 * ```
 */
export interface ExceptionMetricsSettings {
  /** The clock, epoch milliseconds (default `Date.now`), for ages and overdue items. */
  clock?: () => number;
}

/**
 * Adds gauges of the exception queues, read from the store at each scrape:
 * `distro_exceptions{queue,status}` (open and assigned items),
 * `distro_exceptions_overdue{queue}` and `distro_exception_oldest_age_seconds{queue}`.
 * Queues listed in `source.queues` are exposed at zero when empty, so an alert on them
 * has a series to watch.
 *
 * @param registry - where the gauges live
 * @param source - the exception store and the queues to always expose
 * @param settings - clock
 * @returns the registry, for chaining
 * @example
 * ```ts
 * import { createMemoryExceptionQueueStore } from "@distro/core";
 * import { createMetricsRegistry, registerExceptionMetrics } from "@distro/console";
 *
 * const metrics = registerExceptionMetrics(createMetricsRegistry(), { store: createMemoryExceptionQueueStore(), queues: ["credit-desk"] });
 * await metrics.expose(); // distro_exceptions{queue="credit-desk",status="open"} 0 ...
 * ```
 */
export function registerExceptionMetrics<R extends CollectingMetrics>(
  registry: R,
  source: ExceptionsSource,
  settings: ExceptionMetricsSettings = {},
): R {
  const clock = settings.clock ?? Date.now;
  const items = registry.gauge("distro_exceptions", {
    help: "Unresolved exception items by queue and status",
    labelNames: ["queue", "status"],
  });
  const overdue = registry.gauge("distro_exceptions_overdue", {
    help: "Unresolved exception items past their due time",
    labelNames: ["queue"],
  });
  const oldest = registry.gauge("distro_exception_oldest_age_seconds", {
    help: "Age of the oldest unresolved exception item",
    labelNames: ["queue"],
  });
  registry.onCollect(async () => {
    const now = clock();
    for (const gauge of [items, overdue, oldest]) gauge.reset();
    const seen = new Set<string>();
    for (const stats of await source.store.stats(now)) {
      seen.add(stats.queue);
      items.set(stats.open, { queue: stats.queue, status: "open" });
      items.set(stats.assigned, { queue: stats.queue, status: "assigned" });
      overdue.set(stats.overdue, { queue: stats.queue });
      if (stats.oldestOccurredAt !== undefined)
        oldest.set(Math.max(0, now - stats.oldestOccurredAt) / 1000, { queue: stats.queue });
    }
    for (const queue of source.queues ?? []) {
      if (seen.has(queue)) continue;
      items.set(0, { queue, status: "open" });
      items.set(0, { queue, status: "assigned" });
      overdue.set(0, { queue });
    }
  });
  return registry;
}
