import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDistroError } from "../errors/distro-error";
import {
  addDecimal,
  compareDecimal,
  divideDecimal,
  formatDecimal,
  isDecimalString,
  multiplyDecimal,
  negateDecimal,
  normalizeDecimal,
  roundDecimal,
  subtractDecimal,
  sumDecimals,
} from "./decimal";

/** A decimal string built from an integer and a scale, so the reference value is exact. */
const decimalArb = fc
  .record({
    units: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
    scale: fc.integer({ min: 0, max: 8 }),
  })
  .map(({ units, scale }) => ({ units, scale, text: toText(units, scale) }));

function toText(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return normalizeDecimal(negative ? `-${body}` : body);
}

/** Rational reference: value = units / 10^scale; compare a/b with c/d by cross-multiplying. */
function equalsRational(text: string, numerator: bigint, denominator: bigint): boolean {
  const [whole, fraction = ""] = text.replace("-", "").split(".");
  const units = BigInt(`${whole}${fraction}`) * (text.startsWith("-") ? -1n : 1n);
  return units * denominator === numerator * 10n ** BigInt(fraction.length);
}

describe("decimal arithmetic", () => {
  it("adds the classic float trap exactly", () => {
    expect(addDecimal("0.1", "0.2")).toBe("0.3");
    expect(multiplyDecimal("0.0125", "300")).toBe("3.75");
    expect(subtractDecimal("10", "0.0125")).toBe("9.9875");
    expect(sumDecimals(["0.0125", "0.0125", "0.975"])).toBe("1");
    expect(sumDecimals([])).toBe("0");
  });

  it("rounds half-even, half-up, down and up", () => {
    expect(roundDecimal("2.345", 2)).toBe("2.34");
    expect(roundDecimal("2.355", 2)).toBe("2.36");
    expect(roundDecimal("-2.345", 2)).toBe("-2.34");
    expect(roundDecimal("2.345", 2, "half-up")).toBe("2.35");
    expect(roundDecimal("-2.345", 2, "half-up")).toBe("-2.35");
    expect(roundDecimal("2.349", 2, "down")).toBe("2.34");
    expect(roundDecimal("2.341", 2, "up")).toBe("2.35");
    expect(roundDecimal("0.005", 2)).toBe("0");
    expect(roundDecimal("0.015", 2)).toBe("0.02");
  });

  it("divides with rounding and refuses zero", () => {
    expect(divideDecimal("1.25", "100", 6)).toBe("0.0125");
    expect(divideDecimal("10", "3", 2)).toBe("3.33");
    expect(divideDecimal("-10", "3", 2)).toBe("-3.33");
    expect(divideDecimal("1", "8", 2)).toBe("0.12");
    expect(divideDecimal("3", "8", 2)).toBe("0.38");
    expect(() => divideDecimal("1", "0", 2)).toThrow(/zero/);
  });

  it("formats with fixed fraction digits", () => {
    expect(formatDecimal("3.5", 2)).toBe("3.50");
    expect(formatDecimal("-0.005", 2)).toBe("0.00");
    expect(formatDecimal("12", 0)).toBe("12");
    expect(formatDecimal("-1.255", 2)).toBe("-1.26");
  });

  it("recognises only canonical decimal strings", () => {
    for (const good of ["0", "-3", "0.0125", "100.50"]) expect(isDecimalString(good)).toBe(true);
    for (const bad of ["1e3", "01", " 1", "1.", "+1", "", "NaN", "-0x1", 1])
      expect(isDecimalString(bad)).toBe(false);
    expect(normalizeDecimal("+0012.500")).toBe("12.5");
    expect(normalizeDecimal("-0.000")).toBe("0");
  });

  it("throws a typed ValidationError for non-decimals", () => {
    try {
      addDecimal("1e3", "1");
      expect.unreachable();
    } catch (error) {
      expect(isDistroError(error)).toBe(true);
      expect((error as { code: string }).code).toBe("VALIDATION_FAILED");
    }
  });

  it("property: add, subtract and multiply equal exact rational arithmetic", () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        const da = 10n ** BigInt(a.scale);
        const db = 10n ** BigInt(b.scale);
        expect(equalsRational(addDecimal(a.text, b.text), a.units * db + b.units * da, da * db)).toBe(true);
        expect(equalsRational(subtractDecimal(a.text, b.text), a.units * db - b.units * da, da * db)).toBe(
          true,
        );
        expect(equalsRational(multiplyDecimal(a.text, b.text), a.units * b.units, da * db)).toBe(true);
        expect(isDecimalString(addDecimal(a.text, b.text))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("property: addition is commutative and associative, and a − a = 0", () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, decimalArb, (a, b, c) => {
        expect(addDecimal(a.text, b.text)).toBe(addDecimal(b.text, a.text));
        expect(addDecimal(addDecimal(a.text, b.text), c.text)).toBe(
          addDecimal(a.text, addDecimal(b.text, c.text)),
        );
        expect(subtractDecimal(a.text, a.text)).toBe("0");
        expect(negateDecimal(negateDecimal(a.text))).toBe(a.text);
        expect(sumDecimals([a.text, b.text, c.text])).toBe(addDecimal(addDecimal(a.text, b.text), c.text));
      }),
      { numRuns: 300 },
    );
  });

  it("property: rounding stays within half a unit and is idempotent", () => {
    fc.assert(
      fc.property(decimalArb, fc.integer({ min: 0, max: 6 }), (a, scale) => {
        const rounded = roundDecimal(a.text, scale);
        const error = subtractDecimal(a.text, rounded).replace("-", "");
        expect(compareDecimal(error, `0.${"0".repeat(scale)}5`)).toBeLessThanOrEqual(0);
        expect(roundDecimal(rounded, scale)).toBe(rounded);
        expect((rounded.split(".")[1] ?? "").length).toBeLessThanOrEqual(scale);
      }),
      { numRuns: 500 },
    );
  });

  it("property: division rounds to the nearest, ties to even", () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, fc.integer({ min: 0, max: 6 }), (a, b, scale) => {
        fc.pre(b.units !== 0n);
        const quotient = divideDecimal(a.text, b.text, scale);
        // |a/b − q| ≤ ½·10^−scale  ⇔  |a − q·b| ≤ ½·10^−scale·|b|
        const residual = subtractDecimal(a.text, multiplyDecimal(quotient, b.text)).replace("-", "");
        const bound = multiplyDecimal(`0.${"0".repeat(scale)}5`, b.text.replace("-", ""));
        expect(compareDecimal(residual, bound)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });
});
