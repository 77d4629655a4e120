import {
  AuthError,
  isDistroError,
  isRetryableStatus,
  TimeoutError,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from "../errors/index";
import { abortError } from "../retry/abort";
import { parseRetryAfter, type RetryClock } from "../retry/index";
import { isRotatingSecret, readSecret, type SecretInput } from "../secrets/rotating-secret";
import { isSecret } from "../secrets/secret";
import type { AuthProvider } from "./auth";
import { injectOutgoingCorrelation } from "./outgoing-correlation";
import { bodyExcerpt, redactSecrets, redactUrl } from "./redact";
import { extractUpstreamCode } from "./upstream-code";

/** Settings of {@link oauth2ClientCredentials}. */
export interface OAuth2ClientCredentialsSettings {
  /** The token endpoint, e.g. `https://login.salesforce.com/services/oauth2/token`. */
  tokenUrl: string | URL;
  /** The client id. */
  clientId: string;
  /**
   * The client secret: a string, a `Secret`, or a {@link RotatingSecret} read at each
   * token request (and read again once when the token endpoint refuses the client, so a
   * rotated secret is picked up without a restart).
   */
  clientSecret: SecretInput;
  /** The scopes to ask for (space-separated when a string). */
  scope?: string | readonly string[];
  /** The audience (Auth0, Okta) or resource the token is for, when the server wants one. */
  audience?: string;
  /** Any other form fields the token endpoint needs (e.g. `resource` for Entra ID v1). */
  extraParameters?: Record<string, string>;
  /** Where the client credentials go: the request body (default) or HTTP Basic (`client_secret_basic`). */
  clientAuthentication?: "body" | "basic";
  /** Get a new token this long before the current one expires. Default 60 000 ms (at most half the token's lifetime). */
  refreshSkewMs?: number;
  /** Time budget of one token request. Default 10 000 ms. */
  timeoutMs?: number;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Where the time is read, to judge expiry; defaults to `Date.now`. */
  clock?: RetryClock;
}

/** An OAuth 2.0 client-credentials provider, which can also hand out its current token. */
export interface OAuth2ClientCredentialsProvider extends AuthProvider {
  /** The current access token, fetched or refreshed when needed (one request at a time). */
  accessToken(): Promise<string>;
  /** Forgets the cached token, so the next request fetches a new one. */
  invalidate(): void;
}

interface CachedToken {
  accessToken: string;
  /** When to stop using it (expiry minus skew), epoch ms; Infinity when the server gave no lifetime. */
  refreshAt: number;
}

/**
 * OAuth 2.0 client credentials grant (RFC 6749 section 4.4). The token is cached and
 * shared by every request; it is fetched again shortly before it expires
 * (`refreshSkewMs`), and once after the upstream answers 401, after which the refused
 * request is sent once more. However many requests need a token at the same moment,
 * only one token request is in flight. Failures of the token endpoint become
 * `AuthError`s (retryable when the endpoint's status is, e.g. 503) with the endpoint's
 * `error` code (`invalid_client`, ...) in `details.upstreamCode`. When the client
 * secret is a {@link RotatingSecret} and the token endpoint answers 401 or
 * `invalid_client`, the secret is read again from its provider and, if it changed, the
 * token request is sent once more with the new one.
 *
 * @param settings - token endpoint, client credentials, scope, audience, skew, fetch and clock
 * @returns an auth provider for `createHttpClient`, with `accessToken()` and `invalidate()`
 * @throws ValidationError when a setting is missing or malformed
 * @example
 * ```ts
 * import { createHttpClient, oauth2ClientCredentials } from "@distro/core";
 *
 * const auth = oauth2ClientCredentials({
 *   tokenUrl: "https://login.example.com/oauth2/token",
 *   clientId: process.env.CRM_CLIENT_ID!,
 *   clientSecret: process.env.CRM_CLIENT_SECRET!,
 *   scope: ["api", "refresh_token"],
 * });
 * const crm = createHttpClient({ baseUrl: "https://crm.example.com/services/data/v62.0", system: "crm", auth });
 * ```
 */
export function oauth2ClientCredentials(
  settings: OAuth2ClientCredentialsSettings,
): OAuth2ClientCredentialsProvider {
  const tokenUrl = checkSettings(settings);
  const safeTokenUrl = redactUrl(tokenUrl);
  const fetchImpl = settings.fetch ?? globalThis.fetch;
  const clock = settings.clock ?? { now: () => Date.now() };
  const skewMs = settings.refreshSkewMs ?? 60_000;
  const timeoutMs = settings.timeoutMs ?? 10_000;
  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken> | undefined;

  function fresh(token: CachedToken | undefined): token is CachedToken {
    return token !== undefined && clock.now() < token.refreshAt;
  }

  function current(): Promise<CachedToken> {
    if (fresh(cached)) return Promise.resolve(cached);
    if (pending === undefined) {
      pending = obtainToken().then(
        (token) => {
          cached = token;
          pending = undefined;
          return token;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
    }
    return pending;
  }

  async function obtainToken(): Promise<CachedToken> {
    try {
      return await requestToken();
    } catch (error) {
      const clientSecret = settings.clientSecret;
      if (!isRotatingSecret(clientSecret) || !refusedClient(error)) throw error;
      // The secret may have been rotated: read it again, and try once more only if it changed.
      if (!(await clientSecret.refresh())) throw error;
      return requestToken();
    }
  }

  async function requestToken(): Promise<CachedToken> {
    const clientSecret = (await readSecret(settings.clientSecret)).reveal();
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    const headers = new Headers({
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    });
    if (settings.clientAuthentication === "basic") {
      // RFC 6749 section 2.3.1: form-encode each part before Basic encoding.
      const user = formEncode(settings.clientId);
      const secret = formEncode(clientSecret);
      headers.set("authorization", `Basic ${Buffer.from(`${user}:${secret}`, "utf8").toString("base64")}`);
    } else {
      form.set("client_id", settings.clientId);
      form.set("client_secret", clientSecret);
    }
    const scope = typeof settings.scope === "string" ? settings.scope : settings.scope?.join(" ");
    if (scope) form.set("scope", scope);
    if (settings.audience) form.set("audience", settings.audience);
    for (const [name, value] of Object.entries(settings.extraParameters ?? {})) form.set(name, value);
    injectOutgoingCorrelation(headers);

    const requestedAt = clock.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let status = 0;
    let body = "";
    let retryAfter: string | null = null;
    try {
      const response = await fetchImpl(tokenUrl, {
        method: "POST",
        headers,
        body: form,
        signal: controller.signal,
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      body = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new AuthError(`Token endpoint ${safeTokenUrl} did not answer within ${timeoutMs} ms`, {
          retryable: true,
          cause: new TimeoutError(`Token request timed out after ${timeoutMs} ms`, { cause: error }),
          details: { tokenUrl: safeTokenUrl, timeoutMs },
        });
      }
      throw new AuthError(`Token endpoint ${safeTokenUrl} could not be reached`, {
        retryable: true,
        cause: isDistroError(error)
          ? error
          : new UpstreamError("Network error", { status: 0, system: "oauth2", cause: error }),
        details: { tokenUrl: safeTokenUrl },
      });
    } finally {
      clearTimeout(timer);
    }

    if (status < 200 || status > 299) {
      const upstreamCode = redactOptional(extractUpstreamCode(body));
      throw new AuthError(
        `Token endpoint ${safeTokenUrl} answered ${status}${upstreamCode ? ` (${upstreamCode})` : ""}`,
        {
          retryable: isRetryableStatus(status),
          cause: new UpstreamError(`Token endpoint answered ${status}`, {
            status,
            system: "oauth2",
            upstreamCode,
            bodyExcerpt: bodyExcerpt(body),
            retryAfterMs: parseRetryAfter(retryAfter, clock.now()),
          }),
          details: { tokenUrl: safeTokenUrl, status, upstreamCode },
        },
      );
    }
    return parseTokenResponse(body, requestedAt);
  }

  function parseTokenResponse(body: string, requestedAt: number): CachedToken {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new AuthError(`Token endpoint ${safeTokenUrl} answered with a body that is not JSON`, {
        cause: error,
        details: { tokenUrl: safeTokenUrl, bodyExcerpt: bodyExcerpt(body) },
      });
    }
    const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const accessToken = record.access_token;
    if (typeof accessToken !== "string" || accessToken.length === 0 || /[\r\n\0 ]/.test(accessToken)) {
      throw new AuthError(`Token endpoint ${safeTokenUrl} answered without a usable access_token`, {
        details: { tokenUrl: safeTokenUrl, bodyExcerpt: bodyExcerpt(body) },
      });
    }
    const tokenType = record.token_type;
    if (tokenType !== undefined && (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer")) {
      throw new AuthError(
        `Token endpoint ${safeTokenUrl} issued a ${String(tokenType)} token; only Bearer is supported`,
        {
          details: { tokenUrl: safeTokenUrl, tokenType: String(tokenType) },
        },
      );
    }
    // expires_in is a number by RFC 6749, but some servers send it as a string.
    const expiresIn = typeof record.expires_in === "string" ? Number(record.expires_in) : record.expires_in;
    if (typeof expiresIn !== "number" || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      // No lifetime given: use the token until the upstream refuses it (401).
      return { accessToken, refreshAt: Number.POSITIVE_INFINITY };
    }
    const lifetimeMs = expiresIn * 1000;
    return { accessToken, refreshAt: requestedAt + lifetimeMs - Math.min(skewMs, lifetimeMs / 2) };
  }

  return {
    async authorize(headers, { signal }) {
      // The token request is shared, so one caller's abort must not cancel it; the caller
      // just stops waiting for it.
      const token = await untilAborted(current(), signal);
      headers.set("authorization", `Bearer ${token.accessToken}`);
    },
    async refresh({ rejectedHeaders }) {
      // Drop the cached token only if it is the one that was refused; when another
      // request already refreshed it, just use the new one.
      if (cached !== undefined && rejectedHeaders.get("authorization") === `Bearer ${cached.accessToken}`) {
        cached = undefined;
      }
      await current();
      return true;
    },
    async accessToken() {
      return (await current()).accessToken;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

function refusedClient(error: unknown): boolean {
  if (!isDistroError(error) || error.code !== "AUTH_FAILED") return false;
  return error.details.status === 401 || error.details.upstreamCode === "invalid_client";
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function redactOptional(value: string | undefined): string | undefined {
  return value === undefined ? undefined : redactSecrets(value);
}

function checkSettings(settings: OAuth2ClientCredentialsSettings): URL {
  const issues: ValidationIssue[] = [];
  let tokenUrl: URL | undefined;
  try {
    tokenUrl = new URL(String(settings?.tokenUrl));
    if (tokenUrl.protocol !== "https:" && tokenUrl.protocol !== "http:") tokenUrl = undefined;
  } catch {
    tokenUrl = undefined;
  }
  if (tokenUrl === undefined) {
    issues.push({ code: "invalid_value", path: ["tokenUrl"], message: "Expected an absolute http(s) URL" });
  }
  const clientId: unknown = settings?.clientId;
  if (typeof clientId !== "string" || clientId.length === 0) {
    issues.push({ code: "invalid_value", path: ["clientId"], message: "Expected a non-empty string" });
  }
  const clientSecret: unknown = settings?.clientSecret;
  const fixedSecret = isSecret(clientSecret) ? clientSecret.reveal() : clientSecret;
  if (!isRotatingSecret(clientSecret) && (typeof fixedSecret !== "string" || fixedSecret.length === 0)) {
    issues.push({
      code: "invalid_value",
      path: ["clientSecret"],
      message: "Expected a non-empty string, a secret or a rotating secret",
    });
  }
  for (const field of ["refreshSkewMs", "timeoutMs"] as const) {
    const value: unknown = settings?.[field];
    if (
      value !== undefined &&
      (typeof value !== "number" ||
        !Number.isFinite(value) ||
        value < 0 ||
        (field === "timeoutMs" && (value === 0 || value > 2_147_483_647)))
    ) {
      issues.push({
        code: "invalid_value",
        path: [field],
        message: "Expected a finite number of milliseconds",
      });
    }
  }
  if (
    settings?.clientAuthentication !== undefined &&
    settings.clientAuthentication !== "body" &&
    settings.clientAuthentication !== "basic"
  ) {
    issues.push({
      code: "invalid_value",
      path: ["clientAuthentication"],
      message: 'Expected "body" or "basic"',
    });
  }
  if (issues.length > 0 || tokenUrl === undefined) {
    throw new ValidationError("OAuth2 client credentials settings are invalid", issues);
  }
  return tokenUrl;
}
