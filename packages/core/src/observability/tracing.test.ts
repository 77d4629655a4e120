import { describe, expect, it } from "vitest";
import { getCorrelation, withCorrelation } from "../correlation/context";
import { parseTraceparent } from "../correlation/traceparent";
import { createEvent } from "../envelope/create-event";
import { UpstreamError } from "../errors/kinds";
import { noopTracer, type Span, withSpan } from "./tracing";
import { describeSpanError } from "./tracing-error";
import { createRecordingTracer } from "./tracing-recorder";

const INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("withSpan", () => {
  it("starts a child of the context's traceparent and runs the work with the span's own", async () => {
    const tracer = createRecordingTracer();
    let inside: ReturnType<typeof getCorrelation>;
    let event: ReturnType<typeof createEvent> | undefined;
    const result = await withCorrelation({ correlationId: "order-1001", traceparent: INCOMING }, () =>
      withSpan(tracer, "book", { attributes: { "distro.order.id": "1001" } }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        inside = getCorrelation();
        event = createEvent({ type: "com.distro.order.booked", source: "/erp", data: {} });
        return "booked";
      }),
    );
    expect(result).toBe("booked");
    const [span] = tracer.spans;
    expect(span).toMatchObject({
      name: "book",
      kind: "internal",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentSpanId: "00f067aa0ba902b7",
      sampled: true,
      attributes: { "distro.order.id": "1001", "distro.correlation_id": "order-1001" },
      status: { code: "unset" },
    });
    expect(span!.spanId).not.toBe("00f067aa0ba902b7");
    expect(inside?.traceparent).toBe(span!.traceparent);
    expect(inside?.correlationId).toBe("order-1001");
    expect(event?.traceparent).toBe(span!.traceparent);
    expect(event?.correlationid).toBe("order-1001");
    // The context outside is unchanged.
    expect(getCorrelation()).toBeUndefined();
  });

  it("nests: a span started inside another is its child, in the same trace", () => {
    const tracer = createRecordingTracer();
    withSpan(tracer, "outer", {}, () => withSpan(tracer, "inner", { kind: "client" }, () => undefined));
    const outer = tracer.named("outer")[0]!;
    const inner = tracer.named("inner")[0]!;
    expect(outer.parentSpanId).toBeUndefined();
    expect(inner.traceId).toBe(outer.traceId);
    expect(inner.parentSpanId).toBe(outer.spanId);
    expect(tracer.childrenOf(outer)).toEqual([inner]);
    // Both carry the same generated correlation id: one transaction.
    expect(inner.attributes["distro.correlation_id"]).toBe(outer.attributes["distro.correlation_id"]);
  });

  it("an explicit parent wins over the context's; an unsampled parent gives an unsampled child", () => {
    const tracer = createRecordingTracer();
    const unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    withCorrelation({ traceparent: INCOMING }, () => withSpan(tracer, "x", { parent: unsampled }, () => 1));
    const [span] = tracer.spans;
    expect(span!.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(span!.parentSpanId).toBe("b7ad6b7169203331");
    expect(span!.sampled).toBe(false);
    expect(parseTraceparent(span!.traceparent)?.flags).toBe("00");
  });

  it("records a throw and a rejection, passes them on unchanged, and ends the span", async () => {
    const tracer = createRecordingTracer();
    const thrown = new UpstreamError("erp answered 503", { status: 503, system: "erp" });
    expect(() =>
      withSpan(tracer, "sync", {}, () => {
        throw thrown;
      }),
    ).toThrow(thrown);
    await expect(
      withSpan(tracer, "async", {}, async () => {
        throw new Error("Customer jane@example.com is blocked");
      }),
    ).rejects.toThrow("Customer jane@example.com is blocked");
    expect(tracer.openSpans).toBe(0);
    expect(tracer.named("sync")[0]).toMatchObject({
      status: { code: "error", message: "erp answered 503" },
      errors: [{ type: "UPSTREAM_ERROR", message: "erp answered 503" }],
    });
    // Personal data never reaches the trace.
    expect(tracer.named("async")[0]).toMatchObject({
      status: { code: "error", message: "Customer [REDACTED] is blocked" },
      errors: [{ type: "Error", message: "Customer [REDACTED] is blocked" }],
    });
  });

  it("the span ends when the promise settles, not when the function returns", async () => {
    const tracer = createRecordingTracer();
    let release!: () => void;
    const running = withSpan(tracer, "slow", {}, () => new Promise<void>((resolve) => (release = resolve)));
    expect(tracer.openSpans).toBe(1);
    expect(tracer.spans).toHaveLength(0);
    release();
    await running;
    expect(tracer.openSpans).toBe(0);
    expect(tracer.spans.map((span) => span.name)).toEqual(["slow"]);
  });

  it("with the noop tracer, runs the work in the context as it was", () => {
    let seen: Span | undefined;
    const traceparent = withCorrelation({ correlationId: "c-1", traceparent: INCOMING }, () =>
      withSpan(noopTracer, "nothing", {}, (span) => {
        seen = span;
        return getCorrelation()?.traceparent;
      }),
    );
    expect(traceparent).toBe(INCOMING);
    expect(seen?.recording).toBe(false);
    expect(seen?.traceparent).toBeUndefined();
    // One frozen span for every call: nothing allocated per span.
    expect(noopTracer.startSpan("a")).toBe(noopTracer.startSpan("b"));
  });

  it("calls the tracer's activate around the work when it has one", () => {
    const calls: string[] = [];
    const recording = createRecordingTracer();
    const tracer = {
      startSpan: recording.startSpan,
      activate<T>(span: Span, fn: () => T): T {
        calls.push(`activate ${span.traceparent === undefined ? "none" : "span"}`);
        return fn();
      },
    };
    const value = withSpan(tracer, "active", {}, () => {
      calls.push("work");
      return 7;
    });
    expect(value).toBe(7);
    expect(calls).toEqual(["activate span", "work"]);
  });
});

describe("createRecordingTracer", () => {
  it("times spans by its clock, ignores changes after the end, and resets", () => {
    let now = 1_000;
    const tracer = createRecordingTracer({ clock: { now: () => now } });
    const span = tracer.startSpan("step", { kind: "consumer", attributes: { a: 1, b: undefined } });
    span.setAttribute("c", "x");
    span.setStatus("ok");
    now = 1_250;
    span.end();
    span.setAttribute("d", "late");
    span.recordError(new Error("late"));
    span.end();
    expect(tracer.spans).toHaveLength(1);
    expect(tracer.spans[0]).toMatchObject({
      kind: "consumer",
      attributes: { a: 1, c: "x" },
      status: { code: "ok" },
      errors: [],
      startTime: 1_000,
      endTime: 1_250,
      durationMs: 250,
    });
    expect("b" in tracer.spans[0]!.attributes).toBe(false);
    expect(span.recording).toBe(false);
    tracer.reset();
    expect(tracer.spans).toHaveLength(0);
  });

  it("starts a new valid trace for a missing or invalid parent", () => {
    const tracer = createRecordingTracer();
    tracer.startSpan("a", { parent: "not-a-traceparent" }).end();
    const [span] = tracer.spans;
    expect(span!.parentSpanId).toBeUndefined();
    expect(parseTraceparent(span!.traceparent)).toMatchObject({
      traceId: span!.traceId,
      parentId: span!.spanId,
    });
  });
});

describe("describeSpanError", () => {
  it("names a DistroError by its code, others by name or type, and redacts the message", () => {
    expect(describeSpanError(new TypeError("bad card 4111 1111 1111 1111"))).toEqual({
      type: "TypeError",
      message: "bad card [REDACTED]",
    });
    expect(describeSpanError("plain text")).toEqual({ type: "string", message: "plain text" });
  });
});
