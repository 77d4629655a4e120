import { createBus, createEvent, ValidationError } from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { busMessageMetrics } from "./bus-metrics";
import { readSamples, sampleValue, scrape, typesOf } from "./exposition.test-helper";
import { createMetricsRegistry } from "./registry";

const order = (id: string, type = "order.submitted", data: unknown = { total: "10.00" }) =>
  createEvent({ id, type, source: "/shop", subject: id, data });

describe("busMessageMetrics", () => {
  it("counts each subscriber's outcomes from a real bus, once however often it is scraped", async () => {
    const bus = createBus();
    const booking = await bus.subscribe<{ total: string }>({
      name: "erp-booking",
      types: ["order.submitted"],
      retry: { maxAttempts: 1 },
      handler: (event) => {
        if (event.data?.total === "bad")
          throw new ValidationError("Invalid total", [
            { code: "invalid_string", path: ["total"], message: "bad" },
          ]);
      },
    });
    const metrics = busMessageMetrics(createMetricsRegistry(), [booking]);

    await bus.publish(order("o-1"));
    await bus.publish(order("o-2", "order.submitted", { total: "bad" }));
    await bus.publish(order("o-3", "order.cancelled"));
    await waitUntil(
      () => booking.stats.handled === 1 && booking.stats.deadLettered === 1 && booking.stats.skipped === 1,
    );
    await bus.publish(order("o-1")); // the same event again: the inbox drops it
    await waitUntil(() => booking.stats.duplicates === 1);

    const text = await metrics.expose();
    expect(typesOf(text).get("distro_messages_total")).toBe("counter");
    const first = readSamples(text);
    const messages = (samples: typeof first, outcome: string) =>
      sampleValue(samples, "distro_messages_total", { subscriber: "erp-booking", outcome });
    expect(
      ["handled", "dead_lettered", "duplicate", "skipped"].map((outcome) => messages(first, outcome)),
    ).toEqual([1, 1, 1, 1]);
    expect(messages(first, "redelivered")).toBeUndefined();
    expect(sampleValue(first, "distro_messages_in_flight", { subscriber: "erp-booking" })).toBe(0);

    // A second scrape adds nothing; new deliveries add what they are.
    expect(messages(await scrape(metrics), "handled")).toBe(1);
    await bus.publish(order("o-4"));
    await bus.publish(order("o-5"));
    await waitUntil(() => booking.stats.handled === 3);
    expect(messages(await scrape(metrics), "handled")).toBe(3);
    await bus.close();
  });

  it("keeps counting up when a subscription starts again under the same name", async () => {
    const bus = createBus();
    const running = new Map<string, Awaited<ReturnType<typeof bus.subscribe>>>();
    const start = async () =>
      running.set("wms-sync", await bus.subscribe({ name: "wms-sync", handler: () => {} }));
    await start();
    const metrics = busMessageMetrics(createMetricsRegistry(), () => running.values());
    await bus.publish(order("o-1"));
    await waitUntil(() => running.get("wms-sync")!.stats.handled === 1);
    expect(sampleValue(await scrape(metrics), "distro_messages_total", { outcome: "handled" })).toBe(1);

    await running.get("wms-sync")!.close();
    await start(); // its counters start at zero
    await bus.publish(order("o-2"));
    await waitUntil(() => running.get("wms-sync")!.stats.handled === 1);
    expect(sampleValue(await scrape(metrics), "distro_messages_total", { outcome: "handled" })).toBe(2);
    await bus.close();
  });
  it("two calls on one registry (two buses) keep each other's series", async () => {
    const orders = createBus();
    const stock = createBus();
    const booking = await orders.subscribe({ name: "erp-booking", handler: () => {} });
    const counts = await stock.subscribe({ name: "stock-counts", handler: () => {} });
    const metrics = createMetricsRegistry();
    busMessageMetrics(metrics, [booking]);
    busMessageMetrics(metrics, [counts]);
    await orders.publish(order("o-1"));
    await stock.publish(order("s-1", "stock.counted"));
    await waitUntil(() => booking.stats.handled === 1 && counts.stats.handled === 1);
    const samples = await scrape(metrics);
    for (const subscriber of ["erp-booking", "stock-counts"]) {
      expect(sampleValue(samples, "distro_messages_total", { subscriber, outcome: "handled" })).toBe(1);
      expect(sampleValue(samples, "distro_messages_in_flight", { subscriber })).toBe(0);
    }
    await orders.close();
    await stock.close();
  });
});
