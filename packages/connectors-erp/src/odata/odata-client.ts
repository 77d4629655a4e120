import {
  createHttpClient,
  DEFAULT_RETRY_POLICY,
  type DistroError,
  isDistroError,
  type RetryPolicy,
  retry,
  UpstreamError,
  ValidationError,
} from "@distro/core";
import { odataErrorFromResponse } from "./odata-errors";

/**
 * A rate limiter the client runs every HTTP call through. Structural: the `@distro/sync`
 * upstream limiter satisfies it, as does any `{ schedule }` wrapper around p-queue.
 */
export interface RequestLimiter {
  /** Runs the task when the budget allows; higher `priority` first. */
  schedule<T>(task: () => Promise<T>, options?: { priority?: number }): Promise<T>;
}

/** A JSON record as an OData service sends it. */
export type ODataRecord = Record<string, unknown>;

/** A record with the ETag it was read with. */
export interface ODataEntity<T extends ODataRecord = ODataRecord> {
  /** The record's properties (V2's `__metadata` removed). */
  value: T;
  /** The ETag (`@odata.etag`, `__metadata.etag` or the `ETag` header), when the service sent one. */
  etag: string | undefined;
}

/** One page of a collection. */
export interface ODataPage<T extends ODataRecord = ODataRecord> {
  /** The records of the page. */
  records: T[];
  /** The link to the next page, when there is one. */
  nextLink: string | undefined;
  /** The page size the server applied (`Preference-Applied`), when it said so. */
  pageSizeApplied: number | undefined;
}

/** System query options. */
export interface ODataQuery {
  /** `$filter` expression (build literals with {@link odataLiteral}). */
  filter?: string;
  /** `$select` property names. */
  select?: readonly string[];
  /** `$expand` navigation properties. */
  expand?: readonly string[];
  /** `$orderby`, e.g. `lastModifiedDateTime asc`. */
  orderBy?: string;
  /** `$top`. */
  top?: number;
  /** `$skip`. */
  skip?: number;
}

/** One operation of a `$batch`. */
export interface ODataBatchOperation {
  /** Your id for the operation (default its position, from 1). */
  id?: string;
  /** HTTP method. */
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** URL relative to the batch endpoint's folder, e.g. `companies(…)/salesOrders`. */
  url: string;
  /** Operation headers, e.g. `If-Match`. */
  headers?: Record<string, string>;
  /** JSON body. */
  body?: unknown;
}

/** The outcome of one `$batch` operation. */
export interface ODataBatchResult {
  /** The operation's id. */
  id: string;
  /** Its position in the list given to {@link ODataClient.batch}. */
  index: number;
  /** The operation's status. */
  status: number;
  /** Whether it succeeded (2xx). */
  ok: boolean;
  /** The operation's response body. */
  body: unknown;
  /** The typed error for a failed operation (status, upstream code, message). */
  error: DistroError | undefined;
}

/** Settings of {@link createODataClient}. */
export interface ODataClientSettings {
  /** Resource root that relative paths resolve against, e.g. `https://…/api/v2.0/companies(…)`. */
  serviceUrl: string;
  /** The `$batch` endpoint (default `<serviceUrl>/$batch`). */
  batchUrl?: string;
  /** Envelope and conventions: `v4` (default) or SAP-style `v2`. */
  version?: "v4" | "v2";
  /** Name used in errors (default `odata`). */
  system?: string;
  /** Headers for each call, e.g. `Authorization` from an OAuth2 token provider. Called per attempt. */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Called after a 401 so the token provider can drop its cached token; the call is retried once. */
  onUnauthorized?: () => void | Promise<void>;
  /** Fetch implementation (default global `fetch`). */
  fetch?: typeof fetch;
  /** Every HTTP call goes through this limiter. */
  limiter?: RequestLimiter;
  /** Server-driven page size asked for with `Prefer: odata.maxpagesize` (V4). */
  maxPageSize?: number;
  /** Fetch a CSRF token (`X-CSRF-Token: Fetch`) before the first write and send it on writes (SAP). */
  csrf?: boolean;
  /** Ask for decimals as strings (`IEEE754Compatible=true`, V4; default true). */
  decimalsAsStrings?: boolean;
  /** Retry policy for retryable failures (reads, ETag-guarded writes, and 429 on any call). */
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
  /** Sleep used between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for backoff jitter. */
  random?: () => number;
}

/** Options of {@link ODataClient.update}. */
export interface ODataUpdateOptions<T extends ODataRecord> {
  /**
   * Opt-in re-read-and-reapply on a stale ETag: called with the current record; return the
   * patch to apply to it (or `undefined` to give up with the conflict error).
   */
  reapply?: (current: T, patch: ODataRecord) => ODataRecord | undefined;
}

/** A client for one OData service (V4 or SAP-style V2). */
export interface ODataClient {
  /** Pages of a collection, following `@odata.nextLink` / `__next`. */
  pages<T extends ODataRecord = ODataRecord>(path: string, query?: ODataQuery): AsyncGenerator<ODataPage<T>>;
  /** Records of a collection, one at a time, across pages. */
  list<T extends ODataRecord = ODataRecord>(path: string, query?: ODataQuery): AsyncGenerator<T>;
  /** One record with its ETag. */
  get<T extends ODataRecord = ODataRecord>(path: string, query?: ODataQuery): Promise<ODataEntity<T>>;
  /** Creates a record (POST, never retried except on 429); returns it with its ETag. */
  create<T extends ODataRecord = ODataRecord>(
    path: string,
    body: ODataRecord,
    query?: ODataQuery,
  ): Promise<ODataEntity<T>>;
  /** Updates a record with `If-Match: <etag>`; a stale ETag throws `ConflictError` unless `reapply` resolves it. */
  update<T extends ODataRecord = ODataRecord>(
    path: string,
    etag: string,
    patch: ODataRecord,
    options?: ODataUpdateOptions<T>,
  ): Promise<ODataEntity<T>>;
  /** Invokes a bound action (POST without a result body). */
  invoke(path: string, body?: ODataRecord): Promise<void>;
  /** JSON `$batch` (V4), 100 operations per request; results per operation, in order. */
  batch(operations: readonly ODataBatchOperation[]): Promise<ODataBatchResult[]>;
}

/**
 * Writes a value as an OData literal for `$filter`: strings quoted with `'` doubled,
 * numbers and booleans bare, dates as given.
 *
 * @param value - a string, number or boolean
 * @returns the literal
 * @example
 * ```ts
 * `externalDocumentNumber eq ${odataLiteral("O'Neil-1")}`; // "externalDocumentNumber eq 'O''Neil-1'"
 * ```
 */
export function odataLiteral(value: string | number | boolean): string {
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'`;
  return String(value);
}

/**
 * Builds the query string (`$filter`, `$select`, `$expand`, `$orderby`, `$top`, `$skip`).
 *
 * @param query - the options
 * @returns the query string without `?` (empty when no option is set)
 * @example
 * ```ts
 * buildODataQuery({ filter: "number eq 'I-1'", select: ["number", "unitPrice"] });
 * // "%24filter=number+eq+%27I-1%27&%24select=number%2CunitPrice"
 * ```
 */
export function buildODataQuery(query: ODataQuery = {}): string {
  const params = new URLSearchParams();
  if (query.filter) params.set("$filter", query.filter);
  if (query.select?.length) params.set("$select", query.select.join(","));
  if (query.expand?.length) params.set("$expand", query.expand.join(","));
  if (query.orderBy) params.set("$orderby", query.orderBy);
  if (query.top !== undefined) params.set("$top", String(query.top));
  if (query.skip !== undefined) params.set("$skip", String(query.skip));
  return params.toString();
}

interface Sent {
  status: number;
  headers: Headers;
  text: string;
}

const BATCH_LIMIT = 100;

/**
 * Creates an OData client: server-driven paging (`@odata.nextLink`, `Prefer:
 * odata.maxpagesize`; V2 `__next`), ETag + `If-Match` on every update with typed conflicts
 * and opt-in re-read-and-reapply, JSON `$batch` in chunks of 100 with per-operation results,
 * CSRF token handling for SAP services, V4 and V2 envelopes, a limiter in front of every
 * call, and retries that honour `Retry-After` without ever repeating a non-idempotent write
 * that may have been applied.
 *
 * @param settings - service URL, version, auth headers, limiter, fetch
 * @returns the client
 * @throws ValidationError when the service URL is not an absolute URL
 * @example
 * ```ts
 * const client = createODataClient({ serviceUrl: "https://erp.example.com/odata/v4/sales", maxPageSize: 1000 });
 * for await (const page of client.pages("items", { select: ["number", "unitPrice"] })) {
 *   console.log(page.records.length);
 * }
 * ```
 */
export function createODataClient(settings: ODataClientSettings): ODataClient {
  let base: URL;
  try {
    base = new URL(settings.serviceUrl.endsWith("/") ? settings.serviceUrl : `${settings.serviceUrl}/`);
  } catch (error) {
    throw new ValidationError(
      "OData serviceUrl is not an absolute URL",
      [{ code: "invalid_url", path: ["serviceUrl"], message: `Not an absolute URL: ${settings.serviceUrl}` }],
      { cause: error },
    );
  }
  const version = settings.version ?? "v4";
  const system = settings.system ?? "odata";
  const fetchImpl = settings.fetch ?? fetch;
  const timeoutMs = settings.timeoutMs ?? 30_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...settings.retry };
  const retryOptions = {
    ...(settings.sleep
      ? { sleep: (ms: number) => (settings.sleep as (ms: number) => Promise<void>)(ms) }
      : {}),
    ...(settings.random ? { random: settings.random } : {}),
  };
  const accept =
    version === "v4" && settings.decimalsAsStrings !== false
      ? "application/json;odata.metadata=minimal;IEEE754Compatible=true"
      : "application/json";
  let csrfToken: string | undefined;
  const cookies = new Map<string, string>();

  const resolve = (path: string): string =>
    /^https?:\/\//.test(path) ? path : new URL(path, base).toString();

  const rememberCookies = (headers: Headers): void => {
    const list = typeof headers.getSetCookie === "function" ? headers.getSetCookie() : [];
    for (const line of list) {
      const [pair = ""] = line.split(";");
      const index = pair.indexOf("=");
      if (index > 0) cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
  };

  const http = createHttpClient({
    baseUrl: base,
    system,
    fetch: fetchImpl,
    timeoutMs,
    retry: false,
    ...(settings.sleep
      ? { sleep: (ms: number) => (settings.sleep as (ms: number) => Promise<void>)(ms) }
      : {}),
  });

  /**
   * One HTTP exchange through core's client. Non-2xx answers come back as data (status,
   * the error body the client kept, `Retry-After`) so OData codes, CSRF and ETag rules are
   * read here; transport failures stay the client's typed errors.
   */
  const attempt = async (
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Sent> => {
    const run = async (): Promise<Sent> => {
      const auth = settings.headers ? await settings.headers() : {};
      const all: Record<string, string> = { accept, ...auth, ...headers };
      if (cookies.size > 0) all.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
      if (body !== undefined) all["content-type"] = "application/json";
      try {
        const response = await http.request({
          method,
          path: url,
          headers: all,
          ...(body === undefined ? {} : { body }),
          retry: false,
        });
        rememberCookies(response.headers);
        return { status: response.status, headers: response.headers, text: await response.text() };
      } catch (error) {
        const upstream = upstreamOf(error);
        if (upstream === undefined) throw error;
        const answered = new Headers();
        if (upstream.retryAfterMs !== undefined)
          answered.set("retry-after", String(Math.ceil(upstream.retryAfterMs / 1000)));
        return { status: upstream.status, headers: answered, text: upstream.bodyExcerpt ?? "" };
      }
    };
    return settings.limiter ? settings.limiter.schedule(run) : run();
  };

  const upstreamOf = (error: unknown): UpstreamError | undefined => {
    for (let current = error, depth = 0; depth < 3 && isDistroError(current); depth++) {
      if (
        current instanceof UpstreamError ||
        current.code === "UPSTREAM_ERROR" ||
        current.code === "UPSTREAM_CONFLICT"
      ) {
        const candidate = current as UpstreamError;
        if (typeof candidate.status === "number" && candidate.status >= 400) return candidate;
      }
      current = (current as { cause?: unknown }).cause;
    }
    return undefined;
  };

  const ensureCsrf = async (refresh: boolean): Promise<void> => {
    if (!settings.csrf || (csrfToken !== undefined && !refresh)) return;
    const sent = await attempt("GET", base.toString(), { "x-csrf-token": "Fetch" });
    const token = sent.headers.get("x-csrf-token");
    if (sent.status >= 400 || !token) {
      throw odataErrorFromResponse({ ...sent, body: sent.text, system, operation: "CSRF token fetch" });
    }
    csrfToken = token;
  };

  /** One logical call: auth refresh on 401 once, CSRF refresh on 403 Required once, typed errors. */
  const call = async (
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Sent> => {
    const write = method !== "GET";
    if (write) await ensureCsrf(false);
    const withToken = (): Record<string, string> =>
      write && csrfToken !== undefined ? { ...headers, "x-csrf-token": csrfToken } : headers;
    let sent = await attempt(method, url, withToken(), body);
    if (sent.status === 401 && settings.onUnauthorized) {
      await settings.onUnauthorized();
      sent = await attempt(method, url, withToken(), body);
    }
    // SAP answers 403 with `X-CSRF-Token: Required` when the token expired; that header is
    // not kept on error answers, so any 403 to a write refetches the token and tries once more.
    if (write && settings.csrf && sent.status === 403) {
      await ensureCsrf(true);
      sent = await attempt(method, url, withToken(), body);
    }
    if (sent.status >= 400) {
      throw odataErrorFromResponse({
        status: sent.status,
        headers: sent.headers,
        body: sent.text,
        system,
        operation: `${method} ${new URL(url).pathname}`,
      });
    }
    return sent;
  };

  /** Retries: any retryable failure for safe calls; only "not processed" (429) for unsafe ones. */
  const withRetry = <T>(safe: boolean, task: () => Promise<T>): Promise<T> =>
    retry(
      () => task(),
      {
        ...policy,
        retryOn: (error) =>
          isDistroError(error) && error.retryable && (safe || error.code === "RATE_LIMITED"),
      },
      retryOptions,
    );

  const parseJson = (sent: Sent, operation: string): unknown => {
    if (sent.text === "") return undefined;
    try {
      return JSON.parse(sent.text);
    } catch (error) {
      throw new ValidationError(
        `${system} ${operation} answered a body that is not JSON`,
        [{ code: "invalid_json", path: ["body"], message: sent.text.slice(0, 120) }],
        { cause: error },
      );
    }
  };

  const unwrapRecord = (raw: unknown, headerEtag: string | null, operation: string): ODataEntity => {
    const value =
      version === "v2" && typeof raw === "object" && raw !== null && "d" in raw
        ? (raw as { d: unknown }).d
        : raw;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ValidationError(`${system} ${operation} did not answer a record`, [
        { code: "invalid_type", path: version === "v2" ? ["d"] : [], message: "Expected a JSON object" },
      ]);
    }
    const record = { ...(value as ODataRecord) };
    let etag: string | undefined = headerEtag ?? undefined;
    if (typeof record["@odata.etag"] === "string") etag = record["@odata.etag"] as string;
    const metadata = record.__metadata as { etag?: unknown } | undefined;
    if (metadata && typeof metadata.etag === "string") etag = metadata.etag;
    delete record.__metadata;
    return { value: record, etag };
  };

  const unwrapPage = (
    raw: unknown,
    operation: string,
  ): { records: ODataRecord[]; nextLink: string | undefined } => {
    if (version === "v2") {
      const d = (raw as { d?: unknown } | undefined)?.d;
      const results = Array.isArray(d) ? d : (d as { results?: unknown } | undefined)?.results;
      if (!Array.isArray(results)) {
        throw new ValidationError(`${system} ${operation} did not answer a V2 collection`, [
          { code: "invalid_type", path: ["d", "results"], message: "Expected an array" },
        ]);
      }
      const next = (d as { __next?: unknown }).__next;
      return {
        records: results.map((entry) => unwrapRecord(entry, null, operation).value),
        nextLink: typeof next === "string" ? next : undefined,
      };
    }
    const value = (raw as { value?: unknown } | undefined)?.value;
    if (!Array.isArray(value)) {
      throw new ValidationError(`${system} ${operation} did not answer a collection`, [
        { code: "invalid_type", path: ["value"], message: "Expected an array" },
      ]);
    }
    const next = (raw as { "@odata.nextLink"?: unknown })["@odata.nextLink"];
    return {
      records: value as ODataRecord[],
      nextLink: typeof next === "string" ? next : undefined,
    };
  };

  const withQuery = (path: string, query?: ODataQuery): string => {
    const text = buildODataQuery(query);
    const url = resolve(path);
    return text === "" ? url : `${url}${url.includes("?") ? "&" : "?"}${text}`;
  };

  const getEntity = async <T extends ODataRecord>(
    path: string,
    query?: ODataQuery,
  ): Promise<ODataEntity<T>> => {
    const url = withQuery(path, query);
    const sent = await withRetry(true, () => call("GET", url, {}));
    return unwrapRecord(
      parseJson(sent, `GET ${path}`),
      sent.headers.get("etag"),
      `GET ${path}`,
    ) as ODataEntity<T>;
  };

  const patchOnce = async <T extends ODataRecord>(
    path: string,
    etag: string,
    patch: ODataRecord,
  ): Promise<ODataEntity<T>> => {
    const url = resolve(path);
    const method = version === "v2" ? "MERGE" : "PATCH";
    const sent = await withRetry(true, () => call(method, url, { "if-match": etag }, JSON.stringify(patch)));
    if (sent.status === 204 || sent.text === "") return getEntity<T>(path);
    return unwrapRecord(
      parseJson(sent, `PATCH ${path}`),
      sent.headers.get("etag"),
      `PATCH ${path}`,
    ) as ODataEntity<T>;
  };

  const client: ODataClient = {
    async *pages<T extends ODataRecord>(path: string, query?: ODataQuery) {
      let url: string | undefined = withQuery(path, query);
      const prefer: Record<string, string> =
        version === "v4" && settings.maxPageSize
          ? { prefer: `odata.maxpagesize=${settings.maxPageSize}` }
          : {};
      while (url !== undefined) {
        const current: string = url;
        const sent = await withRetry(true, () => call("GET", current, prefer));
        const page = unwrapPage(parseJson(sent, `GET ${path}`), `GET ${path}`);
        const applied = /odata\.maxpagesize=(\d+)/.exec(sent.headers.get("preference-applied") ?? "");
        yield {
          records: page.records as T[],
          nextLink: page.nextLink,
          pageSizeApplied: applied ? Number(applied[1]) : undefined,
        };
        url = page.nextLink === undefined ? undefined : resolve(page.nextLink);
      }
    },
    async *list<T extends ODataRecord>(path: string, query?: ODataQuery) {
      for await (const page of client.pages<T>(path, query)) yield* page.records;
    },
    get: getEntity,
    async create<T extends ODataRecord>(path: string, body: ODataRecord, query?: ODataQuery) {
      const url = withQuery(path, query);
      const sent = await withRetry(false, () => call("POST", url, {}, JSON.stringify(body)));
      return unwrapRecord(
        parseJson(sent, `POST ${path}`),
        sent.headers.get("etag"),
        `POST ${path}`,
      ) as ODataEntity<T>;
    },
    async update<T extends ODataRecord>(
      path: string,
      etag: string,
      patch: ODataRecord,
      options: ODataUpdateOptions<T> = {},
    ) {
      try {
        return await patchOnce<T>(path, etag, patch);
      } catch (error) {
        if (!(isDistroError(error) && error.code === "CONFLICT") || options.reapply === undefined)
          throw error;
        const current = await getEntity<T>(path);
        const again = options.reapply(current.value, patch);
        if (again === undefined || current.etag === undefined) throw error;
        return patchOnce<T>(path, current.etag, again);
      }
    },
    async invoke(path: string, body?: ODataRecord) {
      const url = resolve(path);
      await withRetry(false, () =>
        call("POST", url, {}, body === undefined ? undefined : JSON.stringify(body)),
      );
    },
    async batch(operations: readonly ODataBatchOperation[]) {
      if (version !== "v4") {
        throw new ValidationError("JSON $batch needs an OData v4 service", [
          { code: "unsupported", path: ["version"], message: "Use multipart $batch or single calls for V2" },
        ]);
      }
      const batchUrl = settings.batchUrl ?? resolve("$batch");
      const results: ODataBatchResult[] = new Array(operations.length);
      for (let start = 0; start < operations.length; start += BATCH_LIMIT) {
        const chunk = operations.slice(start, start + BATCH_LIMIT);
        const requests = chunk.map((operation, offset) => ({
          id: operation.id ?? String(start + offset + 1),
          method: operation.method,
          url: operation.url,
          headers: { "content-type": "application/json", ...operation.headers },
          ...(operation.body === undefined ? {} : { body: operation.body }),
        }));
        const sent = await withRetry(false, () => call("POST", batchUrl, {}, JSON.stringify({ requests })));
        const parsed = parseJson(sent, "POST $batch") as { responses?: unknown } | undefined;
        if (!parsed || !Array.isArray(parsed.responses)) {
          throw new ValidationError(`${system} $batch answered no responses array`, [
            { code: "invalid_type", path: ["responses"], message: "Expected an array" },
          ]);
        }
        const byId = new Map<string, Record<string, unknown>>();
        for (const entry of parsed.responses as Record<string, unknown>[]) byId.set(String(entry.id), entry);
        requests.forEach((request, offset) => {
          const index = start + offset;
          const entry = byId.get(request.id);
          if (entry === undefined) {
            results[index] = {
              id: request.id,
              index,
              status: 0,
              ok: false,
              body: undefined,
              error: new UpstreamError(`${system} $batch gave no response for operation ${request.id}`, {
                status: 0,
                system,
                retryable: false,
              }),
            };
            return;
          }
          const status = typeof entry.status === "number" ? entry.status : 0;
          const ok = status >= 200 && status < 300;
          const headers = new Headers((entry.headers ?? {}) as Record<string, string>);
          results[index] = {
            id: request.id,
            index,
            status,
            ok,
            body: entry.body,
            error: ok
              ? undefined
              : odataErrorFromResponse({
                  status,
                  headers,
                  body: JSON.stringify(entry.body ?? ""),
                  system,
                  operation: `$batch operation ${request.id} (${request.method} ${request.url})`,
                }),
          };
        });
      }
      return results;
    },
  };
  return client;
}
