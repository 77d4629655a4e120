import { createHmac } from "node:crypto";
import { addDecimal, compareDecimal, multiplyDecimal, roundDecimal, subtractDecimal } from "@distro/core";
import {
  type FaultInjector,
  type Ledger,
  realSleep,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorRouter,
  startSimulatorServer,
} from "../shared/index";
import { findElement, readXml, type XmlElement } from "./xml-reader";

/** Token-based authentication credentials the simulated account accepts. */
export interface NetSuiteSimulatorCredentials {
  account: string;
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

/** A sales order booked by the simulated NetSuite. */
export interface NetSuiteSimulatorBooking {
  /** Internal id. */
  internalId: string;
  /** Transaction number, e.g. `SO1001`. */
  tranId: string;
  /** The external id it was booked under. */
  externalId: string;
  /** Customer external id. */
  customer: string;
}

/** Settings of {@link createNetSuiteSimulator}. */
export interface NetSuiteSimulatorSettings {
  /** The TBA credentials it accepts (defaults are printed in the README). */
  credentials?: NetSuiteSimulatorCredentials;
  /** Concurrent requests per account before `WS_CONCUR_SESSION_DISALLWD` (default 1). */
  maxConcurrentRequests?: number;
  /** Latency per request in milliseconds (default 0). */
  latencyMs?: number;
  /** Inventory items to seed, each with stock (default 20). */
  items?: number;
  /** Clock in epoch milliseconds. */
  clock?: () => number;
}

/** A running NetSuite-like SuiteTalk SOAP endpoint. */
export interface NetSuiteSimulator {
  /** Origin. */
  readonly url: string;
  /** The SOAP endpoint (`<url>/services/NetSuitePort_2023_2`). */
  readonly endpoint: string;
  /** The credentials it accepts. */
  readonly credentials: NetSuiteSimulatorCredentials;
  /** Every request served. */
  readonly ledger: Ledger;
  /** Transport faults. */
  readonly faults: FaultInjector;
  /** Sales orders booked, in order. */
  bookings(): NetSuiteSimulatorBooking[];
  /** Bookings counted per external id. */
  bookingsByKey(): Map<string, number>;
  /** Stops the server. */
  close(): Promise<void>;
}

interface StoredRecord {
  type: string;
  internalId: string;
  externalId: string | undefined;
  fields: Record<string, string | { internalId?: string; externalId?: string }>;
  lines: Record<string, string | { internalId?: string; externalId?: string }>[];
  lastModifiedDate: string;
}

type Detail = { code: string; message: string };

const MESSAGES = "urn:messages_2023_2.platform.webservices.netsuite.com";
const CORE = "urn:core_2023_2.platform.webservices.netsuite.com";
const TYPE_NAMES: Record<string, string> = {
  Customer: "customer",
  Contact: "contact",
  InventoryItem: "inventoryItem",
  SalesOrder: "salesOrder",
  Invoice: "invoice",
};
const REQUIRED: Record<string, [string, string][]> = {
  customer: [["companyName", "Company Name"]],
  contact: [["firstName", "First Name"]],
  salesOrder: [["entity", "Customer"]],
};

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Header><platformMsgs:documentInfo xmlns:platformMsgs="${MESSAGES}"><platformMsgs:nsId>WEBSERVICES_SIM_${Date.now()}</platformMsgs:nsId></platformMsgs:documentInfo></soapenv:Header><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

function fault(type: string, code: string, message: string): SimulatorResponse {
  const body = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><faultstring>${escapeText(message)}</faultstring><detail><platformFaults:${type} xmlns:platformFaults="urn:faults_2023_2.platform.webservices.netsuite.com"><platformFaults:code>${code}</platformFaults:code><platformFaults:message>${escapeText(message)}</platformFaults:message></platformFaults:${type}><ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">simulator</ns1:hostname></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  return {
    status: 500,
    headers: { "content-type": "text/xml; charset=utf-8" },
    body,
    operation: `fault.${code}`,
  };
}

function status(details: Detail[]): string {
  if (details.length === 0) return `<platformCore:status xmlns:platformCore="${CORE}" isSuccess="true"/>`;
  return `<platformCore:status xmlns:platformCore="${CORE}" isSuccess="false">${details
    .map(
      (detail) =>
        `<platformCore:statusDetail type="ERROR"><platformCore:code>${detail.code}</platformCore:code><platformCore:message>${escapeText(detail.message)}</platformCore:message></platformCore:statusDetail>`,
    )
    .join("")}</platformCore:status>`;
}

function refXml(
  element: string,
  type: string,
  record: { internalId?: string | undefined; externalId?: string | undefined },
): string {
  const attributes = [
    record.internalId ? ` internalId="${escapeText(record.internalId)}"` : "",
    record.externalId ? ` externalId="${escapeText(record.externalId)}"` : "",
  ].join("");
  return `<${element} xmlns:platformCore="${CORE}"${attributes} type="${type}" xsi:type="platformCore:RecordRef"/>`;
}

function recordXml(record: StoredRecord): string {
  const xsiType = Object.entries(TYPE_NAMES).find(([, name]) => name === record.type)?.[0] ?? "Record";
  const field = (name: string, value: string | { internalId?: string; externalId?: string }) =>
    typeof value === "string"
      ? `<tran:${name}>${escapeText(value)}</tran:${name}>`
      : `<tran:${name}${value.internalId ? ` internalId="${escapeText(value.internalId)}"` : ""}${value.externalId ? ` externalId="${escapeText(value.externalId)}"` : ""}/>`;
  const body = Object.entries(record.fields)
    .map(([name, value]) => field(name, value))
    .join("");
  const lines =
    record.lines.length === 0
      ? ""
      : `<tran:itemList>${record.lines
          .map(
            (line) =>
              `<tran:item>${Object.entries(line)
                .map(([name, value]) => field(name, value))
                .join("")}</tran:item>`,
          )
          .join("")}</tran:itemList>`;
  return `<platformCore:record xmlns:platformCore="${CORE}" xmlns:tran="urn:sim.webservices.netsuite.com" internalId="${record.internalId}"${record.externalId ? ` externalId="${escapeText(record.externalId)}"` : ""} xsi:type="tran:${xsiType}">${body}${lines}<tran:lastModifiedDate>${record.lastModifiedDate}</tran:lastModifiedDate></platformCore:record>`;
}

/**
 * Starts a NetSuite-like SuiteTalk SOAP endpoint on 127.0.0.1: verifies the token passport
 * (HMAC-SHA256 signature, timestamp window, nonce never reused), enforces the concurrent
 * request limit with `WS_CONCUR_SESSION_DISALLWD` faults, and serves `add`, `upsert`,
 * `addList`, `get`, `search` and `searchMoreWithId` for customers, contacts, items and sales
 * orders. Sales orders commit stock and backorder the shortage (`quantityCommitted`,
 * `quantityBackOrdered`); refusals are record-level `isSuccess="false"` statuses, as the
 * real service answers. It keeps a booking ledger per external id.
 *
 * @param settings - credentials, limits, seed
 * @returns the running simulator
 * @example
 * ```ts
 * import { createNetSuiteSimulator } from "@distro/testkit/netsuite";
 *
 * const netsuite = await createNetSuiteSimulator();
 * // createNetSuite({ endpoint: netsuite.endpoint, ...netsuite.credentials })
 * await netsuite.close();
 * ```
 */
export async function createNetSuiteSimulator(
  settings: NetSuiteSimulatorSettings = {},
): Promise<NetSuiteSimulator> {
  const credentials = settings.credentials ?? {
    account: "TSTDRV1234567",
    consumerKey: "sim-consumer-key",
    consumerSecret: "sim-consumer-secret",
    tokenId: "sim-token-id",
    tokenSecret: "sim-token-secret",
  };
  const clock = settings.clock ?? Date.now;
  const maxConcurrent = settings.maxConcurrentRequests ?? 1;
  const records = new Map<string, StoredRecord>();
  const byExternal = new Map<string, StoredRecord>();
  const nonces = new Set<string>();
  const searches = new Map<string, StoredRecord[]>();
  const bookings: NetSuiteSimulatorBooking[] = [];
  let sequence = 1000;
  let inFlight = 0;

  const store = (record: StoredRecord) => {
    records.set(`${record.type}:${record.internalId}`, record);
    if (record.externalId) byExternal.set(`${record.type}:${record.externalId}`, record);
  };
  const now = () => new Date(clock()).toISOString();
  store({
    type: "customer",
    internalId: "7270",
    externalId: "C10000",
    fields: { companyName: "Adatum Industrial Supply", email: "ap@adatum.example" },
    lines: [],
    lastModifiedDate: now(),
  });
  for (let index = 1; index <= (settings.items ?? 20); index++) {
    const number = `I-${String(index).padStart(5, "0")}`;
    store({
      type: "inventoryItem",
      internalId: String(500 + index),
      externalId: number,
      fields: { itemId: number, quantityAvailable: String((index * 37) % 200), basePrice: `${index}.0125` },
      lines: [],
      lastModifiedDate: now(),
    });
  }

  const resolveRef = (
    type: string,
    ref: { internalId?: string; externalId?: string },
  ): StoredRecord | undefined =>
    ref.internalId
      ? records.get(`${type}:${ref.internalId}`)
      : ref.externalId
        ? byExternal.get(`${type}:${ref.externalId}`)
        : undefined;

  const readFields = (element: XmlElement) => {
    const fields: StoredRecord["fields"] = {};
    const lines: StoredRecord["lines"] = [];
    for (const child of element.children) {
      if (child.name === "itemList") {
        for (const item of child.children) {
          const line: StoredRecord["lines"][number] = {};
          for (const field of item.children) {
            line[field.name] =
              field.children.length === 0 && (field.attributes.internalId || field.attributes.externalId)
                ? {
                    ...(field.attributes.internalId ? { internalId: field.attributes.internalId } : {}),
                    ...(field.attributes.externalId ? { externalId: field.attributes.externalId } : {}),
                  }
                : field.text;
          }
          lines.push(line);
        }
        continue;
      }
      fields[child.name] =
        child.attributes.internalId || child.attributes.externalId
          ? {
              ...(child.attributes.internalId ? { internalId: child.attributes.internalId } : {}),
              ...(child.attributes.externalId ? { externalId: child.attributes.externalId } : {}),
            }
          : child.text;
    }
    return { fields, lines };
  };

  /** Validates and books a record; returns the stored record or the status details that refuse it. */
  const write = (
    element: XmlElement,
    mode: "add" | "upsert",
  ): { record?: StoredRecord; type: string; details: Detail[]; externalId?: string } => {
    const type = TYPE_NAMES[(element.attributes.xsiType ?? "").replace(/^.*:/, "")] ?? "unknown";
    const externalId = element.attributes.externalId;
    if (type === "unknown")
      return {
        type,
        details: [
          { code: "INVALID_RCRD_TYPE", message: `Unknown record type ${element.attributes.xsiType}` },
        ],
        ...(externalId ? { externalId } : {}),
      };
    const { fields, lines } = readFields(element);
    const existing = externalId ? byExternal.get(`${type}:${externalId}`) : undefined;
    if (existing && mode === "add") {
      return {
        type,
        externalId: externalId as string,
        details: [{ code: "DUP_RCRD", message: "This record already exists" }],
      };
    }
    if (existing) {
      for (const [name, value] of Object.entries(fields))
        if (name !== "entity") existing.fields[name] = value;
      existing.lastModifiedDate = now();
      return { record: existing, type, details: [] };
    }
    const missing = (REQUIRED[type] ?? [])
      .filter(([name]) => fields[name] === undefined)
      .map(([, label]) => label);
    if (type === "salesOrder" && lines.length === 0) missing.push("Item");
    if (missing.length > 0)
      return {
        type,
        ...(externalId ? { externalId } : {}),
        details: [{ code: "USER_ERROR", message: `Please enter value(s) for: ${missing.join(", ")}` }],
      };
    if (type === "salesOrder") {
      const customer = resolveRef("customer", fields.entity as { internalId?: string; externalId?: string });
      if (!customer)
        return {
          type,
          ...(externalId ? { externalId } : {}),
          details: [{ code: "INVALID_KEY_OR_REF", message: "Invalid entity reference key." }],
        };
      let total = "0";
      for (const [index, line] of lines.entries()) {
        const item = resolveRef("inventoryItem", line.item as { internalId?: string; externalId?: string });
        const quantity = typeof line.quantity === "string" ? line.quantity : "";
        if (!item)
          return {
            type,
            ...(externalId ? { externalId } : {}),
            details: [
              { code: "INVALID_KEY_OR_REF", message: `Invalid item reference key on line ${index + 1}.` },
            ],
          };
        if (!/^\d+(\.\d+)?$/.test(quantity))
          return {
            type,
            ...(externalId ? { externalId } : {}),
            details: [{ code: "INVALID_FLD_VALUE", message: `Invalid quantity on line ${index + 1}.` }],
          };
      }
      for (const line of lines) {
        const item = resolveRef(
          "inventoryItem",
          line.item as { internalId?: string; externalId?: string },
        ) as StoredRecord;
        const quantity = line.quantity as string;
        const available = item.fields.quantityAvailable as string;
        const committed =
          compareDecimal(available, quantity) >= 0
            ? quantity
            : compareDecimal(available, "0") > 0
              ? available
              : "0";
        item.fields.quantityAvailable = subtractDecimal(available, committed);
        line.quantityCommitted = committed;
        line.quantityBackOrdered = subtractDecimal(quantity, committed);
        line.quantityFulfilled = "0";
        const rate = typeof line.rate === "string" ? line.rate : (item.fields.basePrice as string);
        line.rate = rate;
        line.amount = roundDecimal(multiplyDecimal(rate, quantity), 2);
        line.item = { internalId: item.internalId, externalId: item.externalId as string };
        total = addDecimal(total, line.amount);
      }
      fields.entity = {
        internalId: customer.internalId,
        ...(customer.externalId ? { externalId: customer.externalId } : {}),
      };
      fields.total = total;
    }
    sequence += 1;
    const record: StoredRecord = {
      type,
      internalId: String(sequence),
      externalId,
      fields,
      lines,
      lastModifiedDate: now(),
    };
    if (type === "salesOrder") {
      record.fields.tranId = `SO${sequence}`;
      bookings.push({
        internalId: record.internalId,
        tranId: `SO${sequence}`,
        externalId: externalId ?? "",
        customer: (fields.entity as { externalId?: string }).externalId ?? "",
      });
    }
    store(record);
    return { record, type, details: [] };
  };

  const writeResponse = (result: ReturnType<typeof write>) =>
    `<writeResponse>${status(result.details)}${refXml("baseRef", result.type, { internalId: result.record?.internalId, externalId: result.record?.externalId ?? result.externalId })}</writeResponse>`;

  const searchPage = (searchId: string, pageIndex: number, pageSize: number): string => {
    const found = searches.get(searchId) ?? [];
    const totalPages = Math.max(1, Math.ceil(found.length / pageSize));
    const page = found.slice((pageIndex - 1) * pageSize, pageIndex * pageSize);
    return `<platformCore:searchResult xmlns:platformCore="${CORE}"><platformCore:status isSuccess="true"/><platformCore:totalRecords>${found.length}</platformCore:totalRecords><platformCore:pageSize>${pageSize}</platformCore:pageSize><platformCore:totalPages>${totalPages}</platformCore:totalPages><platformCore:pageIndex>${pageIndex}</platformCore:pageIndex><platformCore:searchId>${searchId}</platformCore:searchId><platformCore:recordList>${page.map(recordXml).join("")}</platformCore:recordList></platformCore:searchResult>`;
  };

  const handle = async (request: SimulatorRequest): Promise<SimulatorResponse> => {
    inFlight += 1;
    try {
      if (inFlight > maxConcurrent) {
        return fault(
          "exceededConcurrentRequestLimitFault",
          "WS_CONCUR_SESSION_DISALLWD",
          "Only one request may be made against a session at a time",
        );
      }
      if (settings.latencyMs) await realSleep(settings.latencyMs);
      let document: XmlElement;
      try {
        document = readXml(request.body);
      } catch (error) {
        return fault(
          "invalidArgumentFault",
          "INVALID_XML",
          `Request is not well-formed XML: ${(error as Error).message}`,
        );
      }
      const passport = findElement(document, "tokenPassport");
      const field = (name: string) => (passport ? findElement(passport, name)?.text : undefined) ?? "";
      const signature = passport ? findElement(passport, "signature") : undefined;
      const expected = createHmac("sha256", `${credentials.consumerSecret}&${credentials.tokenSecret}`)
        .update(
          [field("account"), field("consumerKey"), field("token"), field("nonce"), field("timestamp")].join(
            "&",
          ),
        )
        .digest("base64");
      const timestamp = Number(field("timestamp"));
      if (
        !passport ||
        field("account") !== credentials.account ||
        field("consumerKey") !== credentials.consumerKey ||
        field("token") !== credentials.tokenId ||
        signature?.text !== expected ||
        signature.attributes.algorithm !== "HMAC-SHA256" ||
        !Number.isFinite(timestamp) ||
        Math.abs(clock() / 1000 - timestamp) > 300 ||
        nonces.has(field("nonce"))
      ) {
        return fault("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt.");
      }
      nonces.add(field("nonce"));
      const body = findElement(document, "Body");
      const operation = body?.children[0];
      if (!operation) return fault("invalidArgumentFault", "INVALID_REQUEST", "Empty SOAP body");
      const ok = (xml: string, label: string): SimulatorResponse => ({
        status: 200,
        headers: { "content-type": "text/xml; charset=utf-8" },
        body: envelope(xml),
        operation: label,
      });
      const pageSize = Number(findElement(document, "pageSize")?.text ?? "1000");
      switch (operation.name) {
        case "add":
        case "upsert": {
          const record = findElement(operation, "record");
          if (!record) return fault("invalidArgumentFault", "INVALID_REQUEST", "Missing record");
          return ok(
            `<${operation.name}Response xmlns="${MESSAGES}">${writeResponse(write(record, operation.name))}</${operation.name}Response>`,
            operation.name,
          );
        }
        case "addList": {
          const results = operation.children
            .filter((child) => child.name === "record")
            .map((record) => write(record, "add"));
          const all = results.every((result) => result.details.length === 0);
          return ok(
            `<addListResponse xmlns="${MESSAGES}"><writeResponseList><platformCore:status xmlns:platformCore="${CORE}" isSuccess="${all}"/>${results.map(writeResponse).join("")}</writeResponseList></addListResponse>`,
            "addList",
          );
        }
        case "get": {
          const ref = findElement(operation, "baseRef");
          const type = ref?.attributes.type ?? "";
          const found = ref ? resolveRef(type, ref.attributes) : undefined;
          const inner = found
            ? `${status([])}${recordXml(found)}`
            : status([
                {
                  code: "RCRD_DSNT_EXIST",
                  message: `That record does not exist. ${type} ${ref?.attributes.internalId ?? ref?.attributes.externalId ?? ""}`,
                },
              ]);
          return ok(
            `<getResponse xmlns="${MESSAGES}"><readResponse>${inner}</readResponse></getResponse>`,
            "get",
          );
        }
        case "search": {
          const searchRecord = findElement(operation, "searchRecord");
          const type =
            TYPE_NAMES[
              (searchRecord?.attributes.xsiType ?? "").replace(/^.*:/, "").replace(/SearchBasic$/, "")
            ] ?? "";
          const criteria = (searchRecord?.children ?? []).map((criterion) => ({
            field: criterion.name,
            operator: criterion.attributes.operator ?? "is",
            value: findElement(criterion, "searchValue")?.text ?? "",
          }));
          const found = [...records.values()].filter(
            (record) =>
              record.type === type &&
              criteria.every(({ field: name, operator, value }) => {
                const actual =
                  name === "externalId"
                    ? record.externalId
                    : name === "lastModifiedDate"
                      ? record.lastModifiedDate
                      : record.fields[name];
                if (typeof actual !== "string") return false;
                if (operator === "contains") return actual.toLowerCase().includes(value.toLowerCase());
                if (operator === "startsWith") return actual.toLowerCase().startsWith(value.toLowerCase());
                if (operator === "after") return Date.parse(actual) > Date.parse(value);
                if (operator === "before") return Date.parse(actual) < Date.parse(value);
                return actual === value;
              }),
          );
          const searchId = `WEBSERVICES_${credentials.account}_${searches.size + 1}`;
          searches.set(searchId, found);
          return ok(
            `<searchResponse xmlns="${MESSAGES}">${searchPage(searchId, 1, pageSize)}</searchResponse>`,
            "search",
          );
        }
        case "searchMoreWithId": {
          const searchId = findElement(operation, "searchId")?.text ?? "";
          if (!searches.has(searchId))
            return fault("invalidArgumentFault", "INVALID_SEARCH", "Invalid search id");
          const pageIndex = Number(findElement(operation, "pageIndex")?.text ?? "1");
          return ok(
            `<searchMoreWithIdResponse xmlns="${MESSAGES}">${searchPage(searchId, pageIndex, pageSize)}</searchMoreWithIdResponse>`,
            "searchMoreWithId",
          );
        }
        default:
          return fault(
            "invalidArgumentFault",
            "UNSUPPORTED_OPERATION",
            `Operation ${operation.name} is not supported`,
          );
      }
    } finally {
      inFlight -= 1;
    }
  };

  const router = new SimulatorRouter().on("POST", /^\/services\/NetSuitePort_\d{4}_\d$/, handle);
  const server = await startSimulatorServer({ name: "netsuite", router, clock });
  return {
    url: server.url,
    endpoint: `${server.url}/services/NetSuitePort_2023_2`,
    credentials,
    ledger: server.ledger,
    faults: server.faults,
    bookings: () => [...bookings],
    bookingsByKey: () => {
      const counts = new Map<string, number>();
      for (const booking of bookings)
        counts.set(booking.externalId, (counts.get(booking.externalId) ?? 0) + 1);
      return counts;
    },
    close: () => server.close(),
  };
}
