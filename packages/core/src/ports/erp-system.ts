import type { Customer } from "../model/customer";
import type { InventoryLevel } from "../model/inventory";
import type { Invoice } from "../model/invoice";
import type { Item } from "../model/item";
import type { Order } from "../model/order";
import type { OrderStatus } from "../model/order-status";
import type { Price } from "../model/price";
import type { CreditMemo } from "../model/returns";
import type { Shipment } from "../model/shipment";
import type { DecimalString } from "../money/decimal";
import type { Money } from "../money/money";
import type { BasketLine, ChangePage, ChangeReadOptions, SystemIdentity } from "./common";

/**
 * The price the ERP quotes for one basket line for one customer.
 *
 * @example
 * ```ts
 * const quote: PriceQuote = {
 *   sku: "BOLT-M8-40", quantity: "300", uom: "EA",
 *   unitPrice: { amount: "0.0125", currency: "USD" }, per: "1",
 *   extended: { amount: "3.75", currency: "USD" }, rule: "tier:gold",
 * };
 * ```
 */
export interface PriceQuote {
  /** The SKU. */
  sku: string;
  /** The quantity priced. */
  quantity: DecimalString;
  /** The unit of measure of `quantity`. */
  uom: string;
  /** The unit price that applies at this quantity. */
  unitPrice: Money;
  /** How many units `unitPrice` is for. */
  per: DecimalString;
  /** `unitPrice × quantity ÷ per`, exact (unrounded). */
  extended: Money;
  /** Which rule gave the price (`customer`, `tier:gold`, `list`), for people. */
  rule?: string;
}

/**
 * A customer's credit position as the ERP sees it now.
 *
 * @example
 * ```ts
 * const credit: CreditStatus = {
 *   customerId: "C-100", limit: { amount: "5000", currency: "USD" },
 *   exposure: { amount: "4200", currency: "USD" }, available: { amount: "800", currency: "USD" }, onHold: false,
 * };
 * ```
 */
export interface CreditStatus {
  /** The customer's canonical id. */
  customerId: string;
  /** The credit limit. */
  limit: Money;
  /** Open orders plus unpaid invoices. */
  exposure: Money;
  /** `limit − exposure` (may be negative). */
  available: Money;
  /** Whether the account is blocked for new orders regardless of amount. */
  onHold: boolean;
  /** True when the ERP sets no credit limit for the account (Business Central's limit of 0): `limit` and `available` then bound nothing. */
  unlimited?: boolean;
  /** Why the account is on hold, when it is. */
  reason?: string;
}

/**
 * How the ERP allocated one order line: what it could reserve now and what went to
 * backorder.
 *
 * @example
 * ```ts
 * const allocation: LineAllocation = { lineNumber: 1, sku: "BOLT-M8-40", ordered: "300", allocated: "200", backordered: "100", locationId: "WH-EAST" };
 * ```
 */
export interface LineAllocation {
  /** The order line. */
  lineNumber: number;
  /** The SKU. */
  sku: string;
  /** Quantity ordered. */
  ordered: DecimalString;
  /** Quantity reserved now. */
  allocated: DecimalString;
  /** Quantity that waits for stock. */
  backordered: DecimalString;
  /** The warehouse it was allocated from. */
  locationId?: string;
}

/**
 * The ERP's answer to an order submission.
 *
 * @example
 * ```ts
 * const result: BookingResult = { status: "booked", erpOrderNumber: "SO-000123", allocations: [], duplicate: false };
 * ```
 */
export interface BookingResult {
  /** `booked`, or `on_hold` / `rejected` with a reason. */
  status: "booked" | "on_hold" | "rejected";
  /** The ERP's sales order number (absent when rejected). */
  erpOrderNumber?: string;
  /** Per-line allocation. */
  allocations: LineAllocation[];
  /** True when the ERP recognised the idempotency key and returned the earlier booking. */
  duplicate: boolean;
  /** Why it was held or rejected. */
  reason?: string;
}

/**
 * Where an order stands in the ERP.
 *
 * @example
 * ```ts
 * const status: ErpOrderStatus = { erpOrderNumber: "SO-000123", status: "booked" };
 * ```
 */
export interface ErpOrderStatus {
  /** The ERP's sales order number. */
  erpOrderNumber: string;
  /** The canonical status. */
  status: OrderStatus;
  /** Shipments posted against it. */
  shipments?: Shipment[];
  /** Invoices posted against it. */
  invoices?: Invoice[];
}

/** The entities an ERP can stream changes of. */
export type ErpChangeEntity = "item" | "price" | "customer" | "inventory";

/**
 * The record type an ERP change read yields per entity.
 *
 * @example
 * ```ts
 * type ItemChange = ErpChangeRecord<"item">; // Item
 * ```
 */
export type ErpChangeRecord<E extends ErpChangeEntity> = E extends "item"
  ? Item
  : E extends "price"
    ? Price
    : E extends "customer"
      ? Customer
      : InventoryLevel;

/**
 * The ERP port, version 1, in canonical terms. The ERP is the system of record for
 * items, prices, inventory, orders, invoices and credit. Adapters (Business Central,
 * SAP OData, NetSuite, files) implement it; orchestration knows the ERP only through it.
 *
 * `submitOrder` must be idempotent by `idempotencyKey`: the same key submitted any
 * number of times books one ERP order (the adapter sends the key as the ERP's external
 * document number, or checks it first), and the later calls return `duplicate: true`.
 *
 * @example
 * ```ts
 * async function book(erp: ErpSystem, order: Order) {
 *   const credit = await erp.getCreditStatus(order.customer.id);
 *   if (credit.onHold) return;
 *   return erp.submitOrder(order, { idempotencyKey: `order:${order.id}` });
 * }
 * ```
 */
export interface ErpSystemV1 extends SystemIdentity<"v1"> {
  /** Prices of a basket for one customer, by the ERP's rules (customer, tier, list, quantity breaks). */
  getPrices(request: {
    customerId: string;
    lines: BasketLine[];
    currency?: string;
    date?: string;
  }): Promise<PriceQuote[]>;
  /** Stock by SKU and location. */
  getAvailability(request: { skus: string[]; locationIds?: string[] }): Promise<InventoryLevel[]>;
  /** The customer's credit position, read now (never cached past policy). */
  getCreditStatus(customerId: string): Promise<CreditStatus>;
  /** Books an order, once per idempotency key. */
  submitOrder(order: Order, options: { idempotencyKey: string }): Promise<BookingResult>;
  /** The order's status with its shipments and invoices. */
  getOrderStatus(erpOrderNumber: string): Promise<ErpOrderStatus>;
  /** Invoices posted for an order. */
  listInvoices(query: { erpOrderNumber: string }): Promise<Invoice[]>;
  /** Shipments posted for an order. */
  listShipments(query: { erpOrderNumber: string }): Promise<Shipment[]>;
  /**
   * Posts the warehouse's shipment against the ERP order (Business Central's
   * `shipAndInvoice`, NetSuite's item fulfillment), once per idempotency key. When the
   * ERP invoices on shipment, the posted invoice comes back too.
   */
  postShipment(
    erpOrderNumber: string,
    shipment: Shipment,
    options: { idempotencyKey: string },
  ): Promise<{ shipmentNumber?: string; invoice?: Invoice; duplicate: boolean }>;
  /** Books a credit memo (returns), once per idempotency key. */
  postCreditMemo?(
    memo: CreditMemo,
    options: { idempotencyKey: string },
  ): Promise<{ erpNumber: string; duplicate: boolean }>;
  /** Records changed since a cursor, page by page, for the sync jobs. */
  readChanges<E extends ErpChangeEntity>(
    entity: E,
    options?: ChangeReadOptions,
  ): AsyncIterable<ChangePage<ErpChangeRecord<E>>>;
}

/** The current ERP port. */
export type ErpSystem = ErpSystemV1;
