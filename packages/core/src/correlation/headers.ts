import { type CorrelationContext, getCorrelation } from "./context";
import { formatTraceparent, parseTraceparent } from "./traceparent";

/**
 * The HTTP header that carries the correlation id.
 *
 * @example
 * ```ts
 * request.headers.get(CORRELATION_ID_HEADER); // "order-1001"
 * ```
 */
export const CORRELATION_ID_HEADER = "x-correlation-id";
/**
 * The HTTP header that carries the causation id (the id of the message that caused the call).
 *
 * @example
 * ```ts
 * request.headers.get(CAUSATION_ID_HEADER); // "evt-1"
 * ```
 */
export const CAUSATION_ID_HEADER = "x-causation-id";
/**
 * The HTTP header that carries the tenant.
 *
 * @example
 * ```ts
 * request.headers.get(TENANT_HEADER); // "acme"
 * ```
 */
export const TENANT_HEADER = "x-tenant-id";
/**
 * The W3C Trace Context header.
 *
 * @example
 * ```ts
 * parseTraceparent(request.headers.get(TRACEPARENT_HEADER));
 * ```
 */
export const TRACEPARENT_HEADER = "traceparent";

const MAX_ID_LENGTH = 256;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Whether a value is usable as a correlation, causation or tenant id taken from outside:
 * 1 to 256 visible ASCII characters (no spaces, no control characters).
 *
 * @param value - anything
 * @returns true when the value is a safe id
 * @example
 * ```ts
 * isValidCorrelationId("order-1001"); // true
 * isValidCorrelationId("a\nb"); // false
 * ```
 */
export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_ID_LENGTH && VISIBLE_ASCII.test(value);
}

/**
 * Writes a correlation context into outgoing HTTP headers: `x-correlation-id`,
 * `x-causation-id` and `x-tenant-id` when known, and `traceparent` when the context
 * carries a valid one. Values that are not safe header ids are left out.
 *
 * @param headers - the headers to write into (changed in place)
 * @param context - the context to write; defaults to the current one
 * @returns the same `headers`
 * @example
 * ```ts
 * import { injectCorrelationHeaders, withCorrelation } from "@distro/core";
 *
 * await withCorrelation({ correlationId: "order-1001" }, () =>
 *   fetch("http://127.0.0.1:8080/orders", { headers: injectCorrelationHeaders(new Headers()) }),
 * );
 * ```
 */
export function injectCorrelationHeaders(headers: Headers, context?: CorrelationContext): Headers {
  const source = context ?? getCorrelation();
  if (source === undefined) return headers;
  if (isValidCorrelationId(source.correlationId)) headers.set(CORRELATION_ID_HEADER, source.correlationId);
  if (isValidCorrelationId(source.causationId)) headers.set(CAUSATION_ID_HEADER, source.causationId);
  if (isValidCorrelationId(source.tenant)) headers.set(TENANT_HEADER, source.tenant);
  const traceparent = parseTraceparent(source.traceparent);
  if (traceparent !== undefined) headers.set(TRACEPARENT_HEADER, formatTraceparent(traceparent));
  return headers;
}

/**
 * Reads the correlation fields of an incoming request. Invalid values are dropped
 * rather than trusted: an id that is not 1 to 256 visible ASCII characters, or a
 * `traceparent` that W3C Trace Context says to ignore. A valid `traceparent` of a
 * higher version is kept as the version-00 value of the same ids and flags.
 *
 * @param headers - the incoming headers
 * @returns the fields found (pass them to `withCorrelation`, which fills the rest)
 * @example
 * ```ts
 * import { extractCorrelationFromHeaders, withCorrelation } from "@distro/core";
 *
 * const handle = (request: Request) =>
 *   withCorrelation(extractCorrelationFromHeaders(request.headers), () => new Response("ok"));
 * ```
 */
export function extractCorrelationFromHeaders(headers: Headers): Partial<CorrelationContext> {
  const out: Partial<CorrelationContext> = {};
  const correlationId = headers.get(CORRELATION_ID_HEADER)?.trim();
  if (isValidCorrelationId(correlationId)) out.correlationId = correlationId;
  const causationId = headers.get(CAUSATION_ID_HEADER)?.trim();
  if (isValidCorrelationId(causationId)) out.causationId = causationId;
  const tenant = headers.get(TENANT_HEADER)?.trim();
  if (isValidCorrelationId(tenant)) out.tenant = tenant;
  const traceparent = parseTraceparent(headers.get(TRACEPARENT_HEADER));
  if (traceparent !== undefined) out.traceparent = formatTraceparent({ ...traceparent, version: "00" });
  return out;
}
