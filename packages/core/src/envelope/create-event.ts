import { randomUUID } from "node:crypto";
import { type CorrelationContext, getCorrelation, withCorrelation } from "../correlation/context";
import { isValidTraceparent } from "../correlation/traceparent";
import { ValidationError, type ValidationIssue } from "../errors/validation-error";
import {
  isAbsoluteUri,
  isCloudEventString,
  isMediaType,
  isRfc3339,
  isUriReference,
  isValidAttributeName,
} from "./attributes";
import { CLOUD_EVENT_ATTRIBUTES, type CloudEvent, type CloudEventExtensionValue } from "./cloud-event";

/** What {@link createEvent} needs: the event's kind, its source and its data. */
export interface CreateEventInput<T> {
  /** The kind of event, e.g. `com.distro.order.submitted`. */
  type: string;
  /** A URI-reference naming where the event happened, e.g. `/shop/acme`. */
  source: string;
  /** The payload. Binary payloads are `Uint8Array`s. */
  data?: T;
  /** The subject within the source, e.g. the order number. */
  subject?: string;
  /** An absolute URI of the schema of `data`. */
  dataschema?: string;
  /** The media type of `data`; `application/json` by default for non-binary data. */
  datacontenttype?: string;
  /** The event id; a new UUID v4 by default. */
  id?: string;
  /** When it happened; the clock's now by default. */
  time?: Date | string;
  /** Overrides the correlation id taken from the current context. */
  correlationid?: string;
  /** Overrides the causation id taken from the current context. */
  causationid?: string;
  /** Overrides the traceparent taken from the current context. */
  traceparent?: string;
  /** More extension attributes (lowercase `a-z0-9` names). */
  extensions?: Record<string, CloudEventExtensionValue>;
}

/** Injectable time and randomness for {@link createEvent}. */
export interface CreateEventSettings {
  /** The current time (defaults to `new Date()`). */
  clock?: () => Date;
  /** A new event id (defaults to `crypto.randomUUID`). */
  generateId?: () => string;
}

function failure(path: string, code: string, message: string): ValidationError {
  const issues: ValidationIssue[] = [{ code, path: [path], message }];
  return new ValidationError(`Invalid CloudEvent: ${path}`, issues);
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw failure(
      name,
      value === undefined ? "required" : "invalid_type",
      `"${name}" must be a non-empty string`,
    );
  }
  if (!isCloudEventString(value)) {
    throw failure(name, "invalid_string", `"${name}" contains a control character or noncharacter`);
  }
  return value;
}

let lastMillis = Number.NaN;
let lastIso = "";

/** `toISOString` of a time, remembered for the last millisecond seen (events come in bursts). */
function isoTime(time: number | Date): string {
  const millis = typeof time === "number" ? time : time.getTime();
  if (millis !== lastMillis) {
    lastIso = (typeof time === "number" ? new Date(time) : time).toISOString();
    lastMillis = millis;
  }
  return lastIso;
}

/**
 * Builds a CloudEvents 1.0 event: fills `id` (UUID v4) and `time` (now), and takes
 * `correlationid`, `causationid`, `traceparent` and the `tenant` extension from the
 * current correlation context (an invalid traceparent is left out, as W3C Trace Context
 * says). Outside any context the event starts a transaction of its own: its
 * `correlationid` is its own `id`.
 *
 * @param input - type, source, data and the optional attributes
 * @param settings - injectable clock and id generator
 * @returns the event
 * @throws ValidationError - when an attribute is invalid (the issue names it)
 * @example
 * ```ts
 * import { createEvent, withCorrelation } from "@distro/core";
 *
 * const event = withCorrelation({ correlationId: "order-1001" }, () =>
 *   createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", data: { orderNumber: "1001" } }),
 * );
 * event.correlationid; // "order-1001"
 * ```
 */
export function createEvent<T>(
  input: CreateEventInput<T>,
  settings: CreateEventSettings = {},
): CloudEvent<T> {
  const type = requireString(input.type, "type");
  const source = requireString(input.source, "source");
  if (!isUriReference(source))
    throw failure("source", "invalid_uri_reference", "source must be a URI-reference (RFC 3986)");
  const id = input.id === undefined ? (settings.generateId ?? randomUUID)() : input.id;
  requireString(id, "id");

  const event: CloudEvent<T> = { specversion: "1.0", id, source, type };

  const time = input.time ?? (settings.clock ? settings.clock() : Date.now());
  if (typeof time === "number") {
    event.time = isoTime(time);
  } else if (typeof time === "string") {
    if (!isRfc3339(time)) throw failure("time", "invalid_timestamp", "time must be an RFC 3339 timestamp");
    event.time = time;
  } else if (time instanceof Date && !Number.isNaN(time.getTime())) {
    event.time = isoTime(time);
  } else {
    throw failure("time", "invalid_timestamp", "time must be a valid Date or an RFC 3339 timestamp");
  }

  if (input.subject !== undefined) event.subject = requireString(input.subject, "subject");
  if (input.dataschema !== undefined) {
    if (!isAbsoluteUri(input.dataschema)) {
      throw failure("dataschema", "invalid_uri", "dataschema must be an absolute URI (RFC 3986)");
    }
    event.dataschema = input.dataschema;
  }
  if (input.datacontenttype !== undefined) {
    if (!isMediaType(input.datacontenttype)) {
      throw failure(
        "datacontenttype",
        "invalid_media_type",
        "datacontenttype must be a media type (RFC 2046)",
      );
    }
    event.datacontenttype = input.datacontenttype;
  } else if (input.data !== undefined && !(input.data instanceof Uint8Array)) {
    event.datacontenttype = "application/json";
  }

  const context = getCorrelation();
  event.correlationid = requireString(input.correlationid ?? context?.correlationId ?? id, "correlationid");
  const causationid = input.causationid ?? context?.causationId;
  if (causationid !== undefined) event.causationid = requireString(causationid, "causationid");
  const traceparent = input.traceparent ?? context?.traceparent;
  // An invalid traceparent is ignored, as W3C Trace Context says (no trace link, no failure).
  if (isValidTraceparent(traceparent)) event.traceparent = traceparent;

  if (context?.tenant !== undefined && isCloudEventString(context.tenant) && context.tenant.length > 0) {
    event["tenant"] = context.tenant;
  }
  if (input.extensions !== undefined) {
    for (const [name, value] of Object.entries(input.extensions)) {
      if (!isValidAttributeName(name) || CLOUD_EVENT_ATTRIBUTES.has(name) || name === "data") {
        throw failure(name, "invalid_attribute_name", `"${name}" is not a valid extension attribute name`);
      }
      if (typeof value === "string") requireString(value, name);
      else if (typeof value === "number") {
        if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
          throw failure(name, "invalid_type", `Extension "${name}" must be a 32-bit integer`);
        }
      } else if (typeof value !== "boolean") {
        throw failure(name, "invalid_type", `Extension "${name}" must be a string, integer or boolean`);
      }
      event[name] = value;
    }
  }
  if (input.data !== undefined) event.data = input.data;
  return event;
}

/**
 * The correlation attributes for an event derived from `parent`: the same
 * `correlationid` (the parent's id when it has none), `causationid` = the parent's id,
 * and the parent's `traceparent`. Spread the result into {@link createEvent}'s input.
 *
 * @param parent - the event that caused the new one
 * @returns `correlationid`, `causationid` and, when known, `traceparent`
 * @example
 * ```ts
 * import { causedBy, createEvent } from "@distro/core";
 *
 * const booked = createEvent({
 *   type: "com.distro.order.booked",
 *   source: "/erp/bc",
 *   data: { orderNumber: "SO-1001" },
 *   ...causedBy(submitted),
 * });
 * booked.causationid === submitted.id; // true
 * ```
 */
export function causedBy(
  parent: Pick<CloudEvent, "id" | "correlationid" | "traceparent">,
): Pick<CreateEventInput<unknown>, "correlationid" | "causationid" | "traceparent"> {
  const out: Pick<CreateEventInput<unknown>, "correlationid" | "causationid" | "traceparent"> = {
    correlationid: parent.correlationid ?? parent.id,
    causationid: parent.id,
  };
  if (parent.traceparent !== undefined) out.traceparent = parent.traceparent;
  return out;
}

/**
 * The correlation context in which work caused by `event` runs: the event's
 * correlation id (its own id when it has none), causation id = the event's id, its
 * traceparent, and its `tenant` extension when present.
 *
 * @param event - the event being handled
 * @returns a complete correlation context
 * @example
 * ```ts
 * correlationFromEvent(event).causationId === event.id; // true
 * ```
 */
export function correlationFromEvent(
  event: Pick<CloudEvent, "id" | "correlationid" | "traceparent"> & { tenant?: unknown },
): CorrelationContext {
  const context: CorrelationContext = {
    correlationId: event.correlationid || event.id,
    causationId: event.id,
  };
  if (typeof event.traceparent === "string") context.traceparent = event.traceparent;
  if (typeof event.tenant === "string") context.tenant = event.tenant;
  return context;
}

/**
 * Runs `fn` in the correlation context of a received event, so that every log line,
 * HTTP call and event it produces carries the event's correlation id and names the
 * event as their cause.
 *
 * @param event - the event being handled
 * @param fn - the handler
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { createEvent, withCorrelationFrom } from "@distro/core";
 *
 * await withCorrelationFrom(submitted, async () => {
 *   const booked = createEvent({ type: "com.distro.order.booked", source: "/erp/bc", data: {} });
 *   booked.causationid === submitted.id; // true
 * });
 * ```
 */
export function withCorrelationFrom<R>(
  event: Pick<CloudEvent, "id" | "correlationid" | "traceparent"> & { tenant?: unknown },
  fn: () => R,
): R {
  return withCorrelation(correlationFromEvent(event), fn);
}
