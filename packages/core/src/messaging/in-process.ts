/**
 * The in-process fast path shared by the bus, the memory transport and the memory inbox.
 * Not exported from the package: a bus on a memory transport hands the validated event
 * through as an object (a private copy per delivery) instead of a JSON text to parse and
 * check again, and calls a memory inbox without a promise per call. Everything here is
 * keyed to the exact objects this module built or registered, so a wrapped transport or
 * store, or a second copy of the package, takes the ordinary path.
 *
 * @internal
 */
import type { InboxBegin, InboxOutcome, InboxStore } from "./inbox";
import type { Transport, TransportDelivery, TransportMessage } from "./transport";

// Deeper values take the JSON way (which also reports cycles as it always did).
const MAX_DEPTH = 64;

function isPlainValue(value: unknown, depth: number): boolean {
  if (typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") {
    // JSON writes NaN and the infinities as null, and -0 as 0.
    return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
  }
  // undefined, functions and symbols are left out or become null; a bigint throws.
  if (typeof value !== "object") return false;
  if (value === null) return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (
      Object.getPrototypeOf(value) !== Array.prototype ||
      (value as { toJSON?: unknown }).toJSON !== undefined
    ) {
      return false;
    }
    for (let index = 0; index < value.length; index++) {
      if (!isPlainValue(value[index], depth + 1)) return false;
    }
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  // Dates, Maps, binary data, class instances and boxed primitives change in JSON.
  if (
    (prototype !== Object.prototype && prototype !== null) ||
    (value as { toJSON?: unknown }).toJSON !== undefined
  ) {
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    // An own "__proto__" (JSON.parse makes one) would be a prototype to an assignment.
    if (key === "__proto__" || !isPlainValue(record[key], depth + 1)) return false;
  }
  return true;
}

/**
 * Whether a JSON round trip gives back an equal value: strings, finite numbers other than
 * -0, booleans, null, and arrays and plain objects of them (no `Date`, `undefined`,
 * binary data, class instance, `toJSON`, or nesting deeper than 64).
 *
 * @param value - anything
 * @returns true when {@link copyPlain} copies it as `JSON.parse(JSON.stringify(value))` would
 */
export function isPlainJson(value: unknown): boolean {
  return isPlainValue(value, 0);
}

/**
 * A deep copy of a value {@link isPlainJson} accepted (own enumerable properties only,
 * as JSON).
 *
 * @param value - a plain JSON value
 * @returns the copy
 */
export function copyPlain<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.slice();
    for (let index = 0; index < items.length; index++) {
      const item: unknown = items[index];
      if (typeof item === "object" && item !== null) items[index] = copyPlain(item);
    }
    return items as T;
  }
  // A spread copies an object's shape at once; only nested objects need more.
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key in copy) {
    const item = copy[key];
    if (typeof item === "object" && item !== null && Object.hasOwn(copy, key)) copy[key] = copyPlain(item);
  }
  return copy as T;
}

/**
 * A message the bus published on a memory transport: the validated event (a snapshot
 * nobody else holds), serialised only when someone reads `body` (a dead letter).
 */
export class InProcessMessage implements TransportMessage {
  private text: string | undefined;

  constructor(
    readonly payload: unknown,
    readonly key: string | undefined,
    private readonly serialize: (payload: never) => string,
  ) {}

  get body(): string {
    if (this.text === undefined) this.text = this.serialize(this.payload as never);
    return this.text;
  }
}

/** The property of a memory transport's delivery that holds the message it carries. */
export const DELIVERED_MESSAGE: unique symbol = Symbol("distro.delivered-message");

/**
 * The payload of a delivery of an {@link InProcessMessage}, or `undefined` for any other
 * delivery. The caller copies it before handing it on: it is shared by every delivery.
 *
 * @param delivery - a delivery from any transport
 * @returns the payload, or `undefined`
 */
export function inProcessPayload(delivery: TransportDelivery): unknown {
  const message = (delivery as { [DELIVERED_MESSAGE]?: unknown })[DELIVERED_MESSAGE];
  return message instanceof InProcessMessage ? message.payload : undefined;
}

const inProcessTransports = new WeakSet<Transport>();

/**
 * Marks a transport as one that carries {@link InProcessMessage}s to its deliveries.
 *
 * @param transport - a memory transport
 * @returns the transport
 */
export function markInProcess(transport: Transport): Transport {
  inProcessTransports.add(transport);
  return transport;
}

/**
 * Whether a transport is a memory transport of this copy of the package.
 *
 * @param transport - any transport
 * @returns true when publishing {@link InProcessMessage}s to it pays off
 */
export function isInProcess(transport: Transport): boolean {
  return inProcessTransports.has(transport);
}

/** The synchronous core of a memory inbox: the same state as its methods, no promises. */
export interface SyncInbox {
  /** As `InboxStore.begin`, returning the answer itself. */
  begin(subscriber: string, messageKey: string, leaseMs: number): InboxBegin;
  /** As `InboxStore.complete`, returning the answer itself. */
  complete(subscriber: string, messageKey: string, token: string, outcome: InboxOutcome): boolean;
}

const syncInboxes = new WeakMap<InboxStore, SyncInbox>();

/**
 * Registers the synchronous core of an inbox store (only that exact object: a copy or
 * wrapper of it keeps its own methods).
 *
 * @param store - the store
 * @param sync - its synchronous core
 * @returns the store
 */
export function withSyncInbox(store: InboxStore, sync: SyncInbox): InboxStore {
  syncInboxes.set(store, sync);
  return store;
}

/**
 * The synchronous core of an inbox store, when it has one.
 *
 * @param store - any inbox store
 * @returns the core, or `undefined`
 */
export function syncInboxOf(store: InboxStore): SyncInbox | undefined {
  return syncInboxes.get(store);
}
