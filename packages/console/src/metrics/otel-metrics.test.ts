import { createBus, createEvent } from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import type { Meter } from "@opentelemetry/api";
import {
  DataPointType,
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { registerConsoleMetrics } from "./console-metrics";
import { createOtelMetrics, type OtelMeter } from "./otel-metrics";

/** A pull reader: the test collects when it wants, as a Prometheus scrape would. */
class PullReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

function setUp() {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter: Meter = provider.getMeter("distro-test");
  // A real Meter fits the structural port.
  const port: OtelMeter = meter;
  return {
    metrics: createOtelMetrics(port),
    async collect(): Promise<Map<string, MetricData>> {
      const { resourceMetrics, errors } = await reader.collect();
      expect(errors).toEqual([]);
      const out = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      }
      return out;
    },
  };
}

function points(metric: MetricData | undefined) {
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }));
}

describe("createOtelMetrics", () => {
  it("counters, histograms with their buckets, and gauges reach an OpenTelemetry SDK", async () => {
    const { metrics, collect } = setUp();
    const calls = metrics.counter("distro_upstream_calls_total", {
      help: "Upstream calls",
      labelNames: ["system", "outcome"],
    });
    calls.inc({ system: "erp", outcome: "success" });
    calls.inc({ system: "erp", outcome: "success" }, 2);
    calls.inc({ system: "crm", outcome: "failure" });
    const latency = metrics.histogram("distro_upstream_latency_seconds", {
      help: "Upstream latency",
      labelNames: ["system"],
      buckets: [0.1, 0.5, 1],
    });
    latency.observe(0.05, { system: "erp" });
    latency.observe(0.7, { system: "erp" });
    const depth = metrics.gauge("distro_queue_depth", { help: "Queue depth", labelNames: ["system"] });
    depth.set(5, { system: "erp" });
    depth.inc({ system: "erp" }, -2);

    const collected = await collect();
    const counter = collected.get("distro_upstream_calls_total")!;
    expect(counter.descriptor.description).toBe("Upstream calls");
    expect(points(counter)).toEqual(
      expect.arrayContaining([
        { attributes: { system: "erp", outcome: "success" }, value: 3 },
        { attributes: { system: "crm", outcome: "failure" }, value: 1 },
      ]),
    );
    const histogram = collected.get("distro_upstream_latency_seconds") as HistogramMetricData;
    expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM);
    const [point] = histogram.dataPoints;
    expect(point!.value.buckets.boundaries).toEqual([0.1, 0.5, 1]);
    expect(point!.value.buckets.counts).toEqual([1, 0, 1, 0]);
    expect(point!.value.count).toBe(2);
    expect(point!.value.sum).toBeCloseTo(0.75, 10);
    expect(points(collected.get("distro_queue_depth"))).toEqual([
      { attributes: { system: "erp" }, value: 3 },
    ]);
  });

  it("checks labels and values as the Prometheus registry does, and returns a declared metric again", () => {
    const { metrics } = setUp();
    const calls = metrics.counter("calls", { help: "Calls", labelNames: ["system"] });
    expect(() => calls.inc({ sytem: "erp" } as never)).toThrow(
      expect.objectContaining({
        code: "VALIDATION_FAILED",
        issues: [
          expect.objectContaining({ code: "unrecognized_keys", path: ["labels", "sytem"] }),
          expect.objectContaining({ code: "required", path: ["labels", "system"] }),
        ],
      }),
    );
    expect(() => calls.inc({ system: "erp" }, -1)).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
    expect(metrics.counter("calls", { help: "Calls", labelNames: ["system"] })).toBe(calls);
    expect(() => metrics.gauge("calls", { help: "Calls", labelNames: ["system"] })).toThrow(
      expect.objectContaining({ code: "CONFLICT" }),
    );
  });

  it("the console's gauges (dead letters and their age) are read by collectors at each collection", async () => {
    const { metrics, collect } = setUp();
    let now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const bus = createBus({ clock: { now: () => now } });
    let collections = 0;
    metrics.onCollect(() => {
      collections += 1;
    });
    registerConsoleMetrics(metrics, { bus }, { clock: () => now });
    const subscription = await bus.subscribe({
      name: "erp-booking",
      retry: { maxAttempts: 1 },
      handler: () => {
        throw new Error("ERP down");
      },
    });
    await bus.publish(createEvent({ type: "com.distro.order.submitted", source: "/shop", data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 1);
    now += 90_000;

    const first = await collect();
    // Ten gauges, one run of the collectors.
    expect(collections).toBe(1);
    const labels = { subscriber: "erp-booking", type: "com.distro.order.submitted" };
    expect(points(first.get("distro_dead_letters"))).toEqual([{ attributes: labels, value: 1 }]);
    expect(points(first.get("distro_dead_letter_oldest_age_seconds"))).toEqual([
      { attributes: labels, value: 90 },
    ]);

    // The next collection reads the state afresh.
    await bus.publish(createEvent({ type: "com.distro.order.submitted", source: "/shop", data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 2);
    now += 30_000;
    const second = await collect();
    expect(collections).toBe(2);
    expect(points(second.get("distro_dead_letters"))).toEqual([{ attributes: labels, value: 2 }]);
    expect(points(second.get("distro_dead_letter_oldest_age_seconds"))).toEqual([
      { attributes: labels, value: 120 },
    ]);
    await bus.close();
  });
});
