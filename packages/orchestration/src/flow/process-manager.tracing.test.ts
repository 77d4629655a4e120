import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createBus,
  createEvent,
  createHttpClient,
  parseTraceparent,
  RateLimitedError,
  retryPolicy,
  withCorrelation,
} from "@distro/core";
import { createRecordingTracer, waitUntil } from "@distro/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { defineFlow, FlowHold, task } from "./flow-definition";
import { createProcessManager } from "./process-manager";

const INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const noSleep = async () => {};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A real ERP stand-in on loopback that keeps the headers of every request. */
async function startErp(): Promise<{ origin: string; received: IncomingHttpHeaders[] }> {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    request.on("end", () => {
      response.writeHead(201, { "content-type": "application/json" });
      response.end(JSON.stringify({ number: "SO-1001" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe("flow step spans", () => {
  it("one trace from a flow step, through the bus, to the upstream call a handler makes", async () => {
    const tracer = createRecordingTracer();
    const erpServer = await startErp();
    const erp = createHttpClient({ baseUrl: erpServer.origin, system: "erp", tracer });
    const bus = createBus({ tracer });
    closers.push(() => bus.close());
    const booking = await bus.subscribe({
      name: "erp-booking",
      types: ["com.distro.order.submitted"],
      handler: async () => {
        await erp.post("sales-orders", {
          json: { customer: "C1001" },
          headers: { "Idempotency-Key": "1001" },
        });
      },
    });
    const manager = createProcessManager({ tracer });
    manager.register(
      defineFlow<{ orderId: string }>("order-to-cash", [
        task(
          "submit",
          async ({ input }) => {
            await bus.publish(
              createEvent({
                type: "com.distro.order.submitted",
                source: "/shop/acme",
                subject: input.orderId,
                data: input,
              }),
            );
            return "published";
          },
          { system: "shop" },
        ),
      ]),
    );

    // The flow starts inside an incoming request's trace.
    await withCorrelation({ traceparent: INCOMING }, () =>
      manager.start("order-to-cash", { orderId: "1001" }, { id: "otc:1001", correlationId: "order-1001" }),
    );
    await waitUntil(() => booking.stats.handled === 1);

    const flow = tracer.named("order-to-cash")[0]!;
    const step = tracer.named("order-to-cash submit")[0]!;
    const consumer = tracer.named("process erp-booking")[0]!;
    const call = tracer.named("POST")[0]!;
    expect(tracer.spans).toHaveLength(4);
    for (const span of [flow, step, consumer, call]) {
      expect(span.traceId).toBe(TRACE_ID);
      expect(span.attributes["distro.correlation_id"]).toBe("order-1001");
    }
    expect(flow.parentSpanId).toBe("00f067aa0ba902b7");
    expect(flow.attributes).toMatchObject({
      "distro.flow.name": "order-to-cash",
      "distro.flow.instance_id": "otc:1001",
      "distro.flow.status": "completed",
    });
    expect(step.parentSpanId).toBe(flow.spanId);
    expect(consumer.parentSpanId).toBe(step.spanId);
    expect(call.parentSpanId).toBe(consumer.spanId);
    expect(step).toMatchObject({
      kind: "internal",
      status: { code: "unset" },
      attributes: {
        "distro.flow.name": "order-to-cash",
        "distro.flow.step": "submit",
        "distro.flow.instance_id": "otc:1001",
        "distro.flow.system": "shop",
      },
    });
    expect(call).toMatchObject({
      kind: "client",
      attributes: { "http.response.status_code": 201, "url.path": "/sales-orders" },
    });
    // The ERP saw the client span as its parent, in the same trace, with the correlation id.
    const sent = parseTraceparent(String(erpServer.received[0]!.traceparent));
    expect(sent).toMatchObject({ traceId: TRACE_ID, parentId: call.spanId });
    expect(erpServer.received[0]!["x-correlation-id"]).toBe("order-1001");
  });

  it("a step's retries are counted on its one span; a step that holds ends it in error", async () => {
    const tracer = createRecordingTracer();
    const manager = createProcessManager({
      tracer,
      sleep: noSleep,
      retry: retryPolicy({ maxAttempts: 4, baseDelayMs: 1, jitter: "none" }),
    });
    let calls = 0;
    manager.register(
      defineFlow<{ orderId: string }>("credit", [
        task("reserve", async () => {
          calls += 1;
          if (calls < 3) throw new RateLimitedError("ERP rate limited", { retryAfterMs: 1 });
          return "reserved";
        }),
        task("check", async () => {
          throw new FlowHold("CREDIT_LIMIT", "Order exceeds available credit");
        }),
      ]),
    );
    const instance = await manager.start("credit", { orderId: "1002" }, { id: "c:1002" });
    expect(instance.status).toBe("held");
    const reserve = tracer.named("credit reserve")[0]!;
    const check = tracer.named("credit check")[0]!;
    expect(reserve.attributes["distro.flow.step.retries"]).toBe(2);
    expect(reserve.status.code).toBe("unset");
    expect(check).toMatchObject({
      status: { code: "error", message: "Order exceeds available credit" },
      errors: [{ type: "CREDIT_LIMIT" }],
    });
    // Both steps of one run are children of the run's span, under the same correlation id.
    const run = tracer.named("credit")[0]!;
    expect(run.parentSpanId).toBeUndefined();
    expect(run.attributes["distro.flow.status"]).toBe("held");
    expect(run.status.code).toBe("unset");
    expect(tracer.childrenOf(run)).toEqual([reserve, check]);
    expect(check.attributes["distro.correlation_id"]).toBe(instance.correlationId);
  });
});
