import { ValidationError } from "../errors/index";
import { isRotatingSecret, type RotatingSecret, type SecretInput } from "../secrets/rotating-secret";
import { isSecret } from "../secrets/secret";

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
 * A token sent as `Authorization: Bearer <token>` (or another scheme). Given a
 * {@link RotatingSecret}, the token is read through its provider at each request, and
 * after a 401 the provider is read once more: a rotated token is sent again at once, an
 * unchanged one lets the 401 become an `AuthError`.
 *
 * @param token - the token: a string, a `Secret`, or a rotating secret
 * @param scheme - the authorization scheme, `Bearer` by default
 * @returns an auth provider
 * @throws ValidationError when the token is empty or not a valid header value (for a
 *   rotating secret, when a request is authorized)
 * @example
 * ```ts
 * import { createEnvSecretProvider, createHttpClient, rotatingSecret, staticToken } from "@distro/core";
 *
 * const wms = createHttpClient({
 *   baseUrl: "https://wms.example.com/api",
 *   system: "wms",
 *   auth: staticToken(rotatingSecret(createEnvSecretProvider(), "WMS_TOKEN")),
 * });
 * ```
 */
export function staticToken(token: SecretInput, scheme = "Bearer"): AuthProvider {
  assertHeaderValue(scheme, "scheme");
  return credentialHeader("authorization", token, "token", (value) => `${scheme} ${value}`);
}

/**
 * An API key in a header of its own, e.g. `X-Shopify-Access-Token` or `X-Api-Key`.
 * Given a {@link RotatingSecret}, the key is read at each request and read again once
 * after a 401 (see {@link staticToken}).
 *
 * @param name - the header name
 * @param value - the key: a string, a `Secret`, or a rotating secret
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
export function apiKeyHeader(name: string, value: SecretInput): AuthProvider {
  if (typeof name !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw new ValidationError("API key header name is not a valid HTTP header name", [
      {
        code: "invalid_value",
        path: ["name"],
        message: "Expected an HTTP header name (token characters only)",
      },
    ]);
  }
  return credentialHeader(name, value, "value", (key) => key);
}

/**
 * HTTP Basic authentication (RFC 7617): `Authorization: Basic base64(user:password)`,
 * UTF-8 encoded. Given a {@link RotatingSecret} as the password, it is read at each
 * request and read again once after a 401 (see {@link staticToken}).
 *
 * @param user - the user id (must not contain a colon)
 * @param password - the password: a string, a `Secret`, or a rotating secret
 * @returns an auth provider
 * @throws ValidationError when the user id contains a colon or either part is not a string
 * @example
 * ```ts
 * import { basicAuth, createHttpClient } from "@distro/core";
 *
 * const erp = createHttpClient({ baseUrl: "https://erp.example.com/odata", system: "erp", auth: basicAuth("svc-distro", process.env.ERP_PASSWORD!) });
 * ```
 */
export function basicAuth(user: string, password: SecretInput): AuthProvider {
  const issues = [];
  if (typeof user !== "string" || user.includes(":") || user.length === 0) {
    issues.push({
      code: "invalid_value",
      path: ["user"],
      message: "Expected a non-empty user id without a colon",
    });
  }
  if (typeof password !== "string" && !isSecret(password) && !isRotatingSecret(password)) {
    issues.push({ code: "invalid_type", path: ["password"], message: "Expected a string or a secret" });
  }
  if (issues.length > 0) throw new ValidationError("Basic auth credentials are invalid", issues);
  return credentialHeader(
    "authorization",
    password,
    "password",
    (value) => `Basic ${Buffer.from(`${user}:${value}`, "utf8").toString("base64")}`,
    false,
  );
}

/**
 * An auth provider that sets one header from a secret. A fixed secret is checked once
 * and set as is; a rotating one is read at each request, and after a 401 read again from
 * its source: the request is repeated only when the header it would now carry differs
 * from the refused one.
 */
function credentialHeader(
  header: string,
  input: SecretInput,
  path: string,
  format: (value: string) => string,
  checkValue = true,
): AuthProvider {
  if (!isRotatingSecret(input)) {
    const clear = isSecret(input) ? input.reveal() : input;
    if (checkValue) assertHeaderValue(clear, path);
    const value = format(clear);
    return {
      authorize(headers) {
        headers.set(header, value);
      },
    };
  }
  const source: RotatingSecret = input;
  const current = async () => {
    const clear = (await source.current()).reveal();
    if (checkValue) assertHeaderValue(clear, path, source.name);
    return format(clear);
  };
  return {
    async authorize(headers) {
      headers.set(header, await current());
    },
    async refresh({ rejectedHeaders }) {
      const rejected = rejectedHeaders.get(header);
      // Another request may already have picked up the rotated value.
      if ((await current()) !== rejected) return true;
      await source.refresh();
      return (await current()) !== rejected;
    },
  };
}

function assertHeaderValue(value: unknown, path: string, secretName?: string): void {
  if (typeof value !== "string" || value.length === 0 || /[\r\n\0]/.test(value) || value !== value.trim()) {
    const from = secretName === undefined ? "" : ` (secret ${JSON.stringify(secretName)})`;
    throw new ValidationError(`Auth ${path}${from} is not a usable header value`, [
      {
        code: "invalid_value",
        path: [path],
        message: "Expected a non-empty string without line breaks or surrounding spaces",
      },
    ]);
  }
}
