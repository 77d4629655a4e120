import {
  createBus,
  createEvent,
  createMemoryDeadLetterStore,
  createMemoryInboxStore,
  UpstreamError,
} from "@distro/core";
import { describeTransportConformance, waitUntil } from "@distro/core/testing";
import { connect } from "nats";
import { afterEach, describe, expect, it } from "vitest";
import { deleteNamespace, natsService, startProxy, testNamespace } from "./nats.test-helper";
import { createNatsTransport, type NatsTransportOptions, subscriptionToken } from "./nats-transport";

describe("subscriptionToken", () => {
  it("keeps safe names and hex-encodes the others, without collisions", () => {
    expect(subscriptionToken("erp-booking")).toBe("erp-booking");
    expect(subscriptionToken("erp.booking")).toBe("x6572702e626f6f6b696e67");
    expect(subscriptionToken("x1")).not.toBe("x1");
    expect(subscriptionToken("_all")).not.toBe("_all");
  });
});

describe.skipIf(!natsService.url)("NATS JetStream transport", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const fresh = (settings: Partial<NatsTransportOptions> = {}) => {
    const namespace = testNamespace();
    const transport = createNatsTransport({ servers: natsService.url!, namespace, ...settings });
    cleanups.push(async () => {
      await transport.close();
      await deleteNamespace(namespace);
    });
    return { transport, namespace };
  };

  // The suite publishes one event twice and expects the bus inbox to see the second copy;
  // JetStream's Nats-Msg-Id dedupe would drop it at the broker, so the suite runs with it
  // off, and the test below proves the broker-side dedupe.
  describeTransportConformance("nats jetstream", () => fresh({ deduplicate: false }).transport);

  it("stores one event once when it is published twice (Nats-Msg-Id = source + id)", async () => {
    const { transport } = fresh();
    const seen: string[] = [];
    await transport.subscribe("billing", (delivery) => {
      seen.push(delivery.body);
      void delivery.ack();
    });
    const event = createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", data: { n: 1 } });
    const body = JSON.stringify(event);
    await transport.publish({ body, key: "1001" });
    await transport.publish({ body, key: "1001" });
    await transport.publish({ body: JSON.stringify({ ...event, source: "/shop/other" }) });
    await transport.publish({ body: "not a cloud event" });
    await transport.publish({ body: "not a cloud event" });
    await waitUntil(() => seen.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([
      body,
      JSON.stringify({ ...event, source: "/shop/other" }),
      "not a cloud event",
      "not a cloud event",
    ]);
  });

  it("naks with a delay: the message comes back after it, counted", async () => {
    const { transport } = fresh();
    const arrivals: { count: number; at: number }[] = [];
    await transport.subscribe("billing", (delivery) => {
      arrivals.push({ count: delivery.deliveryCount, at: performance.now() });
      if (delivery.deliveryCount === 1) void delivery.nack({ delayMs: 300 });
      else void delivery.ack();
    });
    await transport.publish({ body: "later", key: "k" });
    await waitUntil(() => arrivals.length === 2);
    expect(arrivals.map((arrival) => arrival.count)).toEqual([1, 2]);
    expect(arrivals[1]!.at - arrivals[0]!.at).toBeGreaterThanOrEqual(250);
  });

  it("gives a message up to the dead-letter subject after maxDeliveries, with its count", async () => {
    const { transport, namespace } = fresh({ maxDeliveries: 3 });
    const counts: number[] = [];
    await transport.subscribe("billing", (delivery) => {
      counts.push(delivery.deliveryCount);
      void delivery.nack();
    });
    await transport.publish({ body: "poison", key: "k" });
    const connection = await connect({ servers: natsService.url! });
    cleanups.unshift(() => connection.close());
    const manager = await connection.jetstreamManager();
    await waitUntil(async () => (await manager.streams.info(`${namespace}-dead`)).state.messages === 1);
    const stored = await manager.streams.getMessage(`${namespace}-dead`, { seq: 1 });
    expect(stored.string()).toBe("poison");
    expect(stored.subject).toBe(`${namespace}.dead.billing`);
    expect(stored.header.get("Distro-Deliveries")).toBe("3");
    expect(counts).toEqual([1, 2, 3]);
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
    const { transport } = fresh({ servers: proxy.url, ackWaitMs: 2_000 });
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
      timeoutMs: 30_000,
    });
    expect([...new Set(handled)].sort((left, right) => left - right)).toEqual(
      Array.from({ length: 200 }, (_, index) => index),
    );
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

describe("NATS transport without a server", () => {
  it("fails publish and subscribe with TRANSPORT_UNAVAILABLE instead of hanging", async () => {
    const { createServer } = await import("node:net");
    // A port that refuses: listen, note it, close.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const transport = createNatsTransport({ servers: `nats://127.0.0.1:${port}` });
    await expect(transport.publish({ body: "x" })).rejects.toMatchObject({ code: "TRANSPORT_UNAVAILABLE" });
    await expect(transport.subscribe("billing", () => undefined)).rejects.toMatchObject({
      code: "TRANSPORT_UNAVAILABLE",
    });
    await transport.close();
  });
});
