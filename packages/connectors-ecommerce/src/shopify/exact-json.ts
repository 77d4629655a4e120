import { quoteUnsafeIntegers, UpstreamError } from "@distro/core";

/**
 * Parses Shopify JSON so that ids beyond 2^53 keep every digit: integer literals outside
 * the safe range are turned into strings on the raw text before `JSON.parse` (a reviver
 * would only see the already-rounded number). Strings, fractions and small integers are
 * untouched.
 *
 * @param text - the raw JSON text of a response or webhook body
 * @returns the parsed value
 * @throws SyntaxError when the text is not JSON (callers map it to a typed error)
 * @example
 * ```ts
 * parseShopifyJson('{"id":9007199254740993}'); // { id: "9007199254740993" }
 * ```
 */
export function parseShopifyJson(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

/**
 * Parses a Shopify response body exactly, or throws a typed error naming the system.
 *
 * @param text - the body
 * @param where - what answered (for the message)
 * @returns the parsed value
 * @throws UpstreamError with `details.reason: "invalid_json"` when the body is not JSON
 * @example
 * ```ts
 * const body = parseShopifyResponse(await response.text(), "GET orders.json");
 * ```
 */
export function parseShopifyResponse(text: string, where: string): unknown {
  try {
    return parseShopifyJson(text);
  } catch (error) {
    throw new UpstreamError(`shopify answered ${where} with a body that is not JSON`, {
      status: 200,
      system: "shopify",
      bodyExcerpt: text.slice(0, 200),
      cause: error,
      retryable: false,
      details: { reason: "invalid_json" },
    });
  }
}

const RAW_ID_MARKER = "\u0000shopify-raw-id:";

/**
 * Marks a decimal id string so that {@link stringifyShopifyJson} writes it as a bare
 * JSON number, digit for digit (Shopify's REST API takes numeric ids).
 *
 * @param id - a decimal id, e.g. `"9007199254740993"`
 * @returns a marker that serialises as the number
 * @example
 * ```ts
 * stringifyShopifyJson({ order_id: rawId("9007199254740993") }); // '{"order_id":9007199254740993}'
 * ```
 */
export function rawId(id: string): string {
  return `${RAW_ID_MARKER}${id}`;
}

/**
 * Serialises a request body, writing values made by {@link rawId} as exact JSON numbers.
 *
 * @param value - the body
 * @returns JSON text
 * @example
 * ```ts
 * stringifyShopifyJson({ inventory_item_id: rawId("808950810"), available: 6 });
 * ```
 */
export function stringifyShopifyJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000shopify-raw-id:(\d+)"/g, "$1");
}
