import { createHmac, randomBytes } from "node:crypto";
import { ValidationError } from "@distro/core";
import { XMLParser, XMLValidator } from "fast-xml-parser";

/** The credentials of a NetSuite token-based authentication (TBA) integration. */
export interface NetSuiteTokenCredentials {
  /** Account id, e.g. `1234567` or `1234567_SB1`. */
  account: string;
  /** The integration record's consumer key. */
  consumerKey: string;
  /** The integration record's consumer secret. */
  consumerSecret: string;
  /** The access token id. */
  tokenId: string;
  /** The access token secret. */
  tokenSecret: string;
}

/** The fields of a SuiteTalk `tokenPassport`. */
export interface NetSuiteTokenPassport {
  /** Account id. */
  account: string;
  /** Consumer key. */
  consumerKey: string;
  /** Token id. */
  token: string;
  /** A random value, never reused. */
  nonce: string;
  /** Seconds since the epoch. */
  timestamp: string;
  /** Base64 HMAC-SHA256 over `account&consumerKey&token&nonce&timestamp`, keyed `consumerSecret&tokenSecret`. */
  signature: string;
}

/**
 * Signs a SuiteTalk token passport: HMAC-SHA256 over
 * `account&consumerKey&tokenId&nonce&timestamp` with the key
 * `consumerSecret&tokenSecret`, base64.
 *
 * @param credentials - the TBA credentials
 * @param nonce - a fresh random value (alphanumeric)
 * @param timestamp - seconds since the epoch
 * @returns the passport with its signature
 * @example
 * ```ts
 * const passport = signNetSuitePassport(credentials, "a1b2c3d4e5", "1700000000");
 * passport.signature; // base64
 * ```
 */
export function signNetSuitePassport(
  credentials: NetSuiteTokenCredentials,
  nonce: string,
  timestamp: string,
): NetSuiteTokenPassport {
  const base = [credentials.account, credentials.consumerKey, credentials.tokenId, nonce, timestamp].join(
    "&",
  );
  const key = `${credentials.consumerSecret}&${credentials.tokenSecret}`;
  return {
    account: credentials.account,
    consumerKey: credentials.consumerKey,
    token: credentials.tokenId,
    nonce,
    timestamp,
    signature: createHmac("sha256", key).update(base).digest("base64"),
  };
}

/**
 * Makes a nonce for a passport: 20 alphanumeric characters.
 *
 * @param random - bytes source (default crypto)
 * @returns the nonce
 * @example
 * ```ts
 * newNetSuiteNonce(); // "k3J9..."
 * ```
 */
export function newNetSuiteNonce(random: (size: number) => Uint8Array = randomBytes): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(random(20), (byte) => alphabet[byte % alphabet.length]).join("");
}

/**
 * Escapes text for an XML element or attribute.
 *
 * @param value - text
 * @returns the escaped text
 * @example
 * ```ts
 * escapeXml('A & "B"'); // "A &amp; &quot;B&quot;"
 * ```
 */
export function escapeXml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** A `statusDetail` of a SuiteTalk status. */
export interface NetSuiteStatusDetail {
  /** `ERROR` or `WARN`. */
  type: string;
  /** E.g. `INVALID_INITIALIZE_REF`, `USER_ERROR`, `INSUFFICIENT_PERMISSION`. */
  code: string;
  /** The message. */
  message: string;
}

/** A record reference (`baseRef`, `RecordRef`). */
export interface NetSuiteRecordRef {
  /** Record type, e.g. `customer`, `salesOrder`. */
  type: string | undefined;
  /** NetSuite's internal id. */
  internalId: string | undefined;
  /** Your external id. */
  externalId: string | undefined;
}

/** One write result (`writeResponse`). */
export interface NetSuiteWriteResult {
  /** Whether the record was written. */
  isSuccess: boolean;
  /** Status details (errors and warnings). */
  details: NetSuiteStatusDetail[];
  /** The record written (or attempted). */
  ref: NetSuiteRecordRef | undefined;
}

/** A record from a search or get, flattened: attributes and child elements without namespace prefixes. */
export type NetSuiteRecordData = Record<string, unknown> & {
  internalId?: string;
  externalId?: string;
  type?: string;
};

/** A parsed SuiteTalk response. */
export type NetSuiteResponse =
  | {
      kind: "fault";
      /** `soapenv:Server.userException`, ... */
      faultCode: string;
      /** The fault string. */
      faultString: string;
      /** The fault element under `detail`, e.g. `invalidCredentialsFault`. */
      faultType: string | undefined;
      /** The platform fault code, e.g. `INVALID_LOGIN_CREDENTIALS`, `WS_CONCUR_SESSION_DISALLWD`. */
      code: string | undefined;
      /** The platform fault message. */
      message: string | undefined;
    }
  | {
      kind: "write";
      /** The operation, e.g. `add`, `upsert`, `addList`. */
      operation: string;
      /** The list status (for list operations). */
      listSuccess: boolean | undefined;
      /** One result per record. */
      results: NetSuiteWriteResult[];
    }
  | {
      kind: "read";
      /** The operation, e.g. `get`, `search`, `searchMoreWithId`, `getAll`. */
      operation: string;
      /** Whether the read succeeded. */
      isSuccess: boolean;
      /** Status details. */
      details: NetSuiteStatusDetail[];
      /** Total records, for searches. */
      totalRecords: number | undefined;
      /** Page size, for searches. */
      pageSize: number | undefined;
      /** Total pages, for searches. */
      totalPages: number | undefined;
      /** This page's index (from 1), for searches. */
      pageIndex: number | undefined;
      /** The search id to ask for more pages with. */
      searchId: string | undefined;
      /** The records. */
      records: NetSuiteRecordData[];
    };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ["writeResponse", "statusDetail", "record", "item"].includes(name.replace(/^.*:/, "")),
});

/** Drops namespace prefixes from element and attribute names; `xsi:type` is kept apart as `xsiType`. */
function stripPrefixes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripPrefixes);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "xmlns" || key.startsWith("xmlns:")) continue;
    const name = key === "xsi:type" ? "xsiType" : key.replace(/^[^:#]*:/, "");
    out[name] = stripPrefixes(value);
  }
  return out;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "object" && "#text" in (value as Record<string, unknown>))
    return String((value as Record<string, unknown>)["#text"]);
  return undefined;
}

function readStatus(status: unknown): { isSuccess: boolean; details: NetSuiteStatusDetail[] } {
  const node = (status ?? {}) as Record<string, unknown>;
  return {
    isSuccess: node.isSuccess === "true",
    details: asArray(node.statusDetail as Record<string, unknown>[] | undefined).map((detail) => ({
      type: String(detail.type ?? "ERROR"),
      code: text(detail.code) ?? "",
      message: text(detail.message) ?? "",
    })),
  };
}

function readRef(node: unknown): NetSuiteRecordRef | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  const ref = node as Record<string, unknown>;
  return {
    type: typeof ref.type === "string" ? ref.type : undefined,
    internalId: typeof ref.internalId === "string" ? ref.internalId : undefined,
    externalId: typeof ref.externalId === "string" ? ref.externalId : undefined,
  };
}

function numberOf(value: unknown): number | undefined {
  const raw = text(value);
  return raw === undefined ? undefined : Number(raw);
}

/**
 * Parses a SuiteTalk SOAP response: a `soapenv:Fault` (with its platform fault code), a
 * write (`add`, `upsert`, `update`, `delete` and their `List` forms, one result per record
 * with `isSuccess` and status details), or a read (`get`, `search`, `searchMoreWithId`,
 * `getAll`, with the search paging fields). Namespace prefixes are ignored, so any
 * WSDL version parses.
 *
 * @param xml - the response body
 * @returns the parsed response
 * @throws ValidationError when the body is not a SOAP envelope or its body is unknown
 * @example
 * ```ts
 * const response = parseNetSuiteResponse(xml);
 * if (response.kind === "write" && !response.results[0]?.isSuccess) console.log(response.results[0]?.details);
 * ```
 */
export function parseNetSuiteResponse(xml: string): NetSuiteResponse {
  let document: Record<string, unknown>;
  try {
    const validation = XMLValidator.validate(xml);
    if (validation !== true) throw new Error(`${validation.err.msg} (line ${validation.err.line})`);
    document = stripPrefixes(parser.parse(xml)) as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError("NetSuite answered XML that does not parse", [
      {
        code: "invalid_xml",
        path: ["Envelope"],
        message: error instanceof Error ? error.message : String(error),
      },
    ]);
  }
  const envelope = document.Envelope as Record<string, unknown> | undefined;
  const body = envelope?.Body as Record<string, unknown> | undefined;
  if (!body || typeof body !== "object") {
    throw new ValidationError("NetSuite answered something that is not a SOAP envelope", [
      { code: "invalid_soap", path: ["Envelope", "Body"], message: "Missing soapenv:Body" },
    ]);
  }
  const fault = body.Fault as Record<string, unknown> | undefined;
  if (fault) {
    const detail = (fault.detail ?? {}) as Record<string, unknown>;
    const faultType = Object.keys(detail).find((name) => name.endsWith("Fault"));
    const faultNode = (faultType ? detail[faultType] : {}) as Record<string, unknown>;
    return {
      kind: "fault",
      faultCode: text(fault.faultcode) ?? "",
      faultString: text(fault.faultstring) ?? "",
      faultType,
      code: text(faultNode.code),
      message: text(faultNode.message),
    };
  }
  const responseName = Object.keys(body).find((name) => name.endsWith("Response"));
  if (!responseName) {
    throw new ValidationError("NetSuite answered an empty SOAP body", [
      { code: "invalid_soap", path: ["Envelope", "Body"], message: "No *Response element" },
    ]);
  }
  const operation = responseName.slice(0, -"Response".length);
  const response = (body[responseName] ?? {}) as Record<string, unknown>;
  const list = response.writeResponseList as Record<string, unknown> | undefined;
  if (list || "writeResponse" in response) {
    const writes = asArray((list ?? response).writeResponse as Record<string, unknown>[] | undefined);
    return {
      kind: "write",
      operation,
      listSuccess: list ? readStatus(list.status).isSuccess : undefined,
      results: writes.map((write) => ({ ...readStatus(write.status), ref: readRef(write.baseRef) })),
    };
  }
  const resultName = Object.keys(response).find((name) => /(Result|readResponse)$/.test(name));
  const result = (resultName ? response[resultName] : response) as Record<string, unknown>;
  const status = readStatus(result.status);
  const recordList = result.recordList as Record<string, unknown> | undefined;
  const records = [
    ...asArray(recordList?.record as Record<string, unknown>[] | undefined),
    ...(result.record && !recordList ? asArray(result.record as Record<string, unknown>[]) : []),
  ].map((record) => {
    const type = typeof record.xsiType === "string" ? record.xsiType.replace(/^.*:/, "") : undefined;
    return { ...record, ...(type ? { type } : {}) } as NetSuiteRecordData;
  });
  return {
    kind: "read",
    operation,
    ...status,
    totalRecords: numberOf(result.totalRecords),
    pageSize: numberOf(result.pageSize),
    totalPages: numberOf(result.totalPages),
    pageIndex: numberOf(result.pageIndex),
    searchId: text(result.searchId),
    records,
  };
}
