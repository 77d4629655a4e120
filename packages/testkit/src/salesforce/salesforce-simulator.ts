import { randomBytes, randomUUID } from "node:crypto";
import type { FaultInjector } from "../shared/faults";
import type { Ledger } from "../shared/ledger";
import {
  jsonResponse,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorRouter,
} from "../shared/router";
import {
  type SimulatorEnvironment,
  type SimulatorServer,
  startSimulatorServer,
} from "../shared/simulator-server";
import { parseSoql, type SoqlCondition } from "./soql";

/** A record in the simulator: field name → value, plus the system fields. */
export type SalesforceSimulatorRecord = Record<string, unknown> & {
  Id: string;
  CreatedDate: string;
  LastModifiedDate: string;
  SystemModstamp: string;
};

/** The fields an sObject type accepts, and which of them are external ids. */
export interface SalesforceObjectSchema {
  /** The 3-character key prefix of ids (`001` Account). */
  keyPrefix: string;
  /** Writable fields. */
  fields: string[];
  /** Fields marked External ID (upsert keys). */
  externalIds: string[];
  /** Fields required on create. */
  required: string[];
}

/**
 * The objects the simulator knows by default (standard fields, plus the custom ones distro uses).
 *
 * @example
 * ```ts
 * SALESFORCE_DEFAULT_OBJECTS.Account.externalIds; // ["ERP_Customer_Number__c"]
 * ```
 */
export const SALESFORCE_DEFAULT_OBJECTS: Record<string, SalesforceObjectSchema> = {
  Account: {
    keyPrefix: "001",
    fields: [
      "Name",
      "AccountNumber",
      "ERP_Customer_Number__c",
      "Type",
      "Industry",
      "Rating",
      "OwnerId",
      "Description",
      "Phone",
      "Website",
      "CurrencyIsoCode",
      "BillingStreet",
      "BillingCity",
      "BillingState",
      "BillingPostalCode",
      "BillingCountry",
      "ShippingStreet",
      "ShippingCity",
      "ShippingState",
      "ShippingPostalCode",
      "ShippingCountry",
      "Tier__c",
      "Segment__c",
      "Credit_Limit__c",
      "Payment_Terms__c",
      "Account_Status__c",
      "Tax_Id__c",
      "ParentId",
    ],
    externalIds: ["ERP_Customer_Number__c"],
    required: ["Name"],
  },
  Contact: {
    keyPrefix: "003",
    fields: ["FirstName", "LastName", "Email", "Phone", "Title", "AccountId", "ERP_Contact_Id__c", "OwnerId"],
    externalIds: ["ERP_Contact_Id__c"],
    required: ["LastName"],
  },
  Task: {
    keyPrefix: "00T",
    fields: [
      "Subject",
      "Description",
      "WhatId",
      "WhoId",
      "ActivityDate",
      "Status",
      "Priority",
      "Type",
      "TaskSubtype",
      "OwnerId",
      "Distro_Activity_Key__c",
      "Distro_Correlation_Id__c",
    ],
    externalIds: ["Distro_Activity_Key__c"],
    required: [],
  },
};

/** Settings for {@link createSalesforceSimulator}. */
export interface SalesforceSimulatorSettings extends SimulatorEnvironment {
  /** The connected app's consumer key (default `distro-client`). */
  clientId?: string;
  /** The connected app's consumer secret (default `distro-secret`). */
  clientSecret?: string;
  /** How long an access token is accepted, in ms (default 2 h). */
  tokenLifetimeMs?: number;
  /** The REST API version served (default `v62.0`). */
  apiVersion?: string;
  /** Daily API request allowance reported in `Sforce-Limit-Info` (default 15000). */
  dailyApiLimit?: number;
  /** Records per query page before `nextRecordsUrl` (default 2000). */
  queryPageSize?: number;
  /** Extra or replacement object schemas. */
  objects?: Record<string, SalesforceObjectSchema>;
}

/** A running Salesforce simulator. */
export interface SalesforceSimulator {
  /** The instance URL (token endpoint and REST API). */
  readonly url: string;
  /** The API version served, e.g. `v62.0`. */
  readonly apiVersion: string;
  /** The consumer key. */
  readonly clientId: string;
  /** The consumer secret. */
  readonly clientSecret: string;
  /** Every HTTP request served. */
  readonly ledger: Ledger;
  /** Inject latency, 429s, 5xx and resets. */
  readonly faults: FaultInjector;
  /** The token endpoint URL. */
  readonly tokenUrl: string;
  /** API calls counted so far (as in `Sforce-Limit-Info`). */
  apiUsage(): number;
  /** Every record of a type, in creation order. */
  records(type: string): SalesforceSimulatorRecord[];
  /**
   * One record by id.
   * @param type - the sObject type
   * @param id - the record id
   */
  record(type: string, id: string): SalesforceSimulatorRecord | undefined;
  /**
   * Creates or changes a record directly, as a CRM user would in the UI (bumps SystemModstamp).
   * @param type - the sObject type
   * @param fields - the fields; include `Id` to change an existing record
   */
  put(type: string, fields: Record<string, unknown>): SalesforceSimulatorRecord;
  /** Makes every issued token invalid (the next call answers 401 `INVALID_SESSION_ID`). */
  expireTokens(): void;
  /** How many tokens were issued. */
  tokensIssued(): number;
  /** Stops the server. */
  close(): Promise<void>;
}

interface ErrorItem {
  statusCode: string;
  message: string;
  fields: string[];
}

/**
 * Starts a Salesforce simulator on loopback: the OAuth 2.0 client-credentials token
 * endpoint with expiring tokens (401 `INVALID_SESSION_ID` as an array body), sObject
 * read and upsert by external id (201 created, 200 updated, 300 multiple matches),
 * composite sObject collections with `allOrNone` and the 200-record limit (rolled-back
 * records get `ALL_OR_NONE_OPERATION_ROLLED_BACK`), SOQL query paging with
 * `nextRecordsUrl`, and `Sforce-Limit-Info: api-usage=n/m` on every answer.
 *
 * @param settings - credentials, token lifetime, page size, clock and randomness
 * @returns the running simulator
 * @example
 * ```ts
 * import { createSalesforceSimulator } from "@distro/testkit/salesforce";
 *
 * const salesforce = await createSalesforceSimulator({ tokenLifetimeMs: 60_000 });
 * const token = await fetch(salesforce.tokenUrl, {
 *   method: "POST",
 *   body: new URLSearchParams({ grant_type: "client_credentials", client_id: salesforce.clientId, client_secret: salesforce.clientSecret }),
 * });
 * await salesforce.close();
 * ```
 */
export async function createSalesforceSimulator(
  settings: SalesforceSimulatorSettings = {},
): Promise<SalesforceSimulator> {
  const clock = settings.clock ?? Date.now;
  const apiVersion = settings.apiVersion ?? "v62.0";
  const clientId = settings.clientId ?? "distro-client";
  const clientSecret = settings.clientSecret ?? "distro-secret";
  const tokenLifetimeMs = settings.tokenLifetimeMs ?? 7_200_000;
  const dailyApiLimit = settings.dailyApiLimit ?? 15_000;
  const pageSize = settings.queryPageSize ?? 2000;
  const objects = { ...SALESFORCE_DEFAULT_OBJECTS, ...settings.objects };
  const tables = new Map<string, Map<string, SalesforceSimulatorRecord>>();
  const tokens = new Map<string, number>();
  const cursors = new Map<
    string,
    { records: SalesforceSimulatorRecord[]; fields: string[]; object: string }
  >();
  let issued = 0;
  let usage = 0;
  let counter = 0;
  let lastStamp = 0;

  const table = (type: string) => {
    let found = tables.get(type);
    if (!found) {
      found = new Map();
      tables.set(type, found);
    }
    return found;
  };
  const stamp = () => {
    // Strictly increasing, so SystemModstamp cursors are exact.
    lastStamp = Math.max(clock(), lastStamp + 1);
    return new Date(lastStamp).toISOString().replace("Z", "+0000");
  };
  const newId = (type: string) => {
    counter++;
    const body = `${objects[type]?.keyPrefix ?? "a00"}9O00000${counter.toString(36).toUpperCase().padStart(5, "0")}`;
    return `${body}${"AAA"}`.slice(0, 18);
  };
  const base = `/services/data/${apiVersion}`;

  const sfError = (
    status: number,
    errorCode: string,
    message: string,
    fields?: string[],
  ): SimulatorResponse => jsonResponse(status, [{ message, errorCode, ...(fields ? { fields } : {}) }]);

  const checkFields = (type: string, fields: Record<string, unknown>, creating: boolean): ErrorItem[] => {
    const schema = objects[type]!;
    const errors: ErrorItem[] = [];
    for (const name of Object.keys(fields)) {
      if (name === "attributes" || name === "Id") continue;
      if (!schema.fields.includes(name)) {
        errors.push({
          statusCode: "INVALID_FIELD",
          message: `No such column '${name}' on sobject of type ${type}`,
          fields: [name],
        });
      }
    }
    if (creating) {
      const missing = schema.required.filter(
        (name) => fields[name] === undefined || fields[name] === null || fields[name] === "",
      );
      if (missing.length > 0) {
        errors.push({
          statusCode: "REQUIRED_FIELD_MISSING",
          message: `Required fields are missing: [${missing.join(", ")}]`,
          fields: missing,
        });
      }
    }
    return errors;
  };

  const write = (
    type: string,
    existing: SalesforceSimulatorRecord | undefined,
    fields: Record<string, unknown>,
  ) => {
    const at = stamp();
    const clean = Object.fromEntries(
      Object.entries(fields).filter(([name]) => name !== "attributes" && name !== "Id"),
    );
    if (existing) {
      Object.assign(existing, clean, { LastModifiedDate: at, SystemModstamp: at });
      return existing;
    }
    const created: SalesforceSimulatorRecord = {
      Id: newId(type),
      ...clean,
      CreatedDate: at,
      LastModifiedDate: at,
      SystemModstamp: at,
    };
    table(type).set(created.Id, created);
    return created;
  };

  const findByExternalId = (type: string, field: string, value: unknown) =>
    [...table(type).values()].filter(
      (record) => record[field] !== undefined && String(record[field]) === String(value),
    );

  const parseBody = (request: SimulatorRequest): Record<string, unknown> | undefined => {
    try {
      const value = JSON.parse(request.body) as unknown;
      return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };

  const withAttributes = (type: string, record: SalesforceSimulatorRecord, fields?: string[]) => {
    const out: Record<string, unknown> = {
      attributes: { type, url: `${base}/sobjects/${type}/${record.Id}` },
    };
    for (const name of fields ?? Object.keys(record)) out[name] = record[name] ?? null;
    return out;
  };

  const upsertOne = (
    type: string,
    field: string,
    value: string,
    fields: Record<string, unknown>,
  ): {
    status: number;
    result: { id: string | null; success: boolean; errors: ErrorItem[]; created?: boolean };
  } => {
    const matches = findByExternalId(type, field, value);
    if (matches.length > 1) {
      return {
        status: 300,
        result: {
          id: null,
          success: false,
          errors: [
            {
              statusCode: "DUPLICATE_EXTERNAL_ID",
              message: `${field}: more than 1 record found for external id field: [${matches.map((match) => match.Id).join(", ")}]`,
              fields: [field],
            },
          ],
        },
      };
    }
    const errors = checkFields(type, fields, matches.length === 0);
    if (errors.length > 0) return { status: 400, result: { id: null, success: false, errors } };
    const record = write(type, matches[0], { ...fields, [field]: fields[field] ?? value });
    return {
      status: matches.length === 0 ? 201 : 200,
      result: { id: record.Id, success: true, errors: [], created: matches.length === 0 },
    };
  };

  const router = new SimulatorRouter();
  router
    .on("POST", "/services/oauth2/token", (request) => {
      const form = new URLSearchParams(request.body);
      if (form.get("grant_type") !== "client_credentials") {
        return jsonResponse(400, {
          error: "unsupported_grant_type",
          error_description: "grant type not supported",
        });
      }
      let id = form.get("client_id");
      let secret = form.get("client_secret");
      const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? "");
      if (basic) {
        const [user, password] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
        id = decodeURIComponent(user ?? "");
        secret = decodeURIComponent(password ?? "");
      }
      if (id !== clientId || secret !== clientSecret) {
        return jsonResponse(400, {
          error: "invalid_client",
          error_description: "invalid client credentials",
        });
      }
      const token = `00D9O000000distro!${randomBytes(24).toString("base64url")}`;
      tokens.set(token, clock() + tokenLifetimeMs);
      issued++;
      return {
        ...jsonResponse(200, {
          access_token: token,
          signature: randomBytes(32).toString("base64"),
          scope: "api",
          instance_url: serverUrl,
          id: `${serverUrl}/id/00D9O000000distro/0059O00000distro`,
          token_type: "Bearer",
          issued_at: String(clock()),
        }),
        operation: "oauth.token",
      };
    })
    .on("GET", `${base}/sobjects/:type/:id`, (request) => {
      const type = request.params.type!;
      if (!objects[type]) return sfError(404, "NOT_FOUND", "The requested resource does not exist");
      const record = table(type).get(request.params.id!);
      if (!record) return sfError(404, "NOT_FOUND", "The requested resource does not exist");
      const fields = request.query
        .get("fields")
        ?.split(",")
        .map((field) => field.trim());
      return {
        ...jsonResponse(200, withAttributes(type, record, fields ? ["Id", ...fields] : undefined)),
        operation: "sobject.get",
      };
    })
    .on("PATCH", `${base}/sobjects/:type/:field/:value`, (request) => {
      const type = request.params.type!;
      const field = request.params.field!;
      if (!objects[type]) return sfError(404, "NOT_FOUND", "The requested resource does not exist");
      if (!objects[type].externalIds.includes(field)) {
        return sfError(400, "INVALID_FIELD", `${field} is not an External ID field on ${type}`, [field]);
      }
      const body = parseBody(request);
      if (!body) return sfError(400, "JSON_PARSER_ERROR", "The request body is not valid JSON");
      const value = decodeURIComponent(request.params.value!);
      const { status, result } = upsertOne(type, field, value, body);
      if (status === 300) {
        const matches = findByExternalId(type, field, value);
        return {
          ...jsonResponse(
            300,
            matches.map((match) => `${base}/sobjects/${type}/${match.Id}`),
          ),
          operation: "sobject.upsert",
        };
      }
      if (status === 400) {
        return {
          ...jsonResponse(
            400,
            result.errors.map((error) => ({
              message: error.message,
              errorCode: error.statusCode,
              fields: error.fields,
            })),
          ),
          operation: "sobject.upsert",
        };
      }
      return { ...jsonResponse(status, result), operation: "sobject.upsert" };
    })
    .on("POST", `${base}/composite/sobjects`, (request) => collection(request, undefined))
    .on("PATCH", `${base}/composite/sobjects/:type/:field`, (request) => collection(request, request.params))
    .on("GET", `${base}/query`, (request) => {
      const q = request.query.get("q");
      if (!q) return sfError(400, "MALFORMED_QUERY", "query parameter q is required");
      let parsed: ReturnType<typeof parseSoql>;
      try {
        parsed = parseSoql(q);
      } catch (error) {
        return sfError(400, "MALFORMED_QUERY", (error as Error).message.replace(/^MALFORMED_QUERY: /, ""));
      }
      const schema = objects[parsed.object];
      if (!schema) return sfError(400, "INVALID_TYPE", `sObject type '${parsed.object}' is not supported.`);
      const known = new Set(["Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", ...schema.fields]);
      const unknown = [
        ...parsed.fields,
        ...parsed.where.flat().map((condition) => condition.field),
        ...parsed.orderBy.map((order) => order.field),
      ].find((field) => !known.has(field));
      if (unknown)
        return sfError(400, "INVALID_FIELD", `No such column '${unknown}' on entity '${parsed.object}'.`);
      let rows = [...table(parsed.object).values()].filter(
        (record) =>
          parsed.where.length === 0 ||
          parsed.where.some((group) => group.every((condition) => matches(record, condition))),
      );
      rows.sort((a, b) => {
        for (const order of parsed.orderBy) {
          const left = a[order.field];
          const right = b[order.field];
          const compared = compareValues(left, right);
          if (compared !== 0) return order.direction === "ASC" ? compared : -compared;
        }
        return 0;
      });
      if (parsed.limit !== undefined) rows = rows.slice(0, parsed.limit);
      return { ...queryPage(parsed.object, rows, parsed.fields, 0), operation: "query" };
    })
    .on("GET", `${base}/query/:locator`, (request) => {
      const match = /^(.+)-(\d+)$/.exec(request.params.locator!);
      const cursor = match ? cursors.get(match[1]!) : undefined;
      if (!match || !cursor) return sfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
      return {
        ...queryPage(cursor.object, cursor.records, cursor.fields, Number(match[2]), match[1]!),
        operation: "query.more",
      };
    });

  function queryPage(
    object: string,
    rows: SalesforceSimulatorRecord[],
    fields: string[],
    offset: number,
    locator?: string,
  ) {
    const page = rows.slice(offset, offset + pageSize);
    const done = offset + pageSize >= rows.length;
    let id = locator;
    if (!done && id === undefined) {
      id = `01g9O0000${randomUUID().replace(/-/g, "").slice(0, 9)}`;
      cursors.set(id, { records: rows, fields, object });
    }
    return jsonResponse(200, {
      totalSize: rows.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `${base}/query/${id}-${offset + pageSize}` }),
      records: page.map((record) => withAttributes(object, record, fields)),
    });
  }

  function collection(
    request: SimulatorRequest,
    params: Record<string, string> | undefined,
  ): SimulatorResponse {
    const body = parseBody(request);
    if (!body || !Array.isArray(body.records))
      return sfError(400, "JSON_PARSER_ERROR", "Expected {records: [...]}");
    const records = body.records as Record<string, unknown>[];
    if (records.length > 200) {
      return sfError(
        400,
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
      );
    }
    const allOrNone = body.allOrNone === true;
    const results: { id: string | null; success: boolean; errors: ErrorItem[]; created?: boolean }[] = [];
    const snapshot = new Map(
      [...tables].map(([type, rows]) => [type, new Map([...rows].map(([id, row]) => [id, { ...row }]))]),
    );
    for (const record of records) {
      const type = params?.type ?? (record.attributes as { type?: string } | undefined)?.type ?? "";
      if (!objects[type]) {
        results.push({
          id: null,
          success: false,
          errors: [
            { statusCode: "INVALID_TYPE", message: `sObject type '${type}' is not supported.`, fields: [] },
          ],
        });
        continue;
      }
      if (params) {
        const field = params.field!;
        if (!objects[type].externalIds.includes(field)) {
          results.push({
            id: null,
            success: false,
            errors: [
              {
                statusCode: "INVALID_FIELD",
                message: `${field} is not an External ID field`,
                fields: [field],
              },
            ],
          });
          continue;
        }
        const value = record[field];
        if (value === undefined || value === null || value === "") {
          results.push({
            id: null,
            success: false,
            errors: [{ statusCode: "MISSING_ARGUMENT", message: `${field} not specified`, fields: [field] }],
          });
          continue;
        }
        const outcome = upsertOne(type, field, String(value), record);
        results.push(outcome.result);
      } else {
        const errors = checkFields(type, record, true);
        if (errors.length > 0) {
          results.push({ id: null, success: false, errors });
          continue;
        }
        results.push({ id: write(type, undefined, record).Id, success: true, errors: [] });
      }
    }
    if (allOrNone && results.some((result) => !result.success)) {
      tables.clear();
      for (const [type, rows] of snapshot) tables.set(type, rows);
      for (const result of results) {
        if (result.success) {
          result.success = false;
          result.id = null;
          delete result.created;
          result.errors = [
            {
              statusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
              message:
                "Record rolled back because not all records were valid and the request was using AllOrNone header",
              fields: [],
            },
          ];
        }
      }
    }
    return { ...jsonResponse(200, results), operation: params ? "collection.upsert" : "collection.create" };
  }

  let serverUrl = "";
  const server: SimulatorServer = await startSimulatorServer({
    name: "salesforce",
    router,
    clock,
    ...(settings.random ? { random: settings.random } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    notFound: () => sfError(404, "NOT_FOUND", "The requested resource does not exist"),
    renderFault: (fault) =>
      fault.kind === "rate-limit"
        ? sfError(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests")
        : sfError(fault.status ?? 503, "SERVER_UNAVAILABLE", "Server is temporarily unavailable"),
    before: (request) => {
      if (!request.path.startsWith("/services/data/")) return undefined;
      const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1];
      const expiresAt = token === undefined ? undefined : tokens.get(token);
      if (expiresAt === undefined || expiresAt <= clock()) {
        return sfError(401, "INVALID_SESSION_ID", "Session expired or invalid");
      }
      usage++;
      if (usage > dailyApiLimit)
        return sfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
      return undefined;
    },
    decorate: (request): Record<string, string> | undefined =>
      request.path.startsWith("/services/data/")
        ? { "sforce-limit-info": `api-usage=${Math.min(usage, dailyApiLimit)}/${dailyApiLimit}` }
        : undefined,
  });
  serverUrl = server.url;

  return {
    url: server.url,
    apiVersion,
    clientId,
    clientSecret,
    ledger: server.ledger,
    faults: server.faults,
    tokenUrl: `${server.url}/services/oauth2/token`,
    apiUsage: () => usage,
    records: (type) => [...table(type).values()],
    record: (type, id) => table(type).get(id),
    put: (type, fields) => {
      const existing = typeof fields.Id === "string" ? table(type).get(fields.Id) : undefined;
      return write(type, existing, fields);
    },
    expireTokens: () => tokens.clear(),
    tokensIssued: () => issued,
    close: () => server.close(),
  };
}

function compareValues(left: unknown, right: unknown): number {
  if (left === right) return 0;
  if (left === undefined || left === null) return -1;
  if (right === undefined || right === null) return 1;
  const leftTime = typeof left === "string" ? Date.parse(left.replace(/\+0000$/, "Z")) : Number.NaN;
  const rightTime = typeof right === "string" ? Date.parse(right.replace(/\+0000$/, "Z")) : Number.NaN;
  if (
    !Number.isNaN(leftTime) &&
    !Number.isNaN(rightTime) &&
    /^\d{4}-/.test(String(left)) &&
    /^\d{4}-/.test(String(right))
  ) {
    return leftTime - rightTime;
  }
  if (typeof left === "number" && typeof right === "number") return left - right;
  return String(left) < String(right) ? -1 : 1;
}

function matches(record: SalesforceSimulatorRecord, condition: SoqlCondition): boolean {
  const value = record[condition.field];
  if (condition.value === null) {
    const isNull = value === undefined || value === null;
    return condition.operator === "=" ? isNull : condition.operator === "!=" ? !isNull : false;
  }
  if (value === undefined || value === null) return condition.operator === "!=";
  const compared = compareValues(value, condition.value);
  switch (condition.operator) {
    case "=":
      return compared === 0;
    case "!=":
      return compared !== 0;
    case ">":
      return compared > 0;
    case ">=":
      return compared >= 0;
    case "<":
      return compared < 0;
    case "<=":
      return compared <= 0;
  }
}
