import {
  addDecimal,
  compareDecimal,
  type IdempotencyStore,
  type InventoryLevel,
  type Invoice,
  type Item,
  idempotent,
  isDistroError,
  type Money,
  multiplyDecimal,
  type Order,
  oauth2ClientCredentials,
  type Price,
  roundMoney,
  type Shipment,
  subtractDecimal,
  sumDecimals,
  ValidationError,
} from "@distro/core";
import {
  buildODataQuery,
  createODataClient,
  type ODataBatchResult,
  type ODataClient,
  type ODataRecord,
  odataLiteral,
  type RequestLimiter,
} from "../odata/odata-client";
import type {
  ErpBasketLine,
  ErpChangePage,
  ErpCreditStatus,
  ErpOrderResult,
  ErpPricedLine,
  ErpPriceQuote,
} from "../shared/erp-types";
import {
  BusinessCentralAvailabilitySchema,
  type BusinessCentralCustomer,
  BusinessCentralCustomerSchema,
  BusinessCentralItemSchema,
  BusinessCentralSalesInvoiceSchema,
  type BusinessCentralSalesOrder,
  BusinessCentralSalesOrderSchema,
  type BusinessCentralSalesPrice,
  BusinessCentralSalesPriceSchema,
  BusinessCentralSalesShipmentSchema,
  parseBusinessCentral,
} from "./business-central-api";
import {
  toInventoryLevel,
  toInvoice,
  toItem,
  toLineAllocation,
  toOrderStatus,
  toPrices,
  toShipment,
} from "./mappers";

/** Your own auth: headers for each call (e.g. from a shared token cache). */
export interface BusinessCentralHeaderAuth {
  /** Returns the headers to send, e.g. `{ authorization: "Bearer …" }`. */
  headers: () => Record<string, string> | Promise<Record<string, string>>;
}

/** OAuth2 client credentials for Business Central (a Microsoft Entra app registration). */
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

/** Settings of {@link createBusinessCentral}. */
export interface BusinessCentralSettings {
  /** The company's API root: `https://api.businesscentral.dynamics.com/v2.0/<tenant>/<env>/api/v2.0/companies(<id>)`. */
  companyUrl: string;
  /** OAuth2 client credentials (Microsoft Entra app with `API.ReadWrite.All`). */
  auth: ClientCredentialsSettings | BusinessCentralHeaderAuth;
  /** Fetch implementation (default global `fetch`). */
  fetch?: typeof fetch;
  /** Every HTTP call goes through it; size it to the 6,000-per-5-minutes budget and 5 concurrent calls. */
  limiter?: RequestLimiter;
  /** Page size asked for with `Prefer: odata.maxpagesize` (default 1,000). */
  maxPageSize?: number;
  /** Currency of amounts the ERP sends without one (default `USD`). */
  currency?: string;
  /** Idempotency store for `submitOrder`; the external-document-number check runs in any case. */
  idempotency?: { store: IdempotencyStore; retentionMs?: number; inProgressExpiryMs?: number };
  /** Clock in epoch milliseconds (default `Date.now`). */
  clock?: () => number;
  /** Sleep used between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Maximum attempts for retryable failures (default 5). */
  maxAttempts?: number;
}

/** What {@link BusinessCentral.submitOrders} reports for one order. */
export type BusinessCentralBulkResult =
  | { index: number; ok: true; result: ErpOrderResult }
  | { index: number; ok: false; error: Error };

/** The Business Central adapter, in canonical terms. */
export interface BusinessCentral {
  /** The port version this adapter implements. */
  readonly specificationVersion: "v1";
  /** The system name. */
  readonly system: "business-central";
  /** The OData client underneath, for calls the port does not cover. */
  readonly odata: ODataClient;
  /** Prices a basket for a customer: the best of customer contract, price group and list price at each quantity. */
  getPrices(request: { customerId: string; lines: readonly ErpBasketLine[] }): Promise<ErpPriceQuote>;
  /** Stock per SKU and location. */
  getAvailability(request: {
    skus: readonly string[];
    locationIds?: readonly string[];
  }): Promise<InventoryLevel[]>;
  /** Credit limit, exposure (balance + open orders) and hold status. */
  getCreditStatus(customerId: string): Promise<ErpCreditStatus>;
  /** Books an order once per idempotency key; returns the ERP number and per-line allocation. */
  submitOrder(order: Order, options: { idempotencyKey: string }): Promise<ErpOrderResult>;
  /** Books many orders through `$batch` (100 per request); each order's outcome reported on its own. */
  submitOrders(
    orders: readonly { order: Order; idempotencyKey: string }[],
  ): Promise<BusinessCentralBulkResult[]>;
  /** The current status and allocation of an order by ERP number. */
  getOrderStatus(erpOrderNumber: string): Promise<ErpOrderResult>;
  /** Posted invoices changed after the cursor, page by page. */
  invoices(since?: string): AsyncGenerator<ErpChangePage<Invoice>>;
  /** Posted shipments changed after the cursor, page by page. */
  shipments(since?: string): AsyncGenerator<ErpChangePage<Shipment>>;
  /** Items changed after the cursor (all items without one), page by page. */
  items(since?: string): AsyncGenerator<ErpChangePage<Item>>;
  /** Price rows changed after the cursor, grouped into canonical prices per page. */
  prices(since?: string): AsyncGenerator<ErpChangePage<Price>>;
  /** Changes a customer's credit limit with `If-Match`; `reapply` re-reads and retries once on a stale ETag. */
  setCreditLimit(
    customerId: string,
    limit: Money,
    options?: { onConflict?: "throw" | "reapply" },
  ): Promise<void>;
}

function customerPath(id: string): string {
  return `customers(${id})`;
}

/**
 * Creates the Business Central (OData v4, API v2.0) adapter: pricing with quantity breaks
 * and customer contracts, availability per warehouse, credit exposure, idempotent order
 * submission (the idempotency key travels as `externalDocumentNumber` and is looked up
 * before every booking), `$batch` bulk booking, order status, posted invoices and shipments,
 * and incremental change reads by `lastModifiedDateTime`.
 *
 * @param settings - company URL, OAuth2 client credentials, limiter, fetch
 * @returns the adapter
 * @throws ValidationError when the company URL is not absolute
 * @example
 * ```ts
 * import { createBusinessCentral } from "@distro/connectors-erp/business-central";
 *
 * const erp = createBusinessCentral({
 *   companyUrl: "https://api.businesscentral.dynamics.com/v2.0/<tenant>/production/api/v2.0/companies(<id>)",
 *   auth: { tokenUrl: "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token", clientId: "…", clientSecret: "…" },
 * });
 * const quote = await erp.getPrices({ customerId: "C10000", lines: [{ sku: "I-00001", quantity: "1500" }] });
 * ```
 */
export function createBusinessCentral(settings: BusinessCentralSettings): BusinessCentral {
  const fetchImpl = settings.fetch ?? fetch;
  const clock = settings.clock ?? Date.now;
  const currency = settings.currency ?? "USD";
  const tokens =
    "tokenUrl" in settings.auth
      ? oauth2ClientCredentials({
          tokenUrl: settings.auth.tokenUrl,
          clientId: settings.auth.clientId,
          clientSecret: settings.auth.clientSecret,
          scope: settings.auth.scope ?? "https://api.businesscentral.dynamics.com/.default",
          fetch: fetchImpl,
          clock: { now: clock },
        })
      : undefined;
  const headerSource = tokens
    ? async () => ({ authorization: `Bearer ${await tokens.accessToken()}` })
    : (settings.auth as BusinessCentralHeaderAuth).headers;
  const companyPath = new URL(settings.companyUrl).pathname.replace(/\/$/, "");
  const apiRoot = companyPath.slice(0, companyPath.lastIndexOf("/companies("));
  const companySegment = companyPath.slice(apiRoot.length + 1);
  const odata = createODataClient({
    serviceUrl: settings.companyUrl,
    batchUrl: new URL(`${apiRoot}/$batch`, settings.companyUrl).toString(),
    system: "business-central",
    headers: headerSource,
    ...(tokens ? { onUnauthorized: () => tokens.invalidate() } : {}),
    fetch: fetchImpl,
    ...(settings.limiter ? { limiter: settings.limiter } : {}),
    maxPageSize: settings.maxPageSize ?? 1000,
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    retry: { maxAttempts: settings.maxAttempts ?? 5 },
  });

  const findCustomer = async (
    customerId: string,
  ): Promise<{ customer: BusinessCentralCustomer; etag: string | undefined }> => {
    for await (const page of odata.pages("customers", { filter: `number eq ${odataLiteral(customerId)}` })) {
      const raw = page.records[0];
      if (raw) {
        const customer = parseBusinessCentral(BusinessCentralCustomerSchema, raw, ["customers", 0]);
        return { customer, etag: customer["@odata.etag"] };
      }
    }
    throw new ValidationError(`Customer ${customerId} does not exist in Business Central`, [
      { code: "unknown_customer", path: ["customerId"], message: `No customer numbered ${customerId}` },
    ]);
  };

  const orFilter = (property: string, values: readonly string[]): string =>
    values.map((value) => `${property} eq ${odataLiteral(value)}`).join(" or ");

  const orderResult = (
    raw: unknown,
    key: string,
    duplicate: boolean,
    position: (string | number)[] = ["salesOrders", 0],
  ): ErpOrderResult => {
    const order = parseBusinessCentral(BusinessCentralSalesOrderSchema, raw, position);
    const lines = (order.salesOrderLines ?? [])
      .slice()
      .sort((a, b) => a.sequence - b.sequence)
      .map((line, index) => toLineAllocation(line, index + 1));
    return {
      erpOrderNumber: order.number,
      erpOrderId: order.id,
      idempotencyKey: key,
      status: toOrderStatus(order, lines),
      total: { amount: order.totalAmountExcludingTax ?? "0", currency: order.currencyCode || currency },
      lines,
      duplicate,
    };
  };

  const remember = (found: Map<string, BusinessCentralSalesOrder>, record: unknown): void => {
    const order = parseBusinessCentral(BusinessCentralSalesOrderSchema, record, ["salesOrders", found.size]);
    if (order.externalDocumentNumber && !found.has(order.externalDocumentNumber)) {
      found.set(order.externalDocumentNumber, order);
    }
  };

  /** Looks keys up 25 per `$filter`; more than one such lookup travels as GETs in `$batch`. */
  const findByKeys = async (keys: readonly string[]): Promise<Map<string, BusinessCentralSalesOrder>> => {
    const found = new Map<string, BusinessCentralSalesOrder>();
    const chunks: string[][] = [];
    for (let start = 0; start < keys.length; start += 25)
      chunks.push(keys.slice(start, start + 25) as string[]);
    const query = (part: string[]) => ({
      filter: orFilter("externalDocumentNumber", part),
      expand: ["salesOrderLines"],
    });
    if (chunks.length <= 1) {
      for (const part of chunks)
        for await (const record of odata.list("salesOrders", query(part))) remember(found, record);
      return found;
    }
    const results = await odata.batch(
      chunks.map((part) => ({
        method: "GET" as const,
        url: `${companySegment}/salesOrders?${buildODataQuery(query(part))}`,
      })),
    );
    for (const [index, result] of results.entries()) {
      if (!result.ok) {
        // A lookup is safe to repeat: a retryable failure is read again on its own (with retries).
        if (!result.error?.retryable) throw result.error;
        for await (const record of odata.list("salesOrders", query(chunks[index] as string[])))
          remember(found, record);
        continue;
      }
      const body = result.body as { value?: unknown[]; "@odata.nextLink"?: string };
      for (const record of body.value ?? []) remember(found, record);
      if (body["@odata.nextLink"]) {
        for await (const record of odata.list(body["@odata.nextLink"])) remember(found, record);
      }
    }
    return found;
  };

  const orderBody = (order: Order, key: string): ODataRecord => {
    if (key.length === 0 || key.length > 35) {
      throw new ValidationError(
        "The idempotency key must be 1 to 35 characters (Business Central's External Document No.)",
        [{ code: "invalid_key", path: ["idempotencyKey"], message: `Got ${key.length} characters` }],
      );
    }
    const erpCustomer = order.customer.refs?.erp ?? order.customer.id;
    return {
      customerNumber: erpCustomer,
      externalDocumentNumber: key,
      orderDate: order.orderedAt.slice(0, 10),
      salesOrderLines: order.lines.map((line) => ({
        lineType: "Item",
        lineObjectNumber: line.refs?.erp ?? line.sku,
        quantity: line.quantity,
        unitPrice: line.unitPrice.amount,
      })),
    };
  };

  const bookOnce = async (order: Order, key: string): Promise<ErpOrderResult> => {
    const existing = (await findByKeys([key])).get(key);
    if (existing) return orderResult(existing, key, true);
    try {
      const created = await odata.create("salesOrders", orderBody(order, key), {
        expand: ["salesOrderLines"],
      });
      return orderResult(created.value, key, false);
    } catch (error) {
      // The POST may have been applied even though its answer was lost: look again before failing.
      if (
        isDistroError(error) &&
        (error.code === "TIMEOUT" || (error.code === "UPSTREAM_ERROR" && error.retryable))
      ) {
        const after = (await findByKeys([key])).get(key);
        if (after) return orderResult(after, key, true);
      }
      throw error;
    }
  };

  const changePages = async function* <T>(
    set: string,
    since: string | undefined,
    expand: string[] | undefined,
    map: (records: ODataRecord[]) => T[],
  ): AsyncGenerator<ErpChangePage<T>> {
    let cursor = since;
    for await (const page of odata.pages(set, {
      ...(since ? { filter: `lastModifiedDateTime gt ${since}` } : {}),
      orderBy: "lastModifiedDateTime asc",
      ...(expand ? { expand } : {}),
    })) {
      for (const record of page.records) {
        const modified = record.lastModifiedDateTime;
        if (typeof modified === "string" && (cursor === undefined || modified > cursor)) cursor = modified;
      }
      yield { records: map(page.records), cursor };
    }
  };

  return {
    specificationVersion: "v1",
    system: "business-central",
    odata,

    async getPrices({ customerId, lines }) {
      if (lines.length === 0) {
        throw new ValidationError("A basket needs at least one line", [
          { code: "too_small", path: ["lines"], message: "Empty basket" },
        ]);
      }
      const { customer } = await findCustomer(customerId);
      const skus = [...new Set(lines.map((line) => line.sku))];
      const rows: BusinessCentralSalesPrice[] = [];
      for (let start = 0; start < skus.length; start += 25) {
        for await (const record of odata.list("salesPrices", {
          filter: orFilter("itemNumber", skus.slice(start, start + 25)),
        })) {
          rows.push(
            parseBusinessCentral(BusinessCentralSalesPriceSchema, record, ["salesPrices", rows.length]),
          );
        }
      }
      const today = new Date(clock()).toISOString().slice(0, 10);
      const quoteCurrency = customer.currencyCode || currency;
      const priced: ErpPricedLine[] = lines.map((line, index) => {
        let best: { row: BusinessCentralSalesPrice; source: ErpPricedLine["source"] } | undefined;
        for (const row of rows) {
          if (row.itemNumber !== line.sku || row.currencyCode !== quoteCurrency) continue;
          if (row.startingDate && row.startingDate.slice(0, 10) > today) continue;
          if (row.endingDate && row.endingDate.slice(0, 10) < today) continue;
          const source =
            row.salesType === "Customer" && row.salesCode === customer.number
              ? "customer"
              : row.salesType === "Customer Price Group" && row.salesCode === customer.customerPriceGroup
                ? "tier"
                : row.salesType === "All Customers"
                  ? "list"
                  : undefined;
          if (source === undefined || compareDecimal(row.minimumQuantity, line.quantity) > 0) continue;
          if (best === undefined || compareDecimal(row.unitPrice, best.row.unitPrice) < 0)
            best = { row, source };
        }
        if (best === undefined) {
          throw new ValidationError(`No price for ${line.sku} for customer ${customerId}`, [
            {
              code: "no_price",
              path: ["lines", index, "sku"],
              message: `No applicable price for ${line.sku}`,
            },
          ]);
        }
        return {
          sku: line.sku,
          quantity: line.quantity,
          unitPrice: { amount: best.row.unitPrice, currency: quoteCurrency },
          extended: { amount: multiplyDecimal(best.row.unitPrice, line.quantity), currency: quoteCurrency },
          source: best.source,
          minimumQuantity: best.row.minimumQuantity,
        };
      });
      return {
        customerId,
        currency: quoteCurrency,
        lines: priced,
        total: roundMoney({
          amount: sumDecimals(priced.map((line) => line.extended.amount)),
          currency: quoteCurrency,
        }),
      };
    },

    async getAvailability({ skus, locationIds }) {
      const levels: InventoryLevel[] = [];
      const asOf = new Date(clock()).toISOString();
      const unique = [...new Set(skus)];
      for (let start = 0; start < unique.length; start += 25) {
        let filter = `(${orFilter("itemNumber", unique.slice(start, start + 25))})`;
        if (locationIds?.length) filter += ` and (${orFilter("locationCode", locationIds)})`;
        for await (const record of odata.list("itemAvailabilities", { filter })) {
          const row = parseBusinessCentral(BusinessCentralAvailabilitySchema, record, [
            "itemAvailabilities",
            levels.length,
          ]);
          levels.push(toInventoryLevel(row, "PCS", asOf));
        }
      }
      return levels;
    },

    async getCreditStatus(customerId) {
      const { customer } = await findCustomer(customerId);
      const accountCurrency = customer.currencyCode || currency;
      const limit = customer.creditLimit ?? "0";
      const exposure = addDecimal(customer.balanceDue ?? "0", customer.outstandingOrdersAmount ?? "0");
      const hasLimit = compareDecimal(limit, "0") > 0;
      return {
        customerId,
        creditLimit: { amount: limit, currency: accountCurrency },
        exposure: { amount: exposure, currency: accountCurrency },
        available: hasLimit
          ? { amount: subtractDecimal(limit, exposure), currency: accountCurrency }
          : undefined,
        onHold: (customer.blocked ?? " ").trim() !== "" || (hasLimit && compareDecimal(exposure, limit) > 0),
      };
    },

    async submitOrder(order, { idempotencyKey }) {
      if (settings.idempotency === undefined) return bookOnce(order, idempotencyKey);
      return idempotent(() => bookOnce(order, idempotencyKey), {
        store: settings.idempotency.store,
        key: idempotencyKey,
        scope: { tenant: companySegment, system: "business-central", operation: "submitOrder" },
        fingerprint: orderBody(order, idempotencyKey),
        retentionMs: settings.idempotency.retentionMs ?? 7 * 86_400_000,
        inProgressExpiryMs: settings.idempotency.inProgressExpiryMs ?? 120_000,
        waitForInFlightMs: 60_000,
        pollIntervalMs: 10,
      });
    },

    async submitOrders(orders) {
      const results: BusinessCentralBulkResult[] = new Array(orders.length);
      const existing = await findByKeys(orders.map((entry) => entry.idempotencyKey));
      const toBook: { index: number; body: ODataRecord; key: string }[] = [];
      const seen = new Map<string, number>();
      orders.forEach((entry, index) => {
        const found = existing.get(entry.idempotencyKey);
        if (found) {
          results[index] = { index, ok: true, result: orderResult(found, entry.idempotencyKey, true) };
          return;
        }
        if (seen.has(entry.idempotencyKey)) return;
        seen.set(entry.idempotencyKey, index);
        try {
          toBook.push({
            index,
            body: orderBody(entry.order, entry.idempotencyKey),
            key: entry.idempotencyKey,
          });
        } catch (error) {
          results[index] = { index, ok: false, error: error as Error };
        }
      });
      const outcomes: ODataBatchResult[] = await odata.batch(
        toBook.map((entry) => ({
          id: String(entry.index + 1),
          method: "POST",
          url: `${companySegment}/salesOrders?$expand=salesOrderLines`,
          body: entry.body,
        })),
      );
      outcomes.forEach((outcome, position) => {
        const entry = toBook[position] as (typeof toBook)[number];
        results[entry.index] = outcome.ok
          ? {
              index: entry.index,
              ok: true,
              result: orderResult(outcome.body, entry.key, false, ["$batch", outcome.id]),
            }
          : { index: entry.index, ok: false, error: outcome.error as Error };
      });
      orders.forEach((entry, index) => {
        if (results[index] !== undefined) return;
        const first = results[seen.get(entry.idempotencyKey) as number] as BusinessCentralBulkResult;
        results[index] = first.ok
          ? { index, ok: true, result: { ...first.result, duplicate: true } }
          : { index, ok: false, error: first.error };
      });
      return results;
    },

    async getOrderStatus(erpOrderNumber) {
      for await (const record of odata.list("salesOrders", {
        filter: `number eq ${odataLiteral(erpOrderNumber)}`,
        expand: ["salesOrderLines"],
      })) {
        const order = parseBusinessCentral(BusinessCentralSalesOrderSchema, record, ["salesOrders", 0]);
        return orderResult(record, order.externalDocumentNumber ?? "", false);
      }
      throw new ValidationError(`Sales order ${erpOrderNumber} does not exist`, [
        { code: "unknown_order", path: ["erpOrderNumber"], message: `No order numbered ${erpOrderNumber}` },
      ]);
    },

    invoices(since) {
      return changePages("salesInvoices", since, ["salesInvoiceLines"], (records) =>
        records.map((record, index) =>
          toInvoice(
            parseBusinessCentral(BusinessCentralSalesInvoiceSchema, record, ["salesInvoices", index]),
            currency,
          ),
        ),
      );
    },

    shipments(since) {
      return changePages("salesShipments", since, ["salesShipmentLines"], (records) =>
        records.map((record, index) =>
          toShipment(
            parseBusinessCentral(BusinessCentralSalesShipmentSchema, record, ["salesShipments", index]),
          ),
        ),
      );
    },

    items(since) {
      return changePages("items", since, undefined, (records) =>
        records.map((record, index) =>
          toItem(parseBusinessCentral(BusinessCentralItemSchema, record, ["items", index]), currency),
        ),
      );
    },

    prices(since) {
      return changePages("salesPrices", since, undefined, (records) =>
        toPrices(
          records.map((record, index) =>
            parseBusinessCentral(BusinessCentralSalesPriceSchema, record, ["salesPrices", index]),
          ),
        ),
      );
    },

    async setCreditLimit(customerId, limit, options = {}) {
      const { customer, etag } = await findCustomer(customerId);
      if (etag === undefined) {
        throw new ValidationError(`Customer ${customerId} came without an ETag`, [
          {
            code: "missing_etag",
            path: ["customers", "@odata.etag"],
            message: "Cannot update without If-Match",
          },
        ]);
      }
      await odata.update(
        customerPath(customer.id),
        etag,
        { creditLimit: limit.amount },
        {
          ...(options.onConflict === "reapply" ? { reapply: (_current, patch) => patch } : {}),
        },
      );
    },
  };
}
