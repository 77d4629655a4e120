import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getCorrelation, withCorrelation } from "../correlation/context";
import { parseTraceparent } from "../correlation/traceparent";
import { createEvent } from "../envelope/create-event";
import { createBus } from "../messaging/bus";
import { withSpan } from "../observability/tracing";
import { waitUntil } from "../testing/wait-until";
import { createOtelTracer } from "./otel-tracer";

const INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  exporter.reset();
});

function finished(name: string) {
  const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
  if (span === undefined) throw new Error(`no finished span ${name}`);
  return span;
}

describe("createOtelTracer", () => {
  it("starts an OpenTelemetry span whose parent is the remote traceparent, and exposes its own", () => {
    const tracer = createOtelTracer(provider.getTracer("distro-test"));
    const span = tracer.startSpan("process erp-booking", {
      kind: "consumer",
      parent: INCOMING,
      attributes: { "messaging.destination.name": "erp-booking", "distro.retries": undefined },
    });
    span.setAttribute("distro.order.ids", ["1001", "1002"]);
    span.end();
    const exported = finished("process erp-booking");
    expect(exported.kind).toBe(SpanKind.CONSUMER);
    expect(exported.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(exported.parentSpanContext).toMatchObject({ spanId: "00f067aa0ba902b7", isRemote: true });
    expect(exported.attributes).toEqual({
      "messaging.destination.name": "erp-booking",
      "distro.order.ids": ["1001", "1002"],
    });
    const own = parseTraceparent(span.traceparent);
    expect(own).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentId: exported.spanContext().spanId,
      sampled: true,
    });
    expect(span.recording).toBe(false);
  });

  it("withSpan nests distro spans and the host's own OpenTelemetry spans in one trace", async () => {
    const tracer = createOtelTracer(provider.getTracer("distro-test"));
    const native = provider.getTracer("host");
    let carried: string | undefined;
    await withCorrelation({ correlationId: "order-1001", traceparent: INCOMING }, () =>
      withSpan(tracer, "order-to-cash book", {}, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        // The host's instrumentation sees our span as the active one.
        native.startActiveSpan("host-db-query", (span) => span.end());
        await withSpan(tracer, "GET", { kind: "client" }, async () => {
          carried = getCorrelation()?.traceparent;
        });
      }),
    );
    const step = finished("order-to-cash book");
    const query = finished("host-db-query");
    const call = finished("GET");
    expect(step.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(step.attributes["distro.correlation_id"]).toBe("order-1001");
    for (const child of [query, call]) {
      expect(child.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
      expect(child.parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    }
    // A child of a span of this process is a local child, not a remote one.
    expect(call.parentSpanContext?.isRemote).toBeFalsy();
    expect(parseTraceparent(carried)?.parentId).toBe(call.spanContext().spanId);
  });

  it("records errors as exception events with a redacted message and an error status", () => {
    const tracer = createOtelTracer(provider.getTracer("distro-test"));
    expect(() =>
      withSpan(tracer, "failing", {}, () => {
        throw new Error("Customer jane@example.com is blocked");
      }),
    ).toThrow();
    const span = finished("failing");
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "Customer [REDACTED] is blocked" });
    expect(span.events).toHaveLength(1);
    expect(span.events[0]!.name).toBe("exception");
    expect(span.events[0]!.attributes).toMatchObject({
      "exception.type": "Error",
      "exception.message": "Customer [REDACTED] is blocked",
    });
    expect(JSON.stringify(span.events)).not.toContain("jane@example.com");
  });

  it("a trace crosses the bus: the handler's consumer span is a child of the publisher's span", async () => {
    const tracer = createOtelTracer(provider.getTracer("distro-test"));
    const bus = createBus({ tracer });
    const subscription = await bus.subscribe({ name: "wms-fulfil", handler: () => undefined });
    await withSpan(tracer, "submit", {}, () =>
      bus.publish(createEvent({ type: "com.distro.order.booked", source: "/erp", data: {} })),
    );
    await waitUntil(() => subscription.stats.handled === 1);
    await bus.close();
    const submit = finished("submit");
    const handled = finished("process wms-fulfil");
    expect(handled.kind).toBe(SpanKind.CONSUMER);
    expect(handled.spanContext().traceId).toBe(submit.spanContext().traceId);
    expect(handled.parentSpanContext?.spanId).toBe(submit.spanContext().spanId);
  });

  it("with the API alone (no SDK), spans record nothing and the parent's traceparent passes through", () => {
    const tracer = createOtelTracer(trace.getTracer("no-sdk"));
    const withParent = tracer.startSpan("a", { parent: INCOMING });
    expect(withParent.recording).toBe(false);
    expect(withParent.traceparent).toBe(INCOMING);
    const root = tracer.startSpan("b");
    expect(root.traceparent).toBeUndefined();
    expect(tracer.startSpan("c", { parent: "00-not-a-traceparent" }).traceparent).toBeUndefined();
    withParent.end();
    root.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
