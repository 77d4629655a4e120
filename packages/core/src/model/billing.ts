import { z } from "zod";
import { type DecimalString, subtractDecimal, sumDecimals } from "../money/decimal";
import { type Money, MoneySchema, multiplyMoney, roundMoney } from "../money/money";
import { NonNegativeDecimalSchema, PositiveDecimalSchema, SkuSchema, UomSchema } from "./common";
import type { DocumentTotals } from "./order";

/**
 * A tax amount on a billing line: code, jurisdiction, rate (a percentage as a decimal
 * string) and the amount.
 *
 * @example
 * ```ts
 * TaxLineSchema.parse({ code: "US-OH", rate: "7.25", amount: { amount: "0.27", currency: "USD" } });
 * ```
 */
export const TaxLineSchema = z.object({
  code: z.string().min(1).max(64),
  jurisdiction: z.string().max(100).optional(),
  rate: NonNegativeDecimalSchema.optional(),
  amount: MoneySchema,
});

/** A tax on a billing line. */
export type TaxLine = z.infer<typeof TaxLineSchema>;

/**
 * A line of an invoice or credit memo.
 *
 * @example
 * ```ts
 * BillingLineSchema.parse({
 *   lineNumber: 1, sku: "BOLT-M8-40", description: "Hex bolt", quantity: "300", uom: "EA",
 *   unitPrice: { amount: "0.0125", currency: "USD" },
 * });
 * ```
 */
export const BillingLineSchema = z.object({
  lineNumber: z.number().int().min(1).max(999_999),
  sku: SkuSchema.optional(),
  description: z.string().min(1).max(1000),
  quantity: PositiveDecimalSchema,
  uom: UomSchema,
  unitPrice: MoneySchema,
  pricePer: PositiveDecimalSchema.default("1"),
  discount: MoneySchema.optional(),
  taxes: z.array(TaxLineSchema).default([]),
  /** The order line this bills. */
  orderLineNumber: z.number().int().min(1).optional(),
});

/** A line of an invoice or credit memo. */
export type BillingLine = z.infer<typeof BillingLineSchema>;

/** The parts of an invoice or credit memo that its totals come from. */
export interface BillingDocument {
  currency: string;
  lines: readonly Pick<BillingLine, "quantity" | "unitPrice" | "pricePer" | "discount" | "taxes">[];
  shippingCharge?: Money | undefined;
}

/**
 * The totals of an invoice or credit memo: lines (unit price × quantity ÷ per, less
 * discount) and taxes each summed exactly, then rounded half-even to the currency's
 * minor unit; the total adds the rounded parts.
 *
 * @param document - an invoice or credit memo
 * @returns subtotal, tax, shipping and total, rounded
 * @example
 * ```ts
 * billingTotals(invoice).total.amount; // "4.02"
 * ```
 */
export function billingTotals(document: BillingDocument): DocumentTotals {
  const currency = document.currency;
  const amounts: DecimalString[] = [];
  const taxes: DecimalString[] = [];
  for (const line of document.lines) {
    const extended = multiplyMoney(line.unitPrice, line.quantity, line.pricePer ?? "1").amount;
    amounts.push(line.discount ? subtractDecimal(extended, line.discount.amount) : extended);
    for (const tax of line.taxes ?? []) taxes.push(tax.amount.amount);
  }
  const subtotal = roundMoney({ amount: sumDecimals(amounts), currency });
  const tax = roundMoney({ amount: sumDecimals(taxes), currency });
  const shipping = roundMoney({ amount: document.shippingCharge?.amount ?? "0", currency });
  return {
    subtotal,
    tax,
    shipping,
    total: { amount: sumDecimals([subtotal.amount, tax.amount, shipping.amount]), currency },
  };
}

/** Checks every amount of a billing document is in its currency. */
export function checkBillingCurrency(
  document: { currency: string; lines: BillingLine[]; shippingCharge?: Money | undefined },
  context: z.RefinementCtx,
): void {
  const expect = (value: Money | undefined, path: (string | number)[]) => {
    if (value !== undefined && value.currency !== document.currency) {
      context.addIssue({
        code: "custom",
        path: [...path, "currency"],
        message: `Expected ${document.currency} (the document's currency), got ${value.currency}`,
      });
    }
  };
  document.lines.forEach((line, index) => {
    expect(line.unitPrice, ["lines", index, "unitPrice"]);
    expect(line.discount, ["lines", index, "discount"]);
    line.taxes.forEach((tax, taxIndex) => {
      expect(tax.amount, ["lines", index, "taxes", taxIndex, "amount"]);
    });
  });
  expect(document.shippingCharge, ["shippingCharge"]);
  const numbers = new Set<number>();
  document.lines.forEach((line, index) => {
    if (numbers.has(line.lineNumber)) {
      context.addIssue({
        code: "custom",
        path: ["lines", index, "lineNumber"],
        message: `Line number ${line.lineNumber} is used twice`,
      });
    }
    numbers.add(line.lineNumber);
  });
}
