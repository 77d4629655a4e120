import { AuthError, UpstreamError } from "@distro/core";

/** Where and how to get an OAuth2 token with the client credentials grant. */
export interface ClientCredentialsSettings {
  /** Token endpoint, e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`. */
  tokenUrl: string;
  /** The app registration's client id. */
  clientId: string;
  /** The client secret. */
  clientSecret: string;
  /** Scope (default `https://api.businesscentral.dynamics.com/.default`). */
  scope?: string;
}

/** A cached bearer token that refreshes 60 s before expiry; one refresh at a time. */
export interface TokenSource {
  headers(): Promise<Record<string, string>>;
  invalidate(): void;
}

export function clientCredentialsTokenSource(
  settings: ClientCredentialsSettings,
  fetchImpl: typeof fetch,
  clock: () => number,
): TokenSource {
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const refresh = async (): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
      scope: settings.scope ?? "https://api.businesscentral.dynamics.com/.default",
    });
    let response: Response;
    try {
      response = await fetchImpl(settings.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: body.toString(),
      });
    } catch (error) {
      throw new UpstreamError("Token endpoint unreachable", {
        status: 0,
        system: "business-central",
        cause: error,
      });
    }
    const text = await response.text();
    if (response.status === 400 || response.status === 401) {
      throw new AuthError(`Token endpoint refused the client credentials (${response.status})`, {
        details: { status: response.status, error: safeError(text) },
      });
    }
    if (!response.ok) {
      throw new UpstreamError(`Token endpoint answered ${response.status}`, {
        status: response.status,
        system: "business-central",
        bodyExcerpt: text.slice(0, 200),
      });
    }
    const parsed = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof parsed.access_token !== "string") {
      throw new AuthError("Token endpoint answered without access_token");
    }
    const lifetime =
      typeof parsed.expires_in === "number" ? parsed.expires_in : Number(parsed.expires_in ?? 3600);
    token = { value: parsed.access_token, expiresAt: clock() + lifetime * 1000 };
    return token.value;
  };
  return {
    async headers() {
      if (token === undefined || token.expiresAt - 60_000 <= clock()) {
        pending ??= refresh().finally(() => {
          pending = undefined;
        });
        await pending;
      }
      return { authorization: `Bearer ${(token as { value: string }).value}` };
    },
    invalidate() {
      token = undefined;
    },
  };
}

function safeError(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed.error === "string" ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}
