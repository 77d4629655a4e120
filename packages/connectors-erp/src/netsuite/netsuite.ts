import {
  AuthError,
  DEFAULT_RETRY_POLICY,
  DistroError,
  type DistroErrorOptions,
  isNetworkError,
  type Order,
  RateLimitedError,
  retry,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from "@distro/core";
import type { RequestLimiter } from "../odata/odata-client";
import type { ErpLineAllocation, ErpOrderResult } from "../shared/erp-types";
import {
  escapeXml,
  type NetSuiteRecordData,
  type NetSuiteResponse,
  type NetSuiteStatusDetail,
  type NetSuiteTokenCredentials,
  type NetSuiteWriteResult,
  newNetSuiteNonce,
  parseNetSuiteResponse,
  signNetSuitePassport,
} from "./netsuite-soap";

/**
 * A record NetSuite refused (`isSuccess="false"`): an answered request with record-level
 * status details, told apart from a SOAP fault. Not retryable: the same record fails the
 * same way.
 *
 * @example
 * ```ts
 * try { await netsuite.add(record); } catch (error) {
 *   if (error instanceof NetSuiteRecordError) console.log(error.statusDetails[0]?.code);
 * }
 * ```
 */
export class NetSuiteRecordError extends DistroError {
  /** The status details NetSuite sent. */
  readonly statusDetails: NetSuiteStatusDetail[];

  /**
   * @param message - a summary
   * @param statusDetails - NetSuite's codes and messages
   * @param options - cause and details
   */
  constructor(message: string, statusDetails: NetSuiteStatusDetail[], options: DistroErrorOptions = {}) {
    super("NETSUITE_RECORD_REJECTED", message, {
      ...options,
      retryable: false,
      details: { ...options.details, statusDetails },
    });
    this.statusDetails = statusDetails;
  }
}

/** A field value of a record written to NetSuite. */
export type NetSuiteFieldValue =
  | string
  | number
  | boolean
  | { internalId?: string; externalId?: string }
  | { replaceAll?: boolean; lines: Record<string, NetSuiteFieldValue>[] };

/** A record to write: its type, keys and fields (a sublist as `{ lines: [...] }`). */
export interface NetSuiteRecordInput {
  /** `customer`, `salesOrder`, `contact`, `inventoryItem`, `invoice`. */
  type: string;
  /** Your id for it (the upsert key). */
  externalId?: string;
  /** NetSuite's id (for updates). */
  internalId?: string;
  /** Body fields and sublists. */
  fields: Record<string, NetSuiteFieldValue>;
}

/** A search criterion of a basic search. */
export interface NetSuiteSearchCriterion {
  /** The field, e.g. `email`, `lastModifiedDate`, `externalId`. */
  field: string;
  /** String operators (`is`, `contains`, `startsWith`), date operators (`after`, `before`, `within`). */
  operator: string;
  /** The value; a date as an ISO time. */
  value: string;
}

/** Settings of {@link createNetSuite}. */
export interface NetSuiteSettings extends NetSuiteTokenCredentials {
  /** The SOAP endpoint, e.g. `https://<account>.suitetalk.api.netsuite.com/services/NetSuitePort_2023_2`. */
  endpoint: string;
  /** WSDL version for namespaces (default `2023_2`). */
  version?: string;
  /** Page size for searches (default 100). */
  pageSize?: number;
  /** Fetch implementation. */
  fetch?: typeof fetch;
  /** Every call goes through it (NetSuite counts concurrent requests per account). */
  limiter?: RequestLimiter;
  /** Clock in epoch milliseconds (for the passport timestamp). */
  clock?: () => number;
  /** Nonce source (default crypto). */
  nonce?: () => string;
  /** Sleep between retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Maximum attempts for faults worth retrying (concurrency limit), default 5. */
  maxAttempts?: number;
}

/** The NetSuite SOAP (SuiteTalk) adapter. */
export interface NetSuite {
  /** The port version this adapter implements. */
  readonly specificationVersion: "v1";
  /** Adds a record; throws {@link NetSuiteRecordError} when refused. */
  add(record: NetSuiteRecordInput): Promise<NetSuiteWriteResult>;
  /** Adds or updates a record by its `externalId` (idempotent); throws when refused. */
  upsert(record: NetSuiteRecordInput): Promise<NetSuiteWriteResult>;
  /** Adds many records in one call; each record's result is reported on its own, never thrown. */
  addList(records: readonly NetSuiteRecordInput[]): Promise<NetSuiteWriteResult[]>;
  /** Reads a record by internal or external id. */
  get(type: string, key: { internalId?: string; externalId?: string }): Promise<NetSuiteRecordData>;
  /** Basic search, page by page (`search`, then `searchMoreWithId`). */
  search(type: string, criteria: readonly NetSuiteSearchCriterion[]): AsyncGenerator<NetSuiteRecordData[]>;
  /** Books a canonical order once per idempotency key (an upsert of a sales order keyed by `externalId`). */
  submitOrder(order: Order, options: { idempotencyKey: string }): Promise<ErpOrderResult>;
}

const RECORD_NAMESPACES: Record<string, { prefix: string; urn: string; xsiType: string }> = {
  customer: { prefix: "listRel", urn: "relationships_{v}.lists", xsiType: "Customer" },
  contact: { prefix: "listRel", urn: "relationships_{v}.lists", xsiType: "Contact" },
  inventoryItem: { prefix: "listAcct", urn: "accounting_{v}.lists", xsiType: "InventoryItem" },
  salesOrder: { prefix: "tranSales", urn: "sales_{v}.transactions", xsiType: "SalesOrder" },
  invoice: { prefix: "tranSales", urn: "sales_{v}.transactions", xsiType: "Invoice" },
};

function namespaceOf(type: string) {
  const found = RECORD_NAMESPACES[type];
  if (!found) {
    throw new ValidationError(`Unsupported NetSuite record type ${type}`, [
      {
        code: "unsupported_type",
        path: ["type"],
        message: `Use one of ${Object.keys(RECORD_NAMESPACES).join(", ")}`,
      },
    ]);
  }
  return found;
}

function fieldXml(prefix: string, name: string, value: NetSuiteFieldValue): string {
  if (typeof value === "object" && value !== null && "lines" in value) {
    const item = name === "itemList" ? "item" : name.replace(/List$/, "");
    const lines = value.lines
      .map(
        (line) =>
          `<${prefix}:${item}>${Object.entries(line)
            .map(([key, inner]) => fieldXml(prefix, key, inner))
            .join("")}</${prefix}:${item}>`,
      )
      .join("");
    return `<${prefix}:${name}${value.replaceAll ? ' replaceAll="true"' : ""}>${lines}</${prefix}:${name}>`;
  }
  if (typeof value === "object" && value !== null) {
    const attributes = [
      value.internalId ? ` internalId="${escapeXml(value.internalId)}"` : "",
      value.externalId ? ` externalId="${escapeXml(value.externalId)}"` : "",
    ].join("");
    return `<${prefix}:${name}${attributes}/>`;
  }
  return `<${prefix}:${name}>${escapeXml(String(value))}</${prefix}:${name}>`;
}

function readDecimal(value: unknown): string {
  return typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? value : "0";
}

/**
 * Creates the NetSuite SOAP (SuiteTalk) adapter with token-based authentication: every
 * request carries a freshly signed `tokenPassport` (HMAC-SHA256). `add`, `upsert`,
 * `addList`, `get` and `search` with paging; record-level errors (`isSuccess="false"`)
 * become {@link NetSuiteRecordError}s (or per-record results for list calls), SOAP faults
 * become `AuthError` (credentials), `RateLimitedError` (concurrency limits, retried) or
 * `UpstreamError`.
 *
 * @param settings - endpoint and TBA credentials
 * @returns the adapter
 * @example
 * ```ts
 * import { createNetSuite } from "@distro/connectors-erp/netsuite";
 *
 * const netsuite = createNetSuite({ endpoint, account: "1234567", consumerKey, consumerSecret, tokenId, tokenSecret });
 * await netsuite.upsert({ type: "customer", externalId: "C10000", fields: { companyName: "Adatum" } });
 * ```
 */
export function createNetSuite(settings: NetSuiteSettings): NetSuite {
  const version = settings.version ?? "2023_2";
  const fetchImpl = settings.fetch ?? fetch;
  const clock = settings.clock ?? Date.now;
  const nonce = settings.nonce ?? (() => newNetSuiteNonce());
  const pageSize = settings.pageSize ?? 100;

  const envelope = (operation: string, body: string, namespaces: Set<string>, header = ""): string => {
    const passport = signNetSuitePassport(settings, nonce(), String(Math.floor(clock() / 1000)));
    const extra = [...namespaces]
      .map((type) => {
        const namespace = namespaceOf(type);
        return ` xmlns:${namespace.prefix}="urn:${namespace.urn.replace("{v}", version)}.webservices.netsuite.com"`;
      })
      .filter((value, index, all) => all.indexOf(value) === index)
      .join("");
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
      ` xmlns:platformMsgs="urn:messages_${version}.platform.webservices.netsuite.com"`,
      ` xmlns:platformCore="urn:core_${version}.platform.webservices.netsuite.com"`,
      ` xmlns:platformCommon="urn:common_${version}.platform.webservices.netsuite.com"${extra}>`,
      "<soapenv:Header><platformMsgs:tokenPassport>",
      `<platformCore:account>${escapeXml(passport.account)}</platformCore:account>`,
      `<platformCore:consumerKey>${escapeXml(passport.consumerKey)}</platformCore:consumerKey>`,
      `<platformCore:token>${escapeXml(passport.token)}</platformCore:token>`,
      `<platformCore:nonce>${passport.nonce}</platformCore:nonce>`,
      `<platformCore:timestamp>${passport.timestamp}</platformCore:timestamp>`,
      `<platformCore:signature algorithm="HMAC-SHA256">${passport.signature}</platformCore:signature>`,
      `</platformMsgs:tokenPassport>${header}</soapenv:Header>`,
      `<soapenv:Body><platformMsgs:${operation}>${body}</platformMsgs:${operation}></soapenv:Body></soapenv:Envelope>`,
    ].join("");
  };

  const recordXml = (element: string, record: NetSuiteRecordInput): string => {
    const namespace = namespaceOf(record.type);
    const keys = [
      record.externalId ? ` externalId="${escapeXml(record.externalId)}"` : "",
      record.internalId ? ` internalId="${escapeXml(record.internalId)}"` : "",
    ].join("");
    const fields = Object.entries(record.fields)
      .map(([name, value]) => fieldXml(namespace.prefix, name, value))
      .join("");
    return `<platformMsgs:${element} xsi:type="${namespace.prefix}:${namespace.xsiType}"${keys}>${fields}</platformMsgs:${element}>`;
  };

  const faultError = (
    response: Extract<NetSuiteResponse, { kind: "fault" }>,
    status: number,
  ): DistroError => {
    const details = {
      status,
      faultCode: response.faultCode,
      faultType: response.faultType,
      upstreamCode: response.code,
    };
    const message = `NetSuite fault ${response.code ?? response.faultCode}: ${response.message ?? response.faultString}`;
    if (
      response.faultType === "invalidCredentialsFault" ||
      /^INVALID_(LOGIN|SIGNATURE|TOKEN|NONCE)|^USER_ERROR$/.test(response.code ?? "")
    ) {
      return new AuthError(message, { details });
    }
    if (
      response.faultType === "exceededRequestLimitFault" ||
      response.faultType === "exceededConcurrentRequestLimitFault" ||
      response.code === "WS_CONCUR_SESSION_DISALLWD" ||
      response.code === "WS_REQUEST_BLOCKED"
    ) {
      return new RateLimitedError(message, { details, retryAfterMs: 1000 });
    }
    return new UpstreamError(message, {
      status,
      system: "netsuite",
      ...(response.code ? { upstreamCode: response.code } : {}),
      retryable: false,
      details,
    });
  };

  const send = async (operation: string, build: () => string): Promise<NetSuiteResponse> => {
    const run = async (): Promise<NetSuiteResponse> => {
      let response: Response;
      try {
        response = await fetchImpl(settings.endpoint, {
          method: "POST",
          headers: { "content-type": "text/xml; charset=utf-8", soapaction: operation },
          body: build(),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        if (error instanceof Error && error.name === "TimeoutError")
          throw new TimeoutError(`NetSuite ${operation} timed out`, { cause: error });
        if (isNetworkError(error))
          throw new UpstreamError(`NetSuite ${operation}: network failure`, {
            status: 0,
            system: "netsuite",
            cause: error,
          });
        throw error;
      }
      const text = await response.text();
      let parsed: NetSuiteResponse;
      try {
        parsed = parseNetSuiteResponse(text);
      } catch (error) {
        if (response.status >= 400) {
          throw new UpstreamError(`NetSuite ${operation} answered ${response.status}`, {
            status: response.status,
            system: "netsuite",
            bodyExcerpt: text.slice(0, 300),
          });
        }
        throw error;
      }
      if (parsed.kind === "fault") throw faultError(parsed, response.status);
      return parsed;
    };
    // Only faults that say the request was not processed (rate / concurrency) are retried.
    return retry(
      () => (settings.limiter ? settings.limiter.schedule(run) : run()),
      {
        ...DEFAULT_RETRY_POLICY,
        maxAttempts: settings.maxAttempts ?? 5,
        retryOn: (error) => error instanceof RateLimitedError,
      },
      settings.sleep ? { sleep: settings.sleep } : {},
    );
  };

  const writeOne = async (
    operation: "add" | "upsert",
    record: NetSuiteRecordInput,
  ): Promise<NetSuiteWriteResult> => {
    const response = await send(operation, () =>
      envelope(operation, recordXml("record", record), new Set([record.type])),
    );
    const result = response.kind === "write" ? response.results[0] : undefined;
    if (!result) {
      throw new ValidationError(`NetSuite ${operation} answered without a writeResponse`, [
        {
          code: "invalid_soap",
          path: ["Envelope", "Body", `${operation}Response`, "writeResponse"],
          message: "Missing",
        },
      ]);
    }
    if (!result.isSuccess) {
      const first = result.details[0];
      throw new NetSuiteRecordError(
        `NetSuite refused the ${record.type}${record.externalId ? ` ${record.externalId}` : ""}: ${first?.code ?? "ERROR"} ${first?.message ?? ""}`.trim(),
        result.details,
      );
    }
    return result;
  };

  const get = async (
    type: string,
    key: { internalId?: string; externalId?: string },
  ): Promise<NetSuiteRecordData> => {
    const attributes = [
      key.internalId ? ` internalId="${escapeXml(key.internalId)}"` : "",
      key.externalId ? ` externalId="${escapeXml(key.externalId)}"` : "",
    ].join("");
    const response = await send("get", () =>
      envelope(
        "get",
        `<platformMsgs:baseRef xsi:type="platformCore:RecordRef" type="${escapeXml(type)}"${attributes}/>`,
        new Set(),
      ),
    );
    if (response.kind !== "read") {
      throw new ValidationError("NetSuite get answered something else", [
        { code: "invalid_soap", path: ["Envelope", "Body"], message: response.kind },
      ]);
    }
    if (!response.isSuccess || !response.records[0]) {
      throw new NetSuiteRecordError(
        `NetSuite could not read ${type} ${key.internalId ?? key.externalId}`,
        response.details,
      );
    }
    return response.records[0];
  };

  return {
    specificationVersion: "v1",
    add: (record) => writeOne("add", record),
    upsert: (record) => {
      if (!record.externalId) {
        throw new ValidationError("An upsert needs an externalId", [
          { code: "required", path: ["externalId"], message: "Required" },
        ]);
      }
      return writeOne("upsert", record);
    },
    async addList(records) {
      const response = await send("addList", () =>
        envelope(
          "addList",
          records.map((record) => recordXml("record", record)).join(""),
          new Set(records.map((record) => record.type)),
        ),
      );
      if (response.kind !== "write") {
        throw new ValidationError("NetSuite addList answered something else", [
          { code: "invalid_soap", path: ["Envelope", "Body"], message: response.kind },
        ]);
      }
      return response.results;
    },
    get,
    async *search(type, criteria) {
      const namespace = namespaceOf(type);
      const criteriaXml = criteria
        .map((criterion) => {
          const inner = `<platformCore:searchValue>${escapeXml(criterion.value)}</platformCore:searchValue>`;
          return `<platformCommon:${criterion.field} operator="${escapeXml(criterion.operator)}">${inner}</platformCommon:${criterion.field}>`;
        })
        .join("");
      const preferences = `<platformMsgs:searchPreferences><platformMsgs:bodyFieldsOnly>false</platformMsgs:bodyFieldsOnly><platformMsgs:pageSize>${pageSize}</platformMsgs:pageSize></platformMsgs:searchPreferences>`;
      let response = await send("search", () =>
        envelope(
          "search",
          `<platformMsgs:searchRecord xsi:type="platformCommon:${namespace.xsiType}SearchBasic">${criteriaXml}</platformMsgs:searchRecord>`,
          new Set([type]),
          preferences,
        ),
      );
      for (;;) {
        if (response.kind !== "read") {
          throw new ValidationError("NetSuite search answered something else", [
            { code: "invalid_soap", path: ["Envelope", "Body"], message: response.kind },
          ]);
        }
        if (!response.isSuccess)
          throw new NetSuiteRecordError(`NetSuite search of ${type} failed`, response.details);
        yield response.records;
        const { pageIndex, totalPages, searchId } = response;
        if (pageIndex === undefined || totalPages === undefined || pageIndex >= totalPages || !searchId)
          return;
        response = await send("searchMoreWithId", () =>
          envelope(
            "searchMoreWithId",
            `<platformMsgs:searchId>${escapeXml(searchId)}</platformMsgs:searchId><platformMsgs:pageIndex>${pageIndex + 1}</platformMsgs:pageIndex>`,
            new Set(),
            preferences,
          ),
        );
      }
    },
    async submitOrder(order, { idempotencyKey }) {
      const customer = order.customer.refs?.netsuite ?? order.customer.refs?.erp ?? order.customer.id;
      const existing = await get("salesOrder", { externalId: idempotencyKey }).catch((error: unknown) => {
        if (error instanceof NetSuiteRecordError) return undefined;
        throw error;
      });
      // The upsert is keyed by externalId, so even a race between two submitters books one order.
      const written = existing
        ? undefined
        : await writeOne("upsert", {
            type: "salesOrder",
            externalId: idempotencyKey,
            fields: {
              entity: { externalId: customer },
              tranDate: order.orderedAt,
              otherRefNum: order.poNumber ?? order.id,
              itemList: {
                lines: order.lines.map((line) => ({
                  item: { externalId: line.refs?.netsuite ?? line.sku },
                  quantity: line.quantity,
                  rate: line.unitPrice.amount,
                })),
              },
            },
          });
      const record =
        existing ?? (await get("salesOrder", { internalId: written?.ref?.internalId as string }));
      const items = ((record.itemList as { item?: Record<string, unknown>[] } | undefined)?.item ?? []).map(
        (item, index): ErpLineAllocation => {
          const quantity = readDecimal(item.quantity);
          const committed = readDecimal(item.quantityCommitted);
          const backordered = readDecimal(item.quantityBackOrdered);
          return {
            lineNumber: index + 1,
            sku: String(
              ([item.item].flat()[0] && ([item.item].flat()[0] as { externalId?: string }).externalId) || "",
            ),
            quantity,
            allocatedQuantity: committed,
            backorderedQuantity: backordered,
            shippedQuantity: readDecimal(item.quantityFulfilled),
            locationId: undefined,
            status: backordered !== "0" ? "backordered" : committed !== "0" ? "allocated" : "open",
          };
        },
      );
      return {
        erpOrderNumber: String(record.tranId ?? record.internalId),
        erpOrderId: String(record.internalId ?? written?.ref?.internalId),
        idempotencyKey,
        status: "booked",
        total: { amount: readDecimal(record.total), currency: order.currency },
        lines: items,
        duplicate: existing !== undefined,
      };
    },
  };
}
