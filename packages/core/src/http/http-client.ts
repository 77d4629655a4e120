import type { z } from "zod";
import { getCorrelation, TRACEPARENT_HEADER } from "../correlation/index";
import {
  AuthError,
  type DistroError,
  isDistroError,
  isNetworkError,
  isRetryable,
  issuesFromZod,
  RateLimitedError,
  TimeoutError,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from "../errors/index";
import { CORRELATION_ID_ATTRIBUTE, type Span, type Tracer } from "../observability/tracing";
import { abortError } from "../retry/abort";
import {
  assertRetryPolicy,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryClock,
  type RetryPolicy,
  type RetrySleep,
  retry,
} from "../retry/index";
import type { AuthProvider } from "./auth";
import { injectOutgoingCorrelation } from "./outgoing-correlation";
import { bodyExcerpt, redactSecrets, redactUrl } from "./redact";
import { extractUpstreamCode } from "./upstream-code";

/** Anything `new Headers()` accepts: a `Headers`, an object of names to values, or pairs. */
export type HttpHeadersInit = ConstructorParameters<typeof Headers>[0];

/** A request body `fetch` can send: text, bytes, `URLSearchParams`, `FormData`, a `Blob` or a stream. */
export type HttpBody = NonNullable<RequestInit["body"]>;

/** An HTTP method. Other tokens (e.g. `PROPFIND`) are accepted as strings. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** One query parameter value; `null` and `undefined` are left out, arrays repeat the name. */
export type HttpQueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** Query parameters, added to those already in the path. */
export type HttpQuery = Record<string, HttpQueryValue> | URLSearchParams;

/** One request made through an {@link HttpClient}. */
export interface HttpRequest {
  /** The method; `GET` by default. */
  method?: HttpMethod | (string & {});
  /**
   * The path, resolved against the client's `baseUrl` (`orders`, `/orders/1001`), or an
   * absolute URL on the same origin (an OData `@odata.nextLink`).
   */
  path: string;
  /** Query parameters. */
  query?: HttpQuery;
  /** Headers for this request; they win over the client's. */
  headers?: HttpHeadersInit;
  /** A raw body. A stream body is sent once, never retried. */
  body?: HttpBody | null;
  /** A value to send as JSON (sets `content-type: application/json`). Not together with `body`. */
  json?: unknown;
  /** Time budget of each attempt, the body read included; the client's `timeoutMs` by default. */
  timeoutMs?: number;
  /** The largest successful response body this request accepts; the client's `maxResponseBytes` by default. */
  maxResponseBytes?: number;
  /** Cancels the request, its retries and waits. */
  signal?: AbortSignal;
  /**
   * Whether sending twice has the effect of sending once. By default GET, HEAD, PUT,
   * DELETE, OPTIONS and TRACE are, and so is any request that carries an idempotency
   * key header. Only idempotent requests are retried.
   */
  idempotent?: boolean;
  /** This request's retry policy, or `false` for one attempt; the client's by default. */
  retry?: RetryPolicy | false;
}

/** A request without its method and path, for the `get` / `post` / ... shortcuts. */
export type HttpRequestOptions = Omit<HttpRequest, "method" | "path">;

/** A successful (2xx) response, its body already read. Shaped like a Web `Response`. */
export interface HttpResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The status text. */
  readonly statusText: string;
  /** Always true: other statuses are thrown as errors. */
  readonly ok: boolean;
  /** The response headers. */
  readonly headers: Headers;
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** How many times the request was sent, retries and the repeat after a token refresh included. */
  readonly attempts: number;
  /** From the first send to the end of the body, in milliseconds (by the client's clock). */
  readonly durationMs: number;
  /** The body as text (UTF-8). */
  text(): Promise<string>;
  /**
   * The body parsed as JSON.
   * @throws UpstreamError (`details.reason: "invalid_json"`) when it is not JSON
   */
  json<T = unknown>(): Promise<T>;
  /** The raw body bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What {@link HttpHooks.onRequest} is told before each send. */
export interface HttpRequestEvent {
  /** The client's upstream system. */
  system: string;
  /** The method. */
  method: string;
  /** The URL with user info and credential query parameters redacted. */
  url: string;
  /** Which send of this request this is, from 1. */
  attempt: number;
}

/** What {@link HttpHooks.onResponse} is told after each send. */
export interface HttpResponseEvent extends HttpRequestEvent {
  /** The HTTP status, or 0 when no response arrived (network error, timeout, abort). */
  status: number;
  /** From the send to the end of the body (or the failure), in milliseconds. */
  durationMs: number;
  /** The error this send ends with, when it failed. */
  error?: DistroError;
}

/**
 * Callbacks for metrics and logs. They should not throw; one that does cannot change the
 * request's outcome, and its error is reported as a process warning (`DistroHookWarning`).
 */
export interface HttpHooks {
  /** Called before each send. */
  onRequest?: (event: HttpRequestEvent) => void;
  /** Called after each send, successful or not. */
  onResponse?: (event: HttpResponseEvent) => void;
}

/** Settings of {@link createHttpClient}. */
export interface HttpClientSettings {
  /** Where relative paths resolve, e.g. `https://erp.example.com/odata/v4/`. */
  baseUrl: string | URL;
  /** The upstream system's name, carried by every error and metric (`erp`, `shopify`). */
  system: string;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Time budget of each attempt in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /**
   * The largest successful response body the client reads into memory, in bytes (a
   * larger one is an `UpstreamError` with `details.reason: "response_too_large"`).
   * Default 64 MiB. Error bodies are read only as far as their first 64 KiB.
   */
  maxResponseBytes?: number;
  /** The retry policy, or `false` for none. Default {@link DEFAULT_RETRY_POLICY}. */
  retry?: RetryPolicy | false;
  /** Puts credentials on each request. */
  auth?: AuthProvider;
  /** Headers sent with every request. */
  headers?: HttpHeadersInit;
  /** Metrics and logging callbacks. */
  hooks?: HttpHooks;
  /**
   * Starts a client span for each send (retries and the repeat after a token refresh are
   * sends of their own), whose traceparent the request carries. None by default.
   */
  tracer?: Tracer;
  /** The idempotency key header that makes a POST or PATCH retryable. Default `Idempotency-Key`. */
  idempotencyKeyHeader?: string;
  /** Where the time is read (durations, `Retry-After` dates, retry budget); defaults to `Date.now`. */
  clock?: RetryClock;
  /** How the client waits between retries; defaults to a real timer. */
  sleep?: RetrySleep;
  /** Numbers in `[0, 1)` for backoff jitter; defaults to `Math.random`. */
  random?: () => number;
}

/** The HTTP client every connector uses. Every method throws only `DistroError`s. */
export interface HttpClient {
  /** The upstream system this client talks to. */
  readonly system: string;
  /** The base URL relative paths resolve against. */
  readonly baseUrl: string;
  /** Sends a request; resolves a 2xx response, throws a mapped `DistroError` otherwise. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /**
   * Sends a request and parses its JSON body, checking it against a zod schema when
   * given (`ValidationError` with paths under `body` when it does not match).
   */
  requestJson<T = unknown>(request: HttpRequest, schema?: z.ZodType<T>): Promise<T>;
  /** `GET path`. */
  get(path: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** `POST path`. */
  post(path: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** `PUT path`. */
  put(path: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** `PATCH path`. */
  patch(path: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** `DELETE path`. */
  delete(path: string, options?: HttpRequestOptions): Promise<HttpResponse>;
}

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Error bodies are read this far: enough for the excerpt and the upstream's error code. */
const ERROR_BODY_BYTES = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
/** The only headers sent after a redirect to another origin: never credentials. */
const CROSS_ORIGIN_SAFE_HEADERS = new Set([
  "accept",
  "accept-language",
  "content-type",
  "user-agent",
  "traceparent",
  "tracestate",
  "x-correlation-id",
  "x-causation-id",
  "x-tenant-id",
]);
const systemClock: RetryClock = { now: () => Date.now() };

/**
 * Creates the HTTP client a connector uses to talk to one upstream system.
 *
 * - Each attempt has a time budget (`timeoutMs`, body read included); running out is a
 *   retryable `TimeoutError`. The request's `signal` cancels it, its retries and waits.
 * - Idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS, or any request with an
 *   `Idempotency-Key` header or `idempotent: true`) are retried through {@link retry}
 *   on 408, 425, 429, 5xx and network errors, never sooner than `Retry-After` (seconds or
 *   HTTP date). Other requests are retried only when the connection was refused, as
 *   nothing reached the server.
 * - Every send carries the current correlation headers (`x-correlation-id`, ...) and a
 *   child W3C `traceparent`. With a `tracer`, each send is a client span (method,
 *   server address and port, path without the query, status, resend count, correlation
 *   id; error status on a failure or a status of 400 and above) and the `traceparent`
 *   sent is that span's.
 * - Redirects are followed (at most 10); after a redirect to another origin no
 *   credentials are sent, only content negotiation and correlation headers.
 * - Errors: 401 becomes `AuthError` after one credential refresh and repeat; 429
 *   becomes `RateLimitedError` with `retryAfterMs`; any other non-2xx an
 *   `UpstreamError` (`UPSTREAM_CONFLICT` for 409 and 412) with the status, the system,
 *   a redacted 2 KB body excerpt and the upstream's own error code; a transport failure
 *   an `UpstreamError` with status 0.
 *
 * @param settings - base URL, system name, fetch, timeout, retry policy, auth, headers, hooks, clock
 * @returns the client
 * @throws ValidationError when a setting is malformed (each issue names it)
 * @example
 * ```ts
 * import { createHttpClient, oauth2ClientCredentials, withCorrelation } from "@distro/core";
 *
 * const erp = createHttpClient({
 *   baseUrl: "https://erp.example.com/api/v2/",
 *   system: "erp",
 *   timeoutMs: 10_000,
 *   auth: oauth2ClientCredentials({ tokenUrl: "https://erp.example.com/oauth/token", clientId: "distro", clientSecret: "s3cret" }),
 *   hooks: { onResponse: ({ method, url, status, durationMs }) => console.log(method, url, status, durationMs) },
 * });
 *
 * await withCorrelation({ correlationId: "order-1001" }, async () => {
 *   const order = await erp.requestJson<{ number: string }>({
 *     method: "POST",
 *     path: "sales-orders",
 *     json: { customer: "C1001", lines: [{ sku: "BOLT-M8", quantity: "300" }] },
 *     headers: { "Idempotency-Key": "order-1001" },
 *   });
 *   console.log(order.number);
 * });
 * ```
 */
export function createHttpClient(settings: HttpClientSettings): HttpClient {
  const baseUrl = checkSettings(settings);
  const fetchImpl = settings.fetch ?? globalThis.fetch;
  const clock = settings.clock ?? systemClock;
  const { system, auth, hooks, tracer } = settings;
  const defaultTimeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const defaultMaxResponseBytes = settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const defaultPolicy = settings.retry === undefined ? DEFAULT_RETRY_POLICY : settings.retry;
  const idempotencyKeyHeader = settings.idempotencyKeyHeader ?? "idempotency-key";

  async function request(input: HttpRequest): Promise<HttpResponse> {
    const prepared = prepare(input);
    const policy = input.retry === undefined ? defaultPolicy : input.retry;
    if (policy !== false) assertRetryPolicy(policy);
    const startedAt = clock.now();
    let sends = 0;

    const attempt = async (): Promise<HttpResponse> => {
      let refreshed = false;
      for (;;) {
        sends++;
        const sent = await sendOnce(prepared, sends);
        if (sent.status === 401 && auth?.refresh && !refreshed && prepared.replayable) {
          refreshed = true;
          const repeat = await auth.refresh({
            method: prepared.method,
            url: prepared.url,
            signal: input.signal,
            rejectedHeaders: sent.headers,
          });
          if (repeat) continue;
        }
        if (sent.response.status >= 200 && sent.response.status <= 299) {
          return toHttpResponse(sent.response, sent.bytes, sends, clock.now() - startedAt, prepared);
        }
        throw errorForResponse(sent.response, sent.bytes, prepared);
      }
    };

    if (policy === false || !prepared.replayable) return attempt();
    const decide = policy.retryOn ?? ((error: unknown) => isRetryable(error));
    return retry(
      attempt,
      {
        ...policy,
        retryOn: (error, attemptNumber) =>
          (prepared.idempotent || isConnectionRefused(error)) && decide(error, attemptNumber),
      },
      {
        clock,
        ...(settings.sleep ? { sleep: settings.sleep } : {}),
        ...(settings.random ? { random: settings.random } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      },
    );
  }

  interface Prepared {
    method: string;
    url: URL;
    safeUrl: string;
    headers: Headers;
    body: HttpBody | null | undefined;
    replayable: boolean;
    idempotent: boolean;
    timeoutMs: number;
    maxResponseBytes: number;
    signal: AbortSignal | undefined;
  }

  function prepare(input: HttpRequest): Prepared {
    const issues: ValidationIssue[] = [];
    if (typeof input !== "object" || input === null) {
      throw new ValidationError("HTTP request must be an object", [
        { code: "invalid_type", path: [], message: "Expected a request object" },
      ]);
    }
    const method =
      typeof input.method === "string" ? input.method.toUpperCase() : input.method === undefined ? "GET" : "";
    if (!METHOD_TOKEN.test(method)) {
      issues.push({ code: "invalid_value", path: ["method"], message: "Expected an HTTP method token" });
    }
    if (input.body !== undefined && input.json !== undefined) {
      issues.push({ code: "custom", path: ["json"], message: "Give either body or json, not both" });
    }
    const timeoutMs = input.timeoutMs ?? defaultTimeoutMs;
    if (!isTimerDuration(timeoutMs)) {
      issues.push({
        code: "invalid_value",
        path: ["timeoutMs"],
        message: "Expected a positive number of milliseconds, at most 2147483647",
      });
    }
    const maxResponseBytes = input.maxResponseBytes ?? defaultMaxResponseBytes;
    if (typeof maxResponseBytes !== "number" || !Number.isInteger(maxResponseBytes) || maxResponseBytes < 0) {
      issues.push({
        code: "invalid_value",
        path: ["maxResponseBytes"],
        message: "Expected a whole number of bytes",
      });
    }
    const url = resolveUrl(input.path, input.query, issues);
    let headers: Headers | undefined;
    try {
      headers = new Headers(settings.headers);
      for (const [name, value] of new Headers(input.headers)) headers.set(name, value);
    } catch (error) {
      issues.push({
        code: "invalid_value",
        path: ["headers"],
        message: `Headers are invalid: ${(error as Error).message}`,
      });
    }
    let body: HttpBody | null | undefined = input.body;
    if (input.json !== undefined && input.body === undefined) {
      let encoded: string | undefined;
      let failure: string | undefined;
      try {
        encoded = JSON.stringify(input.json);
      } catch (error) {
        failure = (error as Error).message;
      }
      if (encoded === undefined) {
        issues.push({
          code: "invalid_value",
          path: ["json"],
          message: `Cannot be sent as JSON${failure ? `: ${failure}` : " (a function, a symbol or undefined)"}`,
        });
      }
      body = encoded;
      if (headers && !headers.has("content-type")) headers.set("content-type", "application/json");
    }
    if (issues.length > 0 || url === undefined || headers === undefined) {
      throw new ValidationError(`Invalid ${system} HTTP request`, issues);
    }
    const replayable = !isStream(body);
    const idempotent =
      input.idempotent ?? (IDEMPOTENT_METHODS.has(method) || headers.has(idempotencyKeyHeader));
    return {
      method,
      url,
      safeUrl: redactUrl(url),
      headers,
      body,
      replayable,
      idempotent,
      timeoutMs,
      maxResponseBytes,
      signal: input.signal,
    };
  }

  function resolveUrl(
    path: unknown,
    query: HttpQuery | undefined,
    issues: ValidationIssue[],
  ): URL | undefined {
    if (typeof path !== "string") {
      issues.push({ code: "invalid_type", path: ["path"], message: "Expected a string" });
      return undefined;
    }
    let url: URL;
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      try {
        url = new URL(path);
      } catch {
        issues.push({ code: "invalid_value", path: ["path"], message: "Not a valid URL" });
        return undefined;
      }
      if (url.origin !== baseUrl.origin) {
        // Credentials go only to the configured origin.
        issues.push({
          code: "invalid_value",
          path: ["path"],
          message: `Absolute URL must be on ${baseUrl.origin}, not ${url.origin}`,
        });
        return undefined;
      }
    } else {
      const relative = path.replace(/^\/+/, "");
      try {
        url = new URL(relative, baseUrl);
      } catch {
        issues.push({ code: "invalid_value", path: ["path"], message: "Not a valid path" });
        return undefined;
      }
    }
    if (query instanceof URLSearchParams) {
      for (const [name, value] of query) url.searchParams.append(name, value);
    } else if (query !== undefined) {
      if (typeof query !== "object" || query === null) {
        issues.push({ code: "invalid_type", path: ["query"], message: "Expected an object of parameters" });
        return undefined;
      }
      for (const [name, value] of Object.entries(query)) {
        if (value === undefined || value === null) continue;
        const values = Array.isArray(value) ? value : [value];
        for (const item of values) {
          if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
            issues.push({
              code: "invalid_type",
              path: ["query", name],
              message: "Expected a string, number or boolean",
            });
            continue;
          }
          url.searchParams.append(name, String(item));
        }
      }
    }
    return url;
  }

  interface Sent {
    response: Response;
    bytes: Uint8Array;
    status: number;
    headers: Headers;
  }

  async function sendOnce(prepared: Prepared, attempt: number): Promise<Sent> {
    const { method, url, safeUrl, timeoutMs, signal } = prepared;
    if (signal?.aborted) throw abortError(signal);
    const headers = new Headers();
    injectOutgoingCorrelation(headers);
    for (const [name, value] of prepared.headers) headers.set(name, value);
    if (auth) await auth.authorize(headers, { method, url, signal });
    const span = tracer === undefined ? undefined : startClientSpan(tracer, prepared, headers, attempt);
    if (span?.traceparent !== undefined) headers.set(TRACEPARENT_HEADER, span.traceparent);

    const event: HttpRequestEvent = { system, method, url: safeUrl, attempt };
    callHook("onRequest", hooks?.onRequest, event);
    const sentAt = clock.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await fetchFollowingRedirects(prepared, headers, controller.signal);
      const ok = response.status >= 200 && response.status <= 299;
      const bytes = await readBody(
        response,
        ok ? prepared.maxResponseBytes : ERROR_BODY_BYTES,
        !ok,
        prepared,
      );
      callHook("onResponse", hooks?.onResponse, {
        ...event,
        status: response.status,
        durationMs: clock.now() - sentAt,
      });
      if (span !== undefined) {
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 400) {
          span.setAttribute("error.type", String(response.status));
          span.setStatus("error", `${system} answered ${response.status}`);
        }
      }
      return { response, bytes, status: response.status, headers };
    } catch (error) {
      const mapped = mapSendError(error, prepared, timedOut);
      if (span !== undefined) {
        span.setAttribute("error.type", mapped.code);
        span.recordError(mapped);
      }
      callHook("onResponse", hooks?.onResponse, {
        ...event,
        status: 0,
        durationMs: clock.now() - sentAt,
        error: mapped,
      });
      throw mapped;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      span?.end();
    }
  }

  /**
   * The client span of one send, a child of the request's own `traceparent` header when
   * the caller set one, else of the correlation context's. Attributes follow the
   * OpenTelemetry HTTP client conventions; the path never carries the query (where
   * credentials may travel).
   */
  function startClientSpan(spanTracer: Tracer, prepared: Prepared, headers: Headers, attempt: number): Span {
    const correlation = getCorrelation();
    const { url, method } = prepared;
    return spanTracer.startSpan(method, {
      kind: "client",
      parent: prepared.headers.get(TRACEPARENT_HEADER) ?? correlation?.traceparent,
      attributes: {
        "http.request.method": method,
        "server.address": url.hostname.replace(/^\[|\]$/g, ""),
        "server.port": url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port),
        "url.scheme": url.protocol.slice(0, -1),
        "url.path": url.pathname,
        "distro.upstream.system": system,
        "http.request.resend_count": attempt > 1 ? attempt - 1 : undefined,
        [CORRELATION_ID_ATTRIBUTE]:
          correlation?.correlationId ?? headers.get("x-correlation-id") ?? undefined,
      },
    });
  }

  /**
   * Sends with `redirect: "manual"` and follows redirects itself, so credentials never
   * follow a redirect to another origin: from the first cross-origin hop on, only the
   * content negotiation and correlation headers are sent.
   */
  async function fetchFollowingRedirects(
    prepared: Prepared,
    headers: Headers,
    signal: AbortSignal,
  ): Promise<Response> {
    let url = prepared.url;
    let method = prepared.method;
    let body = prepared.body;
    let currentHeaders = headers;
    for (let hop = 0; ; hop++) {
      const init: RequestInit & { duplex?: "half" } = {
        method,
        headers: currentHeaders,
        signal,
        redirect: "manual",
      };
      if (body !== undefined && body !== null) {
        init.body = body;
        if (isStream(body)) init.duplex = "half";
      }
      const response = await fetchImpl(url, init);
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
      await response.body?.cancel();
      const fail = (reason: string) =>
        new UpstreamError(`${system} redirected ${prepared.method} ${prepared.safeUrl}: ${reason}`, {
          status: response.status,
          system,
          retryable: false,
          details: { method: prepared.method, url: prepared.safeUrl, reason },
        });
      if (hop >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw fail("the Location header is not a URL");
      }
      if (next.protocol !== "http:" && next.protocol !== "https:")
        throw fail(`cannot follow a redirect to ${next.protocol}`);
      // As fetch does: 303, and 301/302 after a POST, continue as a GET without a body.
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === "POST")
      ) {
        if (method !== "HEAD") method = "GET";
        body = undefined;
        currentHeaders = new Headers(currentHeaders);
        for (const name of ["content-type", "content-length", "content-encoding", "content-language"]) {
          currentHeaders.delete(name);
        }
      } else if (isStream(body)) {
        throw fail("a stream body cannot be sent again");
      }
      if (next.origin !== url.origin) {
        const safe = new Headers();
        for (const [name, value] of currentHeaders)
          if (CROSS_ORIGIN_SAFE_HEADERS.has(name)) safe.set(name, value);
        currentHeaders = safe;
      }
      url = next;
    }
  }

  /**
   * Reads a body into memory, at most `limit` bytes. Past the limit an error body is cut
   * (`truncate`), a successful one is refused: memory never grows with what the upstream sends.
   */
  async function readBody(
    response: Response,
    limit: number,
    truncate: boolean,
    prepared: Prepared,
  ): Promise<Uint8Array> {
    if (response.body === null) return new Uint8Array(0);
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        await reader.cancel();
        if (!truncate) {
          throw new UpstreamError(
            `${system} answered ${prepared.method} ${prepared.safeUrl} with a body larger than ${limit} bytes`,
            {
              status: response.status,
              system,
              retryable: false,
              details: {
                reason: "response_too_large",
                maxResponseBytes: limit,
                method: prepared.method,
                url: prepared.safeUrl,
              },
            },
          );
        }
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  function mapSendError(error: unknown, prepared: Prepared, timedOut: boolean): DistroError {
    const { method, safeUrl, timeoutMs, signal } = prepared;
    if (timedOut) {
      return new TimeoutError(`${system} did not answer ${method} ${safeUrl} within ${timeoutMs} ms`, {
        cause: error,
        details: { system, method, url: safeUrl, timeoutMs },
      });
    }
    if (signal?.aborted) return abortError(signal);
    if (isDistroError(error)) return error;
    const reason = networkReason(error);
    return new UpstreamError(`Network error calling ${system}: ${method} ${safeUrl} (${reason})`, {
      status: 0,
      system,
      cause: error,
      retryable: isNetworkError(error) ? true : undefined,
      details: { method, url: safeUrl },
    });
  }

  function errorForResponse(response: Response, bytes: Uint8Array, prepared: Prepared): DistroError {
    const { method, safeUrl } = prepared;
    const status = response.status;
    const text = decode(bytes);
    const upstreamCode = optionalRedact(extractUpstreamCode(text));
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), clock.now());
    const where = `${method} ${safeUrl}`;
    const upstream = new UpstreamError(
      `${system} answered ${status}${response.statusText ? ` ${response.statusText}` : ""} to ${where}${upstreamCode ? `: ${upstreamCode}` : ""}`,
      {
        status,
        system,
        upstreamCode,
        bodyExcerpt: bodyExcerpt(text),
        retryAfterMs,
        details: { method, url: safeUrl },
      },
    );
    if (status === 429) {
      return new RateLimitedError(
        `${system} rate limited ${where}${retryAfterMs === undefined ? "" : `; retry after ${retryAfterMs} ms`}`,
        { retryAfterMs, cause: upstream, details: { system, status, upstreamCode, method, url: safeUrl } },
      );
    }
    if (status === 401) {
      return new AuthError(
        `${system} refused the credentials for ${where} (401)${upstreamCode ? `: ${upstreamCode}` : ""}`,
        {
          cause: upstream,
          details: { system, status, upstreamCode, method, url: safeUrl },
        },
      );
    }
    return upstream;
  }

  function toHttpResponse(
    response: Response,
    bytes: Uint8Array,
    attempts: number,
    durationMs: number,
    prepared: Prepared,
  ): HttpResponse {
    let text: string | undefined;
    const readText = () => {
      text ??= decode(bytes);
      return text;
    };
    return {
      status: response.status,
      statusText: response.statusText,
      ok: true,
      headers: response.headers,
      url: response.url || prepared.url.toString(),
      attempts,
      durationMs,
      text: async () => readText(),
      arrayBuffer: async () => bytes.slice().buffer,
      json: async <T>() => {
        const body = readText();
        try {
          return JSON.parse(body) as T;
        } catch (error) {
          throw new UpstreamError(
            `${system} answered ${response.status} to ${prepared.method} ${prepared.safeUrl} with a body that is not JSON`,
            {
              status: response.status,
              system,
              retryable: false,
              cause: error,
              bodyExcerpt: bodyExcerpt(body),
              details: {
                reason: "invalid_json",
                contentType: response.headers.get("content-type"),
                method: prepared.method,
                url: prepared.safeUrl,
              },
            },
          );
        }
      },
    };
  }

  async function requestJson<T>(input: HttpRequest, schema?: z.ZodType<T>): Promise<T> {
    const headers = new Headers(input.headers);
    if (!headers.has("accept")) headers.set("accept", "application/json");
    const response = await request({ ...input, headers });
    const value = await response.json<unknown>();
    if (schema === undefined) return value as T;
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new ValidationError(
        `${system} answered ${(input.method ?? "GET").toUpperCase()} ${redactUrl(response.url)} with a body that does not match the expected shape`,
        issuesFromZod(result.error, ["body"]),
        { details: { system } },
      );
    }
    return result.data;
  }

  const shortcut =
    (method: HttpMethod) =>
    (path: string, options: HttpRequestOptions = {}): Promise<HttpResponse> =>
      request({ ...options, method, path });

  return {
    system,
    baseUrl: baseUrl.toString(),
    request,
    requestJson,
    get: shortcut("GET"),
    post: shortcut("POST"),
    put: shortcut("PUT"),
    patch: shortcut("PATCH"),
    delete: shortcut("DELETE"),
  };
}

function checkSettings(settings: HttpClientSettings): URL {
  const issues: ValidationIssue[] = [];
  if (typeof settings !== "object" || settings === null) {
    throw new ValidationError("HTTP client settings must be an object", [
      { code: "invalid_type", path: [], message: "Expected a settings object" },
    ]);
  }
  let baseUrl: URL | undefined;
  try {
    baseUrl = new URL(String(settings.baseUrl));
    if (baseUrl.protocol !== "http:" && baseUrl.protocol !== "https:") baseUrl = undefined;
  } catch {
    baseUrl = undefined;
  }
  if (baseUrl === undefined) {
    issues.push({ code: "invalid_value", path: ["baseUrl"], message: "Expected an absolute http(s) URL" });
  } else {
    // Resolve paths under the base path: `https://x/api/v2` + `orders` is `https://x/api/v2/orders`.
    if (!baseUrl.pathname.endsWith("/")) baseUrl.pathname = `${baseUrl.pathname}/`;
    baseUrl.search = "";
    baseUrl.hash = "";
  }
  if (typeof settings.system !== "string" || settings.system.trim().length === 0) {
    issues.push({ code: "invalid_value", path: ["system"], message: "Expected the upstream system's name" });
  }
  const { timeoutMs } = settings;
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
  ) {
    issues.push({
      code: "invalid_value",
      path: ["timeoutMs"],
      message: "Expected a positive number of milliseconds",
    });
  }
  const { maxResponseBytes } = settings;
  if (
    maxResponseBytes !== undefined &&
    (typeof maxResponseBytes !== "number" || !Number.isInteger(maxResponseBytes) || maxResponseBytes < 0)
  ) {
    issues.push({
      code: "invalid_value",
      path: ["maxResponseBytes"],
      message: "Expected a whole number of bytes",
    });
  }
  if (settings.fetch !== undefined && typeof settings.fetch !== "function") {
    issues.push({ code: "invalid_type", path: ["fetch"], message: "Expected a fetch function" });
  }
  if (settings.auth !== undefined && typeof settings.auth?.authorize !== "function") {
    issues.push({
      code: "invalid_type",
      path: ["auth"],
      message: "Expected an AuthProvider with authorize()",
    });
  }
  if (settings.retry !== undefined && settings.retry !== false) {
    try {
      assertRetryPolicy(settings.retry);
    } catch (error) {
      for (const issue of (error as ValidationError).issues)
        issues.push({ ...issue, path: ["retry", ...issue.path] });
    }
  }
  if (settings.headers !== undefined) {
    try {
      new Headers(settings.headers);
    } catch (error) {
      issues.push({
        code: "invalid_value",
        path: ["headers"],
        message: `Headers are invalid: ${(error as Error).message}`,
      });
    }
  }
  if (issues.length > 0 || baseUrl === undefined)
    throw new ValidationError("HTTP client settings are invalid", issues);
  return baseUrl;
}

/**
 * Runs a metrics hook. A hook that throws must not change the request's outcome, and its
 * error is not dropped either: it is reported as a process warning (`process.on("warning")`).
 */
function callHook<E>(name: string, hook: ((event: E) => void) | undefined, event: E): void {
  if (hook === undefined) return;
  try {
    hook(event);
  } catch (error) {
    const warning = new Error(
      `distro HTTP client hook ${name} threw: ${(error as Error)?.message ?? String(error)}`,
      {
        cause: error,
      },
    );
    warning.name = "DistroHookWarning";
    process.emitWarning(warning);
  }
}

/** A positive duration `setTimeout` can wait for (longer ones overflow and fire at once). */
function isTimerDuration(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 && value <= 2_147_483_647;
}

function isStream(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  if (typeof ReadableStream !== "undefined" && body instanceof ReadableStream) return true;
  return Symbol.asyncIterator in body;
}

/** Refused connections never reached the server, so even a POST may be sent again. */
function isConnectionRefused(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if ((current as { code?: unknown }).code === "ECONNREFUSED") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function networkReason(error: unknown): string {
  let current: unknown = error;
  let reason = "unknown transport failure";
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string" && message.length > 0) reason = message;
    current = (current as { cause?: unknown }).cause;
  }
  return redactSecrets(reason);
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

function optionalRedact(value: string | undefined): string | undefined {
  return value === undefined ? undefined : redactSecrets(value);
}
