import { isDistroError } from "../errors/distro-error";
import { ValidationError, type ValidationIssue } from "../errors/validation-error";
import { isJsonMediaType } from "./attributes";
import { type CloudEvent, type EventDataParser, type ParseEventOptions, parseEvent } from "./cloud-event";

/**
 * The media type of the CloudEvents JSON format (structured mode).
 *
 * @example
 * ```ts
 * new Headers({ "content-type": `${CLOUD_EVENTS_JSON}; charset=utf-8` });
 * ```
 */
export const CLOUD_EVENTS_JSON = "application/cloudevents+json";

/** An HTTP message carrying an event: headers and body, ready for `fetch` or a `Response`. */
export interface HttpEventMessage {
  /** The headers (`content-type`, and in binary mode the `ce-*` attributes). */
  headers: Headers;
  /** The body: text, or bytes for binary data. */
  body: string | Uint8Array;
}

/** A body as it may arrive: text, bytes, or nothing. */
export type EventBody = string | Uint8Array | ArrayBuffer | null | undefined;

/**
 * The media type of the CloudEvents JSON batch format (several events in one body).
 *
 * @example
 * ```ts
 * new Headers({ "content-type": `${CLOUD_EVENTS_BATCH_JSON}; charset=utf-8` });
 * ```
 */
export const CLOUD_EVENTS_BATCH_JSON = "application/cloudevents-batch+json";

const HEADER_PREFIX = "ce-";
const HEX_DIGITS = "0123456789ABCDEF";
const NEEDS_DECODING = /[%\u0080-\uFFFF]/;
const utf8Encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fail(path: (string | number)[], code: string, message: string): ValidationError {
  const issues: ValidationIssue[] = [{ code, path, message }];
  return new ValidationError(`Invalid CloudEvent HTTP message: ${message}`, issues);
}

/**
 * Percent-encodes a header value as the CloudEvents HTTP binding requires: space,
 * `"`, `%` and every character outside printable ASCII (U+0021–U+007E) become the
 * `%XY` escapes of their UTF-8 bytes, in upper case.
 *
 * @param value - an attribute's string form
 * @returns the header-safe value
 * @example
 * ```ts
 * encodeHeaderValue("Euro € 😀"); // "Euro%20%E2%82%AC%20%F0%9F%98%80"
 * ```
 */
export function encodeHeaderValue(value: string): string {
  let out = "";
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f && code !== 0x22 && code !== 0x25) {
      out += character;
      continue;
    }
    for (const byte of utf8Encoder.encode(character)) {
      out += `%${HEX_DIGITS[byte >> 4]}${HEX_DIGITS[byte & 15]}`;
    }
  }
  return out;
}

/**
 * Decodes a `ce-*` header value as the CloudEvents HTTP binding requires: trims
 * whitespace, unquotes an RFC 7230 quoted-string, then performs one round of
 * percent-decoding. Escapes of bytes that are not valid UTF-8 (overlong forms such as
 * `%C0%A0`, lone surrogates, truncated sequences) are rejected.
 *
 * @param value - the raw header value
 * @param name - the attribute name, for the error's path
 * @returns the attribute value
 * @throws ValidationError - on a malformed escape or invalid UTF-8
 * @example
 * ```ts
 * decodeHeaderValue("Euro%20%E2%82%AC"); // "Euro €"
 * ```
 */
export function decodeHeaderValue(value: string, name = "value"): string {
  let text = value.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = unquote(text, name);
  if (!NEEDS_DECODING.test(text)) return text;
  // Header values are byte strings: a character below U+0100 is one byte (raw UTF-8
  // sent unencoded arrives that way); anything above is taken as text and UTF-8 encoded.
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const character = text.charCodeAt(index);
    if (character === 0x25) {
      const hex = text.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw fail([name], "invalid_percent_encoding", `"${name}" has a malformed percent-escape`);
      }
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (character < 0x100) {
      bytes.push(character);
    } else {
      const codePoint = text.codePointAt(index) ?? character;
      for (const byte of utf8Encoder.encode(String.fromCodePoint(codePoint))) bytes.push(byte);
      if (codePoint > 0xffff) index++;
    }
  }
  try {
    return strictUtf8.decode(new Uint8Array(bytes));
  } catch (error) {
    throw new ValidationError(
      `Invalid CloudEvent HTTP message: "${name}" is not valid UTF-8 once percent-decoded`,
      [{ code: "invalid_utf8", path: [name], message: `"${name}" is not valid UTF-8 once percent-decoded` }],
      { cause: error },
    );
  }
}

function unquote(text: string, name: string): string {
  let out = "";
  for (let index = 1; index < text.length - 1; index++) {
    const character = text[index];
    if (character === "\\") {
      index++;
      if (index >= text.length - 1)
        throw fail([name], "invalid_quoted_string", `"${name}" ends inside an escape`);
      out += text[index];
    } else if (character === '"') {
      throw fail([name], "invalid_quoted_string", `"${name}" has an unescaped quote inside a quoted string`);
    } else {
      out += character;
    }
  }
  return out;
}

function attributeToString(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw fail([name], "invalid_type", `Extension "${name}" must be a string, integer or boolean`);
}

function encodeData(event: CloudEvent): { body: string | Uint8Array; contentType: string | undefined } {
  const data = event.data;
  if (data === undefined) return { body: "", contentType: event.datacontenttype };
  if (data instanceof Uint8Array) return { body: data, contentType: event.datacontenttype };
  const contentType = event.datacontenttype ?? "application/json";
  if (isJsonMediaType(contentType)) return { body: JSON.stringify(data), contentType };
  if (typeof data === "string") return { body: data, contentType };
  throw fail(
    ["data"],
    "invalid_type",
    `data must be a string or bytes when datacontenttype (${contentType}) does not declare JSON`,
  );
}

/**
 * Writes an event in the HTTP binary content mode: each attribute as a `ce-<name>`
 * header (percent-encoded as the binding requires), `datacontenttype` as
 * `content-type`, and `data` as the body (JSON-serialised for JSON media types).
 *
 * @param event - a valid event (see {@link parseEvent})
 * @returns headers and body
 * @throws ValidationError - when the data cannot be written in its content type
 * @example
 * ```ts
 * import { createEvent, toBinaryHttp } from "@distro/core";
 *
 * const { headers, body } = toBinaryHttp(
 *   createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", data: { orderNumber: "1001" } }),
 * );
 * await fetch("http://127.0.0.1:8080/events", { method: "POST", headers, body });
 * ```
 */
export function toBinaryHttp(event: CloudEvent): HttpEventMessage {
  const headers = new Headers();
  for (const name in event) {
    if (!Object.hasOwn(event, name) || name === "data" || name === "datacontenttype") continue;
    const value = event[name];
    if (value === undefined || value === null) continue;
    headers.set(`${HEADER_PREFIX}${name}`, encodeHeaderValue(attributeToString(name, value)));
  }
  const { body, contentType } = encodeData(event);
  if (contentType !== undefined) headers.set("content-type", contentType);
  return { headers, body };
}

function toBytes(body: EventBody): Uint8Array | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === "string") return utf8Encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw fail(["data"], "invalid_type", "The body must be a string, a Uint8Array or an ArrayBuffer");
}

function isTextMediaType(mediaType: string): boolean {
  const essence = mediaType.split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    essence.startsWith("text/") ||
    essence.endsWith("+xml") ||
    essence === "application/xml" ||
    /;\s*charset=/i.test(mediaType)
  );
}

function decodeText(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    throw new ValidationError(
      "Invalid CloudEvent HTTP message: the body is not valid UTF-8",
      [{ code: "invalid_utf8", path: ["data"], message: "The body is not valid UTF-8" }],
      { cause: error },
    );
  }
}

function decodeData(body: EventBody, contentType: string | undefined): unknown {
  if (typeof body === "string" && body.length === 0) return undefined;
  const bytes = toBytes(body);
  if (bytes === undefined || bytes.length === 0) return undefined;
  if (contentType === undefined) return typeof body === "string" ? body : bytes;
  if (isJsonMediaType(contentType)) {
    const text = typeof body === "string" ? body : decodeText(bytes);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ValidationError(
        "Invalid CloudEvent HTTP message: the body is not the JSON its content type declares",
        [{ code: "invalid_json", path: ["data"], message: "The body is not valid JSON" }],
        { cause: error },
      );
    }
  }
  if (isTextMediaType(contentType)) return typeof body === "string" ? body : decodeText(bytes);
  return bytes;
}

/**
 * Reads an event sent in the HTTP binary content mode (`ce-*` headers, data in the
 * body), decoding header values as the binding requires. JSON bodies are parsed, text
 * bodies are strings, other media types stay bytes. Extension values arrive as
 * strings: HTTP headers carry no type.
 *
 * @param headers - the request or response headers
 * @param body - the body
 * @param options - an optional parser for `data` (see {@link parseEvent})
 * @returns the event
 * @throws ValidationError - naming the attribute or `data` when the message is invalid
 * @example
 * ```ts
 * import { fromBinaryHttp } from "@distro/core";
 *
 * const handle = async (request: Request) => {
 *   const event = fromBinaryHttp(request.headers, new Uint8Array(await request.arrayBuffer()));
 *   return new Response(event.id);
 * };
 * ```
 */
export function fromBinaryHttp<T>(
  headers: Headers,
  body: EventBody,
  options: ParseEventOptions<T> & { data: EventDataParser<T> },
): CloudEvent<T> & { data: T };
export function fromBinaryHttp<T = unknown>(
  headers: Headers,
  body: EventBody,
  options?: ParseEventOptions<T>,
): CloudEvent<T>;
export function fromBinaryHttp<T = unknown>(
  headers: Headers,
  body: EventBody,
  options: ParseEventOptions<T> = {},
): CloudEvent<T> {
  const record: Record<string, unknown> = {};
  for (const [headerName, value] of headers) {
    if (!headerName.startsWith(HEADER_PREFIX)) continue;
    const name = headerName.slice(HEADER_PREFIX.length);
    if (name === "datacontenttype") {
      throw fail(
        ["datacontenttype"],
        "invalid_header",
        "ce-datacontenttype must not be sent in binary mode: the content type travels in content-type",
      );
    }
    if (name === "data" || name === "data_base64") {
      throw fail([name], "invalid_attribute_name", `ce-${name} is not an attribute`);
    }
    record[name] = decodeHeaderValue(value, name);
  }
  const contentType = headers.get("content-type") ?? undefined;
  if (contentType !== undefined) record["datacontenttype"] = contentType;
  const data = decodeData(body, contentType);
  if (data !== undefined) record["data"] = data;
  return parseEvent(record, options);
}

/**
 * Writes an event in the HTTP structured content mode: the CloudEvents JSON format
 * (`application/cloudevents+json`), with binary data as `data_base64`.
 *
 * @param event - a valid event
 * @returns the headers (`content-type`) and the JSON body
 * @throws ValidationError - when the data cannot be written in its content type
 * @example
 * ```ts
 * import { createEvent, toStructured } from "@distro/core";
 *
 * const { headers, body } = toStructured(
 *   createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", data: { orderNumber: "1001" } }),
 * );
 * headers.get("content-type"); // "application/cloudevents+json; charset=utf-8"
 * ```
 */
export function toStructured(event: CloudEvent): HttpEventMessage {
  const headers = new Headers({ "content-type": `${CLOUD_EVENTS_JSON}; charset=utf-8` });
  return { headers, body: JSON.stringify(eventToJson(event)) };
}

function eventToJson(event: CloudEvent, index?: number): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const name in event) {
    if (!Object.hasOwn(event, name) || name === "data") continue;
    const value = event[name];
    if (value !== undefined && value !== null) json[name] = value;
  }
  const data = event.data;
  if (data instanceof Uint8Array) {
    json["data_base64"] = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  } else if (data !== undefined) {
    if (!isJsonMediaType(event.datacontenttype ?? "application/json") && typeof data !== "string") {
      throw fail(
        index === undefined ? ["data"] : [index, "data"],
        "invalid_type",
        "data must be a string or bytes when datacontenttype does not declare JSON",
      );
    }
    json["data"] = data;
  }
  return json;
}

/**
 * Reads an event in the CloudEvents JSON format (HTTP structured mode, or a message
 * from a broker). When headers are given, their `content-type` must be
 * `application/cloudevents+json`.
 *
 * @param body - the JSON text or its UTF-8 bytes
 * @param headers - the message headers, to check the content type
 * @param options - an optional parser for `data` (see {@link parseEvent})
 * @returns the event
 * @throws ValidationError - when the body is not JSON, the content type is wrong, or the event is invalid
 * @example
 * ```ts
 * import { fromStructured } from "@distro/core";
 *
 * const event = fromStructured(
 *   '{"specversion":"1.0","id":"1","source":"/shop","type":"com.distro.order.submitted"}',
 * );
 * event.type; // "com.distro.order.submitted"
 * ```
 */
export function fromStructured<T>(
  body: EventBody,
  headers: Headers | undefined,
  options: ParseEventOptions<T> & { data: EventDataParser<T> },
): CloudEvent<T> & { data: T };
export function fromStructured<T = unknown>(
  body: EventBody,
  headers?: Headers,
  options?: ParseEventOptions<T>,
): CloudEvent<T>;
export function fromStructured<T = unknown>(
  body: EventBody,
  headers?: Headers,
  options: ParseEventOptions<T> = {},
): CloudEvent<T> {
  checkContentType(headers, CLOUD_EVENTS_JSON);
  const parsed = readJsonBody(body);
  return parseEvent(parsed, options);
}

function readJsonBody(body: EventBody): unknown {
  const bytes = toBytes(body);
  if (bytes === undefined || bytes.length === 0) throw fail([], "required", "The body is empty");
  const text = typeof body === "string" ? body : decodeText(bytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      "Invalid CloudEvent: the body is not JSON",
      [{ code: "invalid_json", path: [], message: "The body is not valid JSON" }],
      { cause: error },
    );
  }
}

function checkContentType(headers: Headers | undefined, expected: string): void {
  if (headers === undefined) return;
  const contentType = headers.get("content-type");
  if (contentType === null || essenceOf(contentType) !== expected) {
    throw fail(
      ["content-type"],
      "invalid_content_type",
      `Expected content-type ${expected}, got ${contentType ?? "none"}`,
    );
  }
}

function essenceOf(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/**
 * Reads an event from an HTTP message in either content mode: structured when the
 * content type is `application/cloudevents+json`, binary otherwise.
 *
 * @param headers - the message headers
 * @param body - the body
 * @param options - an optional parser for `data` (see {@link parseEvent})
 * @returns the event
 * @throws ValidationError - when the message is not a valid event (batches are refused)
 * @example
 * ```ts
 * import { fromHttp } from "@distro/core";
 *
 * const handle = async (request: Request) => {
 *   const event = fromHttp(request.headers, await request.text());
 *   return new Response(null, { status: 202, headers: { "x-event-id": event.id } });
 * };
 * ```
 */
export function fromHttp<T>(
  headers: Headers,
  body: EventBody,
  options: ParseEventOptions<T> & { data: EventDataParser<T> },
): CloudEvent<T> & { data: T };
export function fromHttp<T = unknown>(
  headers: Headers,
  body: EventBody,
  options?: ParseEventOptions<T>,
): CloudEvent<T>;
export function fromHttp<T = unknown>(
  headers: Headers,
  body: EventBody,
  options: ParseEventOptions<T> = {},
): CloudEvent<T> {
  const contentType = headers.get("content-type");
  const essence = contentType === null ? "" : essenceOf(contentType);
  if (essence === CLOUD_EVENTS_JSON) return fromStructured(body, headers, options);
  if (essence === CLOUD_EVENTS_BATCH_JSON) {
    throw fail(
      ["content-type"],
      "unsupported_format",
      "A batch holds several events: read it with fromStructuredBatch",
    );
  }
  if (essence.startsWith("application/cloudevents")) {
    throw fail(["content-type"], "unsupported_format", `Unsupported CloudEvents format: ${essence}`);
  }
  return fromBinaryHttp(headers, body, options);
}

/**
 * Writes events in the CloudEvents JSON batch format (`application/cloudevents-batch+json`):
 * a JSON array of events in the JSON format. An empty batch is allowed.
 *
 * @param events - valid events
 * @returns the headers (`content-type`) and the JSON array body
 * @throws ValidationError - when an event's data cannot be written (the path starts with its index)
 * @example
 * ```ts
 * import { createEvent, toStructuredBatch } from "@distro/core";
 *
 * const { headers, body } = toStructuredBatch([
 *   createEvent({ type: "inventory.changed", source: "/wms/leeds", data: { sku: "BOLT-M8", available: "120" } }),
 *   createEvent({ type: "inventory.changed", source: "/wms/leeds", data: { sku: "NUT-M8", available: "80" } }),
 * ]);
 * ```
 */
export function toStructuredBatch(events: readonly CloudEvent[]): HttpEventMessage {
  const headers = new Headers({ "content-type": `${CLOUD_EVENTS_BATCH_JSON}; charset=utf-8` });
  return { headers, body: JSON.stringify(events.map((event, index) => eventToJson(event, index))) };
}

/**
 * Reads a CloudEvents JSON batch. Every event is checked; the error lists the problems
 * of all of them, each path starting with the event's index (`[2, "source"]`). When
 * headers are given, their `content-type` must be `application/cloudevents-batch+json`.
 *
 * @param body - the JSON array text or its UTF-8 bytes
 * @param headers - the message headers, to check the content type
 * @param options - an optional parser for each event's `data` (see {@link parseEvent})
 * @returns the events, in order
 * @throws ValidationError - when the body is not a JSON array or any event is invalid
 * @example
 * ```ts
 * import { fromStructuredBatch } from "@distro/core";
 *
 * const events = fromStructuredBatch(await request.text(), request.headers);
 * events.length; // how many arrived
 * ```
 */
export function fromStructuredBatch<T = unknown>(
  body: EventBody,
  headers?: Headers,
  options: ParseEventOptions<T> = {},
): CloudEvent<T>[] {
  checkContentType(headers, CLOUD_EVENTS_BATCH_JSON);
  const parsed = readJsonBody(body);
  if (!Array.isArray(parsed)) {
    throw fail([], "invalid_type", "A CloudEvents batch must be a JSON array");
  }
  const events: CloudEvent<T>[] = [];
  const issues: ValidationIssue[] = [];
  for (let index = 0; index < parsed.length; index++) {
    try {
      events.push(parseEvent(parsed[index], options));
    } catch (error) {
      if (!isValidationError(error)) throw error;
      for (const entry of error.issues) issues.push({ ...entry, path: [index, ...entry.path] });
    }
  }
  if (issues.length > 0) {
    throw new ValidationError(`Invalid CloudEvents batch: ${issues.length} problem(s)`, issues);
  }
  return events;
}

function isValidationError(error: unknown): error is ValidationError {
  return (
    isDistroError(error) &&
    error.code === "VALIDATION_FAILED" &&
    Array.isArray((error as ValidationError).issues)
  );
}
