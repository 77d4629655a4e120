import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Span as OtelSpan,
  SpanKind as OtelSpanKind,
  SpanStatusCode as OtelStatusCode,
  type Tracer as OtelTracer,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { formatTraceparent, parseTraceparent, type Traceparent } from "../correlation/traceparent";
import type {
  Span,
  SpanAttributes,
  SpanAttributeValue,
  SpanKind,
  SpanOptions,
  SpanStatusCode,
  Tracer,
} from "../observability/tracing";
import { describeSpanError } from "../observability/tracing-error";

const KINDS: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

const STATUSES: Record<SpanStatusCode, OtelStatusCode> = {
  unset: OtelStatusCode.UNSET,
  ok: OtelStatusCode.OK,
  error: OtelStatusCode.ERROR,
};

/** The distro span in front of each OpenTelemetry span, so `activate` finds the span it wraps. */
class OtelBackedSpan implements Span {
  readonly traceparent: string | undefined;

  constructor(
    readonly otelSpan: OtelSpan,
    parent: string | undefined,
  ) {
    this.traceparent = traceparentOf(otelSpan) ?? parent;
  }

  get recording(): boolean {
    return this.otelSpan.isRecording();
  }

  setAttribute(name: string, value: SpanAttributeValue | undefined): void {
    if (value !== undefined) this.otelSpan.setAttribute(name, value as AttributeValue);
  }

  recordError(error: unknown): void {
    const { type, message } = describeSpanError(error);
    this.otelSpan.recordException({ name: type, message });
    this.otelSpan.setStatus({ code: OtelStatusCode.ERROR, message });
  }

  setStatus(code: SpanStatusCode, message?: string): void {
    this.otelSpan.setStatus(
      message === undefined ? { code: STATUSES[code] } : { code: STATUSES[code], message },
    );
  }

  end(): void {
    this.otelSpan.end();
  }
}

/**
 * The W3C traceparent of an OpenTelemetry span: its trace id, its span id and its
 * sampled flag. `undefined` for the invalid context of a span from an API without an SDK.
 */
function traceparentOf(span: OtelSpan): string | undefined {
  const spanContext = span.spanContext();
  if (!trace.isSpanContextValid(spanContext)) return undefined;
  const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return formatTraceparent({
    version: "00",
    traceId: spanContext.traceId,
    parentId: spanContext.spanId,
    flags: sampled ? "01" : "00",
    sampled,
  });
}

/**
 * The OpenTelemetry context a span starts in: the active one when its span is the
 * parent already (a span of this process), else the active one with the parent from the
 * traceparent set as a remote span context (an event from the bus, another process).
 * Without a valid parent, the active context as it is.
 */
function parentContext(parsed: Traceparent | undefined): Context {
  const active = context.active();
  if (parsed === undefined) return active;
  const current = trace.getSpanContext(active);
  if (current !== undefined && current.traceId === parsed.traceId && current.spanId === parsed.parentId) {
    return active;
  }
  return trace.setSpanContext(active, {
    traceId: parsed.traceId,
    spanId: parsed.parentId,
    traceFlags: parsed.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

function toAttributes(attributes: SpanAttributes | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  const out: Attributes = {};
  for (const name in attributes) {
    const value = attributes[name];
    if (value !== undefined) out[name] = value as AttributeValue;
  }
  return out;
}

/**
 * Adapts an OpenTelemetry tracer (`@opentelemetry/api`) to distro's {@link Tracer}
 * port, so the HTTP client, the bus and the flow engine report their spans to whatever
 * SDK and exporter the host has set up.
 *
 * - A span's parent is the `traceparent` distro gives it (the correlation context's, an
 *   event's), set as a remote span context; without one, the active OpenTelemetry span.
 * - A span's own traceparent is its OpenTelemetry span context, so HTTP calls and events
 *   made inside it link to it.
 * - `activate` (used by `withSpan`) makes the span active in the OpenTelemetry context,
 *   so spans of other OpenTelemetry instrumentation made inside nest under it (that needs
 *   a context manager, which every Node SDK registers).
 * - Errors are recorded as exception events with the type and a redacted message
 *   (see `describeSpanError`), never the raw error with its stack.
 *
 * `tracestate` is not carried: distro's correlation context holds `traceparent` only.
 *
 * @param tracer - an OpenTelemetry tracer, e.g. `trace.getTracer("my-service")`
 * @returns the port over it
 * @example
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * import { createBus, createHttpClient } from "@distro/core";
 * import { createOtelTracer } from "@distro/core/otel";
 *
 * const tracer = createOtelTracer(trace.getTracer("order-service", "1.0.0"));
 * const bus = createBus({ tracer });
 * const erp = createHttpClient({ baseUrl: "https://erp.example.com/api/", system: "erp", tracer });
 * ```
 */
export function createOtelTracer(tracer: OtelTracer): Tracer {
  return {
    startSpan(name: string, options: SpanOptions = {}): Span {
      const parent = parseTraceparent(options.parent);
      const otelSpan = tracer.startSpan(
        name,
        { kind: KINDS[options.kind ?? "internal"], attributes: toAttributes(options.attributes) },
        parentContext(parent),
      );
      // A span that records nothing (the API without an SDK) passes a valid parent on.
      return new OtelBackedSpan(otelSpan, parent === undefined ? undefined : options.parent);
    },
    activate<T>(span: Span, fn: () => T): T {
      if (!(span instanceof OtelBackedSpan)) return fn();
      return context.with(trace.setSpan(context.active(), span.otelSpan), fn);
    },
  };
}
