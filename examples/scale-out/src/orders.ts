import { type CloudEvent, createEvent, type Order } from "@distro/core";

/** The event type the feeder publishes and the workers book. */
export const ORDER_SUBMITTED = "com.distro.order.submitted";

/** The CloudEvent source of the feeder's orders (the shop). */
export const ORDER_SOURCE = "/shop/scale-out";

/** One publish the feeder makes: an order event, its first copy or a duplicate delivery of it. */
export interface PlannedDelivery {
  /** The event, the same object (same `id`) for every copy of one order. */
  event: CloudEvent;
  /** The order number (the ERP idempotency key and external document number). */
  orderNumber: string;
  /** 0 for the first delivery, 1 for the duplicate. */
  copy: number;
}

/** What the feeder publishes, and what the run must end with. */
export interface DeliveryPlan {
  /** Every publish, in order. */
  deliveries: PlannedDelivery[];
  /** The valid orders: each must be booked exactly once. */
  orderNumbers: string[];
  /** Events that fail validation on purpose: each must end in the dead-letter store, never booked. */
  poisonEventIds: string[];
  /** How many of the deliveries are duplicates (same event id published again). */
  duplicates: number;
}

/** Settings of {@link planDeliveries}. */
export interface PlanSettings {
  /** Valid orders to book. */
  orders: number;
  /** Share of the orders delivered twice (default 0.3). */
  duplicateRatio?: number;
  /** Malformed orders mixed in, which must be dead-lettered with their reason (default 0). */
  poisonOrders?: number;
  /** How far (in publishes) a duplicate may trail its original (default 200). */
  duplicateSpread?: number;
  /** Randomness (default `Math.random`); pass {@link seededRandom} for a repeatable plan. */
  random?: () => number;
}

/**
 * A small, fast, repeatable random source (a 32-bit xorshift-multiply generator), so a
 * run can be replayed with the same plan and chaos.
 *
 * @param seed - any integer
 * @returns numbers in [0, 1)
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // the same first number on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A canonical B2B order for the run: customer C10000 (the simulator's wholesale account),
 * one to three lines of stocked items at a fixed price, so 20,000 of them stay inside the
 * account's credit limit.
 *
 * @param orderNumber - the order number (at most 35 characters: it becomes the ERP's external document number)
 * @param random - randomness for items and quantities
 * @returns the order
 * @example
 * ```ts
 * const order = scaleOutOrder("SO-000001", Math.random);
 * ```
 */
export function scaleOutOrder(orderNumber: string, random: () => number): Order {
  const lineCount = 1 + Math.floor(random() * 3);
  return {
    schemaVersion: 1,
    id: orderNumber,
    number: orderNumber,
    customer: { id: "C10000", refs: { erp: "C10000" } },
    channel: "b2b-portal",
    status: "submitted",
    currency: "USD",
    orderedAt: "2026-03-02T09:30:00Z",
    shipTo: { line1: "10 Industrial Way", city: "Dayton", region: "OH", postalCode: "45402", country: "US" },
    lines: Array.from({ length: lineCount }, (_, index) => ({
      lineNumber: index + 1,
      sku: `I-${String(1 + Math.floor(random() * 40)).padStart(5, "0")}`,
      quantity: String(1 + Math.floor(random() * 3)),
      uom: "PCS",
      unitPrice: { amount: "1.25", currency: "USD" },
      pricePer: "1",
      status: "open",
    })),
    refs: { shop: orderNumber },
    ext: {},
  };
}

/**
 * Plans the feed: every valid order once, a share of them a second time (the same event,
 * same id, a little later, as a webhook retried or a broker redelivery would), and a few
 * malformed orders (a negative quantity) that must be dead-lettered, never booked.
 *
 * @param settings - size, duplicate ratio, poison orders, randomness
 * @returns the publishes in order, and what the run must end with
 * @example
 * ```ts
 * const plan = planDeliveries({ orders: 1_500, duplicateRatio: 0.3, poisonOrders: 3, random: seededRandom(7) });
 * plan.deliveries.length; // 1,500 + 450 duplicates + 3 poison orders
 * ```
 */
export function planDeliveries(settings: PlanSettings): DeliveryPlan {
  const random = settings.random ?? Math.random;
  const duplicateRatio = settings.duplicateRatio ?? 0.3;
  const spread = settings.duplicateSpread ?? 200;
  const orderNumbers: string[] = [];
  const poisonEventIds: string[] = [];
  const keyed: { at: number; delivery: PlannedDelivery }[] = [];
  const width = String(settings.orders).length;
  for (let index = 0; index < settings.orders; index++) {
    const orderNumber = `SO-${String(index + 1).padStart(width, "0")}`;
    orderNumbers.push(orderNumber);
    const event = createEvent({
      id: `order-${orderNumber}`,
      type: ORDER_SUBMITTED,
      source: ORDER_SOURCE,
      subject: orderNumber,
      data: scaleOutOrder(orderNumber, random),
    }) as CloudEvent;
    keyed.push({ at: index, delivery: { event, orderNumber, copy: 0 } });
  }
  // Exactly round(ratio × orders) distinct orders get a second delivery.
  const duplicated = Math.round(duplicateRatio * settings.orders);
  const chosen = orderNumbers.map((_, index) => index);
  for (let index = chosen.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [chosen[index], chosen[other]] = [chosen[other]!, chosen[index]!];
  }
  for (const index of chosen.slice(0, duplicated)) {
    const original = keyed[index]!.delivery;
    keyed.push({ at: index + 1 + random() * spread, delivery: { ...original, copy: 1 } });
  }
  for (let index = 0; index < (settings.poisonOrders ?? 0); index++) {
    const orderNumber = `SO-BAD-${index + 1}`;
    const order = scaleOutOrder(orderNumber, random);
    const event = createEvent({
      id: `poison-${orderNumber}`,
      type: ORDER_SUBMITTED,
      source: ORDER_SOURCE,
      subject: orderNumber,
      data: { ...order, lines: order.lines.map((line) => ({ ...line, quantity: "-1" })) },
    }) as CloudEvent;
    poisonEventIds.push(event.id);
    keyed.push({ at: random() * settings.orders, delivery: { event, orderNumber, copy: 0 } });
  }
  keyed.sort((left, right) => left.at - right.at);
  return {
    deliveries: keyed.map((entry) => entry.delivery),
    orderNumbers,
    poisonEventIds,
    duplicates: duplicated,
  };
}
