import {
  childTraceparent,
  formatTraceparent,
  parseTraceparent,
  type RandomBytes,
} from "../correlation/traceparent";
import type { RetryClock } from "../retry/index";
import type { Span, SpanAttributeValue, SpanKind, SpanOptions, SpanStatusCode, Tracer } from "./tracing";
import { describeSpanError } from "./tracing-error";

/**
 * A finished span as a {@link RecordingTracer} keeps it.
 *
 * @example
 * ```ts
 * const [span] = tracer.spans;
 * span.parentSpanId; // the span id of its parent, undefined for a root span
 * ```
 */
export interface RecordedSpan {
  /** The span's name. */
  name: string;
  /** What it stands for. */
  kind: SpanKind;
  /** Its own traceparent. */
  traceparent: string;
  /** The trace it belongs to (32 hex digits). */
  traceId: string;
  /** Its span id (16 hex digits). */
  spanId: string;
  /** The parent's span id; `undefined` for the root of a trace. */
  parentSpanId: string | undefined;
  /** Whether the trace is sampled (inherited from the parent; a new trace is). */
  sampled: boolean;
  /** Its attributes, `distro.correlation_id` among them when started by distro. */
  attributes: Record<string, SpanAttributeValue>;
  /** Its status. */
  status: { code: SpanStatusCode; message?: string };
  /** The errors recorded on it, in order. */
  errors: { type: string; message: string }[];
  /** When it started, by the tracer's clock (epoch milliseconds). */
  startTime: number;
  /** When it ended. */
  endTime: number;
  /** `endTime - startTime`. */
  durationMs: number;
}

/**
 * A {@link Tracer} that keeps finished spans in memory, for tests to assert on.
 *
 * @example
 * ```ts
 * const tracer = createRecordingTracer();
 * tracer.startSpan("book").end();
 * tracer.spans.map((span) => span.name); // ["book"]
 * ```
 */
export interface RecordingTracer extends Tracer {
  /** Finished spans, in the order they ended. */
  readonly spans: readonly RecordedSpan[];
  /** How many spans were started and have not ended yet. */
  readonly openSpans: number;
  /**
   * The finished spans with this name, in the order they ended.
   *
   * @param name - the span name
   * @returns the matching spans (empty when none)
   */
  named(name: string): RecordedSpan[];
  /**
   * The finished spans whose parent is `parent`, in the order they ended.
   *
   * @param parent - a recorded span
   * @returns its children
   */
  childrenOf(parent: RecordedSpan): RecordedSpan[];
  /** Forgets every finished span. */
  reset(): void;
}

/**
 * Settings of {@link createRecordingTracer}.
 *
 * @example
 * ```ts
 * const settings: RecordingTracerSettings = { clock: { now: () => 0 } };
 * ```
 */
export interface RecordingTracerSettings {
  /** Where start and end times are read (default `Date.now`). */
  clock?: RetryClock;
  /** Random bytes for new trace and span ids (default `crypto.getRandomValues`). */
  random?: RandomBytes;
}

/**
 * Creates a tracer that records finished spans in memory: name, kind, traceparent,
 * trace id, span id, parent span id, attributes, status, recorded errors and duration.
 * Spans get real W3C ids: a child keeps its parent's trace id and sampled flag.
 *
 * @param settings - clock and randomness
 * @returns the tracer
 * @example
 * ```ts
 * import { createBus, createEvent, withCorrelation } from "@distro/core";
 * import { createRecordingTracer } from "@distro/core/testing";
 *
 * const tracer = createRecordingTracer();
 * const bus = createBus({ tracer });
 * await bus.subscribe({ name: "erp-booking", handler: async () => {} });
 * await bus.publish(createEvent({ type: "com.distro.order.submitted", source: "/shop", data: {} }));
 * // once handled:
 * tracer.named("process erp-booking")[0]?.attributes["messaging.destination.name"]; // "erp-booking"
 * ```
 */
export function createRecordingTracer(settings: RecordingTracerSettings = {}): RecordingTracer {
  const clock = settings.clock ?? Date;
  const finished: RecordedSpan[] = [];
  let open = 0;

  const startSpan = (name: string, options: SpanOptions = {}): Span => {
    const parent = parseTraceparent(options.parent);
    const own = childTraceparent(parent, settings.random);
    const traceparent = formatTraceparent(own);
    const attributes: Record<string, SpanAttributeValue> = {};
    for (const [key, value] of Object.entries(options.attributes ?? {})) {
      if (value !== undefined) attributes[key] = value;
    }
    const status: RecordedSpan["status"] = { code: "unset" };
    const errors: RecordedSpan["errors"] = [];
    const startTime = clock.now();
    let ended = false;
    open += 1;
    return {
      traceparent,
      get recording() {
        return !ended;
      },
      setAttribute(key, value) {
        if (!ended && value !== undefined) attributes[key] = value;
      },
      recordError(error) {
        if (ended) return;
        const described = describeSpanError(error);
        errors.push(described);
        status.code = "error";
        status.message = described.message;
      },
      setStatus(code, message) {
        if (ended) return;
        status.code = code;
        if (message === undefined) delete status.message;
        else status.message = message;
      },
      end() {
        if (ended) return;
        ended = true;
        open -= 1;
        const endTime = clock.now();
        finished.push({
          name,
          kind: options.kind ?? "internal",
          traceparent,
          traceId: own.traceId,
          spanId: own.parentId,
          parentSpanId: parent?.parentId,
          sampled: own.sampled,
          attributes,
          status,
          errors,
          startTime,
          endTime,
          durationMs: endTime - startTime,
        });
      },
    };
  };

  return {
    startSpan,
    get spans() {
      return finished;
    },
    get openSpans() {
      return open;
    },
    named: (name) => finished.filter((span) => span.name === name),
    childrenOf: (parent) =>
      finished.filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId),
    reset() {
      finished.length = 0;
    },
  };
}
