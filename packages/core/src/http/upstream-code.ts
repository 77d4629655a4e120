const MAX_CODE_LENGTH = 200;

/**
 * Finds an upstream system's own error code in an error response body, from the shapes
 * the common platforms use:
 *
 * - OData v4 (Dynamics 365 Business Central, SAP): `{"error":{"code":"BadRequest_NotFound"}}`
 * - Salesforce REST: `[{"errorCode":"INVALID_SESSION_ID","message":"..."}]`
 * - Shopify: REST `{"errors":"Not Found"}` / `{"errors":{"title":["can't be blank"]}}`,
 *   GraphQL `{"errors":[{"extensions":{"code":"THROTTLED"}}]}`
 * - HubSpot: `{"category":"VALIDATION_ERROR","subCategory":"..."}` (as `category/subCategory`)
 * - OAuth 2.0 (RFC 6749): `{"error":"invalid_grant"}`
 * - and plain `{"errorCode"}`, `{"error_code"}`, `{"code"}` fields.
 *
 * @param body - the response body as text (JSON is parsed) or an already parsed value
 * @returns the code (at most 200 characters), or `undefined` when none is recognised
 * @example
 * ```ts
 * import { extractUpstreamCode } from "@distro/core";
 *
 * extractUpstreamCode('[{"errorCode":"INVALID_SESSION_ID","message":"Session expired"}]'); // "INVALID_SESSION_ID"
 * extractUpstreamCode('{"error":{"code":"Request_EntityChanged","message":"..."}}'); // "Request_EntityChanged"
 * ```
 */
export function extractUpstreamCode(body: unknown): string | undefined {
  let value = body;
  if (typeof body === "string") {
    const text = body.trim();
    if (!text.startsWith("{") && !text.startsWith("[")) return undefined;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  const code = codeOf(value);
  return code === undefined ? undefined : code.slice(0, MAX_CODE_LENGTH);
}

function codeOf(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    return isRecord(first) ? (text(first.errorCode) ?? text(first.code) ?? codeOf(first)) : undefined;
  }
  if (!isRecord(value)) return undefined;
  const { error, errors } = value;
  if (isRecord(error)) {
    // OData v4 / Microsoft: error.code; Google-style APIs: a numeric code and a string status.
    return text(error.code) ?? text(error.status) ?? text(error.errorCode);
  }
  if (text(error)) return text(error);
  if (errors !== undefined) {
    const fromErrors = codeOfErrors(errors);
    if (fromErrors) return fromErrors;
  }
  const category = text(value.category);
  if (category) {
    const subCategory = text(value.subCategory);
    return subCategory ? `${category}/${subCategory}` : category;
  }
  return text(value.errorCode) ?? text(value.error_code) ?? text(value.code);
}

/** Shopify's `errors`: a message, a list of messages or GraphQL errors, or messages per field. */
function codeOfErrors(errors: unknown): string | undefined {
  if (text(errors)) return text(errors);
  if (Array.isArray(errors)) {
    const first: unknown = errors[0];
    if (text(first)) return text(first);
    if (!isRecord(first)) return undefined;
    const extensions = isRecord(first.extensions) ? first.extensions : {};
    return text(extensions.code) ?? text(first.code) ?? text(first.errorCode) ?? text(first.message);
  }
  if (isRecord(errors)) {
    const [field, messages] = Object.entries(errors)[0] ?? [];
    if (field === undefined) return undefined;
    const message = Array.isArray(messages) ? text(messages[0]) : text(messages);
    return message ? `${field}: ${message}` : field;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim().length > 0) return value.trim();
  return undefined;
}
