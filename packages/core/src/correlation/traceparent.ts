import { getRandomValues } from "node:crypto";

/**
 * A parsed W3C Trace Context `traceparent` header
 * (`00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`).
 */
export interface Traceparent {
  /** Two lowercase hex digits; `00` today, never `ff`. */
  version: string;
  /** 32 lowercase hex digits, not all zero: the id of the whole trace. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the id of the caller's span. */
  parentId: string;
  /** Two lowercase hex digits: the trace flags. */
  flags: string;
  /** Bit 0 of the flags: the caller may have recorded its span. */
  sampled: boolean;
}

/**
 * A source of random bytes: returns `length` bytes. Defaults to `crypto.getRandomValues`;
 * inject one to make generated ids predictable in tests.
 */
export type RandomBytes = (length: number) => Uint8Array;

const HEX = /^[0-9a-f]+$/;
const ALL_ZERO = /^0+$/;

function isLowerHex(value: string, length: number): boolean {
  return value.length === length && HEX.test(value);
}

/**
 * Parses a `traceparent` header exactly as W3C Trace Context says a receiver must:
 * lowercase hex only; version `ff` invalid; an all-zero trace id or parent id invalid;
 * a version `00` value must be exactly 55 characters; a higher version is read by its
 * first four fields when what follows the flags is the end or a `-`. An invalid value
 * gives `undefined` (the receiver then starts a new trace), never an error.
 *
 * @param header - the header value (surrounding spaces and tabs are ignored)
 * @returns the parsed value, or `undefined` when absent or invalid
 * @example
 * ```ts
 * import { parseTraceparent } from "@distro/core";
 *
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.sampled; // true
 * parseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); // undefined
 * ```
 */
export function parseTraceparent(header: string | null | undefined): Traceparent | undefined {
  if (typeof header !== "string") return undefined;
  const value = trimOptionalWhitespace(header);
  if (value.length < 55) return undefined;
  const version = value.slice(0, 2);
  if (!isLowerHex(version, 2) || version === "ff") return undefined;
  if (value[2] !== "-" || value[35] !== "-" || value[52] !== "-") return undefined;
  if (version === "00" && value.length !== 55) return undefined;
  if (value.length > 55 && value[55] !== "-") return undefined;
  const traceId = value.slice(3, 35);
  const parentId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!isLowerHex(traceId, 32) || ALL_ZERO.test(traceId)) return undefined;
  if (!isLowerHex(parentId, 16) || ALL_ZERO.test(parentId)) return undefined;
  if (!isLowerHex(flags, 2)) return undefined;
  return { version, traceId, parentId, flags, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

function trimOptionalWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === " " || value[start] === "\t")) start++;
  while (end > start && (value[end - 1] === " " || value[end - 1] === "\t")) end--;
  return value.slice(start, end);
}

/**
 * Writes a {@link Traceparent} as a header value. The `sampled` field decides bit 0 of
 * the flags; the other flag bits are written as given.
 *
 * @param value - the parts
 * @returns `version-traceId-parentId-flags`
 * @example
 * ```ts
 * formatTraceparent({
 *   version: "00",
 *   traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
 *   parentId: "00f067aa0ba902b7",
 *   flags: "01",
 *   sampled: true,
 * }); // "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
 * ```
 */
export function formatTraceparent(value: Traceparent): string {
  const parsedFlags = isLowerHex(value.flags, 2) ? Number.parseInt(value.flags, 16) : 0;
  const flags = value.sampled ? parsedFlags | 1 : parsedFlags & 0xfe;
  return `${value.version}-${value.traceId}-${value.parentId}-${flags.toString(16).padStart(2, "0")}`;
}

/**
 * The `traceparent` for work done on behalf of `parent`: the same trace id and sampled
 * flag with a new span id, at version `00` (a receiver of a higher version speaks the
 * version it knows). Without a parent, a new trace, sampled.
 *
 * @param parent - the incoming traceparent, if any
 * @param random - source of random bytes (defaults to `crypto.getRandomValues`)
 * @returns a new version-00 traceparent
 * @example
 * ```ts
 * import { childTraceparent, formatTraceparent, parseTraceparent } from "@distro/core";
 *
 * const incoming = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * formatTraceparent(childTraceparent(incoming)); // "00-4bf92f3577b34da6a3ce929d0e0e4736-<new span>-01"
 * ```
 */
export function childTraceparent(parent?: Traceparent, random: RandomBytes = defaultRandom): Traceparent {
  const parentId = randomHexId(8, random);
  if (parent === undefined) {
    return { version: "00", traceId: randomHexId(16, random), parentId, flags: "01", sampled: true };
  }
  const flags = parent.sampled ? "01" : "00";
  return { version: "00", traceId: parent.traceId, parentId, flags, sampled: parent.sampled };
}

function defaultRandom(length: number): Uint8Array {
  return getRandomValues(new Uint8Array(length));
}

function randomHexId(byteLength: number, random: RandomBytes): string {
  for (let attempt = 0; attempt < 4; attempt++) {
    const hex = toHex(random(byteLength), byteLength);
    if (!ALL_ZERO.test(hex)) return hex;
  }
  // A source that keeps giving zeros must still not produce an invalid (all-zero) id.
  return `${"0".repeat(byteLength * 2 - 1)}1`;
}

function toHex(bytes: Uint8Array, byteLength: number): string {
  let out = "";
  for (let index = 0; index < byteLength; index++) {
    out += ((bytes[index] ?? 0) & 0xff).toString(16).padStart(2, "0");
  }
  return out;
}

let lastValidHeader = "";

/**
 * Whether a value is a `traceparent` header that {@link parseTraceparent} accepts. The
 * last valid value is remembered, so checking the same header on every event of a
 * transaction costs one comparison.
 *
 * @param value - anything
 * @returns true for a valid traceparent string
 * @example
 * ```ts
 * isValidTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"); // true
 * isValidTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"); // false
 * ```
 */
export function isValidTraceparent(value: unknown): value is string {
  if (typeof value !== "string") return false;
  if (value === lastValidHeader) return true;
  if (parseTraceparent(value) === undefined) return false;
  lastValidHeader = value;
  return true;
}
