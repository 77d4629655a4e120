import { describe, expect, it } from "vitest";
import { createEvent } from "../envelope/index";
import { describeTransportConformance } from "../testing/transport-conformance";
import { waitUntil } from "../testing/wait-until";
import { createBus } from "./bus";
import { createMemoryTransport } from "./memory-transport";

describeTransportConformance("memory", () => createMemoryTransport());

describe("memory transport back-pressure", () => {
  it("makes publishers wait while a subscription's queue is full, so memory stays bounded", async () => {
    const transport = createMemoryTransport({ capacity: 4 });
    const held: { ack(): void | Promise<void> }[] = [];
    await transport.subscribe("slow", (delivery) => held.push(delivery), { prefetch: 1 });
    let accepted = 0;
    const publishing = (async () => {
      for (let index = 0; index < 10; index++) {
        await transport.publish({ body: String(index) });
        accepted += 1;
      }
    })();
    await waitUntil(() => held.length === 1 && accepted === 5);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(accepted).toBe(5);
    while (accepted < 10 || held.length > 0) {
      const next = held.shift();
      if (next) await next.ack();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await publishing;
    await transport.close();
  });

  it("refuses publishes after close with a typed error", async () => {
    const transport = createMemoryTransport();
    await transport.close();
    await expect(transport.publish({ body: "x" })).rejects.toMatchObject({ code: "TRANSPORT_CLOSED" });
  });
});

describe("bus subscriptions", () => {
  it("refuses invalid subscription settings with issues that name the field", async () => {
    const bus = createBus();
    await expect(
      bus.subscribe({ name: "", handler: undefined as never, concurrency: 0 }),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [
        expect.objectContaining({ path: ["name"] }),
        expect.objectContaining({ path: ["handler"] }),
        expect.objectContaining({ path: ["concurrency"] }),
      ],
    });
    await expect(
      bus.subscribe({ name: "x", handler: () => undefined, retry: { maxAttempts: 0 } }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await bus.close();
  });

  it("skips types the subscription does not handle", async () => {
    const bus = createBus();
    const handled: string[] = [];
    const subscription = await bus.subscribe({
      name: "booking",
      types: ["com.distro.order.submitted"],
      handler: (event) => void handled.push(event.type),
    });
    await bus.publish(createEvent({ type: "com.distro.order.submitted", source: "/shop" }));
    await bus.publish(createEvent({ type: "com.distro.invoice.posted", source: "/erp" }));
    await waitUntil(() => subscription.stats.handled + subscription.stats.skipped === 2);
    expect(handled).toEqual(["com.distro.order.submitted"]);
    await bus.close();
  });

  it("keeps a message for redelivery when the dead-letter store is down", async () => {
    let down = true;
    const errors: unknown[] = [];
    const memory = (await import("./dead-letter")).createMemoryDeadLetterStore();
    const bus = createBus({
      redeliveryDelayMs: 1,
      onError: (error) => errors.push(error),
      deadLetters: {
        ...memory,
        add: async (entry) => {
          if (down) throw new Error("database unavailable");
          return memory.add(entry);
        },
      },
    });
    const subscription = await bus.subscribe({
      name: "booking",
      handler: () => {
        throw new Error("bug");
      },
    });
    await bus.publish(createEvent({ type: "t", source: "/s" }));
    await waitUntil(() => subscription.stats.redelivered >= 2);
    down = false;
    await waitUntil(() => subscription.stats.deadLettered === 1);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(await memory.list()).toHaveLength(1);
    await bus.close();
  });
});
