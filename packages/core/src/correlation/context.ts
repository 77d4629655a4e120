import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/**
 * What ties together every log line, event, HTTP call and audit entry of one business
 * transaction: its correlation id, the id of the message that caused the current work,
 * the W3C `traceparent` of the current operation and, optionally, the tenant.
 */
export interface CorrelationContext {
  /** One id for the whole transaction, from the first inbound message to the last effect. */
  correlationId: string;
  /** The id of the message (event, command, request) that caused the current work. */
  causationId?: string;
  /** The W3C Trace Context `traceparent` of the current operation. */
  traceparent?: string;
  /** The tenant the transaction belongs to, when the host serves several. */
  tenant?: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/**
 * The correlation context of the code that is running now, carried through awaits,
 * timers and event handlers by `AsyncLocalStorage`.
 *
 * @returns the current context, or `undefined` outside any {@link withCorrelation} call
 * @example
 * ```ts
 * import { getCorrelation, withCorrelation } from "@distro/core";
 *
 * await withCorrelation({ correlationId: "order-1001" }, async () => {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   getCorrelation()?.correlationId; // "order-1001"
 * });
 * ```
 */
export function getCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

/**
 * A new correlation id: a random UUID v4 from `crypto.randomUUID`.
 *
 * @returns a lowercase UUID v4 string
 * @example
 * ```ts
 * newCorrelationId(); // e.g. "3b241101-e2bb-4255-8caf-4136c566a962"
 * ```
 */
export function newCorrelationId(): string {
  return randomUUID();
}

/**
 * Runs `fn` inside a correlation context. Fields not given are inherited from the
 * context around the call; a correlation id is generated when neither gives one.
 * The context follows the work through awaits, timers, and handlers of events emitted
 * inside it; use {@link bindCorrelation} for callbacks that will be invoked from
 * elsewhere.
 *
 * @param context - the fields to set (missing ones are inherited or generated)
 * @param fn - the work to run; its return value (or promise) is returned as is
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { getCorrelation, withCorrelation } from "@distro/core";
 *
 * withCorrelation({ tenant: "acme" }, () => {
 *   withCorrelation({ causationId: "evt-1" }, () => {
 *     const context = getCorrelation()!;
 *     context.tenant; // "acme" (inherited)
 *     context.causationId; // "evt-1"
 *   });
 * });
 * ```
 */
export function withCorrelation<T>(context: Partial<CorrelationContext>, fn: () => T): T {
  return storage.run(resolveContext(context), fn);
}

/**
 * The context {@link withCorrelation} would run with: `context` over the current one,
 * with a new correlation id when neither has one.
 *
 * @param context - the fields to set
 * @returns a complete context (a new object; neither input is changed)
 * @example
 * ```ts
 * resolveContext({ tenant: "acme" }).correlationId; // a new UUID outside any context
 * ```
 */
export function resolveContext(context: Partial<CorrelationContext>): CorrelationContext {
  const outer = storage.getStore();
  const resolved: CorrelationContext = {
    correlationId: context.correlationId || outer?.correlationId || newCorrelationId(),
  };
  const causationId = context.causationId ?? outer?.causationId;
  if (causationId !== undefined) resolved.causationId = causationId;
  const traceparent = context.traceparent ?? outer?.traceparent;
  if (traceparent !== undefined) resolved.traceparent = traceparent;
  const tenant = context.tenant ?? outer?.tenant;
  if (tenant !== undefined) resolved.tenant = tenant;
  return resolved;
}

/**
 * Binds a callback to the correlation context current at the time of binding, so it runs
 * in that context whoever calls it later (an `EventEmitter` listener registered now but
 * fired from a socket, a callback handed to a library with its own queue).
 *
 * @typeParam F - the callback's type, kept by the bound function
 * @param fn - the callback
 * @returns a function that calls `fn` inside the captured context
 * @example
 * ```ts
 * import { EventEmitter } from "node:events";
 * import { bindCorrelation, getCorrelation, withCorrelation } from "@distro/core";
 *
 * const emitter = new EventEmitter();
 * withCorrelation({ correlationId: "c-1" }, () => {
 *   emitter.on("shipped", bindCorrelation(() => console.log(getCorrelation()?.correlationId)));
 * });
 * emitter.emit("shipped"); // logs "c-1"
 * ```
 */
export function bindCorrelation<F extends (...args: never[]) => unknown>(fn: F): F {
  const captured = storage.getStore();
  const bound = function (this: unknown, ...args: Parameters<F>) {
    if (captured === undefined) return storage.exit(() => fn.apply(this, args));
    return storage.run(captured, () => fn.apply(this, args));
  };
  return bound as unknown as F;
}
