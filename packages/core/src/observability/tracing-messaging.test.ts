import { describe, expect, it } from "vitest";
import { getCorrelation, withCorrelation } from "../correlation/context";
import { createEvent } from "../envelope/create-event";
import { ValidationError } from "../errors/validation-error";
import { createBus } from "../messaging/bus";
import { waitUntil } from "../testing/wait-until";
import { withSpan } from "./tracing";
import { createRecordingTracer } from "./tracing-recorder";

const noWait = async () => undefined;

describe("bus consumer spans", () => {
  it("continues the publisher's trace across the bus: the handler's span is a child of the event's traceparent", async () => {
    const tracer = createRecordingTracer();
    const bus = createBus({ tracer });
    const seen: (string | undefined)[] = [];
    const subscription = await bus.subscribe({
      name: "erp-booking",
      handler: () => {
        seen.push(getCorrelation()?.traceparent);
      },
    });
    await withCorrelation({ correlationId: "order-1001" }, () =>
      withSpan(tracer, "checkout", {}, () =>
        bus.publish(
          createEvent({
            type: "com.distro.order.submitted",
            source: "/shop/acme",
            subject: "1001",
            data: {},
          }),
        ),
      ),
    );
    await waitUntil(() => subscription.stats.handled === 1);
    await bus.close();

    const checkout = tracer.named("checkout")[0]!;
    const handled = tracer.named("process erp-booking")[0]!;
    expect(handled).toMatchObject({
      kind: "consumer",
      traceId: checkout.traceId,
      parentSpanId: checkout.spanId,
      status: { code: "unset" },
      attributes: {
        "messaging.system": "distro",
        "messaging.operation.type": "process",
        "messaging.destination.name": "erp-booking",
        "messaging.consumer.group.name": "erp-booking",
        "messaging.message.conversation_id": "order-1001",
        "cloudevents.event_type": "com.distro.order.submitted",
        "cloudevents.event_source": "/shop/acme",
        "cloudevents.event_subject": "1001",
        "distro.correlation_id": "order-1001",
      },
    });
    expect(handled.attributes["messaging.message.id"]).toBe(handled.attributes["cloudevents.event_id"]);
    // The handler ran with the consumer span's traceparent, so its own calls are its children.
    expect(seen).toEqual([handled.traceparent]);
  });

  it("one span for a delivery and its retries; a dead-lettered delivery ends in error", async () => {
    const tracer = createRecordingTracer();
    const bus = createBus({ tracer, sleep: noWait });
    let calls = 0;
    const subscription = await bus.subscribe({
      name: "crm-sync",
      retry: { maxAttempts: 3, baseDelayMs: 1, retryOn: () => true },
      handler: () => {
        calls += 1;
        throw new Error(`CRM refused attempt ${calls} for jane@example.com`);
      },
    });
    await bus.publish(createEvent({ type: "com.distro.account.updated", source: "/crm", data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 1);
    await bus.close();
    expect(calls).toBe(3);
    expect(tracer.spans).toHaveLength(1);
    expect(tracer.spans[0]).toMatchObject({
      name: "process crm-sync",
      status: { code: "error", message: "CRM refused attempt 3 for [REDACTED]" },
      errors: [{ type: "Error", message: "CRM refused attempt 3 for [REDACTED]" }],
    });
    expect(tracer.spans[0]!.parentSpanId).toBeUndefined();
  });

  it("an event refused by validation gets no span (the handler never runs)", async () => {
    const tracer = createRecordingTracer();
    const bus = createBus({ tracer });
    const subscription = await bus.subscribe({
      name: "strict",
      validate: () => {
        throw new ValidationError("bad", [{ code: "custom", path: ["data"], message: "bad" }]);
      },
      handler: () => undefined,
    });
    await bus.publish(createEvent({ type: "t", source: "/s", data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 1);
    await bus.close();
    expect(tracer.spans).toHaveLength(0);
  });
});
