import { describe, expect, it } from "vitest";
import { createEvent } from "../envelope/index";
import {
  describeDeadLetterStoreConformance,
  describeInboxStoreConformance,
  describeOutboxConformance,
} from "../testing/store-conformance";
import { describeTransportConformance } from "../testing/transport-conformance";
import { waitUntil } from "../testing/wait-until";
import { createBus } from "./bus";
import { createMemoryDeadLetterStore } from "./dead-letter";
import { createMemoryInboxStore } from "./inbox";
import { createMemoryTransport } from "./memory-transport";
import { createMemoryOutbox, createOutboxRelay } from "./outbox";

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
    const memory = createMemoryDeadLetterStore();
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

describeDeadLetterStoreConformance("memory", () => createMemoryDeadLetterStore());
describeInboxStoreConformance("memory", ({ clock }) => createMemoryInboxStore({ clock }));
describeOutboxConformance("memory", ({ clock }) => {
  const outbox = createMemoryOutbox({ clock });
  return {
    outbox,
    record: (events) =>
      outbox.transaction((transaction) => {
        transaction.set("order", { status: "booked" });
        for (const event of events) transaction.addEvent(event);
      }),
    recordAndFail: (events) =>
      outbox
        .transaction((transaction) => {
          for (const event of events) transaction.addEvent(event);
          throw new Error("rollback");
        })
        .catch(() => undefined),
  };
});

describe("memory outbox", () => {
  it("commits state and events together, or neither", async () => {
    const outbox = createMemoryOutbox();
    await expect(
      outbox.transaction((transaction) => {
        transaction.set("order:1001", { status: "booked" });
        transaction.addEvent(
          createEvent({ type: "com.distro.order.booked", source: "/erp", subject: "1001" }),
        );
        throw new Error("ERP write failed");
      }),
    ).rejects.toThrow("ERP write failed");
    expect(outbox.getState("order:1001")).toBeUndefined();
    expect(await outbox.list("pending")).toEqual([]);
    await outbox.transaction((transaction) => {
      transaction.set("order:1001", { status: "booked" });
      expect(transaction.get("order:1001")).toEqual({ status: "booked" });
      transaction.addEvent(createEvent({ type: "com.distro.order.booked", source: "/erp", subject: "1001" }));
    });
    expect(outbox.getState("order:1001")).toEqual({ status: "booked" });
    expect(await outbox.list("pending")).toHaveLength(1);
  });

  it("refuses an invalid event inside the transaction, which then stores nothing", async () => {
    const outbox = createMemoryOutbox();
    await expect(
      outbox.transaction((transaction) => {
        transaction.set("x", 1);
        transaction.addEvent({ specversion: "1.0", id: "", source: "/erp", type: "t" });
      }),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [expect.objectContaining({ path: ["id"] })],
    });
    expect(outbox.getState("x")).toBeUndefined();
  });

  it("relays into a bus, whose subscriber sees each event once", async () => {
    const outbox = createMemoryOutbox();
    const bus = createBus();
    const seen: string[] = [];
    const subscription = await bus.subscribe({
      name: "crm",
      handler: (event) => void seen.push(event.subject!),
    });
    await outbox.transaction((transaction) => {
      for (const subject of ["1", "2", "3"]) {
        transaction.addEvent(createEvent({ type: "com.distro.order.booked", source: "/erp", subject }));
      }
    });
    const relay = createOutboxRelay({ outbox, publish: (event) => bus.publish(event) });
    relay.start(5);
    await waitUntil(() => subscription.stats.handled === 3);
    await relay.stop();
    expect(seen).toEqual(["1", "2", "3"]);
    await bus.close();
  });
});
