import {
  AuthError,
  ConflictError,
  type DistroError,
  NotFoundError,
  parseRetryAfter,
  RateLimitedError,
  UpstreamError,
} from "@distro/core";

/** What an OData service said in its error body (`{"error":{"code","message"}}`, V4 or V2 form). */
export interface ODataErrorBody {
  /** The service's error code, e.g. `Request_EntityChanged`, `/IWBEP/CM_MGW_RT/022`. */
  code: string | undefined;
  /** The message (V2's `message.value` is unwrapped). */
  message: string | undefined;
}

/**
 * Reads an OData error body in either the V4 form (`{"error":{"code":"…","message":"…"}}`)
 * or the V2 form (`{"error":{"code":"…","message":{"lang":"en","value":"…"}}}`).
 *
 * @param text - the response body
 * @returns the code and message, each undefined when absent or when the body is not JSON
 * @example
 * ```ts
 * readODataErrorBody('{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record."}}');
 * // { code: "Request_EntityChanged", message: "Another user has already changed the record." }
 * ```
 */
export function readODataErrorBody(text: string): ODataErrorBody {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const error = parsed?.error;
    if (typeof error !== "object" || error === null) return { code: undefined, message: undefined };
    const code = typeof error.code === "string" ? error.code : undefined;
    const raw = error.message;
    const message =
      typeof raw === "string"
        ? raw
        : typeof raw === "object" && raw !== null && typeof (raw as { value?: unknown }).value === "string"
          ? (raw as { value: string }).value
          : undefined;
    return { code, message };
  } catch {
    return { code: undefined, message: undefined };
  }
}

/** The facts of a failed OData response that {@link odataErrorFromResponse} maps. */
export interface ODataFailure {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Response body text. */
  body: string;
  /** The system name for errors, e.g. `business-central`. */
  system: string;
  /** What was being done, e.g. `PATCH salesOrders(…)`. */
  operation: string;
}

/**
 * Maps a failed OData response to distro's error hierarchy: 401 / 403 → `AuthError`,
 * 404 → `NotFoundError`, 409 / 412 / 428 → `ConflictError` (stale or missing ETag), 429 →
 * `RateLimitedError` with `Retry-After`, anything else → `UpstreamError` (retryable for
 * 5xx). The service's own error code travels in `details.upstreamCode`.
 *
 * @param failure - status, headers, body, system and operation
 * @returns the typed error (never thrown here)
 * @example
 * ```ts
 * const error = odataErrorFromResponse({ status: 409, headers: new Headers(), system: "erp", operation: "PATCH",
 *   body: '{"error":{"code":"Request_EntityChanged","message":"changed"}}' });
 * error.code; // "CONFLICT"
 * ```
 */
export function odataErrorFromResponse(failure: ODataFailure): DistroError {
  const { code, message } = readODataErrorBody(failure.body);
  const text = `${failure.system} ${failure.operation} answered ${failure.status}${code ? ` ${code}` : ""}: ${message ?? failure.body.slice(0, 200)}`;
  const details = {
    status: failure.status,
    upstreamCode: code,
    system: failure.system,
    operation: failure.operation,
  };
  const retryAfterMs = parseRetryAfter(failure.headers.get("retry-after"));
  if (failure.status === 401 || failure.status === 403) return new AuthError(text, { details });
  if (failure.status === 404) return new NotFoundError(text, { details });
  if (failure.status === 409 || failure.status === 412 || failure.status === 428)
    return new ConflictError(text, { details });
  if (failure.status === 429) {
    return new RateLimitedError(text, { details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  return new UpstreamError(text, {
    status: failure.status,
    system: failure.system,
    ...(code === undefined ? {} : { upstreamCode: code }),
    bodyExcerpt: failure.body.slice(0, 500),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    details,
  });
}
