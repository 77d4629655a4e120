import { z } from "zod";
import { ValidationError } from "../errors/validation-error";
import {
  compareDecimal,
  type DecimalString,
  isDecimalString,
  subtractDecimal,
  sumDecimals,
} from "../money/decimal";
import { CurrencyCodeSchema, type Money, MoneySchema, multiplyMoney, roundMoney } from "../money/money";
import {
  AddressSchema,
  EntityRefSchema,
  ExtSchema,
  entityBase,
  IdSchema,
  IsoDateSchema,
  IsoDateTimeSchema,
  NonNegativeDecimalSchema,
  PaymentTermsSchema,
  PositiveDecimalSchema,
  RefsSchema,
  SkuSchema,
  UomSchema,
} from "./common";
import {
  InvalidOrderTransitionError,
  ORDER_STATUS_TRANSITIONS,
  type OrderStatus,
  OrderStatusSchema,
} from "./order-status";

/**
 * The status of one order line: open, allocated (stock reserved), backordered (waiting
 * for stock), shipped, or cancelled.
 *
 * @example
 * ```ts
 * OrderLineStatusSchema.parse("backordered");
 * ```
 */
export const OrderLineStatusSchema = z.enum(["open", "allocated", "backordered", "shipped", "cancelled"]);

/** The status of one order line. */
export type OrderLineStatus = z.infer<typeof OrderLineStatusSchema>;

/**
 * One line of an order: SKU, quantity in a unit of measure, unit price (quoted per
 * `pricePer` units), optional discount and tax amounts, and fulfilment quantities.
 *
 * @example
 * ```ts
 * OrderLineSchema.parse({
 *   lineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA",
 *   unitPrice: { amount: "0.0125", currency: "USD" },
 * });
 * ```
 */
export const OrderLineSchema = z.object({
  lineNumber: z.number().int().min(1).max(999_999),
  sku: SkuSchema,
  description: z.string().max(1000).optional(),
  quantity: PositiveDecimalSchema,
  uom: UomSchema,
  unitPrice: MoneySchema,
  /** How many units `unitPrice` is for (`"100"`: price per hundred). */
  pricePer: PositiveDecimalSchema.default("1"),
  /** Amount taken off the extended line. */
  discount: MoneySchema.optional(),
  /** Tax on this line, when the source computes it per line. */
  tax: MoneySchema.optional(),
  status: OrderLineStatusSchema.default("open"),
  allocatedQuantity: NonNegativeDecimalSchema.optional(),
  backorderedQuantity: NonNegativeDecimalSchema.optional(),
  shippedQuantity: NonNegativeDecimalSchema.optional(),
  requestedDeliveryDate: IsoDateSchema.optional(),
  refs: RefsSchema.optional(),
  ext: ExtSchema.optional(),
});

/** One line of an order. */
export type OrderLine = z.infer<typeof OrderLineSchema>;

/**
 * Why an order was split from its parent.
 *
 * @example
 * ```ts
 * OrderSplitReasonSchema.parse("backorder");
 * ```
 */
export const OrderSplitReasonSchema = z.enum(["backorder", "warehouse", "drop_ship", "ship_date"]);

function checkMoney(
  value: Money | undefined,
  currency: string,
  path: (string | number)[],
  context: z.RefinementCtx,
): void {
  if (value !== undefined && value.currency !== currency) {
    context.addIssue({
      code: "custom",
      path: [...path, "currency"],
      message: `Expected ${currency} (the order's currency), got ${value.currency}`,
    });
  }
}

/**
 * A sales order: lines, ship-to / bill-to, requested dates, status, and for split
 * orders the parent it came from (`parentOrderId`, `splitReason`). All amounts are in
 * the order's `currency`; line numbers are unique; a line's allocated plus backordered
 * quantity never exceeds its quantity.
 *
 * @example
 * ```ts
 * const order = OrderSchema.parse({
 *   id: "SO-1001",
 *   customer: { id: "C-100" },
 *   status: "submitted",
 *   currency: "USD",
 *   orderedAt: "2026-03-01T10:00:00Z",
 *   shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
 *   lines: [
 *     { lineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA", unitPrice: { amount: "0.0125", currency: "USD" } },
 *   ],
 *   refs: { shopify: "gid://shopify/Order/1" },
 * });
 * ```
 */
export const OrderSchema = z
  .object({
    id: IdSchema,
    /** The order number people see (ERP sales order number, web order number). */
    number: z.string().min(1).max(64).optional(),
    /** The customer's purchase order number (X12 BEG03). */
    poNumber: z.string().min(1).max(64).optional(),
    customer: EntityRefSchema,
    /** The channel the order came from (`b2b-portal`, `shopify`, `edi`). */
    channel: z.string().min(1).max(64).optional(),
    status: OrderStatusSchema,
    currency: CurrencyCodeSchema,
    lines: z.array(OrderLineSchema).min(1).max(10_000),
    shipTo: AddressSchema,
    billTo: AddressSchema.optional(),
    orderedAt: IsoDateTimeSchema,
    requestedShipDate: IsoDateSchema.optional(),
    requestedDeliveryDate: IsoDateSchema.optional(),
    paymentTerms: PaymentTermsSchema.optional(),
    shippingCharge: MoneySchema.optional(),
    /** Order-level tax, when the source does not give tax per line. */
    taxTotal: MoneySchema.optional(),
    /** For an order split from another: the parent's canonical id. */
    parentOrderId: IdSchema.optional(),
    splitReason: OrderSplitReasonSchema.optional(),
    notes: z.string().max(10_000).optional(),
    updatedAt: IsoDateTimeSchema.optional(),
    ...entityBase(1),
  })
  .superRefine((order, context) => {
    const currency = order.currency;
    const seen = new Set<number>();
    for (let index = 0; index < order.lines.length; index++) {
      const line = order.lines[index]!;
      if (seen.has(line.lineNumber)) {
        context.addIssue({
          code: "custom",
          path: ["lines", index, "lineNumber"],
          message: `Line number ${line.lineNumber} is used twice`,
        });
      }
      seen.add(line.lineNumber);
      if (line.unitPrice.currency !== currency)
        checkMoney(line.unitPrice, currency, ["lines", index, "unitPrice"], context);
      checkMoney(line.discount, currency, ["lines", index, "discount"], context);
      checkMoney(line.tax, currency, ["lines", index, "tax"], context);
      if (line.allocatedQuantity !== undefined || line.backorderedQuantity !== undefined) {
        const parts = [line.allocatedQuantity ?? "0", line.backorderedQuantity ?? "0"];
        if (parts.every(isDecimalString) && isDecimalString(line.quantity)) {
          if (compareDecimal(sumDecimals(parts), line.quantity) > 0) {
            context.addIssue({
              code: "custom",
              path: ["lines", index, "backorderedQuantity"],
              message: `Allocated plus backordered (${sumDecimals(parts)}) exceeds the line quantity ${line.quantity}`,
            });
          }
        }
      }
    }
    checkMoney(order.shippingCharge, currency, ["shippingCharge"], context);
    checkMoney(order.taxTotal, currency, ["taxTotal"], context);
    if (order.parentOrderId !== undefined && order.parentOrderId === order.id) {
      context.addIssue({
        code: "custom",
        path: ["parentOrderId"],
        message: "An order cannot be its own parent",
      });
    }
    if (order.splitReason !== undefined && order.parentOrderId === undefined) {
      context.addIssue({
        code: "custom",
        path: ["splitReason"],
        message: "splitReason needs a parentOrderId",
      });
    }
  });

/** A canonical sales order. */
export type Order = z.infer<typeof OrderSchema>;

/**
 * Moves an order to another status, enforcing {@link ORDER_STATUS_TRANSITIONS}. The
 * order is not changed; a copy with the new status is returned.
 *
 * @param order - the order
 * @param to - the wanted status
 * @param options - `at`: an ISO timestamp to record as `updatedAt`
 * @returns a copy of the order in status `to`
 * @throws {@link InvalidOrderTransitionError} (code `CONFLICT`) naming `from` and `to`
 *   when the lifecycle does not allow the move
 * @example
 * ```ts
 * const booked = transitionOrder(order, "booked", { at: "2026-03-01T10:05:00Z" });
 * transitionOrder(booked, "draft"); // throws InvalidOrderTransitionError: booked → draft
 * ```
 */
export function transitionOrder(order: Order, to: OrderStatus, options: { at?: string } = {}): Order {
  const from = order.status;
  if (!(ORDER_TRANSITIONS_LOOKUP[from]?.has(to) ?? false)) {
    throw new InvalidOrderTransitionError(order.id, from, to);
  }
  return options.at === undefined
    ? { ...order, status: to }
    : { ...order, status: to, updatedAt: options.at };
}

const ORDER_TRANSITIONS_LOOKUP: Record<string, Set<string>> = Object.fromEntries(
  Object.entries(ORDER_STATUS_TRANSITIONS).map(([from, targets]) => [from, new Set<string>(targets)]),
);

/** The totals of an order or a billing document, each rounded to the currency's minor unit. */
export interface DocumentTotals {
  /** Sum of the lines' extended amounts less their discounts, exact before rounding. */
  subtotal: Money;
  /** Tax total. */
  tax: Money;
  /** Shipping and handling. */
  shipping: Money;
  /** subtotal + tax + shipping (of the rounded parts, so the printed sum adds up). */
  total: Money;
}

/**
 * The exact extended amount of an order line: unit price × quantity ÷ `pricePer`,
 * less its discount. Not rounded.
 *
 * @param line - an order line
 * @returns the exact line amount
 * @example
 * ```ts
 * orderLineAmount({ ...line, quantity: "300", unitPrice: { amount: "0.0125", currency: "USD" } }); // 3.75 USD
 * ```
 */
export function orderLineAmount(
  line: Pick<OrderLine, "quantity" | "unitPrice" | "pricePer" | "discount">,
): Money {
  const extended = multiplyMoney(line.unitPrice, line.quantity, line.pricePer ?? "1");
  if (line.discount === undefined) return extended;
  return { amount: subtractDecimal(extended.amount, line.discount.amount), currency: extended.currency };
}

function rounded(amount: DecimalString, currency: string): Money {
  return roundMoney({ amount, currency });
}

/**
 * The totals of an order: the lines (cancelled ones left out) summed exactly, then
 * rounded half-even to the currency's minor unit; tax is the order-level `taxTotal` if
 * given, else the sum of line taxes; the total adds the rounded parts.
 *
 * @param order - the order
 * @returns subtotal, tax, shipping and total, rounded
 * @example
 * ```ts
 * orderTotals(order).total; // { amount: "3.75", currency: "USD" }
 * ```
 */
export function orderTotals(order: Order): DocumentTotals {
  const currency = order.currency;
  const amounts: DecimalString[] = [];
  const taxes: DecimalString[] = [];
  for (const line of order.lines) {
    if (line.status === "cancelled") continue;
    amounts.push(orderLineAmount(line).amount);
    if (line.tax) taxes.push(line.tax.amount);
  }
  const subtotal = rounded(sumDecimals(amounts), currency);
  const tax = rounded(order.taxTotal?.amount ?? sumDecimals(taxes), currency);
  const shipping = rounded(order.shippingCharge?.amount ?? "0", currency);
  return {
    subtotal,
    tax,
    shipping,
    total: { amount: sumDecimals([subtotal.amount, tax.amount, shipping.amount]), currency },
  };
}

/** The orders a shortage split produces. */
export interface OrderSplit {
  /**
   * The original order, keeping its id: the allocated quantities, or, when nothing at
   * all could be allocated, every line marked backordered (and no split).
   */
  order: Order;
  /** The new order with what could not be allocated, linked by `parentOrderId`. */
  backorder: Order | undefined;
}

/**
 * Splits an order on a stock shortage: the original keeps the allocated quantities
 * (lines with nothing allocated leave it), and a backorder (`parentOrderId` = the
 * original's id, `splitReason: "backorder"`) takes the rest. An order with everything
 * allocated gives no backorder; an order with nothing allocated is not split either:
 * its lines are all marked backordered.
 *
 * @param order - the order being booked
 * @param allocated - quantity allocated per line number (missing lines: nothing)
 * @param backorderId - the canonical id for the backorder
 * @returns the original order (allocated part) and the backorder (if any)
 * @throws {@link ValidationError} `over_allocated` when a line is given more than its quantity,
 *   `unknown_line` for a line number the order does not have
 * @example
 * ```ts
 * const { order: booked, backorder } = splitOrderForBackorder(order, { 1: "200" }, "SO-1001-B1");
 * backorder?.parentOrderId; // "SO-1001"
 * ```
 */
export function splitOrderForBackorder(
  order: Order,
  allocated: Readonly<Record<number, DecimalString>>,
  backorderId: string,
): OrderSplit {
  const numbers = new Set(order.lines.map((line) => line.lineNumber));
  for (const key of Object.keys(allocated)) {
    if (!numbers.has(Number(key))) {
      throw new ValidationError(`Order ${order.id} has no line ${key}`, [
        { code: "unknown_line", path: ["allocated", key], message: `No line number ${key}` },
      ]);
    }
  }
  const kept: OrderLine[] = [];
  const rest: OrderLine[] = [];
  for (const line of order.lines) {
    if (line.status === "cancelled") {
      kept.push(line);
      continue;
    }
    const given = allocated[line.lineNumber] ?? "0";
    if (!isDecimalString(given) || given.startsWith("-") || compareDecimal(given, line.quantity) > 0) {
      throw new ValidationError(`Line ${line.lineNumber} of ${order.id} cannot take ${given}`, [
        {
          code: "over_allocated",
          path: ["allocated", line.lineNumber],
          message: `Expected 0 to ${line.quantity}, got ${JSON.stringify(given)}`,
        },
      ]);
    }
    const short = subtractDecimal(line.quantity, given);
    if (compareDecimal(given, "0") > 0) {
      kept.push({
        ...line,
        quantity: given,
        status: "allocated",
        allocatedQuantity: given,
        backorderedQuantity: undefined,
      });
    }
    if (compareDecimal(short, "0") > 0) {
      rest.push({
        ...line,
        quantity: short,
        status: "backordered",
        backorderedQuantity: short,
        allocatedQuantity: undefined,
      });
    }
  }
  const clean = (lines: OrderLine[]) => lines.map((line) => withoutUndefined(line));
  if (rest.length === 0) return { order: { ...order, lines: clean(kept) }, backorder: undefined };
  if (!kept.some((line) => line.status !== "cancelled")) {
    const all = order.lines.map((line) =>
      line.status === "cancelled"
        ? line
        : { ...line, status: "backordered" as const, backorderedQuantity: line.quantity },
    );
    return { order: { ...order, lines: clean(all) }, backorder: undefined };
  }
  const backorder: Order = {
    ...order,
    id: backorderId,
    number: undefined,
    lines: clean(rest),
    parentOrderId: order.id,
    splitReason: "backorder",
    refs: {},
    shippingCharge: undefined,
    taxTotal: undefined,
  };
  return { order: { ...order, lines: clean(kept) }, backorder: withoutUndefined(backorder) };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
