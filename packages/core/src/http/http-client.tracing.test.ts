import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { parseTraceparent, withCorrelation } from "../correlation/index";
import { withSpan } from "../observability/tracing";
import { createRecordingTracer } from "../observability/tracing-recorder";
import { retryPolicy } from "../retry/index";
import { createHttpClient } from "./http-client";
import { fakeTime, loopbackServers, sendJson } from "./test-server.test-helper";

const serve = loopbackServers();

const INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("HTTP client spans", () => {
  it("makes one client span per send, whose traceparent the upstream receives", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, { number: "SO-1" }));
    const tracer = createRecordingTracer();
    const erp = createHttpClient({ baseUrl: `${server.origin}/api/v2/`, system: "erp", tracer });
    await withCorrelation({ correlationId: "order-1001", traceparent: INCOMING }, () =>
      erp.get("sales-orders/1001", { query: { access_token: "s3cret", expand: "lines" } }),
    );
    expect(tracer.spans).toHaveLength(1);
    const span = tracer.spans[0]!;
    const port = Number(new URL(server.origin).port);
    expect(span).toMatchObject({
      name: "GET",
      kind: "client",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentSpanId: "00f067aa0ba902b7",
      status: { code: "unset" },
      attributes: {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.scheme": "http",
        "url.path": "/api/v2/sales-orders/1001",
        "http.response.status_code": 200,
        "distro.upstream.system": "erp",
        "distro.correlation_id": "order-1001",
      },
    });
    expect("http.request.resend_count" in span.attributes).toBe(false);
    // The query (and the credential in it) is nowhere on the span.
    expect(JSON.stringify(span)).not.toContain("s3cret");
    const received = server.requests[0]!.headers;
    expect(received.traceparent).toBe(span.traceparent);
    expect(parseTraceparent(String(received.traceparent))?.parentId).toBe(span.spanId);
    expect(received["x-correlation-id"]).toBe("order-1001");
  });

  it("a retried request is a span per send: the failed one in error, the resend counted", async () => {
    let calls = 0;
    const server = await serve((_request, response) => {
      calls += 1;
      if (calls === 1) sendJson(response, 503, { error: "busy" });
      else sendJson(response, 200, { ok: true });
    });
    const tracer = createRecordingTracer();
    const time = fakeTime();
    const erp = createHttpClient({
      baseUrl: server.origin,
      system: "erp",
      tracer,
      clock: time.clock,
      sleep: time.sleep,
      retry: retryPolicy({ maxAttempts: 3, baseDelayMs: 10 }),
    });
    await withSpan(tracer, "book", {}, () => erp.get("items"));
    const book = tracer.named("book")[0]!;
    const sends = tracer.named("GET");
    expect(sends).toHaveLength(2);
    expect(sends.map((send) => send.parentSpanId)).toEqual([book.spanId, book.spanId]);
    expect(sends[0]).toMatchObject({
      status: { code: "error", message: "erp answered 503" },
      attributes: { "http.response.status_code": 503, "error.type": "503" },
    });
    expect(sends[1]!.attributes).toMatchObject({
      "http.response.status_code": 200,
      "http.request.resend_count": 1,
    });
    expect(sends[1]!.status.code).toBe("unset");
    // Each send carried its own span's traceparent.
    expect(server.requests.map((request) => request.headers.traceparent)).toEqual(
      sends.map((send) => send.traceparent),
    );
  });

  it("a send that gets no response ends its span in error with the error's code", async () => {
    // A port with nothing listening: take one from the OS, then close it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1", () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const tracer = createRecordingTracer();
    const erp = createHttpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      system: "erp",
      tracer,
      retry: false,
    });
    await expect(erp.post("orders", { json: { n: 1 } })).rejects.toMatchObject({ code: "UPSTREAM_ERROR" });
    expect(tracer.spans).toHaveLength(1);
    expect(tracer.spans[0]).toMatchObject({
      name: "POST",
      status: { code: "error" },
      attributes: { "http.request.method": "POST", "error.type": "UPSTREAM_ERROR" },
      errors: [{ type: "UPSTREAM_ERROR" }],
    });
    expect("http.response.status_code" in tracer.spans[0]!.attributes).toBe(false);
    expect(tracer.openSpans).toBe(0);
  });

  it("a traceparent the caller sets on the request is the span's parent", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const tracer = createRecordingTracer();
    const erp = createHttpClient({ baseUrl: server.origin, system: "erp", tracer });
    await erp.get("x", { headers: { traceparent: INCOMING } });
    expect(tracer.spans[0]).toMatchObject({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      parentSpanId: "00f067aa0ba902b7",
    });
    expect(server.requests[0]!.headers.traceparent).toBe(tracer.spans[0]!.traceparent);
  });

  it("without a tracer, the request still carries a child traceparent of the context", async () => {
    const server = await serve((_request, response) => sendJson(response, 200, {}));
    const erp = createHttpClient({ baseUrl: server.origin, system: "erp" });
    await withCorrelation({ traceparent: INCOMING }, () => erp.get("x"));
    const sent = parseTraceparent(String(server.requests[0]!.headers.traceparent));
    expect(sent?.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(sent?.parentId).not.toBe("00f067aa0ba902b7");
  });
});
