import { ValidationError } from "../errors/validation-error";

/**
 * A decimal number written as a string: an optional minus sign, digits, and an
 * optional fraction (`"12"`, `"-0.0125"`, `"100.50"`). No exponent, no `+`, no spaces.
 * Money and quantities in distro are always decimal strings, never floats.
 */
export type DecimalString = string;

const DECIMAL_PATTERN = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const LENIENT_PATTERN = /^[+-]?\d+(?:\.\d*)?$|^[+-]?\.\d+$/;

/** How to round a value that falls between two representable values. */
export type RoundingMode = "half-even" | "half-up" | "down" | "up";

interface Scaled {
  units: bigint;
  scale: number;
}

/**
 * Whether a value is a canonical decimal string (`"0.0125"`, `"-3"`; not `"1e3"`,
 * `"01"`, `" 1"`, `"1."`).
 *
 * @param value - anything
 * @returns true for a canonical decimal string
 * @example
 * ```ts
 * isDecimalString("0.0125"); // true
 * isDecimalString("1e-2"); // false
 * ```
 */
export function isDecimalString(value: unknown): value is DecimalString {
  return typeof value === "string" && DECIMAL_PATTERN.test(value);
}

function toScaled(value: DecimalString, path: (string | number)[] = []): Scaled {
  if (typeof value !== "string" || !LENIENT_PATTERN.test(value)) {
    throw new ValidationError(`Not a decimal string: ${JSON.stringify(value)}`, [
      { code: "invalid_decimal", path, message: `Expected a decimal string, got ${JSON.stringify(value)}` },
    ]);
  }
  let text = value;
  let negative = false;
  if (text.startsWith("-") || text.startsWith("+")) {
    negative = text.startsWith("-");
    text = text.slice(1);
  }
  const dot = text.indexOf(".");
  const whole = dot === -1 ? text : text.slice(0, dot);
  const fraction = dot === -1 ? "" : text.slice(dot + 1);
  const units = BigInt((whole || "0") + fraction);
  return { units: negative ? -units : units, scale: fraction.length };
}

function fromScaled({ units, scale }: Scaled): DecimalString {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    let whole = digits.slice(0, digits.length - scale);
    let fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
    if (whole === "") whole = "0";
    digits = fraction.length > 0 ? `${whole}.${fraction}` : whole;
    fraction = "";
  }
  if (digits === "0") return "0";
  return negative ? `-${digits}` : digits;
}

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.units, b.units, a.scale];
  if (a.scale > b.scale) return [a.units, b.units * 10n ** BigInt(a.scale - b.scale), a.scale];
  return [a.units * 10n ** BigInt(b.scale - a.scale), b.units, b.scale];
}

/**
 * Parses a decimal written loosely (`"+1.50"`, `".5"`, `"007"`) into its canonical
 * form (`"1.5"`, `"0.5"`, `"7"`): trailing fraction zeros removed, no plus sign.
 *
 * @param value - a decimal string, possibly loose
 * @returns the canonical decimal string
 * @throws {@link ValidationError} when the value is not a decimal at all (`"1e3"`, `"abc"`)
 * @example
 * ```ts
 * normalizeDecimal("+0012.500"); // "12.5"
 * ```
 */
export function normalizeDecimal(value: string): DecimalString {
  return fromScaled(toScaled(value));
}

/**
 * Exact sum of two decimals.
 *
 * @param a - a decimal string
 * @param b - a decimal string
 * @returns a + b
 * @throws {@link ValidationError} when either is not a decimal string
 * @example
 * ```ts
 * addDecimal("0.1", "0.2"); // "0.3"
 * ```
 */
export function addDecimal(a: DecimalString, b: DecimalString): DecimalString {
  const [x, y, scale] = align(toScaled(a), toScaled(b));
  return fromScaled({ units: x + y, scale });
}

/**
 * Exact difference of two decimals.
 *
 * @param a - a decimal string
 * @param b - a decimal string
 * @returns a − b
 * @throws {@link ValidationError} when either is not a decimal string
 * @example
 * ```ts
 * subtractDecimal("10", "0.0125"); // "9.9875"
 * ```
 */
export function subtractDecimal(a: DecimalString, b: DecimalString): DecimalString {
  const [x, y, scale] = align(toScaled(a), toScaled(b));
  return fromScaled({ units: x - y, scale });
}

/**
 * Exact product of two decimals (no rounding; the scale is the sum of both scales).
 *
 * @param a - a decimal string
 * @param b - a decimal string
 * @returns a × b, exactly
 * @throws {@link ValidationError} when either is not a decimal string
 * @example
 * ```ts
 * multiplyDecimal("0.0125", "300"); // "3.75"
 * ```
 */
export function multiplyDecimal(a: DecimalString, b: DecimalString): DecimalString {
  const x = toScaled(a);
  const y = toScaled(b);
  return fromScaled({ units: x.units * y.units, scale: x.scale + y.scale });
}

function roundScaled(value: Scaled, scale: number, mode: RoundingMode): Scaled {
  if (value.scale <= scale) return value;
  const divisor = 10n ** BigInt(value.scale - scale);
  const negative = value.units < 0n;
  const magnitude = negative ? -value.units : value.units;
  let quotient = magnitude / divisor;
  const remainder = magnitude % divisor;
  if (remainder !== 0n) {
    const twice = remainder * 2n;
    if (mode === "up") quotient += 1n;
    else if (mode === "half-up" && twice >= divisor) quotient += 1n;
    else if (mode === "half-even" && (twice > divisor || (twice === divisor && quotient % 2n === 1n))) {
      quotient += 1n;
    }
  }
  return { units: negative ? -quotient : quotient, scale };
}

/**
 * Rounds a decimal to `scale` fraction digits. The default, half-even ("banker's
 * rounding"), is what accounting systems use so that rounding errors do not drift one
 * way over many lines.
 *
 * @param value - a decimal string
 * @param scale - fraction digits to keep (0 or more)
 * @param mode - `half-even` (default), `half-up`, `down` (towards zero) or `up` (away from zero)
 * @returns the rounded value, canonical (trailing zeros removed)
 * @throws {@link ValidationError} when the value is not a decimal string
 * @example
 * ```ts
 * roundDecimal("2.345", 2); // "2.34"
 * roundDecimal("2.355", 2); // "2.36"
 * roundDecimal("2.345", 2, "half-up"); // "2.35"
 * ```
 */
export function roundDecimal(
  value: DecimalString,
  scale: number,
  mode: RoundingMode = "half-even",
): DecimalString {
  if (!Number.isInteger(scale) || scale < 0)
    throw new RangeError(`scale must be a whole number ≥ 0, got ${scale}`);
  return fromScaled(roundScaled(toScaled(value), scale, mode));
}

/**
 * Divides two decimals, rounding the quotient to `scale` fraction digits.
 *
 * @param a - the dividend
 * @param b - the divisor (not zero)
 * @param scale - fraction digits of the result
 * @param mode - rounding mode, half-even by default
 * @returns a ÷ b rounded to `scale`
 * @throws {@link ValidationError} when b is zero or either is not a decimal string
 * @example
 * ```ts
 * divideDecimal("1.25", "100", 6); // "0.0125"
 * divideDecimal("10", "3", 2); // "3.33"
 * ```
 */
export function divideDecimal(
  a: DecimalString,
  b: DecimalString,
  scale: number,
  mode: RoundingMode = "half-even",
): DecimalString {
  const x = toScaled(a);
  const y = toScaled(b);
  if (y.units === 0n) {
    throw new ValidationError("Division by zero", [
      { code: "division_by_zero", path: [], message: "Divisor is zero" },
    ]);
  }
  // x.units / 10^x.scale ÷ (y.units / 10^y.scale) computed at scale + 1 extra digits... exactly:
  // result units at (scale + guard) digits, then rounded with the exact remainder folded in.
  const guard = 1;
  const targetScale = scale + guard;
  const numerator = x.units * 10n ** BigInt(targetScale + y.scale);
  const denominator = y.units * 10n ** BigInt(x.scale);
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let quotient = n / d;
  const exact = n % d === 0n;
  // A non-zero remainder below the guard digit breaks ties: append a sticky 1 digit.
  quotient = quotient * 10n + (exact ? 0n : 1n);
  const rounded = roundScaled(
    { units: negative ? -quotient : quotient, scale: targetScale + 1 },
    scale,
    mode,
  );
  return fromScaled(rounded);
}

/**
 * Compares two decimals numerically.
 *
 * @param a - a decimal string
 * @param b - a decimal string
 * @returns -1 when a < b, 0 when equal, 1 when a > b
 * @throws {@link ValidationError} when either is not a decimal string
 * @example
 * ```ts
 * compareDecimal("1.50", "1.5"); // 0
 * ```
 */
export function compareDecimal(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  const [x, y] = align(toScaled(a), toScaled(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Exact sum of any number of decimals.
 *
 * @param values - decimal strings
 * @returns their sum (`"0"` for none)
 * @throws {@link ValidationError} when one is not a decimal string
 * @example
 * ```ts
 * sumDecimals(["0.0125", "0.0125", "0.975"]); // "1"
 * ```
 */
export function sumDecimals(values: Iterable<DecimalString>): DecimalString {
  let total: Scaled = { units: 0n, scale: 0 };
  for (const value of values) {
    const [x, y, scale] = align(total, toScaled(value));
    total = { units: x + y, scale };
  }
  return fromScaled(total);
}

/**
 * The value with its sign flipped.
 *
 * @param value - a decimal string
 * @returns −value
 * @example
 * ```ts
 * negateDecimal("1.5"); // "-1.5"
 * ```
 */
export function negateDecimal(value: DecimalString): DecimalString {
  const scaled = toScaled(value);
  return fromScaled({ units: -scaled.units, scale: scaled.scale });
}

/**
 * Writes a decimal with exactly `scale` fraction digits (rounding half-even if needed),
 * as invoices and EDI amounts show it: `"3.5"` → `"3.50"`.
 *
 * @param value - a decimal string
 * @param scale - fraction digits to show
 * @param mode - rounding mode when digits must be dropped
 * @returns the padded string
 * @example
 * ```ts
 * formatDecimal("3.5", 2); // "3.50"
 * ```
 */
export function formatDecimal(value: DecimalString, scale: number, mode: RoundingMode = "half-even"): string {
  const rounded = roundScaled(toScaled(value), scale, mode);
  const units = rounded.units * 10n ** BigInt(scale - rounded.scale);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${body}` : body;
}
