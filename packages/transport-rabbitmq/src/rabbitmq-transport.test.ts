import {
  createBus,
  createEvent,
  createMemoryDeadLetterStore,
  createMemoryInboxStore,
  UpstreamError,
} from "@distro/core";
import { describeTransportConformance, waitUntil } from "@distro/core/testing";
import amqp from "amqplib";
import { afterEach, describe, expect, it } from "vitest";
import { amqpService, deleteNamespace, startProxy, testNamespace } from "./rabbitmq.test-helper";
import { createRabbitMqTransport, partitionOf } from "./rabbitmq-transport";

describe("partitionOf", () => {
  it("sends one key always to one partition and spreads keys over all of them", () => {
    const seen = new Set<number>();
    for (let index = 0; index < 200; index++) {
      const partition = partitionOf(`order-${index}`, 4);
      expect(partition).toBe(partitionOf(`order-${index}`, 4));
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(4);
      seen.add(partition);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe.skipIf(!amqpService.url)("RabbitMQ transport", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const fresh = (settings: { partitions?: number; maxDeliveries?: number; url?: string } = {}) => {
    const namespace = testNamespace();
    const transport = createRabbitMqTransport({
      url: amqpService.url!,
      namespace,
      retryDelayMs: 50,
      ...settings,
    });
    cleanups.push(async () => {
      await transport.close();
      await deleteNamespace(namespace, ["billing", "shipping", "erp-booking"], settings.partitions ?? 1);
    });
    return { transport, namespace };
  };

  describeTransportConformance("rabbitmq", () => fresh().transport);
  describeTransportConformance("rabbitmq, 4 partitions", () => fresh({ partitions: 4 }).transport);

  it("keeps each key's order across two worker processes with 4 partitions", async () => {
    const { transport, namespace } = fresh({ partitions: 4 });
    const other = createRabbitMqTransport({ url: amqpService.url!, namespace, partitions: 4 });
    cleanups.unshift(() => other.close());
    const seen: Record<string, number[]> = {};
    for (const worker of [transport, other]) {
      await worker.subscribe("billing", (delivery) => {
        const { key, sequence } = JSON.parse(delivery.body) as { key: string; sequence: number };
        const list = seen[key] ?? [];
        list.push(sequence);
        seen[key] = list;
        void delivery.ack();
      });
    }
    const keys = Array.from({ length: 12 }, (_, index) => `order-${index}`);
    for (let sequence = 1; sequence <= 10; sequence++) {
      for (const key of keys) await transport.publish({ body: JSON.stringify({ key, sequence }), key });
    }
    await waitUntil(() => Object.values(seen).reduce((sum, list) => sum + list.length, 0) === 120);
    for (const key of keys) expect(seen[key]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("gives a message up to the dead-letter exchange after maxDeliveries", async () => {
    const { transport, namespace } = fresh({ maxDeliveries: 2 });
    const counts: number[] = [];
    await transport.subscribe("billing", (delivery) => {
      counts.push(delivery.deliveryCount);
      void delivery.nack();
    });
    await transport.publish({ body: "poison", key: "k" });
    const connection = await amqp.connect(amqpService.url!);
    cleanups.push(() => connection.close());
    const channel = await connection.createChannel();
    let dead: amqp.GetMessage | false = false;
    await waitUntil(async () => {
      dead = await channel.get(`${namespace}.dead-letters`, { noAck: true });
      return dead !== false;
    });
    expect((dead as unknown as amqp.GetMessage).content.toString()).toBe("poison");
    expect(counts).toEqual([1, 2, 3]);
  });

  it("waits for the delay of a delayed nack before the message comes back", async () => {
    const { transport } = fresh();
    const arrivals: { count: number; at: number }[] = [];
    await transport.subscribe("billing", (delivery) => {
      arrivals.push({ count: delivery.deliveryCount, at: performance.now() });
      if (delivery.deliveryCount === 1) void delivery.nack({ delayMs: 150 });
      else void delivery.ack();
    });
    await transport.publish({ body: "later" });
    await waitUntil(() => arrivals.length === 2);
    expect(arrivals.map((arrival) => arrival.count)).toEqual([1, 2]);
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(140);
  });

  it("refuses a publish to an unknown subscription, and everything after close", async () => {
    const { transport } = fresh();
    await expect(transport.publish({ body: "x" }, { subscription: "nobody" })).rejects.toMatchObject({
      code: "SUBSCRIPTION_NOT_FOUND",
    });
    await transport.close();
    await expect(transport.publish({ body: "x" })).rejects.toMatchObject({ code: "TRANSPORT_CLOSED" });
    await expect(transport.subscribe("billing", () => undefined)).rejects.toMatchObject({
      code: "TRANSPORT_CLOSED",
    });
  });

  it("survives a dropped connection: no message lost, each handled once through the bus", async () => {
    const proxy = await startProxy();
    cleanups.push(() => proxy.close());
    const { transport } = fresh({ url: proxy.url });
    const deadLetters = createMemoryDeadLetterStore();
    const bus = createBus({ transport, deadLetters, inbox: createMemoryInboxStore() });
    const handled: number[] = [];
    const subscription = await bus.subscribe<{ sequence: number }>({
      name: "erp-booking",
      handler: async (event) => {
        handled.push(event.data!.sequence);
      },
    });
    const publishing = (async () => {
      for (let sequence = 0; sequence < 200; sequence++) {
        await bus.publish(
          createEvent({
            type: "com.distro.order.submitted",
            source: "/test",
            subject: `o-${sequence % 7}`,
            data: { sequence },
          }),
        );
      }
    })();
    await waitUntil(() => handled.length >= 20, { timeoutMs: 10_000 });
    expect(proxy.cut()).toBeGreaterThan(0);
    await publishing;
    await waitUntil(() => new Set(handled).size === 200 && subscription.stats.handled === 200, {
      timeoutMs: 20_000,
    });
    expect([...new Set(handled)].sort((left, right) => left - right)).toEqual(
      Array.from({ length: 200 }, (_, index) => index),
    );
    // Redeliveries after the drop were recognised by the inbox, never handled twice.
    expect(handled).toHaveLength(200);
    expect(subscription.stats.handled).toBe(200);
    expect(await deadLetters.list()).toEqual([]);
    await bus.close();
  }, 60_000);

  it("runs the bus end to end: publish, handler, dead letter, replay", async () => {
    const { transport } = fresh();
    const deadLetters = createMemoryDeadLetterStore();
    const bus = createBus({ transport, deadLetters, inbox: createMemoryInboxStore() });
    let erpUp = false;
    const booked: string[] = [];
    const subscription = await bus.subscribe<{ orderNumber: string }>({
      name: "erp-booking",
      retry: { maxAttempts: 2, baseDelayMs: 1, jitter: "none" },
      handler: async (event) => {
        if (!erpUp) throw new UpstreamError("ERP answered 503", { status: 503 });
        booked.push(event.data!.orderNumber);
      },
    });
    const event = createEvent({
      type: "com.distro.order.submitted",
      source: "/shop/acme",
      subject: "1001",
      data: { orderNumber: "1001" },
    });
    await bus.publish(event);
    await waitUntil(() => subscription.stats.deadLettered === 1);
    const [entry] = await deadLetters.list();
    expect(entry).toMatchObject({
      subscriber: "erp-booking",
      eventId: event.id,
      attempts: 2,
      status: "pending",
    });
    erpUp = true;
    await bus.replay(entry!.id);
    await waitUntil(() => booked.length === 1);
    expect(booked).toEqual(["1001"]);
    expect(await deadLetters.list()).toEqual([]);
    await bus.close();
  });
});

describe("RabbitMQ transport without a broker", () => {
  it("fails publish and subscribe with TRANSPORT_UNAVAILABLE after publishTimeoutMs, instead of hanging", async () => {
    const { createServer } = await import("node:net");
    // A port that refuses: listen, note it, close.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const transport = createRabbitMqTransport({
      url: `amqp://guest:guest@127.0.0.1:${port}`,
      retryDelayMs: 10,
      publishTimeoutMs: 100,
    });
    await expect(transport.publish({ body: "x" })).rejects.toMatchObject({ code: "TRANSPORT_UNAVAILABLE" });
    await expect(transport.subscribe("billing", () => undefined)).rejects.toMatchObject({
      code: "TRANSPORT_UNAVAILABLE",
    });
    await transport.close();
  });
});
