/**
 * The GS1 mod-10 check digit for a string of digits (the data without its check
 * digit): weights 3 and 1 alternate from the rightmost digit. Used by GTIN-8/12/13/14,
 * SSCC-18 and GLN.
 *
 * @param digits - the digits before the check digit
 * @returns the check digit, 0 to 9
 * @example
 * ```ts
 * gs1CheckDigit("400638133393"); // 1 (GTIN-13 4006381333931)
 * ```
 */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    const digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    sum += index % 2 === 0 ? digit * 3 : digit;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Whether a string is a valid GS1 key of the given lengths: only digits, and its last
 * digit is the mod-10 check digit of the others.
 *
 * @param value - the candidate key
 * @param lengths - the allowed lengths (GTIN: 8, 12, 13, 14; SSCC: 18; GLN: 13)
 * @returns true when the length and the check digit are right
 * @example
 * ```ts
 * isValidGs1Key("4006381333931", [13]); // true
 * isValidGs1Key("4006381333932", [13]); // false
 * ```
 */
export function isValidGs1Key(value: string, lengths: readonly number[]): boolean {
  if (!lengths.includes(value.length) || !/^\d+$/.test(value)) return false;
  return gs1CheckDigit(value.slice(0, -1)) === value.charCodeAt(value.length - 1) - 48;
}
