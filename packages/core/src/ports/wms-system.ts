import type { Address } from "../model/common";
import type { Shipment } from "../model/shipment";
import type { DecimalString } from "../money/decimal";
import type { SystemIdentity } from "./common";

/**
 * What the warehouse is asked to pick, pack and ship.
 *
 * @example
 * ```ts
 * const request: FulfillmentRequest = {
 *   id: "FR-SO-1001-1", orderId: "SO-1001", erpOrderNumber: "SO-000123", locationId: "WH-EAST",
 *   shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
 *   lines: [{ lineNumber: 1, sku: "BOLT-M8-40", quantity: "200", uom: "EA" }],
 * };
 * ```
 */
export interface FulfillmentRequest {
  /** The request's id, stable across retries (the WMS dedupes on it). */
  id: string;
  /** The canonical order id. */
  orderId: string;
  /** The ERP's order number. */
  erpOrderNumber?: string;
  /** The warehouse. */
  locationId: string;
  /** Where to ship. */
  shipTo: Address;
  /** Lines to ship now (the allocated quantities). */
  lines: { lineNumber: number; sku: string; quantity: DecimalString; uom: string }[];
  /** A carrier service, when the order asks for one. */
  carrierService?: string;
}

/** The kinds of warehouse events, in the order they normally happen. */
export type WmsEventType = "picked" | "packed" | "shipped" | "cancelled" | "exception";

/**
 * A warehouse event in canonical terms, correlated back to the order.
 *
 * @example
 * ```ts
 * const event: WmsEvent = { id: "evt-1", type: "picked", orderId: "SO-1001", fulfillmentId: "FR-SO-1001-1", occurredAt: "2026-03-02T09:00:00Z" };
 * ```
 */
export interface WmsEvent {
  /** The WMS's message id (dedupe key). */
  id: string;
  /** What happened. */
  type: WmsEventType;
  /** The canonical order id. */
  orderId: string;
  /** The fulfilment request it belongs to. */
  fulfillmentId?: string;
  /** When it happened in the warehouse. */
  occurredAt: string;
  /** For `shipped`: the shipment with carrier and tracking. */
  shipment?: Shipment;
  /** For `exception` and `cancelled`: why. */
  reason?: string;
}

/**
 * The WMS port, version 1: fulfilment requests out; pick, pack, ship, cancel and
 * exception events in, verified and deduplicated.
 *
 * @example
 * ```ts
 * async function release(wms: WmsSystem, request: FulfillmentRequest) {
 *   const { id } = await wms.requestFulfillment(request);
 *   return id;
 * }
 * ```
 */
export interface WmsSystemV1 extends SystemIdentity<"v1"> {
  /** Sends a fulfilment request; idempotent by `request.id`. */
  requestFulfillment(request: FulfillmentRequest): Promise<{ id: string }>;
  /** Verifies a WMS webhook on its raw body and maps it to canonical events. */
  receiveWebhook(request: Request): Promise<WmsEvent[]>;
}

/** The current WMS port. */
export type WmsSystem = WmsSystemV1;
