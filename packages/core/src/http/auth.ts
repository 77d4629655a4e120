import { ValidationError } from "../errors/index";

/** What an {@link AuthProvider} knows about the request it signs. */
export interface AuthRequestContext {
  /** The request's method, upper case. */
  method: string;
  /** The full request URL. */
  url: URL;
  /** The caller's abort signal. */
  signal: AbortSignal | undefined;
}

/** What an {@link AuthProvider} is told after the upstream answered 401. */
export interface AuthRefreshContext extends AuthRequestContext {
  /** The headers of the request that was refused, with the credentials it carried. */
  rejectedHeaders: Headers;
}

/**
 * Puts credentials on outgoing requests. The HTTP client calls `authorize` before every
 * attempt and, after a 401, `refresh` once; when `refresh` resolves `true` the request is
 * sent once more with fresh credentials, otherwise the 401 becomes an `AuthError`.
 */
export interface AuthProvider {
  /** Adds the credentials to the headers (in place). */
  authorize(headers: Headers, context: AuthRequestContext): void | Promise<void>;
  /** Gets new credentials after a 401; resolves whether the request is worth repeating. */
  refresh?(context: AuthRefreshContext): Promise<boolean>;
}

/**
 * A fixed token sent as `Authorization: Bearer <token>` (or another scheme).
 *
 * @param token - the token
 * @param scheme - the authorization scheme, `Bearer` by default
 * @returns an auth provider
 * @throws ValidationError when the token is empty or not a valid header value
 * @example
 * ```ts
 * import { createHttpClient, staticToken } from "@distro/core";
 *
 * const wms = createHttpClient({ baseUrl: "https://wms.example.com/api", system: "wms", auth: staticToken(process.env.WMS_TOKEN!) });
 * ```
 */
export function staticToken(token: string, scheme = "Bearer"): AuthProvider {
  assertHeaderValue(token, "token");
  assertHeaderValue(scheme, "scheme");
  const value = `${scheme} ${token}`;
  return {
    authorize(headers) {
      headers.set("authorization", value);
    },
  };
}

/**
 * An API key in a header of its own, e.g. `X-Shopify-Access-Token` or `X-Api-Key`.
 *
 * @param name - the header name
 * @param value - the key
 * @returns an auth provider
 * @throws ValidationError when the name is not a header name or the value is empty
 * @example
 * ```ts
 * import { apiKeyHeader, createHttpClient } from "@distro/core";
 *
 * const shop = createHttpClient({
 *   baseUrl: "https://example.myshopify.com/admin/api/2025-01",
 *   system: "shopify",
 *   auth: apiKeyHeader("X-Shopify-Access-Token", process.env.SHOPIFY_TOKEN!),
 * });
 * ```
 */
export function apiKeyHeader(name: string, value: string): AuthProvider {
  if (typeof name !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new ValidationError("API key header name is not a valid HTTP header name", [
      {
        code: "invalid_value",
        path: ["name"],
        message: "Expected an HTTP header name (token characters only)",
      },
    ]);
  }
  assertHeaderValue(value, "value");
  return {
    authorize(headers) {
      headers.set(name, value);
    },
  };
}

/**
 * HTTP Basic authentication (RFC 7617): `Authorization: Basic base64(user:password)`,
 * UTF-8 encoded.
 *
 * @param user - the user id (must not contain a colon)
 * @param password - the password
 * @returns an auth provider
 * @throws ValidationError when the user id contains a colon or either part is not a string
 * @example
 * ```ts
 * import { basicAuth, createHttpClient } from "@distro/core";
 *
 * const erp = createHttpClient({ baseUrl: "https://erp.example.com/odata", system: "erp", auth: basicAuth("svc-distro", process.env.ERP_PASSWORD!) });
 * ```
 */
export function basicAuth(user: string, password: string): AuthProvider {
  const issues = [];
  if (typeof user !== "string" || user.includes(":") || user.length === 0) {
    issues.push({
      code: "invalid_value",
      path: ["user"],
      message: "Expected a non-empty user id without a colon",
    });
  }
  if (typeof password !== "string") {
    issues.push({ code: "invalid_type", path: ["password"], message: "Expected a string" });
  }
  if (issues.length > 0) throw new ValidationError("Basic auth credentials are invalid", issues);
  const value = `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
  return {
    authorize(headers) {
      headers.set("authorization", value);
    },
  };
}

function assertHeaderValue(value: unknown, path: string): void {
  if (typeof value !== "string" || value.length === 0 || /[\r\n\0]/.test(value) || value !== value.trim()) {
    throw new ValidationError(`Auth ${path} is not a usable header value`, [
      {
        code: "invalid_value",
        path: [path],
        message: "Expected a non-empty string without line breaks or surrounding spaces",
      },
    ]);
  }
}
