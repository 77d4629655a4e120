import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/validation-error";
import { compareDecimal, multiplyDecimal, subtractDecimal } from "./decimal";
import {
  addMoney,
  currencyMinorUnits,
  MoneySchema,
  money,
  multiplyMoney,
  roundMoney,
  sumMoney,
} from "./money";

describe("money", () => {
  it("prices fasteners below one cent exactly", () => {
    const unit = money("0.0125", "USD");
    expect(multiplyMoney(unit, "300")).toEqual({ amount: "3.75", currency: "USD" });
    expect(multiplyMoney(money("1.25", "USD"), "300", "100")).toEqual({ amount: "3.75", currency: "USD" });
    expect(multiplyMoney(money("0.0125", "USD"), "2.5")).toEqual({ amount: "0.03125", currency: "USD" });
    expect(roundMoney(multiplyMoney(money("0.0125", "USD"), "2.5"))).toEqual({
      amount: "0.03",
      currency: "USD",
    });
  });

  it("rounds to each currency's minor unit", () => {
    expect(currencyMinorUnits("USD")).toBe(2);
    expect(currencyMinorUnits("JPY")).toBe(0);
    expect(currencyMinorUnits("KWD")).toBe(3);
    expect(roundMoney(money("1234.5", "JPY")).amount).toBe("1234");
    expect(roundMoney(money("1.2345", "KWD")).amount).toBe("1.234");
  });

  it("refuses mixed currencies and bad input with the field named", () => {
    expect(() => addMoney(money("1", "USD"), money("1", "EUR"))).toThrow(ValidationError);
    try {
      money("abc", "USD");
    } catch (error) {
      expect((error as ValidationError).issues[0]?.path).toEqual(["amount"]);
    }
    try {
      money("1", "usd");
    } catch (error) {
      expect((error as ValidationError).issues[0]?.path).toEqual(["currency"]);
    }
    expect(MoneySchema.safeParse({ amount: 0.0125, currency: "USD" }).success).toBe(false);
  });

  it("property: the sum of rounded line totals differs from the rounded sum by at most half a cent per line", () => {
    const line = fc.record({
      price: fc.integer({ min: 1, max: 1_000_000 }).map((n) => (n / 10_000).toFixed(4)),
      quantity: fc.integer({ min: 1, max: 10_000 }).map(String),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const extended = lines.map((l) => multiplyMoney(money(l.price, "USD"), l.quantity));
        const exactTotal = sumMoney(extended, "USD");
        const roundedTotal = sumMoney(
          extended.map((m) => roundMoney(m)),
          "USD",
        );
        const drift = subtractDecimal(exactTotal.amount, roundedTotal.amount).replace("-", "");
        expect(compareDecimal(drift, multiplyDecimal("0.005", String(lines.length)))).toBeLessThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });
});
