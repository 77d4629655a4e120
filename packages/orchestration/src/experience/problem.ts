import { isDistroError, serializeError, type ValidationIssue } from "@distro/core";

/**
 * A JSON response with the given status.
 *
 * @param status - the HTTP status
 * @param body - a JSON-safe body
 * @param headers - extra headers
 * @returns the Response
 * @example
 * ```ts
 * return json(200, { ok: true });
 * ```
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * An RFC 9457 problem response (`application/problem+json`) with distro's error code
 * and, for validation failures, every issue with its path.
 *
 * @param status - the HTTP status
 * @param code - distro's error code
 * @param detail - a sentence for people
 * @param extra - `issues`, headers
 * @returns the Response
 * @example
 * ```ts
 * return problem(422, "VALIDATION_FAILED", "The order is invalid", { issues });
 * ```
 */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: { issues?: ValidationIssue[]; headers?: Record<string, string> } = {},
): Response {
  const body: Record<string, unknown> = {
    type: `https://distro.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`,
    title: code,
    status,
    detail,
    code,
  };
  if (extra.issues) body.issues = extra.issues;
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...(extra.headers ?? {}) },
  });
}

/**
 * Maps any error to a problem response: validation → 422, idempotency in progress →
 * 409, key reuse → 422, not found → 404, rate limited → 429, other upstream trouble →
 * 502 / 503, anything else → 500 (with no internals in the body).
 *
 * @param error - what was thrown
 * @returns the problem response
 * @example
 * ```ts
 * try { return await handler(request); } catch (error) { return problemFromError(error); }
 * ```
 */
export function problemFromError(error: unknown): Response {
  if (!isDistroError(error)) return problem(500, "INTERNAL", "The request could not be completed");
  const serialized = serializeError(error);
  const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
  const headers: Record<string, string> =
    retryAfterMs === undefined ? {} : { "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
  switch (error.code) {
    case "VALIDATION_FAILED":
      return problem(422, error.code, error.message, {
        issues: (error as { issues?: ValidationIssue[] }).issues ?? [],
      });
    case "IDEMPOTENCY_IN_PROGRESS":
      return problem(409, error.code, error.message, { headers });
    case "IDEMPOTENCY_KEY_REUSED":
      return problem(422, error.code, error.message);
    case "NOT_FOUND":
      return problem(404, error.code, error.message);
    case "RATE_LIMITED":
      return problem(429, error.code, error.message, { headers });
    case "CIRCUIT_OPEN":
    case "TIMEOUT":
      return problem(503, error.code, error.message, { headers });
    default:
      return problem(error.retryable ? 503 : 502, serialized.code, error.message, { headers });
  }
}
