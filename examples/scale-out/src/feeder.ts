import type { Bus } from "@distro/core";
import type { PlannedDelivery } from "./orders";

/**
 * Publishes the planned deliveries in order, with up to `inFlight` publishes awaiting the
 * broker's acknowledgement at once. A duplicate is the same event (same id) published
 * again, as a retried webhook or a publisher that lost the broker's answer would.
 *
 * @param bus - a bus on the broker (its inbox is not used for publishing)
 * @param deliveries - the plan's publishes
 * @param inFlight - publishes awaiting acknowledgement at once (default 64)
 * @returns how many were published, once the broker acknowledged them all
 * @example
 * ```ts
 * const feeder = createBus({ transport: createNatsTransport({ servers, namespace, deduplicate: false }), inbox: false });
 * await feedOrders(feeder, planDeliveries({ orders: 1_000 }).deliveries);
 * ```
 */
export async function feedOrders(
  bus: Bus,
  deliveries: readonly PlannedDelivery[],
  inFlight = 64,
): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++] as PlannedDelivery;
      await bus.publish(delivery.event);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, lane));
  return deliveries.length;
}
