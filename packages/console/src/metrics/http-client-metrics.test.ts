import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHttpClient, DistroError, retryPolicy, TimeoutError, UpstreamError } from "@distro/core";
import { afterEach, describe, expect, it } from "vitest";
import { readSamples, sampleValue, typesOf } from "./exposition.test-helper";
import { httpClientMetrics, upstreamOutcome } from "./http-client-metrics";
import { createMetricsRegistry, PROMETHEUS_CONTENT_TYPE, prometheusHandler } from "./registry";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A real loopback upstream: /ok answers 200, /limited 429 once then 200, /broken 500 always. */
async function upstream(): Promise<string> {
  let limited = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.url === "/limited" && limited++ === 0) {
        response.writeHead(429, { "retry-after": "0", "content-type": "application/json" });
        response.end('{"error":"slow down"}');
        return;
      }
      if (request.url === "/broken") {
        response.writeHead(500, { "content-type": "application/json" });
        response.end('{"error":"boom"}');
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    });
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** A loopback port nothing listens on (a server opened and closed again). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return `http://127.0.0.1:${port}/`;
}

const twoAttempts = retryPolicy({ maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2, jitter: "none" });
const noSleep = async () => {};

describe("httpClientMetrics", () => {
  it("records every send of a real client, retries and 429s included, in the Prometheus text", async () => {
    const metrics = createMetricsRegistry();
    const client = createHttpClient({
      baseUrl: await upstream(),
      system: "erp-api",
      retry: twoAttempts,
      sleep: noSleep,
      hooks: httpClientMetrics(metrics, { upstream: "erp" }),
    });
    await client.get("ok");
    await client.get("limited");
    await expect(client.get("broken")).rejects.toMatchObject({ code: "UPSTREAM_ERROR", status: 500 });
    await client.request({ method: "PROPFIND", path: "ok?customer=C10000" });

    const response = await prometheusHandler(metrics)(new Request("http://localhost/metrics"));
    expect(response.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = await response.text();
    const types = typesOf(text);
    expect(types.get("distro_upstream_requests_total")).toBe("counter");
    expect(types.get("distro_upstream_request_duration_seconds")).toBe("histogram");
    const samples = readSamples(text);
    const requests = (outcome: string, attempt: string, method = "GET") =>
      sampleValue(samples, "distro_upstream_requests_total", { upstream: "erp", method, outcome, attempt });
    expect(requests("success", "first")).toBe(1);
    expect(requests("rate_limited", "first")).toBe(1);
    expect(requests("success", "retry")).toBe(1);
    expect(requests("server_error", "first")).toBe(1);
    expect(requests("server_error", "retry")).toBe(1);
    expect(requests("success", "first", "_OTHER")).toBe(1);
    expect(samples.filter((sample) => sample.name === "distro_upstream_requests_total")).toHaveLength(6);

    const count = (statusClass: string, method = "GET") =>
      sampleValue(samples, "distro_upstream_request_duration_seconds_count", {
        upstream: "erp",
        method,
        status_class: statusClass,
      });
    expect([count("2xx"), count("4xx"), count("5xx"), count("2xx", "_OTHER")]).toEqual([2, 1, 2, 1]);
    // Cumulative buckets: the last finite bucket (30 s) holds every send of this test.
    expect(
      sampleValue(samples, "distro_upstream_request_duration_seconds_bucket", {
        method: "GET",
        status_class: "5xx",
        le: "30",
      }),
    ).toBe(2);
    // No URL, path or query reaches a label.
    expect(text).not.toContain("customer");
    expect(text).not.toContain("/broken");
  });

  it("counts sends that got no response by why, under the client's system by default", async () => {
    const metrics = createMetricsRegistry();
    const client = createHttpClient({
      baseUrl: await closedPort(),
      system: "wms",
      retry: twoAttempts,
      sleep: noSleep,
      hooks: httpClientMetrics(metrics),
    });
    await expect(client.get("anything")).rejects.toMatchObject({ status: 0 });
    const samples = readSamples(await metrics.expose());
    expect(
      sampleValue(samples, "distro_upstream_requests_total", {
        upstream: "wms",
        outcome: "network_error",
        attempt: "first",
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, "distro_upstream_requests_total", {
        upstream: "wms",
        outcome: "network_error",
        attempt: "retry",
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, "distro_upstream_request_duration_seconds_count", { status_class: "none" }),
    ).toBe(2);
  });

  it("names each outcome from the status or the error of a send", () => {
    const send = { system: "erp", method: "GET", url: "http://127.0.0.1/", attempt: 1, durationMs: 1 };
    expect([200, 304, 404, 429, 503].map((status) => upstreamOutcome({ ...send, status }))).toEqual([
      "success",
      "redirect",
      "client_error",
      "rate_limited",
      "server_error",
    ]);
    expect(
      [
        new TimeoutError("no answer within 10000 ms"),
        new DistroError("ABORTED", "The operation was aborted"),
        new UpstreamError("Network error calling erp", { status: 0 }),
      ].map((error) => upstreamOutcome({ ...send, status: 0, error })),
    ).toEqual(["timeout", "aborted", "network_error"]);
  });
});
