import type { InventoryLevel } from "../model/inventory";
import type { Invoice } from "../model/invoice";
import type { Item } from "../model/item";
import type { Order } from "../model/order";
import type { Price } from "../model/price";
import type { CreditMemo } from "../model/returns";
import type { Shipment } from "../model/shipment";
import type { ChangePage, ChangeReadOptions, SystemIdentity } from "./common";
import type { LineAllocation } from "./erp-system";

/**
 * What a verified channel webhook turned into: a canonical order, another known
 * topic, or an acknowledged-and-ignored unknown topic.
 *
 * @example
 * ```ts
 * function route(result: ChannelWebhook) {
 *   if (result.kind === "order") console.log(result.order.id, result.deliveryId);
 * }
 * ```
 */
export type ChannelWebhook =
  | { kind: "order"; topic: string; deliveryId: string; order: Order }
  | { kind: "other"; topic: string; deliveryId: string; payload: unknown }
  | { kind: "ignored"; topic: string; deliveryId: string };

/**
 * The ecommerce channel port, version 1: where orders come from and where status,
 * stock and catalog go back to, in canonical terms.
 *
 * @example
 * ```ts
 * async function shipped(channel: CommerceChannel, shipment: Shipment) {
 *   await channel.createFulfillment(shipment);
 * }
 * ```
 */
export interface CommerceChannelV1 extends SystemIdentity<"v1"> {
  /** Verifies a webhook on its raw body and maps it; throws SignatureError for a forged one. */
  receiveWebhook(request: Request): Promise<ChannelWebhook>;
  /** One order by the channel's id. */
  getOrder(channelOrderId: string): Promise<Order>;
  /** Orders changed since a cursor. */
  readOrders(options?: ChangeReadOptions): AsyncIterable<ChangePage<Order>>;
  /** Tells the channel the ERP booked the order (its number, and any backorder). */
  acknowledgeBooking(
    order: Order,
    booking: { erpOrderNumber: string; allocations: LineAllocation[] },
  ): Promise<void>;
  /** Adds a fulfilment with tracking to the channel's order. */
  createFulfillment(shipment: Shipment, order: Order): Promise<{ id: string }>;
  /** Sets available stock, batched as the platform allows. */
  setInventory(levels: InventoryLevel[]): Promise<{ updated: number }>;
  /** Publishes items and their prices. */
  publishCatalog(items: Item[], prices: Price[]): Promise<{ published: number }>;
  /** Tells the channel an invoice was posted (a note, a metafield, or a payment capture). */
  notifyInvoice(invoice: Invoice, order: Order): Promise<void>;
  /** Tells the channel a return was credited (a refund status), when the platform supports it. */
  notifyCreditMemo?(memo: CreditMemo, order: Order | undefined): Promise<void>;
}

/** The current ecommerce channel port. */
export type CommerceChannel = CommerceChannelV1;
