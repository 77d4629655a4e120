import { z } from "zod";
import { ConflictError } from "../errors/kinds";

/**
 * The statuses of an order's lifecycle.
 *
 * - `draft`: being entered, not yet sent
 * - `submitted`: received from the channel, not yet booked by the ERP
 * - `on_hold`: stopped for a credit, fraud or pricing review
 * - `booked`: accepted by the ERP (order number given, stock allocated or backordered)
 * - `partially_shipped`, `shipped`: fulfilment progress
 * - `invoiced`: billed; `closed`: complete
 * - `cancelled`, `rejected`: ended without fulfilment
 *
 * @example
 * ```ts
 * OrderStatusSchema.parse("booked");
 * ```
 */
export const OrderStatusSchema = z.enum([
  "draft",
  "submitted",
  "on_hold",
  "booked",
  "partially_shipped",
  "shipped",
  "invoiced",
  "closed",
  "cancelled",
  "rejected",
]);

/** A status of an order's lifecycle. */
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

/**
 * The allowed status transitions of an order: from each status, the statuses it may
 * move to. `closed`, `cancelled` and `rejected` are final.
 *
 * | from | to |
 * | --- | --- |
 * | draft | submitted, cancelled |
 * | submitted | booked, on_hold, rejected, cancelled |
 * | on_hold | submitted, booked, rejected, cancelled |
 * | booked | on_hold, partially_shipped, shipped, cancelled |
 * | partially_shipped | partially_shipped, shipped, invoiced, closed |
 * | shipped | invoiced, closed |
 * | invoiced | closed |
 *
 * `partially_shipped → partially_shipped` records a further partial shipment;
 * `partially_shipped → closed` short-closes the rest.
 *
 * @example
 * ```ts
 * ORDER_STATUS_TRANSITIONS.booked.includes("shipped"); // true
 * ```
 */
export const ORDER_STATUS_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = Object.freeze({
  draft: ["submitted", "cancelled"],
  submitted: ["booked", "on_hold", "rejected", "cancelled"],
  on_hold: ["submitted", "booked", "rejected", "cancelled"],
  booked: ["on_hold", "partially_shipped", "shipped", "cancelled"],
  partially_shipped: ["partially_shipped", "shipped", "invoiced", "closed"],
  shipped: ["invoiced", "closed"],
  invoiced: ["closed"],
  closed: [],
  cancelled: [],
  rejected: [],
});

/**
 * Whether an order may move from one status to another.
 *
 * @param from - the current status
 * @param to - the wanted status
 * @returns true when {@link ORDER_STATUS_TRANSITIONS} allows it
 * @example
 * ```ts
 * canTransitionOrder("submitted", "booked"); // true
 * canTransitionOrder("shipped", "draft"); // false
 * ```
 */
export function canTransitionOrder(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_STATUS_TRANSITIONS[from]?.includes(to) ?? false;
}

/**
 * An order was asked to move to a status its lifecycle does not allow from where it
 * is. Names both statuses (`from`, `to`) and what is allowed. Code `CONFLICT`.
 *
 * @example
 * ```ts
 * try {
 *   transitionOrder(order, "draft");
 * } catch (error) {
 *   if (error instanceof InvalidOrderTransitionError) console.log(error.from, error.to);
 * }
 * ```
 */
export class InvalidOrderTransitionError extends ConflictError {
  /** The status the order is in. */
  readonly from: OrderStatus;
  /** The status that was asked for. */
  readonly to: OrderStatus;
  /** The statuses allowed from `from`. */
  readonly allowed: readonly OrderStatus[];

  /**
   * @param orderId - the order's canonical id
   * @param from - its current status
   * @param to - the refused status
   */
  constructor(orderId: string, from: OrderStatus, to: OrderStatus) {
    const allowed = ORDER_STATUS_TRANSITIONS[from] ?? [];
    super(
      `Order ${orderId} cannot move from ${from} to ${to}; allowed from ${from}: ${allowed.length > 0 ? allowed.join(", ") : "none (final)"}`,
      { details: { orderId, from, to, allowed } },
    );
    this.from = from;
    this.to = to;
    this.allowed = allowed;
  }
}
