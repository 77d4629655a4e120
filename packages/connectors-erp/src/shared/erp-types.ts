import type { DecimalString, Money, OrderLineStatus, OrderStatus } from "@distro/core";

/** One basket line to price: SKU and quantity in the item's base unit. */
export interface ErpBasketLine {
  /** The SKU (ERP item number). */
  sku: string;
  /** The quantity, a decimal string. */
  quantity: DecimalString;
}

/** What the ERP's pricing rules give one basket line. */
export interface ErpPricedLine {
  /** The SKU. */
  sku: string;
  /** The quantity priced. */
  quantity: DecimalString;
  /** The unit price that applies at this quantity (sub-cent precision kept). */
  unitPrice: Money;
  /** Unit price × quantity, unrounded. */
  extended: Money;
  /** Which rule won: customer contract, price group (tier) or list price. */
  source: "customer" | "tier" | "list";
  /** The quantity break the price applies from. */
  minimumQuantity: DecimalString;
}

/** Prices for a customer and a basket. */
export interface ErpPriceQuote {
  /** The ERP customer number. */
  customerId: string;
  /** The currency of every amount. */
  currency: string;
  /** One entry per basket line, in order. */
  lines: ErpPricedLine[];
  /** Sum of the extended amounts, rounded to the currency's minor unit. */
  total: Money;
}

/** A customer's credit position. */
export interface ErpCreditStatus {
  /** The ERP customer number. */
  customerId: string;
  /** The credit limit (zero: no limit). */
  creditLimit: Money;
  /** Open balance plus open orders. */
  exposure: Money;
  /** Limit minus exposure (undefined when there is no limit). */
  available: Money | undefined;
  /** Whether the account is blocked or over its limit. */
  onHold: boolean;
}

/** The allocation of one order line by the ERP. */
export interface ErpLineAllocation {
  /** The canonical order line number. */
  lineNumber: number;
  /** The SKU. */
  sku: string;
  /** The ordered quantity. */
  quantity: DecimalString;
  /** The quantity reserved from stock. */
  allocatedQuantity: DecimalString;
  /** The quantity waiting for stock. */
  backorderedQuantity: DecimalString;
  /** The quantity shipped so far. */
  shippedQuantity: DecimalString;
  /** The warehouse it is allocated in. */
  locationId: string | undefined;
  /** The canonical line status. */
  status: OrderLineStatus;
}

/** What the ERP answered for a submitted order. */
export interface ErpOrderResult {
  /** The ERP's order number, e.g. `S-ORD101001`. */
  erpOrderNumber: string;
  /** The ERP's record id. */
  erpOrderId: string;
  /** The idempotency key (external document number) it was booked under. */
  idempotencyKey: string;
  /** The canonical status. */
  status: OrderStatus;
  /** The order total the ERP computed, excluding tax. */
  total: Money;
  /** Per-line allocation. */
  lines: ErpLineAllocation[];
  /** True when the key had already been booked and this is that booking, not a new one. */
  duplicate: boolean;
}

/** A page of changed records and the cursor to resume after it. */
export interface ErpChangePage<T> {
  /** The changed records, oldest change first. */
  records: T[];
  /** Resume after this cursor (the last record's modification time); commit it after processing. */
  cursor: string | undefined;
}
