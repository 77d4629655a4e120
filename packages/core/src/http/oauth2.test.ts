import { afterEach, describe, expect, it } from "vitest";
import { AuthError, type UpstreamError, ValidationError } from "../errors/index";
import { retryPolicy } from "../retry/index";
import { cacheSecrets } from "../secrets/cached-secret-provider";
import { createEnvSecretProvider } from "../secrets/env-secret-provider";
import { rotatingSecret } from "../secrets/rotating-secret";
import { createHttpClient } from "./http-client";
import { type OAuth2ClientCredentialsSettings, oauth2ClientCredentials } from "./oauth2";
import {
  caught,
  fakeTime,
  type LoopbackServer,
  type RecordedRequest,
  sendJson,
  startLoopbackServer,
} from "./test-server.test-helper";

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Upstream {
  server: LoopbackServer;
  tokenRequests: () => RecordedRequest[];
  apiRequests: () => RecordedRequest[];
}

/**
 * One loopback server playing both the token endpoint (`POST /oauth/token`, issuing
 * `token-1`, `token-2`, ...) and an API (`/api/...`) that accepts the tokens `accepts` allows.
 */
async function upstream(options: {
  expiresIn?: number | string;
  accepts?: (token: string, request: RecordedRequest) => boolean;
  token?: (
    request: RecordedRequest,
    issued: number,
  ) => { status: number; body: unknown; raw?: string } | undefined;
  tokenDelayMs?: number;
}): Promise<Upstream> {
  let issued = 0;
  const server = await startLoopbackServer(async (request, response) => {
    if (request.url === "/oauth/token") {
      if (options.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs));
      const custom = options.token?.(request, issued);
      if (custom?.raw !== undefined) {
        response.writeHead(custom.status, { "content-type": "application/json" });
        response.end(custom.raw);
        return;
      }
      if (custom) {
        sendJson(response, custom.status, custom.body);
        return;
      }
      issued++;
      sendJson(response, 200, {
        access_token: `token-${issued}`,
        token_type: "Bearer",
        ...(options.expiresIn === undefined ? {} : { expires_in: options.expiresIn }),
      });
      return;
    }
    const token = String(request.headers.authorization ?? "").replace(/^Bearer /, "");
    if (options.accepts && !options.accepts(token, request)) {
      sendJson(response, 401, [{ errorCode: "INVALID_SESSION_ID", message: "Session expired or invalid" }]);
      return;
    }
    sendJson(response, 200, { token });
  });
  servers.push(server);
  return {
    server,
    tokenRequests: () => server.requests.filter((request) => request.url === "/oauth/token"),
    apiRequests: () => server.requests.filter((request) => request.url !== "/oauth/token"),
  };
}

function setup(up: Upstream, extra: Partial<OAuth2ClientCredentialsSettings> = {}) {
  const time = fakeTime();
  const auth = oauth2ClientCredentials({
    tokenUrl: `${up.server.origin}/oauth/token`,
    clientId: "distro-client",
    clientSecret: "s3cret/+&=",
    clock: time.clock,
    ...extra,
  });
  const http = createHttpClient({
    baseUrl: `${up.server.origin}/api`,
    system: "crm",
    auth,
    clock: time.clock,
    sleep: time.sleep,
    retry: retryPolicy({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10 }),
  });
  return { http, auth, time };
}

describe("oauth2ClientCredentials", () => {
  it("asks for a token with the client credentials grant and caches it", async () => {
    const up = await upstream({ expiresIn: 3600 });
    const { http } = setup(up, { scope: ["api", "refresh_token"], audience: "https://crm.example.com" });
    await http.get("accounts");
    await http.get("accounts");
    expect(up.tokenRequests()).toHaveLength(1);
    const [tokenRequest] = up.tokenRequests();
    expect(tokenRequest?.method).toBe("POST");
    expect(tokenRequest?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(tokenRequest?.body))).toEqual({
      grant_type: "client_credentials",
      client_id: "distro-client",
      client_secret: "s3cret/+&=",
      scope: "api refresh_token",
      audience: "https://crm.example.com",
    });
    expect(up.apiRequests().map((request) => request.headers.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-1",
    ]);
  });

  it("sends the client credentials as HTTP Basic when asked (client_secret_basic)", async () => {
    const up = await upstream({ expiresIn: 3600 });
    const { auth } = setup(up, { clientAuthentication: "basic" });
    await expect(auth.accessToken()).resolves.toBe("token-1");
    const [tokenRequest] = up.tokenRequests();
    const expected = Buffer.from("distro-client:s3cret%2F%2B%26%3D").toString("base64");
    expect(tokenRequest?.headers.authorization).toBe(`Basic ${expected}`);
    expect(new URLSearchParams(tokenRequest?.body).has("client_secret")).toBe(false);
  });

  it("refreshes before expiry, by the skew", async () => {
    const up = await upstream({ expiresIn: 120 });
    const { http, time } = setup(up, { refreshSkewMs: 30_000 });
    await http.get("a");
    time.advance(89_000);
    await http.get("a");
    expect(up.tokenRequests()).toHaveLength(1);
    time.advance(2_000); // 91 s: inside the last 30 s of the 120 s lifetime
    await http.get("a");
    expect(up.tokenRequests()).toHaveLength(2);
    expect(up.apiRequests().at(-1)?.headers.authorization).toBe("Bearer token-2");
  });

  it("takes a string expires_in, and keeps a token with no lifetime until a 401", async () => {
    const stringLifetime = await upstream({ expiresIn: "60" });
    const first = setup(stringLifetime, { refreshSkewMs: 0 });
    await first.auth.accessToken();
    first.time.advance(61_000);
    await first.auth.accessToken();
    expect(stringLifetime.tokenRequests()).toHaveLength(2);

    const noLifetime = await upstream({});
    const second = setup(noLifetime);
    await second.auth.accessToken();
    second.time.advance(365 * 86_400_000);
    await second.auth.accessToken();
    expect(noLifetime.tokenRequests()).toHaveLength(1);
  });

  it("on a 401, refreshes once and repeats the request with the new token", async () => {
    const up = await upstream({ expiresIn: 3600, accepts: (token) => token !== "token-1" });
    const { http } = setup(up);
    const response = await http.post("sobjects/Account", { json: { Name: "Acme" } });
    await expect(response.json()).resolves.toEqual({ token: "token-2" });
    expect(response.attempts).toBe(2);
    expect(up.tokenRequests()).toHaveLength(2);
    expect(up.apiRequests().map((request) => request.headers.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
  });

  it("gives AuthError when the refreshed token is refused too, after exactly one refresh", async () => {
    const up = await upstream({ expiresIn: 3600, accepts: () => false });
    const { http } = setup(up);
    const error = await caught(http.get("accounts"));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).details.upstreamCode).toBe("INVALID_SESSION_ID");
    expect(up.tokenRequests()).toHaveLength(2);
    expect(up.apiRequests()).toHaveLength(2);
  });

  it("runs one token request for many concurrent requests while the token expires", async () => {
    const up = await upstream({ expiresIn: 300, tokenDelayMs: 30 });
    const { http, time } = setup(up, { refreshSkewMs: 60_000 });
    await http.get("warm-up");
    expect(up.tokenRequests()).toHaveLength(1);
    time.advance(300_000);
    const responses = await Promise.all(Array.from({ length: 25 }, (_, index) => http.get(`items/${index}`)));
    expect(up.tokenRequests()).toHaveLength(2);
    for (const response of responses) await expect(response.json()).resolves.toEqual({ token: "token-2" });
  });

  it("runs one refresh when many concurrent requests get a 401 for the same token", async () => {
    const up = await upstream({ expiresIn: 3600, tokenDelayMs: 20, accepts: (token) => token !== "token-1" });
    const { http, auth } = setup(up);
    await auth.accessToken();
    const responses = await Promise.all(Array.from({ length: 20 }, () => http.get("accounts")));
    expect(up.tokenRequests()).toHaveLength(2);
    expect(responses.every((response) => response.attempts === 2)).toBe(true);
  });

  it("maps a refused token request to a non-retryable AuthError with the OAuth error code", async () => {
    const up = await upstream({
      token: () => ({
        status: 401,
        body: { error: "invalid_client", error_description: "Client authentication failed" },
      }),
    });
    const { http } = setup(up);
    const error = await caught(http.get("accounts"));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).retryable).toBe(false);
    expect((error as AuthError).details).toMatchObject({ status: 401, upstreamCode: "invalid_client" });
    expect(((error as AuthError).cause as UpstreamError).bodyExcerpt).toContain(
      "Client authentication failed",
    );
    expect(up.tokenRequests()).toHaveLength(1);
    expect(up.apiRequests()).toHaveLength(0);
  });

  it("retries the request when the token endpoint is briefly unavailable", async () => {
    const up = await upstream({
      expiresIn: 3600,
      token: (request) =>
        request.index === 0 ? { status: 503, body: { error: "temporarily_unavailable" } } : undefined,
    });
    const { http } = setup(up);
    const response = await http.get("accounts");
    await expect(response.json()).resolves.toEqual({ token: "token-1" });
    expect(up.tokenRequests()).toHaveLength(2);
  });

  it("honours the token endpoint's Retry-After when it is rate limited", async () => {
    const up = await upstream({ expiresIn: 3600 });
    let first = true;
    const limited = await startLoopbackServer((_request, response) => {
      if (first) {
        first = false;
        sendJson(response, 429, { error: "slow_down" }, { "retry-after": "9" });
      } else
        sendJson(response, 200, { access_token: "from-limited", token_type: "Bearer", expires_in: 3600 });
    });
    servers.push(limited);
    const { http, time } = setup(up, { tokenUrl: `${limited.origin}/token` });
    await http.get("accounts");
    expect(time.sleeps).toEqual([9_000]);
    expect(up.apiRequests()[0]?.headers.authorization).toBe("Bearer from-limited");
  });

  it("refuses token responses that are not JSON, lack a token or are not Bearer", async () => {
    const cases = [
      { status: 200, body: null, raw: "<html>login</html>" },
      { status: 200, body: { token_type: "Bearer", expires_in: 3600 } },
      { status: 200, body: { access_token: "abc", token_type: "mac" } },
    ];
    for (const response of cases) {
      const up = await upstream({ token: () => response });
      const error = await caught(setup(up).auth.accessToken());
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).retryable).toBe(false);
    }
  });

  it("maps an unreachable or silent token endpoint to a retryable AuthError", async () => {
    const silent = await startLoopbackServer(() => {
      // Never answer.
    });
    servers.push(silent);
    const timedOut = await caught(
      oauth2ClientCredentials({
        tokenUrl: `${silent.origin}/oauth/token`,
        clientId: "a",
        clientSecret: "b",
        timeoutMs: 50,
      }).accessToken(),
    );
    expect(timedOut).toBeInstanceOf(AuthError);
    expect((timedOut as AuthError).retryable).toBe(true);

    const closed = await startLoopbackServer(() => undefined);
    await closed.close();
    const refused = await caught(
      oauth2ClientCredentials({
        tokenUrl: `${closed.origin}/oauth/token`,
        clientId: "a",
        clientSecret: "b",
      }).accessToken(),
    );
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as AuthError).retryable).toBe(true);
  });

  it("after a failure, the next request tries the token endpoint again", async () => {
    const up = await upstream({
      expiresIn: 3600,
      token: (request) =>
        request.index === 0 ? { status: 400, body: { error: "invalid_request" } } : undefined,
    });
    const { auth } = setup(up);
    expect(await caught(auth.accessToken())).toBeInstanceOf(AuthError);
    await expect(auth.accessToken()).resolves.toBe("token-1");
    auth.invalidate();
    await expect(auth.accessToken()).resolves.toBe("token-2");
  });

  it("lets a caller stop waiting for a slow token endpoint without cancelling it for the others", async () => {
    const up = await upstream({ expiresIn: 3600, tokenDelayMs: 300 });
    const { http } = setup(up);
    const controller = new AbortController();
    const patient = http.get("accounts");
    const impatient = http.get("accounts", { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await caught(impatient);
    expect((error as { code?: string }).code).toBe("ABORTED");
    await expect((await patient).json()).resolves.toEqual({ token: "token-1" });
    expect(up.tokenRequests()).toHaveLength(1);
    expect(up.apiRequests()).toHaveLength(1);
  });

  it("refuses malformed settings, naming each one", () => {
    try {
      oauth2ClientCredentials({ tokenUrl: "not a url", clientId: "", clientSecret: "", refreshSkewMs: -5 });
      throw new Error("expected a throw");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
        ["tokenUrl"],
        ["clientId"],
        ["clientSecret"],
        ["refreshSkewMs"],
      ]);
    }
  });
});

describe("oauth2ClientCredentials with a rotating client secret", () => {
  it("reads the rotated secret once after the token endpoint refuses the client, then gets a token", async () => {
    const env: Record<string, string | undefined> = { CRM_CLIENT_SECRET: "secret-october" };
    const accepted = { secret: "secret-october" };
    const up = await upstream({
      expiresIn: 1,
      token: (request) =>
        new URLSearchParams(request.body).get("client_secret") === accepted.secret
          ? undefined
          : {
              status: 401,
              body: { error: "invalid_client", error_description: "Client authentication failed" },
            },
    });
    const secrets = cacheSecrets(createEnvSecretProvider({ env }), { ttlMs: 3_600_000 });
    const { http, time } = setup(up, { clientSecret: rotatingSecret(secrets, "CRM_CLIENT_SECRET") });
    await http.get("accounts");

    env.CRM_CLIENT_SECRET = "secret-november";
    accepted.secret = "secret-november";
    time.advance(2_000); // the token expired: the next call asks for a new one
    await http.get("accounts");
    expect(
      up.tokenRequests().map((request) => new URLSearchParams(request.body).get("client_secret")),
    ).toEqual(["secret-october", "secret-october", "secret-november"]);
    expect(up.apiRequests().map((request) => request.headers.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
  });

  it("fails with the endpoint's AuthError when the secret did not change, without the secret in it", async () => {
    const up = await upstream({
      token: () => ({ status: 401, body: { error: "invalid_client" } }),
    });
    const env = { CRM_CLIENT_SECRET: "secret-that-is-wrong" };
    const { auth } = setup(up, {
      clientSecret: rotatingSecret(createEnvSecretProvider({ env }), "CRM_CLIENT_SECRET"),
    });
    const error = await caught(auth.accessToken());
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).details.upstreamCode).toBe("invalid_client");
    expect(up.tokenRequests()).toHaveLength(1);
    expect(JSON.stringify((error as AuthError).toJSON())).not.toContain("secret-that-is-wrong");
  });
});
