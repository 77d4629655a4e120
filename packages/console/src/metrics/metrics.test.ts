import { isDistroError } from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { orderScenario, serve } from "../console/console.test-helper";
import { createConsole } from "../console/create-console";
import { createUpstreamProbe } from "../console/upstream-probe";
import { registerConsoleMetrics } from "./console-metrics";
import { createMetricsRegistry, PROMETHEUS_CONTENT_TYPE, prometheusHandler } from "./registry";

/** A strict reader of the text format 0.0.4: every line is a comment or a sample, and is read back. */
function parseExposition(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  expect(text === "" || text.endsWith("\n")).toBe(true);
  for (const line of text.split("\n").slice(0, -1)) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(types.has(type[1]!)).toBe(false);
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    expect(sample, line).not.toBeNull();
    const labels: Record<string, string> = {};
    const body = sample![3] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/y;
    let at = 0;
    while (at < body.length) {
      pair.lastIndex = at;
      const found = pair.exec(body);
      expect(found, line).not.toBeNull();
      labels[found![1]!] = found![2]!.replace(/\\(\\|"|n)/g, (_match, escaped: string) =>
        escaped === "n" ? "\n" : escaped,
      );
      at = pair.lastIndex;
    }
    const raw = sample![4]!;
    const value =
      raw === "+Inf" ? Number.POSITIVE_INFINITY : raw === "-Inf" ? Number.NEGATIVE_INFINITY : Number(raw);
    expect(raw === "NaN" || !Number.isNaN(value), line).toBe(true);
    samples.push({ name: sample![1]!, labels, value });
  }
  return { samples, types };
}

describe("metrics registry", () => {
  it("renders counters, gauges and cumulative histograms in text format 0.0.4", async () => {
    const metrics = createMetricsRegistry();
    const calls = metrics.counter("distro_upstream_calls_total", {
      help: "Upstream calls",
      labelNames: ["system", "outcome"],
    });
    calls.inc({ system: "erp", outcome: "success" });
    calls.inc({ system: "erp", outcome: "success" }, 2);
    calls.inc({ system: "erp", outcome: "failure" });
    const depth = metrics.gauge("distro_queue_depth", { help: "Queue depth", labelNames: ["system"] });
    depth.set(7, { system: "erp" });
    depth.inc({ system: "erp" }, -2);
    const latency = metrics.histogram("distro_latency_seconds", {
      help: "Latency",
      labelNames: ["system"],
      buckets: [0.1, 0.5, 1],
    });
    for (const value of [0.05, 0.1, 0.3, 0.7, 3]) latency.observe(value, { system: "erp" });
    const text = await metrics.expose();
    const { samples, types } = parseExposition(text);
    expect(types.get("distro_latency_seconds")).toBe("histogram");
    const value = (name: string, labels: Record<string, string>) =>
      samples.find(
        (sample) => sample.name === name && JSON.stringify(sample.labels) === JSON.stringify(labels),
      )?.value;
    expect(value("distro_upstream_calls_total", { system: "erp", outcome: "success" })).toBe(3);
    expect(value("distro_queue_depth", { system: "erp" })).toBe(5);
    expect(
      ["0.1", "0.5", "1", "+Inf"].map((le) => value("distro_latency_seconds_bucket", { system: "erp", le })),
    ).toEqual([2, 3, 4, 5]);
    expect(value("distro_latency_seconds_count", { system: "erp" })).toBe(5);
    expect(value("distro_latency_seconds_sum", { system: "erp" })).toBeCloseTo(4.15, 10);
  });

  it("escapes any label value and help text so the exposition reads back exactly (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), fc.double({ noNaN: true }), async (label, help, number) => {
        const metrics = createMetricsRegistry();
        metrics.gauge("g", { help, labelNames: ["v"] }).set(number, { v: label });
        const { samples } = parseExposition(await metrics.expose());
        expect(samples).toHaveLength(1);
        expect(samples[0]!.labels).toEqual({ v: label });
        expect(
          Object.is(samples[0]!.value, number) ||
            (Number.isNaN(number) && Number.isNaN(samples[0]!.value)) ||
            samples[0]!.value === number,
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses bad names, labels and values with typed errors", () => {
    const metrics = createMetricsRegistry();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isDistroError(error) ? error.code : "not a DistroError";
      }
      return "no error";
    };
    expect(codeOf(() => metrics.counter("bad-name", { help: "x" }))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => metrics.histogram("h", { help: "x", labelNames: ["le"] }))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => metrics.histogram("h", { help: "x", buckets: [1, 1] }))).toBe("VALIDATION_FAILED");
    const counter = metrics.counter("c_total", { help: "x", labelNames: ["system"] });
    expect(codeOf(() => counter.inc({ system: "erp" }, -1))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => counter.inc({ other: "x" } as never))).toBe("VALIDATION_FAILED");
    expect(codeOf(() => metrics.gauge("c_total", { help: "x" }))).toBe("CONFLICT");
    expect(metrics.counter("c_total", { help: "x", labelNames: ["system"] })).toBeDefined();
  });

  it("serves the exposition over HTTP with the 0.0.4 content type, behind an optional auth hook", async () => {
    const metrics = createMetricsRegistry();
    metrics.counter("x_total", { help: "x" }).inc();
    const server = await serve(
      prometheusHandler(metrics, { authorize: (request) => request.headers.get("x-scrape") === "1" }),
    );
    try {
      expect((await fetch(`${server.origin}/metrics`)).status).toBe(403);
      const response = await fetch(`${server.origin}/metrics`, { headers: { "x-scrape": "1" } });
      expect(response.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
      expect(await response.text()).toBe("# HELP x_total x\n# TYPE x_total counter\nx_total 1\n");
    } finally {
      await server.close();
    }
  });
});

describe("console metrics", () => {
  it("exposes dead-letter size and age, flows by state, queue depth and rate-limit utilisation at the console's /metrics", async () => {
    const scenario = await orderScenario();
    let now = Date.now();
    const clock = () => now;
    const probe = createUpstreamProbe({
      system: "erp",
      ratePerInterval: 4,
      clock,
      limiter: { stats: () => ({ rate: 4, queued: 3, inFlight: 1, refused: 0, throttled: 0 }) },
    });
    probe.observe({ latencyMs: 120 });
    const metrics = registerConsoleMetrics(
      createMetricsRegistry(),
      { bus: scenario.bus, flows: scenario.manager, upstreams: [probe] },
      { clock },
    );
    const server = await serve(
      createConsole({
        basePath: "/ops",
        authorize: (request) => request.headers.get("x-ops-key") === "k",
        metrics,
        sources: { bus: scenario.bus },
      }),
    );
    try {
      await scenario.confirm("5001");
      await scenario.confirm("5002");
      await waitUntil(async () => (await scenario.bus.deadLetters.list()).length === 2);
      await scenario.book("5003");
      now = Date.now() + 90_000;
      expect((await fetch(`${server.origin}/ops/metrics`)).status).toBe(403);
      const text = await (
        await fetch(`${server.origin}/ops/metrics`, { headers: { "x-ops-key": "k" } })
      ).text();
      const { samples } = parseExposition(text);
      const find = (name: string) => samples.filter((sample) => sample.name === name);
      expect(find("distro_dead_letters")).toEqual([
        {
          name: "distro_dead_letters",
          labels: { subscriber: "erp-confirmations", type: "com.distro.erp.order.confirmed" },
          value: 2,
        },
      ]);
      expect(find("distro_dead_letter_oldest_age_seconds")[0]!.value).toBeGreaterThanOrEqual(90);
      expect(find("distro_flows")).toEqual([
        { name: "distro_flows", labels: { flow: "order-to-cash", status: "waiting" }, value: 1 },
      ]);
      expect(find("distro_queue_depth")[0]).toMatchObject({ labels: { system: "erp" }, value: 3 });
      expect(
        find("distro_upstream_latency_seconds").find((sample) => sample.labels.quantile === "0.95")?.value,
      ).toBe(0.12);
      // The one call was 90 s ago: nothing in the last interval.
      expect(find("distro_rate_limit_utilisation_ratio")[0]).toMatchObject({
        labels: { system: "erp" },
        value: 0,
      });
      probe.observe({ latencyMs: 10 });
      probe.observe({ latencyMs: 10 });
      const again = parseExposition(await metrics.expose()).samples;
      expect(again.find((sample) => sample.name === "distro_rate_limit_utilisation_ratio")?.value).toBe(0.5);
    } finally {
      await server.close();
      await scenario.bus.close();
    }
  });
});
