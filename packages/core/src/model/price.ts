import { z } from "zod";
import { ValidationError } from "../errors/validation-error";
import { compareDecimal, type DecimalString, isDecimalString } from "../money/decimal";
import { CurrencyCodeSchema, type Money, MoneySchema, multiplyMoney } from "../money/money";
import {
  entityBase,
  IdSchema,
  IsoDateSchema,
  NonNegativeDecimalSchema,
  PositiveDecimalSchema,
  SkuSchema,
  UomSchema,
} from "./common";

/**
 * A quantity break: from `minQuantity` units on, the unit price is `unitPrice`.
 *
 * @example
 * ```ts
 * PriceBreakSchema.parse({ minQuantity: "1000", unitPrice: { amount: "0.0110", currency: "USD" } });
 * ```
 */
export const PriceBreakSchema = z.object({
  minQuantity: NonNegativeDecimalSchema,
  unitPrice: MoneySchema,
});

/** A quantity break of a price. */
export type PriceBreak = z.infer<typeof PriceBreakSchema>;

/**
 * A price of an item: a list price (neither `customerId` nor `tier`), a tier price, or a
 * customer-specific price; quantity breaks in ascending order; optional validity dates
 * (inclusive); `per` for prices quoted per pack (`per: "100"`: the price of 100 units).
 * Unit prices may go below one cent (`0.0125`).
 *
 * @example
 * ```ts
 * PriceSchema.parse({
 *   id: "P-1",
 *   sku: "BOLT-M8-40",
 *   uom: "EA",
 *   currency: "USD",
 *   tier: "gold",
 *   breaks: [
 *     { minQuantity: "1", unitPrice: { amount: "0.0125", currency: "USD" } },
 *     { minQuantity: "1000", unitPrice: { amount: "0.011", currency: "USD" } },
 *   ],
 *   validFrom: "2026-01-01",
 * });
 * ```
 */
export const PriceSchema = z
  .object({
    id: IdSchema,
    sku: SkuSchema,
    uom: UomSchema,
    currency: CurrencyCodeSchema,
    /** Set for a customer-specific price (the customer's canonical id). */
    customerId: IdSchema.optional(),
    /** Set for a tier price (matches `Customer.tier`). */
    tier: z.string().min(1).max(64).optional(),
    breaks: z.array(PriceBreakSchema).min(1),
    /** How many units the price is for (`"100"` = price per hundred). */
    per: PositiveDecimalSchema.default("1"),
    /** First day the price applies (inclusive). */
    validFrom: IsoDateSchema.optional(),
    /** Last day the price applies (inclusive). */
    validTo: IsoDateSchema.optional(),
    ...entityBase(1),
  })
  .superRefine((price, context) => {
    if (price.customerId !== undefined && price.tier !== undefined) {
      context.addIssue({
        code: "custom",
        path: ["tier"],
        message: "A price is either customer-specific or tier-specific, not both",
      });
    }
    if (price.validFrom && price.validTo && price.validFrom > price.validTo) {
      context.addIssue({ code: "custom", path: ["validTo"], message: "validTo is before validFrom" });
    }
    price.breaks.forEach((entry, index) => {
      if (entry.unitPrice.currency !== price.currency) {
        context.addIssue({
          code: "custom",
          path: ["breaks", index, "unitPrice", "currency"],
          message: `Expected ${price.currency}`,
        });
      }
      const previous = price.breaks[index - 1];
      if (
        previous &&
        isDecimalString(previous.minQuantity) &&
        isDecimalString(entry.minQuantity) &&
        compareDecimal(previous.minQuantity, entry.minQuantity) >= 0
      ) {
        context.addIssue({
          code: "custom",
          path: ["breaks", index, "minQuantity"],
          message: "Quantity breaks must be in strictly ascending order",
        });
      }
    });
  });

/** A canonical price. */
export type Price = z.infer<typeof PriceSchema>;

/**
 * The unit price that applies to a quantity: the break with the largest `minQuantity`
 * not above it.
 *
 * @param price - the price with its breaks
 * @param quantity - the ordered quantity in the price's unit
 * @returns the unit price (for `price.per` units)
 * @throws {@link ValidationError} `below_minimum` when the quantity is under the first break
 * @example
 * ```ts
 * unitPriceFor(price, "1500"); // { amount: "0.011", currency: "USD" }
 * ```
 */
export function unitPriceFor(price: Price, quantity: DecimalString): Money {
  let chosen: PriceBreak | undefined;
  for (const entry of price.breaks) {
    if (compareDecimal(entry.minQuantity, quantity) <= 0) chosen = entry;
  }
  if (chosen === undefined) {
    throw new ValidationError(`Quantity ${quantity} is below the first price break of ${price.sku}`, [
      {
        code: "below_minimum",
        path: ["quantity"],
        message: `Minimum quantity is ${price.breaks[0]?.minQuantity}`,
      },
    ]);
  }
  return chosen.unitPrice;
}

/**
 * The exact extended amount of a quantity at a price: break unit price × quantity ÷ `per`.
 *
 * @param price - the price
 * @param quantity - the quantity in the price's unit
 * @returns the unrounded extended amount
 * @throws {@link ValidationError} when the quantity is below the first break
 * @example
 * ```ts
 * extendPrice(price, "300"); // { amount: "3.75", currency: "USD" } at 0.0125 each
 * ```
 */
export function extendPrice(price: Price, quantity: DecimalString): Money {
  return multiplyMoney(unitPriceFor(price, quantity), quantity, price.per);
}

/** What {@link selectPrice} looks for. */
export interface PriceQuery {
  sku: string;
  /** The unit the quantity is in; only prices in this unit match. */
  uom: string;
  /** The day the price must be valid on, `YYYY-MM-DD`. */
  on: string;
  customerId?: string;
  tier?: string;
  /** When given, prices whose first break is above it are skipped. */
  quantity?: DecimalString;
}

/**
 * Picks the most specific valid price: the customer's own price, else its tier's price,
 * else the list price. Among equals, the one that started latest wins.
 *
 * @param prices - candidate prices
 * @param query - SKU, unit, day, and the customer's id and tier
 * @returns the price, or `undefined` when none applies
 * @example
 * ```ts
 * selectPrice(prices, { sku: "BOLT-M8-40", uom: "EA", on: "2026-03-01", tier: "gold" });
 * ```
 */
export function selectPrice(prices: Iterable<Price>, query: PriceQuery): Price | undefined {
  let best: { price: Price; rank: number } | undefined;
  for (const price of prices) {
    if (price.sku !== query.sku || price.uom !== query.uom) continue;
    if (price.validFrom !== undefined && price.validFrom > query.on) continue;
    if (price.validTo !== undefined && price.validTo < query.on) continue;
    let rank: number;
    if (price.customerId !== undefined) {
      if (price.customerId !== query.customerId) continue;
      rank = 3;
    } else if (price.tier !== undefined) {
      if (price.tier !== query.tier) continue;
      rank = 2;
    } else rank = 1;
    const first = price.breaks[0];
    if (query.quantity !== undefined && first && compareDecimal(first.minQuantity, query.quantity) > 0)
      continue;
    if (
      best === undefined ||
      rank > best.rank ||
      (rank === best.rank && (price.validFrom ?? "") > (best.price.validFrom ?? ""))
    ) {
      best = { price, rank };
    }
  }
  return best?.price;
}
