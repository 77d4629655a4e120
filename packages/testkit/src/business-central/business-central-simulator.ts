import { randomBytes, randomUUID } from "node:crypto";
import type { DecimalString } from "@distro/core";
import {
  type FaultInjector,
  jsonResponse,
  type Ledger,
  realSleep,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorRouter,
  startSimulatorServer,
} from "../shared/index";
import {
  type BusinessCentralBooking,
  BusinessCentralProblem,
  type BusinessCentralSeed,
  BusinessCentralStore,
  ENTITY_PROPERTIES,
  type StoredEntity,
} from "./business-central-store";
import { ODataFilterSyntaxError, parseODataFilter } from "./odata-filter";

/** A request as a fault rule sees it (a top-level request or one `$batch` operation). */
export interface BusinessCentralFaultTarget {
  /** HTTP method, upper-case. */
  method: string;
  /** Path without the query, e.g. `/api/v2.0/companies(…)/salesOrders`. */
  path: string;
  /** Whether it is an operation inside a `$batch`. */
  inBatch: boolean;
}

/** One injected business-level fault: which requests or `$batch` operations it hits, how often, and the status and code it answers. */
export interface BusinessCentralFault {
  /** Which requests: method and a path pattern, or a predicate. Omitted: every request. */
  match?: { method?: string; path?: string | RegExp } | ((target: BusinessCentralFaultTarget) => boolean);
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Answer this status with a Business Central error body. */
  status: number;
  /** The error code in the body (default derived from the status). */
  code?: string;
  /** Extra response headers, e.g. `{ "retry-after": "1" }`. */
  headers?: Record<string, string>;
}

/** Settings of {@link createBusinessCentralSimulator}. */
export interface BusinessCentralSimulatorSettings {
  /** The company GUID (random by default). */
  companyId?: string;
  /** Seed data size. */
  seed?: BusinessCentralSeed;
  /** Client credentials the token endpoint accepts (default `distro-client` / `distro-secret`). */
  credentials?: { clientId: string; clientSecret: string };
  /** Token lifetime in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Request budget: `requests` per `windowMs` sliding window (default 6,000 per 5 minutes, as Business Central). */
  rateLimit?: { requests: number; windowMs: number };
  /** Requests processed at once before answering 429 (default 5, as Business Central per user). */
  maxConcurrentRequests?: number;
  /** Largest page the server sends (default 20,000, as Business Central). */
  maxPageSize?: number;
  /** Latency added to every top-level request, in milliseconds (default 0). */
  latencyMs?: number;
  /** Refuse a second order with the same external document number (default false, as Business Central). */
  rejectDuplicateExternalDocumentNumbers?: boolean;
  /** Clock in epoch milliseconds (default `Date.now`). */
  clock?: () => number;
  /** Randomness for ratio faults (default `Math.random`). */
  random?: () => number;
  /** Waits the given milliseconds (default a real timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** Traffic counters of a {@link BusinessCentralSimulator}. */
export interface BusinessCentralTraffic {
  /** Top-level HTTP requests received (token calls excluded). */
  requests: number;
  /** Operations executed inside `$batch` requests. */
  batchOperations: number;
  /** Requests answered 429 because the rate budget was spent. */
  rateLimited: number;
  /** Requests answered 429 because too many were in flight. */
  concurrencyLimited: number;
  /** The most requests seen in flight at once. */
  peakConcurrency: number;
  /** Requests per method and entity set, e.g. `GET items: 50`. */
  byOperation: Record<string, number>;
}

/** A running Business Central-like OData v4 server on loopback. */
export interface BusinessCentralSimulator {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The company GUID. */
  readonly companyId: string;
  /** The API root of the company: `<url>/api/v2.0/companies(<id>)`. */
  readonly companyUrl: string;
  /** The service root: `<url>/api/v2.0`. */
  readonly serviceUrl: string;
  /** The OAuth2 token endpoint (client credentials grant). */
  readonly tokenUrl: string;
  /** The client credentials the token endpoint accepts. */
  readonly credentials: { clientId: string; clientSecret: string };
  /** Every order booked, in order. */
  bookings(): BusinessCentralBooking[];
  /** Bookings counted per external document number: a correct client leaves every count at 1. */
  bookingsByKey(): Map<string, number>;
  /** Traffic counters. */
  traffic(): BusinessCentralTraffic;
  /** Adds a business-level fault (Business Central error code; can hit single `$batch` operations); returns a function that removes it. */
  injectFault(fault: BusinessCentralFault): () => void;
  /** Reads an entity by set and `number` (or id), as stored (decimal strings). */
  record(set: string, numberOrId: string): Record<string, unknown> | undefined;
  /** Changes an entity as another ERP user would: its ETag changes. */
  update(set: string, numberOrId: string, changes: Record<string, unknown>): void;
  /** Posts shipment and invoice for the reserved quantities of an order. */
  shipAndInvoice(orderNumber: string): { shipmentNumber: string; invoiceNumber: string };
  /** Receives stock at a location and allocates it to waiting backorders. */
  receiveStock(itemNumber: string, locationCode: string, quantity: DecimalString): void;
  /** Every HTTP request served (the shared testkit ledger). */
  readonly ledger: Ledger;
  /** Transport-level faults (latency, 429, 5xx, reset) from the shared testkit base. */
  readonly faults: FaultInjector;
  /** Stops the server. */
  close(): Promise<void>;
}

const DECIMAL_PROPERTIES = new Set([
  "unitPrice",
  "inventory",
  "creditLimit",
  "balanceDue",
  "outstandingOrdersAmount",
  "minimumQuantity",
  "reservedQuantity",
  "availableQuantity",
  "totalAmountExcludingTax",
  "quantity",
  "backorderQuantity",
  "shippedQuantity",
  "invoicedQuantity",
  "amountExcludingTax",
]);

const NAVIGATIONS: Record<string, Record<string, string>> = {
  salesOrders: { salesOrderLines: "salesOrderLines" },
  salesShipments: { salesShipmentLines: "salesShipmentLines" },
  salesInvoices: { salesInvoiceLines: "salesInvoiceLines" },
};

const PATCHABLE: Record<string, readonly string[]> = {
  customers: ["displayName", "email", "blocked", "creditLimit", "customerPriceGroup"],
  salesOrders: ["orderDate"],
  items: ["displayName", "blocked", "unitPrice", "itemCategoryCode"],
};

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface Operation {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  inBatch: boolean;
}

function etagOf(entity: StoredEntity): string {
  return `W/"${Buffer.from(`${entity.id};${entity.version}`).toString("base64")}"`;
}

function problemReply(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return { status, headers, body: { error: { code, message } } };
}

function defaultCode(status: number): string {
  if (status === 429) return "Application_TooManyRequests";
  if (status === 503) return "Application_ServiceUnavailable";
  if (status >= 500) return "Internal_ServerError";
  if (status === 404) return "BadRequest_NotFound";
  if (status === 409) return "Request_EntityChanged";
  return "BadRequest";
}

/**
 * Starts a Business Central-like OData v4 server on 127.0.0.1 (a free port): items stocked
 * in three warehouses, price rows (list, price group with quantity breaks, customer
 * contract, sub-cent unit prices), customers with credit limits and exposure, sales orders
 * with deep-inserted lines that are priced, credit-checked and allocated (shortage becomes
 * backorder), order numbers, shipment and invoice posting, `$filter` / `$select` /
 * `$expand` / `$orderby` / `$top` / `$skip`, server paging through `@odata.nextLink` and
 * `Prefer: odata.maxpagesize`, ETags that change on every write with `If-Match` checks (409
 * `Request_EntityChanged`), JSON `$batch` (100 operations), OAuth2 client credentials, the
 * 6,000-per-5-minutes budget and 5 concurrent requests (429 with `Retry-After`), fault
 * injection, and a booking ledger.
 *
 * @param settings - limits, seed size, credentials, clock
 * @returns the running simulator
 * @example
 * ```ts
 * import { createBusinessCentralSimulator } from "@distro/testkit/business-central";
 *
 * const erp = await createBusinessCentralSimulator({ rateLimit: { requests: 100, windowMs: 1000 } });
 * // point a client at erp.companyUrl, authenticate at erp.tokenUrl with erp.credentials
 * erp.bookingsByKey(); // Map { "WEB-1001" => 1 }
 * await erp.close();
 * ```
 */
export async function createBusinessCentralSimulator(
  settings: BusinessCentralSimulatorSettings = {},
): Promise<BusinessCentralSimulator> {
  const clock = settings.clock ?? Date.now;
  const sleep = settings.sleep ?? realSleep;
  const companyId = settings.companyId ?? randomUUID();
  const credentials = settings.credentials ?? { clientId: "distro-client", clientSecret: "distro-secret" };
  const tokenLifetime = settings.tokenLifetimeSeconds ?? 3600;
  const rateLimit = settings.rateLimit ?? { requests: 6000, windowMs: 300_000 };
  const maxConcurrent = settings.maxConcurrentRequests ?? 5;
  const maxPageSize = settings.maxPageSize ?? 20_000;
  const store = new BusinessCentralStore(clock, settings.seed);
  const tokens = new Map<string, number>();
  const windowStarts: number[] = [];
  const faults: { fault: BusinessCentralFault; remaining: number }[] = [];
  const traffic: BusinessCentralTraffic = {
    requests: 0,
    batchOperations: 0,
    rateLimited: 0,
    concurrencyLimited: 0,
    peakConcurrency: 0,
    byOperation: {},
  };
  let inFlight = 0;
  let origin = "";

  const takeFault = (target: BusinessCentralFaultTarget): BusinessCentralFault | undefined => {
    for (const entry of faults) {
      if (entry.remaining <= 0) continue;
      const match = entry.fault.match;
      const hit =
        match === undefined
          ? true
          : typeof match === "function"
            ? match(target)
            : (match.method === undefined || match.method === target.method) &&
              (match.path === undefined ||
                (typeof match.path === "string"
                  ? target.path.includes(match.path)
                  : match.path.test(target.path)));
      if (hit) {
        entry.remaining -= 1;
        return entry.fault;
      }
    }
    return undefined;
  };

  const serialize = (
    setName: string,
    entity: StoredEntity,
    operation: Operation,
    select?: string[],
    expand?: string[],
  ): Record<string, unknown> => {
    const ieee754 = /IEEE754Compatible=true/i.test(operation.headers.accept ?? "");
    const out: Record<string, unknown> = { "@odata.etag": etagOf(entity) };
    for (const name of ENTITY_PROPERTIES[setName] ?? []) {
      if (select && !select.includes(name) && name !== "id") continue;
      const value = entity[name];
      out[name] =
        DECIMAL_PROPERTIES.has(name) && typeof value === "string" && !ieee754 ? Number(value) : value;
    }
    for (const navigation of expand ?? []) {
      const lineSet = NAVIGATIONS[setName]?.[navigation];
      if (!lineSet) continue;
      out[navigation] = store.linesOf(lineSet, entity.id).map((line) => serialize(lineSet, line, operation));
    }
    return out;
  };

  const parseList = (
    value: string | null,
    allowed: readonly string[],
    what: string,
  ): string[] | undefined => {
    if (value === null) return undefined;
    const names = value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
    for (const name of names) {
      if (!allowed.includes(name)) {
        throw new BusinessCentralProblem(
          400,
          "BadRequest_InvalidToken",
          `${what}: could not find a property named '${name}'`,
        );
      }
    }
    return names;
  };

  const readDecimal = (value: unknown): string | undefined =>
    typeof value === "number" ? String(value) : typeof value === "string" ? value : undefined;

  const listCollection = (
    setName: string,
    operation: Operation,
    rows: StoredEntity[],
    path: string,
  ): Reply => {
    const fields = ENTITY_PROPERTIES[setName] ?? [];
    let results: StoredEntity[] | undefined = rows;
    const filterText = operation.query.get("$filter");
    const equalities =
      filterText === null
        ? null
        : /^\(?\s*(\w+) eq '([^']*)'((?:\s+or\s+\1 eq '[^']*')*)\s*\)?$/.exec(filterText);
    const indexed =
      equalities && rows === undefined
        ? (() => {
            const field = equalities[1] as string;
            const values = [
              equalities[2] as string,
              ...[...(equalities[3] ?? "").matchAll(/eq '([^']*)'/g)].map((m) => m[1] as string),
            ];
            const found: StoredEntity[] = [];
            for (const value of values) {
              const hits = store.lookup(setName, field, value);
              if (hits === undefined) return undefined;
              found.push(...hits);
            }
            return found;
          })()
        : undefined;
    if (indexed !== undefined) {
      results = indexed;
    } else if (filterText !== null) {
      results ??= [...store.set(setName).values()];
      try {
        const predicate = parseODataFilter(filterText, fields);
        results = results.filter((entity) => predicate(entity));
      } catch (error) {
        if (error instanceof ODataFilterSyntaxError)
          throw new BusinessCentralProblem(400, "BadRequest_InvalidToken", error.message);
        throw error;
      }
    }
    results ??= [...store.set(setName).values()];
    const orderBy = operation.query.get("$orderby");
    if (orderBy !== null) {
      const [field = "", direction = "asc"] = orderBy.trim().split(/\s+/);
      if (!fields.includes(field))
        throw new BusinessCentralProblem(
          400,
          "BadRequest_InvalidToken",
          `$orderby: unknown property '${field}'`,
        );
      const sign = direction === "desc" ? -1 : 1;
      results = [...results].sort((a, b) => {
        const left = String(a[field]);
        const right = String(b[field]);
        return left < right ? -sign : left > right ? sign : 0;
      });
    }
    const select = parseList(operation.query.get("$select"), fields, "$select");
    const expand = parseList(
      operation.query.get("$expand"),
      Object.keys(NAVIGATIONS[setName] ?? {}),
      "$expand",
    );
    const skip = Number(operation.query.get("$skip") ?? "0");
    const topText = operation.query.get("$top");
    const windowed = results.slice(skip, topText === null ? undefined : skip + Number(topText));
    const preference = /odata\.maxpagesize=(\d+)/.exec(operation.headers.prefer ?? "");
    const preferred = preference ? Number(preference[1]) : undefined;
    const pageSize = Math.max(1, Math.min(preferred ?? maxPageSize, maxPageSize));
    const offset = Number(operation.query.get("$skiptoken") ?? "0");
    const page = windowed.slice(offset, offset + pageSize);
    const body: Record<string, unknown> = {
      "@odata.context": `${origin}/api/v2.0/$metadata#companies(${companyId})/${setName}`,
      value: page.map((entity) => serialize(setName, entity, operation, select, expand)),
    };
    if (offset + pageSize < windowed.length) {
      const next = new URLSearchParams(operation.query);
      next.set("$skiptoken", String(offset + pageSize));
      body["@odata.nextLink"] = `${origin}${path}?${next.toString()}`;
    }
    const headers: Record<string, string> = {};
    if (preferred !== undefined) headers["preference-applied"] = `odata.maxpagesize=${pageSize}`;
    return { status: 200, headers, body };
  };

  const checkIfMatch = (entity: StoredEntity, operation: Operation): void => {
    const ifMatch = operation.headers["if-match"];
    if (ifMatch === undefined) {
      throw new BusinessCentralProblem(
        428,
        "Request_PreconditionRequired",
        "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.",
      );
    }
    if (ifMatch !== "*" && ifMatch !== etagOf(entity)) {
      throw new BusinessCentralProblem(
        409,
        "Request_EntityChanged",
        "Another user has already changed the record.",
      );
    }
  };

  const dispatch = (operation: Operation): Reply => {
    const fault = takeFault({ method: operation.method, path: operation.path, inBatch: operation.inBatch });
    if (fault?.status !== undefined) {
      return problemReply(
        fault.status,
        fault.code ?? defaultCode(fault.status),
        `Injected fault ${fault.status}`,
        fault.headers,
      );
    }
    const prefix = "/api/v2.0";
    if (!operation.path.startsWith(prefix))
      throw new BusinessCentralProblem(404, "BadRequest_NotFound", `No route for ${operation.path}`);
    const rest = operation.path.slice(prefix.length);
    if (rest === "/companies" && operation.method === "GET") {
      return {
        status: 200,
        headers: {},
        body: { value: [{ id: companyId, name: "CRONUS USA, Inc.", displayName: "CRONUS USA, Inc." }] },
      };
    }
    const match = /^\/companies\(([^)]+)\)\/([A-Za-z]+)(?:\(([^)]+)\))?(?:\/([A-Za-z.]+))?$/.exec(rest);
    if (!match)
      throw new BusinessCentralProblem(404, "BadRequest_NotFound", `No route for ${operation.path}`);
    const [, company, setName = "", key, navigation] = match;
    if (company !== companyId)
      throw new BusinessCentralProblem(404, "BadRequest_NotFound", `Company ${company} not found`);
    const label = `${operation.method} ${setName}${key ? "(id)" : ""}${navigation ? `/${navigation}` : ""}`;
    traffic.byOperation[label] = (traffic.byOperation[label] ?? 0) + 1;
    if (!(setName in ENTITY_PROPERTIES))
      throw new BusinessCentralProblem(404, "BadRequest_NotFound", `Resource '${setName}' not found`);
    const set = store.set(setName);
    if (key === undefined) {
      if (operation.method === "GET")
        return listCollection(setName, operation, [...set.values()], operation.path);
      if (operation.method === "POST" && setName === "salesOrders") {
        if (typeof operation.body !== "object" || operation.body === null) {
          throw new BusinessCentralProblem(400, "BadRequest", "The request body must be a JSON object");
        }
        const order = store.createSalesOrder(
          operation.body as Record<string, unknown>,
          settings.rejectDuplicateExternalDocumentNumbers === true,
        );
        const expand = parseList(operation.query.get("$expand"), ["salesOrderLines"], "$expand");
        return {
          status: 201,
          headers: { etag: etagOf(order), location: `${origin}${operation.path}(${order.id})` },
          body: serialize(setName, order, operation, undefined, expand),
        };
      }
      throw new BusinessCentralProblem(
        405,
        "BadRequest_MethodNotAllowed",
        `${operation.method} is not allowed on ${setName}`,
      );
    }
    const id = key.replace(/^'|'$/g, "");
    const entity = set.get(id);
    if (!entity)
      throw new BusinessCentralProblem(
        404,
        "BadRequest_NotFound",
        `The ${setName} record '${id}' does not exist`,
      );
    if (
      navigation === "Microsoft.NAV.shipAndInvoice" &&
      operation.method === "POST" &&
      setName === "salesOrders"
    ) {
      store.shipAndInvoice(entity.id);
      return { status: 204, headers: {}, body: undefined };
    }
    if (navigation !== undefined) {
      const lineSet = NAVIGATIONS[setName]?.[navigation];
      if (!lineSet || operation.method !== "GET")
        throw new BusinessCentralProblem(404, "BadRequest_NotFound", `No route for ${operation.path}`);
      return listCollection(lineSet, operation, store.linesOf(lineSet, entity.id), operation.path);
    }
    if (operation.method === "GET") {
      const select = parseList(operation.query.get("$select"), ENTITY_PROPERTIES[setName] ?? [], "$select");
      const expand = parseList(
        operation.query.get("$expand"),
        Object.keys(NAVIGATIONS[setName] ?? {}),
        "$expand",
      );
      return {
        status: 200,
        headers: { etag: etagOf(entity) },
        body: serialize(setName, entity, operation, select, expand),
      };
    }
    if (operation.method === "PATCH") {
      checkIfMatch(entity, operation);
      const allowed = PATCHABLE[setName] ?? [];
      const patch = (operation.body ?? {}) as Record<string, unknown>;
      const changes: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(patch)) {
        if (name.startsWith("@odata")) continue;
        if (!allowed.includes(name))
          throw new BusinessCentralProblem(400, "BadRequest", `The property '${name}' cannot be modified`);
        changes[name] = DECIMAL_PROPERTIES.has(name) ? readDecimal(value) : value;
      }
      store.touch(entity, changes);
      return { status: 200, headers: { etag: etagOf(entity) }, body: serialize(setName, entity, operation) };
    }
    throw new BusinessCentralProblem(
      405,
      "BadRequest_MethodNotAllowed",
      `${operation.method} is not allowed on ${setName}(id)`,
    );
  };

  const safeDispatch = (operation: Operation): Reply => {
    try {
      return dispatch(operation);
    } catch (error) {
      if (error instanceof BusinessCentralProblem)
        return problemReply(error.status, error.code, error.message);
      return problemReply(
        500,
        "Internal_ServerError",
        error instanceof Error ? error.message : String(error),
      );
    }
  };

  const runBatch = (operation: Operation): Reply => {
    const body = operation.body as { requests?: unknown } | undefined;
    if (!body || !Array.isArray(body.requests)) {
      throw new BusinessCentralProblem(400, "BadRequest", "A JSON batch needs a 'requests' array");
    }
    if (body.requests.length > 100) {
      throw new BusinessCentralProblem(
        400,
        "BadRequest",
        `A batch may hold at most 100 operations; got ${body.requests.length}`,
      );
    }
    const responses = body.requests.map((raw: unknown, index: number) => {
      const request = (raw ?? {}) as Record<string, unknown>;
      const id = typeof request.id === "string" ? request.id : String(index + 1);
      const method = typeof request.method === "string" ? request.method.toUpperCase() : "";
      const url = typeof request.url === "string" ? request.url : "";
      if (method === "" || url === "") {
        return {
          id,
          status: 400,
          headers: {},
          body: problemReply(400, "BadRequest", "Each operation needs method and url").body,
        };
      }
      traffic.batchOperations += 1;
      const parsed = new URL(url, `${origin}/api/v2.0/`);
      const headers: Record<string, string> = { accept: operation.headers.accept ?? "" };
      for (const [name, value] of Object.entries((request.headers ?? {}) as Record<string, unknown>)) {
        headers[name.toLowerCase()] = String(value);
      }
      const reply = safeDispatch({
        method,
        path: decodeURIComponent(parsed.pathname),
        query: parsed.searchParams,
        headers,
        body: request.body,
        inBatch: true,
      });
      return { id, status: reply.status, headers: reply.headers, body: reply.body };
    });
    return { status: 200, headers: {}, body: { responses } };
  };

  const handleToken = (request: SimulatorRequest): SimulatorResponse => {
    const form = new URLSearchParams(request.body);
    let clientId = form.get("client_id");
    let clientSecret = form.get("client_secret");
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? "");
    if (basic?.[1]) {
      const [user, password] = Buffer.from(basic[1], "base64").toString("utf8").split(":");
      clientId = decodeURIComponent(user ?? "");
      clientSecret = decodeURIComponent(password ?? "");
    }
    if (form.get("grant_type") !== "client_credentials") {
      return jsonResponse(400, { error: "unsupported_grant_type" }, { "x-operation": "token" });
    }
    if (clientId !== credentials.clientId || clientSecret !== credentials.clientSecret) {
      return jsonResponse(401, {
        error: "invalid_client",
        error_description: "AADSTS7000215: Invalid client secret provided.",
      });
    }
    const token = randomBytes(24).toString("base64url");
    tokens.set(token, clock() + tokenLifetime * 1000);
    return {
      ...jsonResponse(200, { token_type: "Bearer", expires_in: tokenLifetime, access_token: token }),
      operation: "token",
    };
  };

  const toResponse = (reply: Reply, operation?: string): SimulatorResponse => {
    const headers: Record<string, string> = { "odata-version": "4.0", ...reply.headers };
    if (reply.body === undefined)
      return { status: reply.status, headers, ...(operation ? { operation } : {}) };
    headers["content-type"] = "application/json; odata.metadata=minimal";
    return {
      status: reply.status,
      headers,
      body: JSON.stringify(reply.body),
      ...(operation ? { operation } : {}),
    };
  };

  const handleApi = async (request: SimulatorRequest): Promise<SimulatorResponse> => {
    traffic.requests += 1;
    inFlight += 1;
    traffic.peakConcurrency = Math.max(traffic.peakConcurrency, inFlight);
    try {
      const now = clock();
      while (windowStarts.length > 0 && (windowStarts[0] as number) <= now - rateLimit.windowMs)
        windowStarts.shift();
      if (inFlight > maxConcurrent) {
        traffic.concurrencyLimited += 1;
        return toResponse(
          problemReply(429, "Application_TooManyRequests", "Too many concurrent requests", {
            "retry-after": "1",
          }),
          "throttled.concurrency",
        );
      }
      if (windowStarts.length >= rateLimit.requests) {
        traffic.rateLimited += 1;
        const waitMs = (windowStarts[0] as number) + rateLimit.windowMs - now;
        return toResponse(
          problemReply(429, "Application_TooManyRequests", "The request budget of this user is spent", {
            "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
          }),
          "throttled.rate",
        );
      }
      windowStarts.push(now);
      const authorization = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "");
      const expiry = authorization?.[1] ? tokens.get(authorization[1]) : undefined;
      if (expiry === undefined || expiry <= clock()) {
        return toResponse(
          problemReply(401, "Authentication_InvalidCredentials", "The credentials provided are incorrect"),
        );
      }
      if (settings.latencyMs) await sleep(settings.latencyMs);
      let body: unknown;
      if (request.body !== "") {
        try {
          body = JSON.parse(request.body);
        } catch {
          return toResponse(problemReply(400, "BadRequest", "The request body is not valid JSON"));
        }
      }
      const operation: Operation = {
        method: request.method,
        path: decodeURIComponent(request.path),
        query: request.query,
        headers: request.headers,
        body,
        inBatch: false,
      };
      if (operation.path === "/api/v2.0/$batch" && operation.method === "POST") {
        try {
          return toResponse(runBatch(operation), "batch");
        } catch (error) {
          if (error instanceof BusinessCentralProblem)
            return toResponse(problemReply(error.status, error.code, error.message));
          throw error;
        }
      }
      return toResponse(safeDispatch(operation));
    } finally {
      inFlight -= 1;
    }
  };

  const router = new SimulatorRouter()
    .on("POST", "/oauth2/v2.0/token", handleToken)
    .on("*", /^\/api\/v2\.0\//, handleApi);
  const server = await startSimulatorServer({
    name: "business-central",
    router,
    clock,
    ...(settings.random ? { random: settings.random } : {}),
    sleep,
    notFound: () => toResponse(problemReply(404, "BadRequest_NotFound", "No such resource")),
    renderFault: (fault) => {
      const status = fault.kind === "rate-limit" ? 429 : (fault.status ?? 503);
      return toResponse(problemReply(status, defaultCode(status), `Injected fault ${status}`));
    },
  });
  origin = server.url;

  const find = (setName: string, numberOrId: string): StoredEntity | undefined =>
    store.set(setName).get(numberOrId) ?? store.findBy(setName, "number", numberOrId);

  return {
    url: origin,
    companyId,
    companyUrl: `${origin}/api/v2.0/companies(${companyId})`,
    serviceUrl: `${origin}/api/v2.0`,
    tokenUrl: `${origin}/oauth2/v2.0/token`,
    credentials,
    bookings: () => [...store.bookings],
    bookingsByKey: () => {
      const counts = new Map<string, number>();
      for (const booking of store.bookings) {
        counts.set(booking.externalDocumentNumber, (counts.get(booking.externalDocumentNumber) ?? 0) + 1);
      }
      return counts;
    },
    traffic: () => ({ ...traffic, byOperation: { ...traffic.byOperation } }),
    injectFault: (fault) => {
      const entry = { fault, remaining: fault.times ?? 1 };
      faults.push(entry);
      return () => {
        entry.remaining = 0;
      };
    },
    record: (setName, numberOrId) => {
      const entity = find(setName, numberOrId);
      return entity ? { ...entity } : undefined;
    },
    update: (setName, numberOrId, changes) => {
      const entity = find(setName, numberOrId);
      if (!entity) throw new Error(`${setName} ${numberOrId} not found`);
      store.touch(entity, changes);
    },
    shipAndInvoice: (orderNumber) => {
      const order = store.findBy("salesOrders", "number", orderNumber);
      if (!order) throw new Error(`Sales order ${orderNumber} not found`);
      const { shipment, invoice } = store.shipAndInvoice(order.id);
      return { shipmentNumber: shipment.number as string, invoiceNumber: invoice.number as string };
    },
    receiveStock: (itemNumber, locationCode, quantity) =>
      store.receiveStock(itemNumber, locationCode, quantity),
    ledger: server.ledger,
    faults: server.faults,
    close: () => server.close(),
  };
}
