import type { BusSubscription, SubscriptionStats } from "@distro/core";
import type { CollectingMetrics } from "./otel-metrics";

/** Each outcome label and the subscription counter it reads. */
const OUTCOMES: readonly (readonly [string, keyof SubscriptionStats])[] = [
  ["handled", "handled"],
  ["dead_lettered", "deadLettered"],
  ["duplicate", "duplicates"],
  ["redelivered", "redelivered"],
  ["skipped", "skipped"],
];

/**
 * The subscriptions {@link busMessageMetrics} reads: a list, or a function that returns
 * the current ones (for subscriptions started later).
 *
 * @example
 * ```ts
 * const subscriptions: BusSubscriptions = () => [...running.values()];
 * ```
 */
export type BusSubscriptions = Iterable<BusSubscription> | (() => Iterable<BusSubscription>);

/**
 * Records what became of each message per subscriber, from the counters every bus
 * subscription keeps (`subscription.stats`), read at each collection:
 *
 * - `distro_messages_total` (counter; `subscriber`, `outcome`): deliveries by outcome,
 *   `handled`, `dead_lettered`, `duplicate` (dropped by the inbox), `redelivered`
 *   (given back to the transport) or `skipped` (a type the subscription does not handle).
 * - `distro_messages_in_flight` (gauge; `subscriber`): deliveries received and not yet
 *   settled.
 *
 * The counters only go up: each collection adds what a subscription's counters grew by
 * since the last one, and a subscription started again under the same name (its
 * counters at zero) adds to the same series.
 *
 * @param metrics - the Prometheus registry, or the OpenTelemetry bridge
 * @param subscriptions - the subscriptions, or a function returning the current ones
 * @returns the metrics, for chaining
 * @example
 * ```ts
 * import { createBus } from "@distro/core";
 * import { busMessageMetrics, createMetricsRegistry } from "@distro/console";
 *
 * const bus = createBus();
 * const booking = await bus.subscribe({ name: "erp-booking", handler: async (event) => book(event.data) });
 * const metrics = busMessageMetrics(createMetricsRegistry(), [booking]);
 * await metrics.expose(); // distro_messages_total{subscriber="erp-booking",outcome="handled"} ...
 * ```
 */
export function busMessageMetrics<M extends CollectingMetrics>(
  metrics: M,
  subscriptions: BusSubscriptions,
): M {
  const messages = metrics.counter("distro_messages_total", {
    help: "Bus deliveries per subscriber by outcome",
    labelNames: ["subscriber", "outcome"],
  });
  const inFlight = metrics.gauge("distro_messages_in_flight", {
    help: "Bus deliveries received by a subscriber and not yet settled",
    labelNames: ["subscriber"],
  });
  /** What each subscription's counters stood at when last read. */
  const seen = new WeakMap<BusSubscription, SubscriptionStats>();

  /** The subscribers this call has set the in-flight gauge of (set to 0 once gone). */
  let shown = new Set<string>();

  metrics.onCollect(() => {
    const list = typeof subscriptions === "function" ? subscriptions() : subscriptions;
    const open = new Map<string, number>();
    for (const subscription of list) {
      const stats = { ...subscription.stats };
      const last = seen.get(subscription);
      for (const [outcome, field] of OUTCOMES) {
        const grown = stats[field] - (last?.[field] ?? 0);
        if (grown > 0) messages.inc({ subscriber: subscription.name, outcome }, grown);
      }
      seen.set(subscription, stats);
      const settled = OUTCOMES.reduce((sum, [, field]) => sum + stats[field], 0);
      open.set(subscription.name, (open.get(subscription.name) ?? 0) + Math.max(0, stats.received - settled));
    }
    // Only this call's series: another call on the same metrics keeps its own.
    for (const subscriber of shown) if (!open.has(subscriber)) inFlight.set(0, { subscriber });
    for (const [subscriber, value] of open) inFlight.set(value, { subscriber });
    shown = new Set([...shown, ...open.keys()]);
  });
  return metrics;
}
