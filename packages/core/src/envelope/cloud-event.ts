import type { z } from "zod";
import { isValidTraceparent } from "../correlation/traceparent";
import { isDistroError } from "../errors/distro-error";
import { issuesFromZod } from "../errors/from-zod";
import { ValidationError, type ValidationIssue } from "../errors/validation-error";
import {
  isAbsoluteUri,
  isCloudEventString,
  isMediaType,
  isRfc3339,
  isUriReference,
  isValidAttributeName,
} from "./attributes";

/** The value of an extension attribute: a CloudEvents String, Integer or Boolean. */
export type CloudEventExtensionValue = string | number | boolean;

/**
 * A CloudEvents 1.0 event as distro carries it: the required attributes (`id`,
 * `source`, `specversion`, `type`), the optional ones, the extension attributes for
 * correlation (`correlationid`, `causationid`, `traceparent`), any other extension
 * attributes (top-level, lowercase `a-z0-9` names), and `data`. Binary data is a
 * `Uint8Array`.
 *
 * @typeParam T - the type of `data`
 */
export interface CloudEvent<T = unknown> {
  /** Identifies the event; unique within its `source`. */
  id: string;
  /** The context in which the event happened (a URI-reference, e.g. `/erp/bc`). */
  source: string;
  /** The CloudEvents version: always `"1.0"`. */
  specversion: "1.0";
  /** The kind of event, e.g. `com.distro.order.submitted`. */
  type: string;
  /** The media type of `data` (`application/json` when absent and data is not binary). */
  datacontenttype?: string;
  /** An absolute URI of the schema `data` adheres to. */
  dataschema?: string;
  /** The subject of the event within its source, e.g. the order number. */
  subject?: string;
  /** When the occurrence happened, RFC 3339. */
  time?: string;
  /** Extension: the correlation id of the transaction the event belongs to. */
  correlationid?: string;
  /** Extension: the id of the message that caused this event. */
  causationid?: string;
  /** Extension: the W3C `traceparent` of the operation that produced the event. */
  traceparent?: string;
  /** The payload. */
  data?: T;
  /** Other extension attributes. */
  [extension: string]: unknown;
}

/**
 * How {@link parseEvent} checks `data`: a zod schema, or a function that returns the
 * parsed data and throws a `ValidationError` when it is invalid.
 *
 * @typeParam T - the parsed data type
 */
export type EventDataParser<T> = z.ZodType<T> | ((data: unknown) => T);

/** Options of {@link parseEvent}. */
export interface ParseEventOptions<T> {
  /** Checks and converts `data`; issues are reported under the `data` path. */
  data?: EventDataParser<T>;
}

/**
 * The context attributes the CloudEvents 1.0 specification defines; every other
 * attribute of an event is an extension.
 *
 * @example
 * ```ts
 * CLOUD_EVENT_ATTRIBUTES.has("subject"); // true
 * CLOUD_EVENT_ATTRIBUTES.has("correlationid"); // false: an extension
 * ```
 */
export const CLOUD_EVENT_ATTRIBUTES: ReadonlySet<string> = new Set([
  "id",
  "source",
  "specversion",
  "type",
  "datacontenttype",
  "dataschema",
  "subject",
  "time",
]);

// The attributes CLOUD_EVENT_ATTRIBUTES lists, as a switch: cheaper than a set lookup per
// attribute of every event.
function isContextAttribute(name: string): boolean {
  switch (name) {
    case "id":
    case "source":
    case "specversion":
    case "type":
    case "datacontenttype":
    case "dataschema":
    case "subject":
    case "time":
      return true;
    default:
      return false;
  }
}

const CORRELATION_EXTENSIONS = ["correlationid", "causationid"] as const;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function issue(path: (string | number)[], code: string, message: string): ValidationIssue {
  return { code, path, message };
}

function checkRequiredString(
  input: Record<string, unknown>,
  name: string,
  issues: ValidationIssue[],
): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) {
    issues.push(issue([name], "required", `The required attribute "${name}" is missing`));
    return undefined;
  }
  if (typeof value !== "string") {
    issues.push(issue([name], "invalid_type", `"${name}" must be a string, got ${describe(value)}`));
    return undefined;
  }
  if (value.length === 0) {
    issues.push(issue([name], "too_small", `"${name}" must not be empty`));
    return undefined;
  }
  if (!isCloudEventString(value)) {
    issues.push(issue([name], "invalid_string", `"${name}" contains a control character or noncharacter`));
    return undefined;
  }
  return value;
}

function checkOptionalString(
  input: Record<string, unknown>,
  name: string,
  issues: ValidationIssue[],
): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  return checkRequiredString(input, name, issues);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `string ${JSON.stringify(shorten(value))}`;
  return typeof value === "bigint" || typeof value === "symbol"
    ? typeof value
    : `${typeof value} ${String(value)}`;
}

/** Keeps messages short whatever the input: a long value is cut, with an ellipsis. */
function shorten(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

function checkExtension(name: string, value: unknown, issues: ValidationIssue[]): boolean {
  if (!isValidAttributeName(name)) {
    issues.push(
      issue(
        [name],
        "invalid_attribute_name",
        `"${shorten(name)}" is not a valid attribute name: CloudEvents attribute names are lowercase a-z and 0-9 only`,
      ),
    );
    return false;
  }
  if (typeof value === "boolean") return true;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return true;
    issues.push(
      issue(
        [name],
        "invalid_type",
        `Extension "${shorten(name)}" must be a 32-bit integer, got ${String(value)}`,
      ),
    );
    return false;
  }
  if (typeof value === "string") {
    if (isCloudEventString(value)) return true;
    issues.push(issue([name], "invalid_string", `Extension "${name}" contains a control character`));
    return false;
  }
  issues.push(
    issue(
      [name],
      "invalid_type",
      `Extension "${name}" must be a string, integer or boolean, got ${describe(value)}`,
    ),
  );
  return false;
}

/**
 * Checks an event (a CloudEvents JSON-format object, or one distro built) and returns
 * a clean copy. `null` attributes count as absent; `data_base64` becomes binary
 * `data`. Every problem is reported, each issue naming its attribute.
 *
 * Only `data` is left unchecked unless `options.data` is given: pass the contract's
 * schema to check it in the same call.
 *
 * @param input - anything, e.g. `JSON.parse(body)`
 * @param options - an optional parser for `data`
 * @returns the event, typed
 * @throws ValidationError - when the envelope (or, with `options.data`, the data) is invalid
 * @example
 * ```ts
 * import { parseEvent } from "@distro/core";
 *
 * const event = parseEvent({
 *   specversion: "1.0",
 *   id: "evt-1",
 *   source: "/shop/acme",
 *   type: "com.distro.order.submitted",
 *   data: { orderNumber: "1001" },
 * });
 * event.data; // { orderNumber: "1001" }
 * ```
 */
export function parseEvent<T>(
  input: unknown,
  options: ParseEventOptions<T> & { data: EventDataParser<T> },
): CloudEvent<T> & { data: T };
export function parseEvent<T = unknown>(input: unknown, options?: ParseEventOptions<T>): CloudEvent<T>;
export function parseEvent<T = unknown>(input: unknown, options: ParseEventOptions<T> = {}): CloudEvent<T> {
  try {
    return parseEventUnchecked(input, options);
  } catch (error) {
    // Only hostile inputs get here (a getter or proxy that throws): still a typed error.
    if (isDistroError(error)) throw error;
    throw new ValidationError(
      "Invalid CloudEvent: the input could not be read",
      [issue([], "unreadable", error instanceof Error ? error.message : String(error))],
      { cause: error },
    );
  }
}

function parseEventUnchecked<T>(input: unknown, options: ParseEventOptions<T>): CloudEvent<T> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ValidationError("Not a CloudEvent: expected an object", [
      issue([], "invalid_type", `Expected a CloudEvent object, got ${describe(input)}`),
    ]);
  }
  const record = input as Record<string, unknown>;
  const issues: ValidationIssue[] = [];

  const specversion = record["specversion"];
  if (specversion === undefined || specversion === null) {
    issues.push(issue(["specversion"], "required", `The required attribute "specversion" is missing`));
  } else if (specversion !== "1.0") {
    issues.push(
      issue(
        ["specversion"],
        "unsupported_specversion",
        `specversion must be "1.0", got ${describe(specversion)}`,
      ),
    );
  }
  const id = checkRequiredString(record, "id", issues);
  const source = checkRequiredString(record, "source", issues);
  if (source !== undefined && !isUriReference(source)) {
    issues.push(issue(["source"], "invalid_uri_reference", "source must be a URI-reference (RFC 3986)"));
  }
  const type = checkRequiredString(record, "type", issues);

  const event: CloudEvent<T> = { specversion: "1.0", id: id ?? "", source: source ?? "", type: type ?? "" };

  const datacontenttype = checkOptionalString(record, "datacontenttype", issues);
  if (datacontenttype !== undefined) {
    if (isMediaType(datacontenttype)) event.datacontenttype = datacontenttype;
    else
      issues.push(
        issue(["datacontenttype"], "invalid_media_type", "datacontenttype must be a media type (RFC 2046)"),
      );
  }
  const dataschema = checkOptionalString(record, "dataschema", issues);
  if (dataschema !== undefined) {
    if (isAbsoluteUri(dataschema)) event.dataschema = dataschema;
    else issues.push(issue(["dataschema"], "invalid_uri", "dataschema must be an absolute URI (RFC 3986)"));
  }
  const subject = checkOptionalString(record, "subject", issues);
  if (subject !== undefined) event.subject = subject;
  const time = checkOptionalString(record, "time", issues);
  if (time !== undefined) {
    if (isRfc3339(time)) event.time = time;
    else issues.push(issue(["time"], "invalid_timestamp", "time must be an RFC 3339 timestamp"));
  }

  let hasData = false;
  let data: unknown;
  for (const name in record) {
    if (isContextAttribute(name) || !Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (name === "data") {
      if (value !== undefined) {
        hasData = true;
        data = value;
      }
      continue;
    }
    if (name === "data_base64") {
      if (value === undefined || value === null) continue;
      if (record["data"] !== undefined) {
        issues.push(issue(["data_base64"], "conflict", "data and data_base64 must not both be present"));
      } else if (typeof value !== "string" || !BASE64.test(value)) {
        issues.push(issue(["data_base64"], "invalid_base64", "data_base64 must be a Base64 string"));
      } else {
        hasData = true;
        data = new Uint8Array(Buffer.from(value, "base64"));
      }
      continue;
    }
    if (value === undefined || value === null) continue;
    if (checkExtension(name, value, issues)) event[name] = value;
  }
  if (event.traceparent !== undefined) {
    if (typeof event.traceparent !== "string") {
      issues.push(issue(["traceparent"], "invalid_type", "traceparent must be a string"));
    } else if (!isValidTraceparent(event.traceparent)) {
      // W3C Trace Context: an invalid traceparent is ignored (the receiver starts a new trace).
      delete event.traceparent;
    }
  }
  for (let index = 0; index < CORRELATION_EXTENSIONS.length; index++) {
    const name = CORRELATION_EXTENSIONS[index]!;
    const value = event[name];
    if (value !== undefined && (typeof value !== "string" || value.length === 0)) {
      issues.push(issue([name], "invalid_type", `${name} must be a non-empty string`));
    }
  }

  if (issues.length > 0) {
    throw new ValidationError(
      `Invalid CloudEvent: ${issues.map((entry) => entry.path[0] ?? "(root)").join(", ")}`,
      issues,
    );
  }
  if (hasData) event.data = options.data === undefined ? (data as T) : parseData(data, options.data);
  else if (options.data !== undefined) event.data = parseData(undefined, options.data);
  return event;
}

function parseData<T>(data: unknown, parser: EventDataParser<T>): T {
  if (typeof parser !== "function") {
    const result = parser.safeParse(data);
    if (result.success) return result.data;
    throw new ValidationError("Invalid CloudEvent data", issuesFromZod(result.error, ["data"]));
  }
  try {
    return parser(data);
  } catch (error) {
    if (isValidationError(error)) {
      throw new ValidationError(
        error.message,
        error.issues.map((entry) => ({ ...entry, path: ["data", ...entry.path] })),
        { cause: error },
      );
    }
    if (isDistroError(error)) throw error;
    throw new ValidationError(
      "Invalid CloudEvent data",
      [issue(["data"], "invalid_data", error instanceof Error ? error.message : String(error))],
      { cause: error },
    );
  }
}

function isValidationError(error: unknown): error is ValidationError {
  return (
    isDistroError(error) &&
    error.code === "VALIDATION_FAILED" &&
    Array.isArray((error as ValidationError).issues)
  );
}
