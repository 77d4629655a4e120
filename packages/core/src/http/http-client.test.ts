import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseTraceparent, withCorrelation } from "../correlation/index";
import {
  AuthError,
  isDistroError,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from "../errors/index";
import { type RetryPolicy, retryPolicy } from "../retry/index";
import { apiKeyHeader, basicAuth, staticToken } from "./auth";
import {
  createHttpClient,
  type HttpClientSettings,
  type HttpRequestEvent,
  type HttpResponseEvent,
} from "./http-client";
import { caught, fakeTime, type LoopbackServer, loopbackServers, sendJson } from "./test-server.test-helper";

const serve = loopbackServers();

const quick: RetryPolicy = retryPolicy({
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  jitter: "none",
});

function client(server: LoopbackServer, extra: Partial<HttpClientSettings> = {}) {
  const time = fakeTime();
  const http = createHttpClient({
    baseUrl: `${server.origin}/api/v2`,
    system: "erp",
    retry: quick,
    clock: time.clock,
    sleep: time.sleep,
    ...extra,
  });
  return { http, time };
}

describe("createHttpClient: requests and responses", () => {
  it("resolves paths under the base path, adds query parameters and reads JSON", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, { number: "SO-1001" }));
    const { http } = client(server, { headers: { "x-client": "distro" } });
    const response = await http.get("/sales-orders", {
      query: {
        $filter: "status eq 'open'",
        top: 10,
        expand: ["lines", "customer"],
        skip: undefined,
        none: null,
      },
    });
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.attempts).toBe(1);
    await expect(response.json()).resolves.toEqual({ number: "SO-1001" });
    await expect(response.text()).resolves.toBe('{"number":"SO-1001"}');
    const [seen] = server.requests;
    expect(seen?.url).toBe(
      "/api/v2/sales-orders?%24filter=status+eq+%27open%27&top=10&expand=lines&expand=customer",
    );
    expect(seen?.headers["x-client"]).toBe("distro");
  });

  it("sends JSON bodies and checks a JSON response against a schema", async () => {
    const server = await serve((request, response) =>
      sendJson(response, 201, { echo: JSON.parse(request.body) }),
    );
    const { http } = client(server);
    const schema = z.object({ echo: z.object({ sku: z.string(), quantity: z.string() }) });
    const result = await http.requestJson(
      { method: "post", path: "orders", json: { sku: "BOLT-M8", quantity: "300" } },
      schema,
    );
    expect(result.echo.quantity).toBe("300");
    expect(server.requests[0]?.headers["content-type"]).toBe("application/json");
    expect(server.requests[0]?.headers.accept).toBe("application/json");

    const error = await caught(
      http.requestJson(
        { method: "POST", path: "orders", json: { sku: 5 } },
        z.object({ echo: z.object({ sku: z.string() }) }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["body", "echo", "sku"]);
  });

  it("follows an absolute next link on the same origin", async () => {
    const server = await serve((request, response) =>
      sendJson(response, 200, request.url.includes("skiptoken") ? { value: [2] } : { value: [1] }),
    );
    const { http } = client(server);
    const page = await http.requestJson<{ value: number[] }>({
      path: `${server.origin}/api/v2/items?$skiptoken=2`,
    });
    expect(page.value).toEqual([2]);
  });

  it("gives a typed error for a 200 whose body is not JSON", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"value": [1, 2,');
    });
    const { http } = client(server);
    const response = await http.get("items");
    const error = await caught(response.json());
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).details.reason).toBe("invalid_json");
    expect((error as UpstreamError).retryable).toBe(false);
    expect((error as UpstreamError).bodyExcerpt).toBe('{"value": [1, 2,');
    expect(await caught(http.requestJson({ path: "items" }))).toBeInstanceOf(UpstreamError);
  });
});

describe("createHttpClient: response size", () => {
  it("refuses a success body larger than maxResponseBytes and only reads the start of an error body", async () => {
    const big = "x".repeat(200_000);
    const server = await serve((request, response) => {
      response.writeHead(request.url.endsWith("fail") ? 500 : 200, { "content-type": "text/plain" });
      response.end(big);
    });
    const { http } = client(server, { retry: false, maxResponseBytes: 100_000 });
    const tooLarge = (await caught(http.get("export"))) as UpstreamError;
    expect(tooLarge).toBeInstanceOf(UpstreamError);
    expect(tooLarge.details).toMatchObject({ reason: "response_too_large", maxResponseBytes: 100_000 });
    expect(tooLarge.retryable).toBe(false);
    await expect((await http.get("export", { maxResponseBytes: 300_000 })).text()).resolves.toHaveLength(
      200_000,
    );
    const failed = (await caught(http.get("fail"))) as UpstreamError;
    expect(failed.status).toBe(500);
    expect(failed.bodyExcerpt).toHaveLength(2048);
  });
});

describe("createHttpClient: correlation", () => {
  it("sends the correlation headers and a child traceparent on every attempt", async () => {
    const server = await serve((request, response) =>
      request.index === 0 ? sendJson(response, 503, {}) : sendJson(response, 200, {}),
    );
    const { http } = client(server);
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await withCorrelation({ correlationId: "order-1001", causationId: "evt-9", traceparent: parent }, () =>
      http.get("orders/1001"),
    );
    expect(server.requests).toHaveLength(2);
    const spans = server.requests.map((request) => {
      expect(request.headers["x-correlation-id"]).toBe("order-1001");
      expect(request.headers["x-causation-id"]).toBe("evt-9");
      const traceparent = parseTraceparent(String(request.headers.traceparent));
      expect(traceparent?.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
      expect(traceparent?.parentId).not.toBe("00f067aa0ba902b7");
      return traceparent?.parentId;
    });
    expect(new Set(spans).size).toBe(2);
  });

  it("starts a new trace when there is no correlation context", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const { http } = client(server);
    await http.get("ping");
    expect(parseTraceparent(String(server.requests[0]?.headers.traceparent))).toBeDefined();
    expect(server.requests[0]?.headers["x-correlation-id"]).toBeUndefined();
  });
});

describe("createHttpClient: timeouts and aborts", () => {
  it("ends a request that gets no answer with a retryable TimeoutError, and retries it", async () => {
    const server = await serve(() => {
      // Never answer.
    });
    const responses: HttpResponseEvent[] = [];
    const { http, time } = client(server, {
      timeoutMs: 100,
      retry: retryPolicy({ maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 }),
      hooks: { onResponse: (event) => responses.push(event) },
    });
    const error = await caught(http.get("slow"));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).retryable).toBe(true);
    expect((error as TimeoutError).details).toMatchObject({ system: "erp", method: "GET", timeoutMs: 100 });
    expect(responses.map(({ attempt, status, error }) => [attempt, status, error?.code])).toEqual([
      [1, 0, "TIMEOUT"],
      [2, 0, "TIMEOUT"],
    ]);
    expect(time.sleeps).toHaveLength(1);
  });

  it("counts a body that stalls after the headers against the timeout", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"value": [');
    });
    const { http } = client(server, { retry: false });
    expect(await caught(http.get("stall", { timeoutMs: 50 }))).toBeInstanceOf(TimeoutError);
  });

  it("stops at once when the caller aborts, without retrying", async () => {
    const controller = new AbortController();
    // The server never answers; the caller gives up once the request has arrived.
    const server = await serve(() => controller.abort(new Error("user navigated away")));
    const { http } = client(server, { timeoutMs: 10_000 });
    const error = await caught(http.get("slow", { signal: controller.signal }));
    expect(isDistroError(error) && error.code).toBe("ABORTED");
    expect((error as Error).cause).toEqual(new Error("user navigated away"));
    expect(server.requests).toHaveLength(1);
  });
});

describe("createHttpClient: retries", () => {
  it("retries 503 then succeeds", async () => {
    const server = await serve((request, response) =>
      request.index === 0
        ? sendJson(response, 503, { error: { code: "ServiceUnavailable" } })
        : sendJson(response, 200, { ok: true }),
    );
    const { http, time } = client(server);
    const response = await http.get("items");
    expect(response.attempts).toBe(2);
    expect(time.sleeps).toEqual([100]);
  });

  it("waits at least Retry-After (seconds) through a 429 storm", async () => {
    const server = await serve((request, response) =>
      request.index < 3
        ? sendJson(
            response,
            429,
            { errors: "Exceeded 2 calls per second for api client." },
            { "retry-after": "3" },
          )
        : sendJson(response, 200, { ok: true }),
    );
    const { http, time } = client(server);
    const response = await http.get("orders.json");
    expect(response.attempts).toBe(4);
    expect(time.sleeps).toHaveLength(3);
    for (const ms of time.sleeps) expect(ms).toBeGreaterThanOrEqual(3_000);
  });

  it("waits at least Retry-After given as an HTTP date", async () => {
    const time = fakeTime(Date.UTC(2026, 10, 30, 12, 0, 0));
    const server = await serve((request, response) =>
      request.index === 0
        ? sendJson(response, 503, {}, { "retry-after": new Date(time.clock.now() + 7_000).toUTCString() })
        : sendJson(response, 200, {}),
    );
    const http = createHttpClient({
      baseUrl: server.origin,
      system: "erp",
      retry: quick,
      clock: time.clock,
      sleep: time.sleep,
    });
    await http.get("items");
    expect(time.sleeps).toEqual([7_000]);
  });

  it("gives up with RateLimitedError (retryAfterMs, cause with status) when the storm lasts", async () => {
    const server = await serve((_request, response) =>
      sendJson(
        response,
        429,
        { errors: [{ message: "Throttled", extensions: { code: "THROTTLED" } }] },
        { "retry-after": "1" },
      ),
    );
    const { http } = client(server);
    const error = await caught(http.get("graphql"));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(1_000);
    const cause = (error as RateLimitedError).cause as UpstreamError;
    expect(cause).toBeInstanceOf(UpstreamError);
    expect(cause.status).toBe(429);
    expect(cause.upstreamCode).toBe("THROTTLED");
    expect(server.requests).toHaveLength(quick.maxAttempts);
  });

  it("gives up at once when Retry-After is beyond the elapsed budget", async () => {
    const server = await serve((_request, response) =>
      sendJson(response, 429, {}, { "retry-after": "3600" }),
    );
    const { http, time } = client(server, { retry: { ...quick, maxElapsedMs: 60_000 } });
    const error = await caught(http.get("items"));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3_600_000);
    expect(server.requests).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it("retries a GET after the connection is reset", async () => {
    const server = await serve((request, response, raw) => {
      if (request.index === 0) raw.socket.destroy();
      else sendJson(response, 200, { ok: true });
    });
    const { http } = client(server);
    const response = await http.get("items");
    expect(response.attempts).toBe(2);
  });

  it("does not retry a POST without an idempotency key after a reset or a 503", async () => {
    const server = await serve((request, response, raw) => {
      if (request.url.endsWith("reset")) raw.socket.destroy();
      else sendJson(response, 503, {});
    });
    const { http } = client(server);
    const reset = await caught(http.post("reset", { json: { sku: "A" } }));
    expect(reset).toBeInstanceOf(UpstreamError);
    expect((reset as UpstreamError).status).toBe(0);
    expect((reset as UpstreamError).retryable).toBe(true);
    const unavailable = await caught(http.post("busy", { json: { sku: "A" } }));
    expect((unavailable as UpstreamError).status).toBe(503);
    expect(server.requests).toHaveLength(2);
  });

  it("retries a POST that carries an idempotency key, or is marked idempotent", async () => {
    const server = await serve((request, response, raw) => {
      if (request.index % 2 === 0) raw.socket.destroy();
      else sendJson(response, 201, {});
    });
    const { http } = client(server);
    const keyed = await http.post("orders", {
      json: { sku: "A" },
      headers: { "Idempotency-Key": "order-1001" },
    });
    expect(keyed.attempts).toBe(2);
    const marked = await http.post("orders", { json: { sku: "A" }, idempotent: true });
    expect(marked.attempts).toBe(2);
    expect(server.requests.map((request) => request.headers["idempotency-key"])).toEqual([
      "order-1001",
      "order-1001",
      undefined,
      undefined,
    ]);
  });

  it("retries even a POST when the connection was refused (nothing reached a server)", async () => {
    const server = await serve(() => undefined);
    const origin = server.origin;
    await server.close();
    const events: HttpRequestEvent[] = [];
    const time = fakeTime();
    const http = createHttpClient({
      baseUrl: origin,
      system: "erp",
      retry: quick,
      clock: time.clock,
      sleep: time.sleep,
      hooks: { onRequest: (event) => events.push(event) },
    });
    const error = await caught(http.post("orders", { json: {} }));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(0);
    expect(events.map((event) => event.attempt)).toEqual([1, 2, 3, 4]);
  });

  it("never retries a stream body", async () => {
    const server = await serve((_request, response) => sendJson(response, 503, {}));
    const { http } = client(server);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("sku,quantity\nA,1\n"));
        controller.close();
      },
    });
    const error = await caught(
      http.put("imports/items.csv", { body, headers: { "content-type": "text/csv" } }),
    );
    expect((error as UpstreamError).status).toBe(503);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body).toBe("sku,quantity\nA,1\n");
  });

  it("does not retry a 4xx", async () => {
    const server = await serve((_request, response) =>
      sendJson(response, 404, { error: { code: "NotFound" } }),
    );
    const { http } = client(server);
    expect(((await caught(http.get("items/9"))) as UpstreamError).status).toBe(404);
    expect(server.requests).toHaveLength(1);
  });
});

describe("createHttpClient: error mapping", () => {
  it("maps OData, Salesforce, Shopify and HubSpot bodies to the upstream's own code", async () => {
    const bodies: Record<string, [number, unknown]> = {
      odata: [400, { error: { code: "BadRequest_InvalidToken", message: "Invalid token at position 3" } }],
      salesforce: [400, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]],
      shopify: [422, { errors: { title: ["can't be blank"] } }],
      hubspot: [
        400,
        {
          status: "error",
          message: "Property values were not valid",
          category: "VALIDATION_ERROR",
          subCategory: "INVALID_EMAIL",
        },
      ],
    };
    const server = await serve((request, response) => {
      const [status, body] = bodies[request.url.split("/").pop() ?? ""] ?? [500, {}];
      sendJson(response, status, body);
    });
    const { http } = client(server);
    const codes: Record<string, string | undefined> = {};
    for (const name of Object.keys(bodies)) {
      const error = (await caught(http.get(name))) as UpstreamError;
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.system).toBe("erp");
      expect(error.code).toBe("UPSTREAM_ERROR");
      expect(error.retryable).toBe(false);
      codes[name] = error.upstreamCode;
    }
    expect(codes).toEqual({
      odata: "BadRequest_InvalidToken",
      salesforce: "INVALID_SESSION_ID",
      shopify: "title: can't be blank",
      hubspot: "VALIDATION_ERROR/INVALID_EMAIL",
    });
  });

  it("maps 409 and 412 to UPSTREAM_CONFLICT", async () => {
    const server = await serve((request, response) =>
      sendJson(response, request.url.endsWith("409") ? 409 : 412, {
        error: { code: "Request_EntityChanged" },
      }),
    );
    const { http } = client(server);
    for (const path of ["409", "412"]) {
      const error = (await caught(
        http.patch(path, { json: {}, headers: { "if-match": 'W/"1"' } }),
      )) as UpstreamError;
      expect(error.code).toBe("UPSTREAM_CONFLICT");
      expect(error.upstreamCode).toBe("Request_EntityChanged");
    }
  });

  it("keeps a 2 KB excerpt of the body with bearer tokens and access_token values redacted", async () => {
    const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2ln";
    const server = await serve((_request, response) => {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(
        `upstream echoed Authorization: Bearer ${secret} and {"access_token":"${secret}"} then access_token=${secret}&x=1 ${"é".repeat(3_000)}`,
      );
    });
    const { http } = client(server, { retry: false });
    const error = (await caught(http.get("items"))) as UpstreamError;
    expect(error.status).toBe(500);
    expect(error.retryable).toBe(true);
    expect(error.bodyExcerpt).toBeDefined();
    expect(error.bodyExcerpt).not.toContain(secret);
    expect(error.bodyExcerpt).toContain("Bearer [REDACTED]");
    expect(error.bodyExcerpt).toContain('"access_token":"[REDACTED]"');
    expect(error.bodyExcerpt).toContain("access_token=[REDACTED]");
    expect(new TextEncoder().encode(error.bodyExcerpt).length).toBeLessThanOrEqual(2048);
    expect(error.bodyExcerpt?.endsWith("é")).toBe(true);
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
  });

  it("maps 401 to AuthError without a provider that can refresh", async () => {
    const server = await serve((_request, response) =>
      sendJson(response, 401, [{ errorCode: "INVALID_SESSION_ID" }]),
    );
    const { http } = client(server, { auth: staticToken("expired-token") });
    const error = await caught(http.get("sobjects/Account"));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).retryable).toBe(false);
    expect((error as AuthError).details.upstreamCode).toBe("INVALID_SESSION_ID");
    expect(((error as AuthError).cause as UpstreamError).status).toBe(401);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe("Bearer expired-token");
  });
});

describe("createHttpClient: auth providers", () => {
  it("sends an API key header and HTTP Basic credentials", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    await client(server, { auth: apiKeyHeader("X-Shopify-Access-Token", "shpat_123") }).http.get("shop.json");
    await client(server, { auth: basicAuth("svc-distro", "pässword") }).http.get("items");
    expect(server.requests[0]?.headers["x-shopify-access-token"]).toBe("shpat_123");
    expect(server.requests[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from("svc-distro:pässword").toString("base64")}`,
    );
  });

  it("refuses unusable credentials with ValidationError", () => {
    expect(() => staticToken("")).toThrow(ValidationError);
    expect(() => staticToken("a\r\nx-injected: 1")).toThrow(ValidationError);
    expect(() => apiKeyHeader("bad header", "k")).toThrow(ValidationError);
    expect(() => basicAuth("user:name", "p")).toThrow(ValidationError);
  });
});

describe("createHttpClient: redirects", () => {
  it("follows same-origin redirects with credentials, keeping the method and body on 307", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/api/v2/old") {
        response.writeHead(307, { location: "/api/v2/new" });
        response.end();
      } else sendJson(response, 200, { body: request.body, method: request.method });
    });
    const { http } = client(server, { auth: staticToken("t0k3n") });
    const response = await http.post("old", { json: { sku: "A" } });
    await expect(response.json()).resolves.toEqual({ body: '{"sku":"A"}', method: "POST" });
    expect(response.url).toBe(`${server.origin}/api/v2/new`);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer t0k3n",
      "Bearer t0k3n",
    ]);
  });

  it("turns a POST into a GET without a body after 303", async () => {
    const server = await serve((request, response) => {
      if (request.url === "/api/v2/orders") {
        response.writeHead(303, { location: "/api/v2/orders/1001" });
        response.end();
      } else
        sendJson(response, 200, {
          method: request.method,
          body: request.body,
          type: request.headers["content-type"] ?? null,
        });
    });
    const { http } = client(server);
    const response = await http.post("orders", { json: { sku: "A" } });
    await expect(response.json()).resolves.toEqual({ method: "GET", body: "", type: null });
  });

  it("never sends credentials to another origin after a redirect", async () => {
    const elsewhere = await serve((_request, response) => sendJson(response, 200, { ok: true }));
    const server = await serve((_request, response) => {
      response.writeHead(302, { location: `${elsewhere.origin}/download/items.csv` });
      response.end();
    });
    const { http } = client(server, {
      auth: apiKeyHeader("X-Api-Key", "k3y"),
      headers: { authorization: "Bearer leak" },
    });
    await withCorrelation({ correlationId: "order-1001" }, () => http.get("exports/items"));
    expect(server.requests[0]?.headers["x-api-key"]).toBe("k3y");
    const [landed] = elsewhere.requests;
    expect(landed?.headers["x-api-key"]).toBeUndefined();
    expect(landed?.headers.authorization).toBeUndefined();
    expect(landed?.headers["x-correlation-id"]).toBe("order-1001");
    expect(landed?.headers.traceparent).toBeDefined();
  });

  it("stops a redirect loop and a redirect to another scheme with an UpstreamError", async () => {
    const server = await serve((request, response) => {
      response.writeHead(302, {
        location: request.url.endsWith("ftp") ? "ftp://files.example.com/x" : request.url,
      });
      response.end();
    });
    const { http } = client(server);
    const loop = (await caught(http.get("loop"))) as UpstreamError;
    expect(loop).toBeInstanceOf(UpstreamError);
    expect(loop.details.reason).toBe("more than 10 redirects");
    expect(server.requests).toHaveLength(11);
    expect(((await caught(http.get("ftp"))) as UpstreamError).details.reason).toBe(
      "cannot follow a redirect to ftp:",
    );
  });
});

describe("createHttpClient: hooks", () => {
  it("reports each send with the method, a URL without secrets, status, duration and attempt", async () => {
    const server = await serve((request, response) =>
      request.index === 0 ? sendJson(response, 502, {}) : sendJson(response, 200, {}),
    );
    const requests: HttpRequestEvent[] = [];
    const responses: HttpResponseEvent[] = [];
    const { http } = client(server, {
      hooks: { onRequest: (event) => requests.push(event), onResponse: (event) => responses.push(event) },
    });
    await http.get("items", { query: { access_token: "s3cret", api_key: "k3y", page: 2 } });
    expect(requests.map((event) => event.attempt)).toEqual([1, 2]);
    expect(
      responses.map(({ status, attempt, system, method }) => ({ status, attempt, system, method })),
    ).toEqual([
      { status: 502, attempt: 1, system: "erp", method: "GET" },
      { status: 200, attempt: 2, system: "erp", method: "GET" },
    ]);
    for (const event of [...requests, ...responses]) {
      expect(event.url).not.toContain("s3cret");
      expect(event.url).not.toContain("k3y");
      expect(event.url).toContain("page=2");
    }
    // The injected clock does not move during a send; it moved by the 100 ms wait between them.
    expect(responses.map((event) => event.durationMs)).toEqual([0, 0]);
  });

  it("reports a failed send with status 0 and its error", async () => {
    const server = await serve((_request, _response, raw) => {
      raw.socket.destroy();
    });
    const responses: HttpResponseEvent[] = [];
    const { http } = client(server, {
      retry: false,
      hooks: { onResponse: (event) => responses.push(event) },
    });
    await caught(http.get("items"));
    expect(responses).toHaveLength(1);
    expect(responses[0]?.status).toBe(0);
    expect(responses[0]?.error).toBeInstanceOf(UpstreamError);
  });
});

describe("createHttpClient: hooks that throw", () => {
  it("keep the request's outcome and report the hook's error as a process warning", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, { ok: true }));
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const { http } = client(server, {
        hooks: {
          onRequest: () => {
            throw new Error("metrics backend down");
          },
          onResponse: () => {
            throw new Error("metrics backend still down");
          },
        },
      });
      const response = await http.get("items");
      expect(response.attempts).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).toEqual(["DistroHookWarning", "DistroHookWarning"]);
      expect(warnings[1]?.message).toContain("metrics backend still down");
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("createHttpClient: bad input", () => {
  it("refuses malformed settings, naming each one", () => {
    const error = (() => {
      try {
        createHttpClient({
          baseUrl: "ftp://x",
          system: "",
          timeoutMs: -1,
          retry: { ...quick, maxAttempts: 0 },
        });
      } catch (thrown) {
        return thrown as ValidationError;
      }
      throw new Error("expected a throw");
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ["baseUrl"],
      ["system"],
      ["timeoutMs"],
      ["retry", "maxAttempts"],
    ]);
  });

  it("refuses malformed requests before sending anything", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const { http } = client(server);
    const cases: [Parameters<typeof http.request>[0], (string | number)[]][] = [
      [{ path: "https://evil.example.com/steal" }, ["path"]],
      [{ path: "x", body: "a", json: {} }, ["json"]],
      [{ path: "x", method: "GET X" }, ["method"]],
      [{ path: "x", timeoutMs: 0 }, ["timeoutMs"]],
      [{ path: "x", timeoutMs: 2 ** 31 }, ["timeoutMs"]],
      [{ path: "x", method: "POST", json: () => 1 }, ["json"]],
      [{ path: "x", headers: { "x-bad": "a\r\nx-injected: 1" } }, ["headers"]],
      [{ path: "x", query: { filter: { nested: true } as never } }, ["query", "filter"]],
      [{ path: "x", method: "POST", json: { big: 1n } }, ["json"]],
      [{ path: 42 as never }, ["path"]],
    ];
    for (const [request, path] of cases) {
      const error = await caught(http.request(request));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toEqual(path);
    }
    expect(server.requests).toHaveLength(0);
  });
});
