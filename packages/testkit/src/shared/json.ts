const BIGINT_MARKER = "\u0000distro-bigint:";

/**
 * Serialises a value as JSON like `JSON.stringify`, except that `bigint` values are
 * written as bare JSON numbers with every digit kept. Simulators use it to send ids
 * beyond 2^53 (Shopify order ids) exactly as the real platforms do.
 *
 * @param value - any JSON-compatible value; `bigint`s anywhere inside become numbers
 * @param indent - optional indentation, as for `JSON.stringify`
 * @returns the JSON text
 * @example
 * ```ts
 * stringifyJson({ id: 9007199254740993n, total: "10.00" });
 * // '{"id":9007199254740993,"total":"10.00"}'
 * ```
 */
export function stringifyJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => (typeof item === "bigint" ? `${BIGINT_MARKER}${item.toString()}` : item),
    indent,
  );
  if (text === undefined) return "null";
  return text.replace(/"\\u0000distro-bigint:(-?\d+)"/g, "$1");
}

export { parseJsonExact, quoteUnsafeIntegers } from "@distro/core";
