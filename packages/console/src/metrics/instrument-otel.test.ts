import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createBus, createEvent, createHttpClient, retryPolicy } from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import {
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { busMessageMetrics } from "./bus-metrics";
import { httpClientMetrics } from "./http-client-metrics";
import { createOtelMetrics } from "./otel-metrics";

/** A pull reader: the test collects when it wants, as a scrape would. */
class PullReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

async function collect(reader: PullReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const out = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
  return out;
}

const pointValue = (metric: MetricData | undefined, attributes: Record<string, string>) =>
  metric?.dataPoints.find((point) =>
    Object.entries(attributes).every(([name, value]) => point.attributes[name] === value),
  )?.value;

describe("instrumentation through the OpenTelemetry bridge", () => {
  it("HTTP sends and bus outcomes reach a real OpenTelemetry SDK, counted once per event", async () => {
    const reader = new PullReader();
    const metrics = createOtelMetrics(new MeterProvider({ readers: [reader] }).getMeter("distro-test"));

    let calls = 0;
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(calls++ === 0 ? 429 : 200, { "retry-after": "0" });
        response.end("{}");
      });
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    const client = createHttpClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      system: "erp",
      retry: retryPolicy({ maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, jitter: "none" }),
      sleep: async () => {},
      hooks: httpClientMetrics(metrics),
    });
    await client.get("items");
    await new Promise((closed) => server.close(closed));

    const bus = createBus();
    const subscription = await bus.subscribe({ name: "erp-booking", handler: () => {} });
    busMessageMetrics(metrics, [subscription]);
    await bus.publish(createEvent({ id: "e1", type: "order.submitted", source: "/shop", data: {} }));
    await waitUntil(() => subscription.stats.handled === 1);

    const first = await collect(reader);
    const requests = first.get("distro_upstream_requests_total");
    expect(pointValue(requests, { upstream: "erp", outcome: "rate_limited", attempt: "first" })).toBe(1);
    expect(pointValue(requests, { upstream: "erp", outcome: "success", attempt: "retry" })).toBe(1);
    const duration = first.get("distro_upstream_request_duration_seconds") as HistogramMetricData;
    expect(duration.dataPoints.map((point) => point.value.count).reduce((sum, count) => sum + count, 0)).toBe(
      2,
    );
    expect(duration.dataPoints[0]!.value.buckets.boundaries.at(-1)).toBe(30);
    // The bus counters are read in the same collection that reads the gauges.
    expect(
      pointValue(first.get("distro_messages_total"), { subscriber: "erp-booking", outcome: "handled" }),
    ).toBe(1);
    expect(pointValue(first.get("distro_messages_in_flight"), { subscriber: "erp-booking" })).toBe(0);

    await bus.publish(createEvent({ id: "e2", type: "order.submitted", source: "/shop", data: {} }));
    await waitUntil(() => subscription.stats.handled === 2);
    const second = await collect(reader);
    expect(pointValue(second.get("distro_messages_total"), { outcome: "handled" })).toBe(2);
    await bus.close();
  });
});
