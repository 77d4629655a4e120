import type { ValidationIssue } from "../errors/validation-error";
import type { Invoice } from "../model/invoice";
import type { Order } from "../model/order";
import type { Shipment } from "../model/shipment";
import type { BookingResult } from "./erp-system";

/**
 * What an inbound EDI interchange from a partner turned into: canonical orders, the
 * functional acknowledgement to send back, and the problems found.
 *
 * @example
 * ```ts
 * function accept(inbound: EdiInbound) {
 *   for (const order of inbound.orders) console.log(order.poNumber);
 * }
 * ```
 */
export interface EdiInbound {
  /** Orders (850 / ORDERS) mapped to the canonical model. */
  orders: Order[];
  /** The 997 / CONTRL to send back, already serialised. */
  acknowledgement: string;
  /** Problems found, each naming its segment. */
  issues: ValidationIssue[];
}

/**
 * The EDI trading-partner port, version 1: one partner's documents in and out, in
 * canonical terms, with the partner's profile (identifiers, version, delimiters,
 * required segments, unit codes) applied inside.
 *
 * @example
 * ```ts
 * async function acknowledge(partner: EdiPartner, order: Order, booking: BookingResult) {
 *   const x12 = await partner.writeOrderAcknowledgement(order, booking); // an 855
 *   return x12;
 * }
 * ```
 */
export interface EdiPartnerV1 {
  /** The port version. */
  readonly specificationVersion: "v1";
  /** The partner's id in distro. */
  readonly partnerId: string;
  /** Parses an inbound interchange (850 / ORDERS) into orders and its acknowledgement. */
  receive(document: string | Uint8Array): Promise<EdiInbound>;
  /** Writes the order acknowledgement (855 / ORDRSP) for a booking. */
  writeOrderAcknowledgement(order: Order, booking: BookingResult): Promise<string>;
  /** Writes the advance ship notice (856 / DESADV) for a shipment. */
  writeShipNotice(shipment: Shipment, order: Order): Promise<string>;
  /** Writes the invoice (810 / INVOIC). */
  writeInvoice(invoice: Invoice, order: Order): Promise<string>;
}

/** The current EDI partner port. */
export type EdiPartner = EdiPartnerV1;
