/** Where an order stands in the warehouse. */
export type FulfilmentStatus = "requested" | "picked" | "packed" | "shipped" | "cancelled" | "exception";

/** What the adapter knows about one order's fulfilment. */
export interface FulfilmentState {
  /** Your order id. */
  orderId: string;
  /** The furthest status reached (a late event never moves it back). */
  status: FulfilmentStatus;
  /** Carrier code, once shipped. */
  carrier?: string;
  /** Tracking number, once shipped. */
  trackingNumber?: string;
  /** The exception reason, when the warehouse raised one. */
  exception?: string;
  /** Message ids applied, in arrival order. */
  applied: string[];
}

/** One WMS event in canonical terms. */
export interface FulfilmentEvent {
  /** The delivery's message id. */
  messageId: string;
  /** Your order id. */
  orderId: string;
  /** What happened. */
  kind: "picked" | "packed" | "shipped" | "cancelled" | "exception";
  /** Carrier code (ship events). */
  carrier?: string;
  /** Tracking number (ship events). */
  trackingNumber?: string;
  /** Reason (exception events). */
  reason?: string;
  /** Lines concerned, when the event lists them. */
  lines: { sku: string; quantity: string }[];
}

const RANK: Record<FulfilmentStatus, number> = {
  requested: 0,
  exception: 0,
  picked: 1,
  packed: 2,
  shipped: 3,
  cancelled: 3,
};

/**
 * Applies an event to an order's fulfilment state so that arrival order does not matter:
 * the status only moves forward (requested → picked → packed → shipped); a ship event
 * before its pack still ends in `shipped`, a late pick or pack after the ship is recorded
 * but changes nothing; a cancel after the shipment is ignored; an exception is kept as a
 * reason and becomes the status only while nothing has progressed past it.
 *
 * @param state - the current state (or undefined for an order not seen yet)
 * @param event - the event
 * @returns the new state (a new object)
 * @example
 * ```ts
 * let state = applyFulfilmentEvent(undefined, { messageId: "m2", orderId: "O-1", kind: "shipped", trackingNumber: "1Z", lines: [] });
 * state = applyFulfilmentEvent(state, { messageId: "m1", orderId: "O-1", kind: "packed", lines: [] });
 * state.status; // "shipped"
 * ```
 */
export function applyFulfilmentEvent(
  state: FulfilmentState | undefined,
  event: FulfilmentEvent,
): FulfilmentState {
  const current: FulfilmentState = state
    ? { ...state, applied: [...state.applied] }
    : { orderId: event.orderId, status: "requested", applied: [] };
  current.applied.push(event.messageId);
  if (event.kind === "exception") {
    current.exception = event.reason ?? "exception";
    if (RANK[current.status] === 0) current.status = "exception";
    return current;
  }
  if (event.kind === "cancelled") {
    if (current.status !== "shipped") current.status = "cancelled";
    return current;
  }
  if (event.kind === "shipped") {
    current.status = "shipped";
    if (event.carrier !== undefined) current.carrier = event.carrier;
    if (event.trackingNumber !== undefined) current.trackingNumber = event.trackingNumber;
    return current;
  }
  if (current.status === "cancelled") return current;
  if (RANK[event.kind] > RANK[current.status]) current.status = event.kind;
  return current;
}
