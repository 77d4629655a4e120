import { z } from "zod";
import { ValidationError } from "../errors/validation-error";
import {
  addDecimal,
  type DecimalString,
  divideDecimal,
  isDecimalString,
  multiplyDecimal,
  normalizeDecimal,
  type RoundingMode,
  roundDecimal,
  sumDecimals,
} from "./decimal";

/**
 * A zod schema for a canonical decimal string (`"0.0125"`, `"-3"`). Numbers are
 * refused: a float has already lost the exact value.
 *
 * @example
 * ```ts
 * DecimalSchema.parse("0.0125"); // "0.0125"
 * DecimalSchema.safeParse(0.0125).success; // false
 * ```
 */
export const DecimalSchema = z
  .string()
  .refine(isDecimalString, { message: 'Expected a decimal string such as "12.50" (no exponent, no spaces)' });

/**
 * An ISO 4217 currency code: three upper-case letters.
 *
 * @example
 * ```ts
 * CurrencyCodeSchema.parse("USD");
 * ```
 */
export const CurrencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, "Expected an ISO 4217 currency code such as USD");

/**
 * An amount of money: a decimal string and its currency. The amount may carry more
 * digits than the currency's minor unit (unit prices of 0.0125 USD); totals are
 * rounded with {@link roundMoney}.
 *
 * @example
 * ```ts
 * MoneySchema.parse({ amount: "0.0125", currency: "USD" });
 * ```
 */
export const MoneySchema = z.object({ amount: DecimalSchema, currency: CurrencyCodeSchema });

/** An amount of money: decimal string + ISO 4217 currency. */
export type Money = z.infer<typeof MoneySchema>;

/**
 * A quantity in a unit of measure (`{ value: "2.5", uom: "KG" }`). Units are the codes
 * the business uses (EA, BX, CA, KG...); conversions live on the `Item`.
 *
 * @example
 * ```ts
 * QuantitySchema.parse({ value: "100", uom: "EA" });
 * ```
 */
export const QuantitySchema = z.object({ value: DecimalSchema, uom: z.string().min(1).max(10) });

/** A decimal quantity with its unit of measure. */
export type Quantity = z.infer<typeof QuantitySchema>;

const MINOR_UNITS: Record<string, number> = {
  BHD: 3,
  BIF: 0,
  CLF: 4,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  IQD: 3,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  PYG: 0,
  RWF: 0,
  TND: 3,
  UGX: 0,
  UYI: 0,
  UYW: 4,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
};

/**
 * The number of fraction digits of a currency's minor unit, per ISO 4217 (2 for most,
 * 0 for JPY, 3 for KWD).
 *
 * @param currency - an ISO 4217 code
 * @returns the minor-unit digits
 * @example
 * ```ts
 * currencyMinorUnits("JPY"); // 0
 * currencyMinorUnits("USD"); // 2
 * ```
 */
export function currencyMinorUnits(currency: string): number {
  return MINOR_UNITS[currency] ?? 2;
}

/**
 * Builds a {@link Money}, checking both parts.
 *
 * @param amount - a decimal string (loose forms like `"+1.50"` are normalised)
 * @param currency - an ISO 4217 code
 * @returns the money value
 * @throws {@link ValidationError} naming `amount` or `currency` when invalid
 * @example
 * ```ts
 * money("12.50", "USD"); // { amount: "12.5", currency: "USD" }
 * ```
 */
export function money(amount: DecimalString, currency: string): Money {
  if (!CurrencyCodeSchema.safeParse(currency).success) {
    throw new ValidationError(`Not a currency code: ${JSON.stringify(currency)}`, [
      {
        code: "invalid_currency",
        path: ["currency"],
        message: "Expected an ISO 4217 currency code such as USD",
      },
    ]);
  }
  try {
    return { amount: normalizeDecimal(amount), currency };
  } catch (error) {
    throw new ValidationError(
      `Not a decimal amount: ${JSON.stringify(amount)}`,
      [
        {
          code: "invalid_decimal",
          path: ["amount"],
          message: `Expected a decimal string, got ${JSON.stringify(amount)}`,
        },
      ],
      { cause: error },
    );
  }
}

function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new ValidationError(`Cannot combine ${a.currency} and ${b.currency}`, [
      { code: "currency_mismatch", path: ["currency"], message: `Expected ${a.currency}, got ${b.currency}` },
    ]);
  }
}

/**
 * Exact sum of two amounts in the same currency.
 *
 * @param a - money
 * @param b - money in the same currency
 * @returns a + b, unrounded
 * @throws {@link ValidationError} when the currencies differ
 * @example
 * ```ts
 * addMoney(money("0.10", "USD"), money("0.20", "USD")); // { amount: "0.3", currency: "USD" }
 * ```
 */
export function addMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return { amount: addDecimal(a.amount, b.amount), currency: a.currency };
}

/**
 * A unit price times a quantity, exactly: `0.0125 USD × 300 = 3.75 USD`. When the
 * price is quoted per a pack (`per`: a box of 100), the quantity is divided by it first.
 *
 * @param unitPrice - the price of one unit (or of `per` units)
 * @param quantity - how many units, as a decimal string
 * @param per - how many units the price is quoted for (default `"1"`)
 * @returns the exact extended amount, unrounded
 * @example
 * ```ts
 * multiplyMoney(money("0.0125", "USD"), "300"); // { amount: "3.75", currency: "USD" }
 * multiplyMoney(money("1.25", "USD"), "300", "100"); // { amount: "3.75", currency: "USD" }
 * ```
 */
export function multiplyMoney(unitPrice: Money, quantity: DecimalString, per: DecimalString = "1"): Money {
  const extended = multiplyDecimal(unitPrice.amount, quantity);
  if (per === "1") return { amount: extended, currency: unitPrice.currency };
  // Pack sizes are powers of ten in almost every catalogue, and those divide exactly at
  // this scale; any other pack size rounds half-even twelve digits below the amount.
  const scale = (extended.split(".")[1]?.length ?? 0) + 12;
  return { amount: divideDecimal(extended, per, scale), currency: unitPrice.currency };
}

/**
 * Rounds an amount to its currency's minor unit (half-even by default).
 *
 * @param value - money
 * @param mode - rounding mode
 * @returns the rounded money
 * @example
 * ```ts
 * roundMoney(money("3.745", "USD")); // { amount: "3.74", currency: "USD" }
 * roundMoney(money("1234.5", "JPY")); // { amount: "1234", currency: "JPY" }
 * ```
 */
export function roundMoney(value: Money, mode: RoundingMode = "half-even"): Money {
  return {
    amount: roundDecimal(value.amount, currencyMinorUnits(value.currency), mode),
    currency: value.currency,
  };
}

/**
 * Exact sum of many amounts in one currency.
 *
 * @param values - money values, all in `currency`
 * @param currency - the currency of the sum (needed when `values` is empty)
 * @returns the unrounded total
 * @throws {@link ValidationError} when a value is in another currency
 * @example
 * ```ts
 * sumMoney([money("0.0125", "USD"), money("0.9875", "USD")], "USD"); // { amount: "1", currency: "USD" }
 * ```
 */
export function sumMoney(values: Iterable<Money>, currency: string): Money {
  const amounts: DecimalString[] = [];
  for (const value of values) {
    assertSameCurrency({ amount: "0", currency }, value);
    amounts.push(value.amount);
  }
  return { amount: sumDecimals(amounts), currency };
}
