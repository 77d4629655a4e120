import { ValidationError, type ValidationIssue } from "../errors/index";

const SAFE = /^[A-Za-z0-9\-_.!~*'()]*$/;
const SAFE_JOINED =
  /^[A-Za-z0-9\-_.!~*'()]*\/[A-Za-z0-9\-_.!~*'()]*\/[A-Za-z0-9\-_.!~*'()]*\/[A-Za-z0-9\-_.!~*'()]*$/;

function encode(part: string): string {
  return SAFE.test(part) ? part : encodeURIComponent(part);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function issue(path: (string | number)[]): ValidationIssue {
  return { code: "invalid_type", path, message: "Expected a non-empty string" };
}

/** Where an idempotency key is unique: per tenant (optional), system and operation. */
export interface IdempotencyScope {
  /** The tenant, for multi-tenant deployments. */
  tenant?: string;
  /** The system the key comes from, e.g. `shopify`, `edi-acme`. */
  system: string;
  /** The operation it protects, e.g. `book-order`. */
  operation: string;
}

/**
 * Builds the stored key from a scope and the caller's key, so that the same id from two
 * systems (or two tenants, or two operations) never collides. Each part is
 * percent-encoded, so a `/` inside a part cannot forge another scope.
 *
 * @param scope - tenant, system and operation
 * @param key - the caller's key (an order id, a webhook id, an EDI control number)
 * @returns `tenant/system/operation/key`, with an empty tenant part when there is none
 * @throws ValidationError when the key, system or operation is empty or not a string
 * @example
 * ```ts
 * import { scopedIdempotencyKey } from "@distro/core";
 *
 * scopedIdempotencyKey({ tenant: "acme", system: "shopify", operation: "book-order" }, "1001");
 * // "acme/shopify/book-order/1001"
 * ```
 */
export function scopedIdempotencyKey(scope: IdempotencyScope, key: string): string {
  if (
    !nonEmpty(key) ||
    !nonEmpty(scope?.system) ||
    !nonEmpty(scope?.operation) ||
    (scope.tenant !== undefined && !nonEmpty(scope.tenant))
  ) {
    const issues: ValidationIssue[] = [];
    if (!nonEmpty(key)) issues.push(issue(["key"]));
    if (!nonEmpty(scope?.system)) issues.push(issue(["scope", "system"]));
    if (!nonEmpty(scope?.operation)) issues.push(issue(["scope", "operation"]));
    if (scope?.tenant !== undefined && !nonEmpty(scope.tenant)) issues.push(issue(["scope", "tenant"]));
    throw new ValidationError("Invalid idempotency key or scope", issues);
  }
  const tenant = scope.tenant ?? "";
  // Joined as they are, the parts need no encoding when the only slashes are the three
  // separators (no safe character is a slash): one string and one test for the common case.
  const joined = `${tenant}/${scope.system}/${scope.operation}/${key}`;
  if (SAFE_JOINED.test(joined)) return joined;
  return `${encode(tenant)}/${encode(scope.system)}/${encode(scope.operation)}/${encode(key)}`;
}
