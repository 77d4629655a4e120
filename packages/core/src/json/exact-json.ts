/**
 * Parses JSON text like `JSON.parse`, except that integers beyond 2^53 - 1 (in either
 * direction) come back as decimal strings with every digit kept, instead of being
 * silently rounded. The scan is done on the raw text (a reviver is too late: the number
 * is already rounded when it sees it). Connectors use it to read ids beyond 2^53 (Shopify order ids) exactly.
 *
 * @param text - JSON text
 * @returns the parsed value
 * @throws SyntaxError when the text is not JSON (as `JSON.parse` does)
 * @example
 * ```ts
 * parseJsonExact('{"id":9007199254740993,"n":1}'); // { id: "9007199254740993", n: 1 }
 * ```
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

/**
 * Rewrites JSON text so that integer literals beyond the safe range become JSON strings;
 * everything else (strings, fractions, exponents, small integers) is left as is.
 *
 * @param text - JSON text
 * @returns JSON text with big integers quoted
 * @example
 * ```ts
 * quoteUnsafeIntegers('[9007199254740993, 1.5, "9007199254740993"]');
 * // '["9007199254740993", 1.5, "9007199254740993"]'
 * ```
 */
export function quoteUnsafeIntegers(text: string): string {
  let out = "";
  let index = 0;
  let copiedUpTo = 0;
  const length = text.length;
  while (index < length) {
    const char = text.charCodeAt(index);
    if (char === 34) {
      index++;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 92) index += 2;
        else if (inner === 34) break;
        else index++;
      }
      index++;
      continue;
    }
    if (char === 45 || (char >= 48 && char <= 57)) {
      const start = index;
      index++;
      while (index < length) {
        const next = text.charCodeAt(index);
        if (
          (next >= 48 && next <= 57) ||
          next === 46 ||
          next === 101 ||
          next === 69 ||
          next === 43 ||
          next === 45
        )
          index++;
        else break;
      }
      const literal = text.slice(start, index);
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += text.slice(copiedUpTo, start) + `"${literal}"`;
        copiedUpTo = index;
      }
      continue;
    }
    index++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
