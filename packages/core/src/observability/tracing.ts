import {
  type CorrelationContext,
  getCorrelation,
  newCorrelationId,
  withCorrelation,
} from "../correlation/context";

/**
 * What a span stands for, as OpenTelemetry names it: work inside the process
 * (`internal`), an incoming request (`server`), a call to an upstream (`client`), a
 * message sent (`producer`) or a message handled (`consumer`).
 *
 * @example
 * ```ts
 * const kind: SpanKind = "client";
 * ```
 */
export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer";

/**
 * A span attribute value: a string, a number, a boolean, or an array of one of them.
 *
 * @example
 * ```ts
 * const value: SpanAttributeValue = 200;
 * ```
 */
export type SpanAttributeValue =
  | string
  | number
  | boolean
  | readonly string[]
  | readonly number[]
  | readonly boolean[];

/**
 * Span attributes by name (OpenTelemetry semantic convention names where one exists,
 * `distro.*` otherwise). `undefined` values are left out.
 *
 * @example
 * ```ts
 * const attributes: SpanAttributes = { "http.request.method": "GET", "server.address": "erp.example.com" };
 * ```
 */
export type SpanAttributes = Readonly<Record<string, SpanAttributeValue | undefined>>;

/**
 * How a span ended: `unset` (the default: nothing to say), `ok` (declared a success) or
 * `error`.
 *
 * @example
 * ```ts
 * span.setStatus("error", "ERP answered 503");
 * ```
 */
export type SpanStatusCode = "unset" | "ok" | "error";

/**
 * How a span starts.
 *
 * @example
 * ```ts
 * const options: SpanOptions = {
 *   kind: "consumer",
 *   parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 *   attributes: { "messaging.destination.name": "erp-booking" },
 * };
 * ```
 */
export interface SpanOptions {
  /** What the span stands for; `internal` by default. */
  kind?: SpanKind;
  /** Attributes known at the start (samplers see these). */
  attributes?: SpanAttributes;
  /**
   * The W3C `traceparent` of the parent span (from the correlation context, an event,
   * an incoming request). Absent or invalid: the span starts a new trace, or an
   * OpenTelemetry tracer uses its own active span.
   */
  parent?: string;
}

/**
 * One timed operation of a trace. A span is ended once; changes after its end are
 * ignored.
 *
 * @example
 * ```ts
 * const span = tracer.startSpan("book-order", { kind: "internal" });
 * try {
 *   span.setAttribute("distro.order.id", "SO-1001");
 * } catch (error) {
 *   span.recordError(error);
 *   throw error;
 * } finally {
 *   span.end();
 * }
 * ```
 */
export interface Span {
  /**
   * This span's own W3C `traceparent`: the trace id of its parent and its own span id.
   * Work done inside the span (HTTP calls, events) carries it, so their spans become its
   * children. `undefined` for a span that neither records nor propagates (the
   * {@link noopTracer}'s).
   */
  readonly traceparent: string | undefined;
  /** Whether the span records anything; skip computing costly attributes when it does not. */
  readonly recording: boolean;
  /**
   * Sets an attribute (an `undefined` value is ignored).
   *
   * @param name - the attribute's name
   * @param value - its value
   */
  setAttribute(name: string, value: SpanAttributeValue | undefined): void;
  /**
   * Records an error on the span (its type, its `code` for a `DistroError`, and its
   * message with personal data and credentials redacted) and sets the status to `error`.
   *
   * @param error - what was thrown
   */
  recordError(error: unknown): void;
  /**
   * Sets the status.
   *
   * @param code - `unset`, `ok` or `error`
   * @param message - a description, for `error`
   */
  setStatus(code: SpanStatusCode, message?: string): void;
  /** Ends the span; later calls do nothing. */
  end(): void;
}

/**
 * The tracing port: starts spans. OpenTelemetry stands behind it through
 * `createOtelTracer` from `@distro/core/otel`; tests use `createRecordingTracer` from
 * `@distro/core/testing`; the {@link noopTracer} records nothing.
 *
 * @example
 * ```ts
 * import { type Tracer, withSpan } from "@distro/core";
 *
 * function bookOrder(tracer: Tracer, orderId: string) {
 *   return withSpan(tracer, "book-order", { attributes: { "distro.order.id": orderId } }, async () => {
 *     // HTTP calls and events made here carry this span's traceparent
 *   });
 * }
 * ```
 */
export interface Tracer {
  /**
   * Starts a span. It is not made current: {@link withSpan} does that.
   *
   * @param name - a low-cardinality name (`process erp-booking`, `GET`, `order-to-cash book`)
   * @param options - kind, attributes and the parent's traceparent
   * @returns the started span
   */
  startSpan(name: string, options?: SpanOptions): Span;
  /**
   * Runs `fn` with `span` current in the tracer's own context as well (an OpenTelemetry
   * tracer makes it the active span, so spans of other OpenTelemetry instrumentation
   * made inside nest under it). Optional: {@link withSpan} calls it when present.
   *
   * @param span - a span this tracer started
   * @param fn - the work
   * @returns what `fn` returns
   */
  activate?<T>(span: Span, fn: () => T): T;
}

/**
 * The attribute that carries the transaction's correlation id on every span distro starts.
 *
 * @example
 * ```ts
 * tracer.named("process erp-booking")[0]?.attributes[CORRELATION_ID_ATTRIBUTE]; // "order-1001"
 * ```
 */
export const CORRELATION_ID_ATTRIBUTE = "distro.correlation_id";

const NOOP_SPAN: Span = Object.freeze({
  traceparent: undefined,
  recording: false,
  setAttribute() {},
  recordError() {},
  setStatus() {},
  end() {},
});

/**
 * A tracer that records nothing and allocates nothing per span: the default wherever a
 * tracer is optional.
 *
 * @example
 * ```ts
 * import { noopTracer } from "@distro/core";
 *
 * const span = noopTracer.startSpan("anything");
 * span.recording; // false
 * span.end();
 * ```
 */
export const noopTracer: Tracer = Object.freeze({
  startSpan: () => NOOP_SPAN,
});

/**
 * Runs `fn` inside a new span: the parent is `options.parent`, or else the current
 * correlation context's `traceparent`; the span carries the context's correlation id
 * (`distro.correlation_id`); `fn` runs in a correlation context whose `traceparent` is
 * the span's own, so HTTP calls made and events created inside it are its children.
 * The span ends when `fn` returns or its promise settles; a throw or a rejection is
 * recorded on it (and passed on unchanged).
 *
 * @typeParam T - what `fn` returns (a promise is awaited before the span ends)
 * @param tracer - the tracer
 * @param name - the span's name
 * @param options - kind, attributes, parent
 * @param fn - the work; it receives the span to add attributes
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { createHttpClient, withCorrelation, withSpan } from "@distro/core";
 * import { createOtelTracer } from "@distro/core/otel";
 * import { trace } from "@opentelemetry/api";
 *
 * const tracer = createOtelTracer(trace.getTracer("orders"));
 * const erp = createHttpClient({ baseUrl: "https://erp.example.com/api/", system: "erp", tracer });
 * await withCorrelation({ correlationId: "order-1001" }, () =>
 *   withSpan(tracer, "book-order", { attributes: { "distro.order.id": "1001" } }, async (span) => {
 *     const response = await erp.post("sales-orders", { json: { customer: "C1001" } });
 *     span.setAttribute("distro.erp.status", response.status);
 *   }),
 * );
 * ```
 */
export function withSpan<T>(tracer: Tracer, name: string, options: SpanOptions, fn: (span: Span) => T): T {
  const outer = getCorrelation();
  const correlationId = outer?.correlationId ?? newCorrelationId();
  const span = tracer.startSpan(name, {
    ...options,
    ...(options.parent === undefined && outer?.traceparent !== undefined
      ? { parent: outer.traceparent }
      : {}),
    attributes: { ...options.attributes, [CORRELATION_ID_ATTRIBUTE]: correlationId },
  });
  const context: Partial<CorrelationContext> = { correlationId };
  if (span.traceparent !== undefined) context.traceparent = span.traceparent;
  const inContext = () => withCorrelation(context, () => fn(span));
  let result: T;
  try {
    result = tracer.activate === undefined ? inContext() : tracer.activate(span, inContext);
  } catch (error) {
    span.recordError(error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.recordError(error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function"
  );
}
