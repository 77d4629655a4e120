import { describe, expect, it } from "vitest";
import { type CloudEvent, createEvent } from "../envelope/index";
import { ValidationError } from "../errors/index";
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

describe("bus replay", () => {
  it("a replay tried again after its 'replayed' mark failed publishes the same event id, handled once", async () => {
    const memory = createMemoryDeadLetterStore();
    let markFails = true;
    const bus = createBus({
      redeliveryDelayMs: 1,
      deadLetters: {
        ...memory,
        markReplayed: async (id, eventId, at) => {
          if (markFails) throw new Error("database unavailable");
          return memory.markReplayed(id, eventId, at);
        },
      },
    });
    let broken = true;
    const handled: string[] = [];
    const subscription = await bus.subscribe({
      name: "booking",
      retry: { maxAttempts: 1 },
      handler: (event) => {
        if (broken) throw new Error("bug");
        handled.push(event.id);
      },
    });
    await bus.publish(createEvent({ type: "t", source: "/s", subject: "SO-1" }));
    await waitUntil(() => subscription.stats.deadLettered === 1);
    const [entry] = await memory.list();
    broken = false;

    await expect(bus.replay(entry!.id)).rejects.toThrow("database unavailable");
    markFails = false;
    const replayed = await bus.replay(entry!.id);
    await waitUntil(() => subscription.stats.duplicates + subscription.stats.handled >= 2);

    expect(handled).toEqual([replayed.id]);
    expect(subscription.stats.duplicates).toBe(1);
    expect((await memory.get(entry!.id))?.replays.map((replay) => replay.eventId)).toEqual([replayed.id]);
    await bus.close();
  });
});

describe("bus on the memory transport (events handed through as objects)", () => {
  it("gives each subscriber its own copy: a handler's changes reach no other subscriber, redelivery or dead letter", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    const bus = createBus({ deadLetters, redeliveryDelayMs: 1 });
    const seen: unknown[] = [];
    const mutator = await bus.subscribe<{ lines: { sku: string }[] }>({
      name: "mutator",
      retry: { maxAttempts: 1 },
      handler: (event) => {
        event.data!.lines[0]!.sku = "CHANGED";
        event.data!.lines.push({ sku: "ADDED" });
        event.subject = "changed";
        throw new ValidationError("refused after changing the event", []);
      },
    });
    const reader = await bus.subscribe<{ lines: { sku: string }[] }>({
      name: "reader",
      handler: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(structuredClone(event));
      },
    });
    const event = createEvent({
      type: "com.distro.order.submitted",
      source: "/shop",
      subject: "1001",
      data: { lines: [{ sku: "A-1" }] },
    });
    await bus.publish(event);
    await waitUntil(() => mutator.stats.deadLettered === 1 && reader.stats.handled === 1);
    expect(seen).toEqual([JSON.parse(JSON.stringify(event))]);
    const [entry] = await deadLetters.list();
    expect(JSON.parse(entry!.message)).toEqual(JSON.parse(JSON.stringify(event)));
    expect(entry!.subject).toBe("1001");
    await bus.replay(entry!.id);
    await waitUntil(() => mutator.stats.deadLettered === 2);
    const replayed = (await deadLetters.list()).find((item) => item.id !== entry!.id);
    expect(JSON.parse(replayed!.message).data).toEqual({ lines: [{ sku: "A-1" }] });
    await bus.close();
  });

  it("is not changed by the publisher changing its event after publish", async () => {
    const bus = createBus();
    const seen: unknown[] = [];
    const subscription = await bus.subscribe({
      name: "reader",
      handler: (event) => void seen.push(event.data),
    });
    const data = { orderNumber: "1001", lines: [{ sku: "A-1", quantity: "2" }] };
    const event = createEvent({ type: "com.distro.order.submitted", source: "/shop", data });
    await bus.publish(event);
    data.lines[0]!.quantity = "99";
    data.orderNumber = "changed";
    await waitUntil(() => subscription.stats.handled === 1);
    expect(seen).toEqual([{ orderNumber: "1001", lines: [{ sku: "A-1", quantity: "2" }] }]);
    await bus.close();
  });

  it("delivers what a JSON round trip gives for data JSON would change", async () => {
    const bus = createBus();
    const seen: unknown[] = [];
    const subscription = await bus.subscribe({
      name: "reader",
      handler: (event) => void seen.push(event.data),
    });
    const values: unknown[] = [
      { at: new Date(Date.UTC(2026, 0, 2)) },
      { missing: undefined, kept: 1 },
      { ratio: Number.NaN, zero: -0, big: 1e21 },
      [1, undefined, () => 2],
      { amount: { toJSON: () => "12.50" } },
      { nested: new Map([["a", 1]]) },
      { __proto__: null, plain: true },
      JSON.parse('{"__proto__":{"polluted":true},"ok":1}'),
      "text",
      null,
    ];
    for (const data of values) await bus.publish(createEvent({ type: "t", source: "/s", data }));
    await bus.publish(createEvent({ type: "t", source: "/s", data: new Uint8Array([1, 2, 3]) }));
    await waitUntil(() => subscription.stats.handled === values.length + 1);
    expect(seen.slice(0, values.length)).toEqual(values.map((data) => JSON.parse(JSON.stringify(data))));
    expect(Object.getPrototypeOf(seen[7])).toBe(Object.prototype);
    expect(Object.hasOwn(seen[7] as object, "__proto__")).toBe(true);
    expect(seen[values.length]).toEqual(new Uint8Array([1, 2, 3]));
    await bus.close();
  });

  it("hands over the same attributes as parsing the event's JSON would", async () => {
    const bus = createBus();
    const seen: unknown[] = [];
    const subscription = await bus.subscribe({ name: "reader", handler: (event) => void seen.push(event) });
    const bare = createEvent({ type: "t", source: "/s" });
    const extended = {
      ...createEvent({ type: "t", source: "/s", data: { n: 1 } }),
      tenant: "acme",
      priority: 3,
      urgent: true,
      dataschema: null,
    };
    await bus.publish(bare);
    await bus.publish(extended as unknown as CloudEvent);
    await waitUntil(() => subscription.stats.handled === 2);
    expect(Object.keys(seen[0] as object).sort()).toEqual(
      Object.keys(JSON.parse(JSON.stringify(bare))).sort(),
    );
    expect(Object.hasOwn(seen[0] as object, "data")).toBe(false);
    const { dataschema: _dropped, ...expected } = extended;
    expect(seen[1]).toStrictEqual(JSON.parse(JSON.stringify(expected)));
    await bus.close();
  });

  it("refuses data JSON cannot write, as before", async () => {
    const bus = createBus();
    await bus.subscribe({ name: "reader", handler: () => undefined });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    await expect(bus.publish(createEvent({ type: "t", source: "/s", data: cyclic }))).rejects.toThrow(
      TypeError,
    );
    await expect(bus.publish(createEvent({ type: "t", source: "/s", data: { n: 1n } }))).rejects.toThrow(
      TypeError,
    );
    await bus.close();
  });

  it("calls the methods of a wrapped memory inbox, not the memory inbox underneath", async () => {
    const memory = createMemoryInboxStore();
    const begins: string[] = [];
    const bus = createBus({
      inbox: {
        ...memory,
        begin: (subscriber, messageKey, leaseMs) => {
          begins.push(messageKey);
          return memory.begin(subscriber, messageKey, leaseMs);
        },
      },
    });
    const subscription = await bus.subscribe({ name: "reader", handler: () => undefined });
    const event = createEvent({ type: "t", source: "/s" });
    await bus.publish(event);
    await bus.publish(event);
    await waitUntil(() => subscription.stats.handled + subscription.stats.duplicates === 2);
    expect(begins).toEqual([`/s\u0000${event.id}`, `/s\u0000${event.id}`]);
    expect(subscription.stats.duplicates).toBe(1);
    await bus.close();
  });

  it("handles events of one key in order whether handlers finish at once or later", async () => {
    const bus = createBus();
    const order: string[] = [];
    const subscription = await bus.subscribe<{ n: number }>({
      name: "mixed",
      concurrency: 2,
      handler: (event) => {
        if (event.data!.n % 3 === 0) {
          return new Promise<void>((resolve) =>
            setTimeout(() => {
              order.push(`${event.subject}:${event.data!.n}`);
              resolve();
            }, 1),
          );
        }
        order.push(`${event.subject}:${event.data!.n}`);
        return undefined;
      },
    });
    for (let n = 0; n < 30; n++) {
      await bus.publish(
        createEvent({ type: "t", source: "/s", subject: n % 2 === 0 ? "A" : "B", data: { n } }),
      );
    }
    await waitUntil(() => subscription.stats.handled === 30);
    for (const subject of ["A", "B"]) {
      const numbers = order
        .filter((entry) => entry.startsWith(`${subject}:`))
        .map((entry) => Number(entry.slice(2)));
      expect(numbers).toEqual([...numbers].sort((left, right) => left - right));
      expect(numbers).toHaveLength(15);
    }
    await bus.close();
  });
});

describe("memory inbox bound", () => {
  it("remembers at most maxEntries messages per subscriber, forgetting the oldest first", async () => {
    const inbox = createMemoryInboxStore({ maxEntries: 3 });
    const finish = async (subscriber: string, key: string) => {
      const begin = await inbox.begin(subscriber, key, 60_000);
      expect(begin.status).toBe("acquired");
      if (begin.status === "acquired") await inbox.complete(subscriber, key, begin.token, "handled");
    };
    const statusOf = async (subscriber: string, key: string) =>
      (await inbox.begin(subscriber, key, 60_000)).status;
    for (const key of ["a", "b", "c", "d"]) await finish("billing", key);
    await finish("shipping", "a");
    expect([
      await statusOf("billing", "b"),
      await statusOf("billing", "c"),
      await statusOf("billing", "d"),
    ]).toEqual(["done", "done", "done"]);
    expect(await statusOf("shipping", "a")).toBe("done");
    // "a" was forgotten; claiming it again makes "b" the oldest to go.
    expect(await statusOf("billing", "a")).toBe("acquired");
    expect(await statusOf("billing", "c")).toBe("done");
    expect(await statusOf("billing", "b")).toBe("acquired");
    // A released claim frees its place at once.
    await inbox.forget("billing", "b");
    const held = await inbox.begin("billing", "e", 60_000);
    expect(held.status).toBe("acquired");
    if (held.status === "acquired") expect(await inbox.release("billing", "e", held.token)).toBe(true);
    await finish("billing", "f");
    expect([await statusOf("billing", "d"), await statusOf("billing", "f")]).toEqual(["done", "done"]);
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
