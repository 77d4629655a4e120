import { DistroError, type DistroErrorOptions } from "./distro-error";

/**
 * A payload does not match its versioned data contract, or the contract itself is
 * unknown or incompatible.
 *
 * @example
 * ```ts
 * throw new ContractError("order.submitted@3 is not registered", { details: { type: "order.submitted" } });
 * ```
 */
export class ContractError extends DistroError {
  /**
   * @param message - what is wrong with the contract
   * @param options - cause and details
   */
  constructor(message: string, options: DistroErrorOptions = {}) {
    super("CONTRACT_ERROR", message, { ...options, retryable: false });
  }
}

/**
 * A call was refused because the upstream (or our own limiter) is over its rate.
 * Retryable; `retryAfterMs` says when, if known.
 *
 * @example
 * ```ts
 * throw new RateLimitedError("ERP rate limit", { retryAfterMs: 2000 });
 * ```
 */
export class RateLimitedError extends DistroError {
  /** How long to wait before trying again, in milliseconds, when known. */
  readonly retryAfterMs: number | undefined;

  /**
   * @param message - what was limited
   * @param options - `retryAfterMs`, cause and details
   */
  constructor(message: string, options: DistroErrorOptions & { retryAfterMs?: number } = {}) {
    super("RATE_LIMITED", message, { ...options, retryable: options.retryable ?? true });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** What an {@link UpstreamError} knows about the failed response. */
export interface UpstreamErrorOptions extends DistroErrorOptions {
  /** The HTTP status (or 0 when there was no response). */
  status: number;
  /** The upstream system, e.g. `erp`, `shopify`. */
  system?: string;
  /** The upstream's own error code, e.g. `Request_EntityChanged`, `INVALID_SESSION_ID`. */
  upstreamCode?: string;
  /** The first bytes of the response body (already redacted by the caller where needed). */
  bodyExcerpt?: string;
  /** Milliseconds to wait before retrying, from `Retry-After`, when present. */
  retryAfterMs?: number;
}

/**
 * An upstream system answered with an error. Whether it is retryable follows from the
 * status (see {@link isRetryableStatus}) unless stated.
 *
 * @example
 * ```ts
 * throw new UpstreamError("ERP answered 503", { status: 503, system: "erp" });
 * ```
 */
export class UpstreamError extends DistroError {
  /** The HTTP status (0 when no response arrived). */
  readonly status: number;
  /** The upstream system. */
  readonly system: string | undefined;
  /** The upstream's own error code. */
  readonly upstreamCode: string | undefined;
  /** The first bytes of the body. */
  readonly bodyExcerpt: string | undefined;
  /** From `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  /**
   * @param message - a sentence for people
   * @param options - status, system, upstream code, body excerpt
   */
  constructor(message: string, options: UpstreamErrorOptions) {
    super(
      options.status === 409 || options.status === 412 ? "UPSTREAM_CONFLICT" : "UPSTREAM_ERROR",
      message,
      {
        ...options,
        retryable: options.retryable ?? isRetryableStatus(options.status),
      },
    );
    this.status = options.status;
    this.system = options.system;
    this.upstreamCode = options.upstreamCode;
    this.bodyExcerpt = options.bodyExcerpt;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * An operation did not finish within its time budget. Retryable.
 *
 * @example
 * ```ts
 * throw new TimeoutError("ERP did not answer in 10000 ms", { details: { timeoutMs: 10000 } });
 * ```
 */
export class TimeoutError extends DistroError {
  /**
   * @param message - what timed out
   * @param options - cause and details
   */
  constructor(message: string, options: DistroErrorOptions = {}) {
    super("TIMEOUT", message, { ...options, retryable: options.retryable ?? true });
  }
}

/**
 * A circuit breaker is open: the upstream failed too often and calls are refused
 * until `retryAfterMs` has passed.
 *
 * @example
 * ```ts
 * throw new CircuitOpenError("erp", 5000);
 * ```
 */
export class CircuitOpenError extends DistroError {
  /** The upstream whose circuit is open. */
  readonly system: string;
  /** When the breaker will let a trial call through, in milliseconds from now. */
  readonly retryAfterMs: number;

  /**
   * @param system - the upstream
   * @param retryAfterMs - when a trial call will be allowed
   * @param options - cause and details
   */
  constructor(system: string, retryAfterMs: number, options: DistroErrorOptions = {}) {
    super("CIRCUIT_OPEN", `Circuit for ${system} is open; retry in ${retryAfterMs} ms`, {
      ...options,
      retryable: true,
    });
    this.system = system;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Credentials are missing, wrong or expired and could not be refreshed. Not retryable
 * unless stated: retrying with the same credentials fails the same way.
 *
 * @example
 * ```ts
 * throw new AuthError("Token endpoint refused the client credentials", { details: { status: 401 } });
 * ```
 */
export class AuthError extends DistroError {
  /**
   * @param message - what failed
   * @param options - cause and details
   */
  constructor(message: string, options: DistroErrorOptions = {}) {
    super("AUTH_FAILED", message, { ...options, retryable: options.retryable ?? false });
  }
}

/**
 * A record changed since it was read (a stale ETag, a version mismatch, an illegal
 * status transition). Not retryable as is: re-read, then decide.
 *
 * @example
 * ```ts
 * throw new ConflictError("salesOrder SO-1001 changed since it was read", { details: { etag: 'W/"1"' } });
 * ```
 */
export class ConflictError extends DistroError {
  /**
   * @param message - what conflicted
   * @param options - cause and details
   */
  constructor(message: string, options: DistroErrorOptions = {}) {
    super("CONFLICT", message, { ...options, retryable: options.retryable ?? false });
  }
}

/**
 * A record that was asked for does not exist.
 *
 * @example
 * ```ts
 * throw new NotFoundError("Order 1001 not found in ERP");
 * ```
 */
export class NotFoundError extends DistroError {
  /**
   * @param message - what was not found
   * @param options - cause and details
   */
  constructor(message: string, options: DistroErrorOptions = {}) {
    super("NOT_FOUND", message, { ...options, retryable: options.retryable ?? false });
  }
}

/**
 * A webhook or message signature did not verify, or its header was missing.
 * Never retryable: a forged message stays forged.
 *
 * @example
 * ```ts
 * throw new SignatureError("X-Shopify-Hmac-Sha256 does not match the body");
 * ```
 */
export class SignatureError extends DistroError {
  /**
   * @param message - what failed to verify
   * @param options - cause and details
   */
  constructor(message: string, options: DistroErrorOptions = {}) {
    super("SIGNATURE_INVALID", message, { ...options, retryable: false });
  }
}

/**
 * The HTTP statuses after which the same request may succeed: 408, 425, 429 and 5xx
 * (except 501 Not Implemented and 505 HTTP Version Not Supported), and 0 for a network
 * failure. The one place distro decides this.
 *
 * @param status - an HTTP status, or 0 when no response arrived
 * @returns whether a retry can help
 * @example
 * ```ts
 * isRetryableStatus(503); // true
 * isRetryableStatus(400); // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 0 || status === 408 || status === 425 || status === 429) return true;
  return status >= 500 && status !== 501 && status !== 505;
}

/**
 * Whether an error is worth retrying: a {@link DistroError} says so itself; a network
 * failure (`ECONNRESET`, `ECONNREFUSED`, `fetch failed`, ...) is; anything else is not.
 *
 * @param error - anything thrown
 * @returns whether a retry can help
 * @example
 * ```ts
 * isRetryable(new TimeoutError("slow")); // true
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error === "object" && error !== null && "retryable" in error) {
    return (error as { retryable: unknown }).retryable === true;
  }
  return isNetworkError(error);
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/**
 * Whether an error is a transport failure (connection reset, refused, DNS, socket closed),
 * looking through `cause` as `fetch` wraps them in `TypeError: fetch failed`.
 *
 * @param error - anything thrown
 * @returns true for network-level failures
 * @example
 * ```ts
 * isNetworkError(Object.assign(new Error("reset"), { code: "ECONNRESET" })); // true
 * ```
 */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (current instanceof TypeError && current.message === "fetch failed") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
