import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { getCorrelation, withCorrelation } from "./context";
import { extractCorrelationFromHeaders, injectCorrelationHeaders } from "./headers";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("correlation headers", () => {
  it("injects the current context", () => {
    const headers = withCorrelation(
      { correlationId: "c-1", causationId: "e-1", traceparent: TRACEPARENT },
      () => injectCorrelationHeaders(new Headers({ accept: "application/json" })),
    );
    expect(Object.fromEntries(headers)).toEqual({
      accept: "application/json",
      "x-correlation-id": "c-1",
      "x-causation-id": "e-1",
      traceparent: TRACEPARENT,
    });
  });

  it("injects an explicit context and leaves out invalid values", () => {
    const headers = injectCorrelationHeaders(new Headers(), {
      correlationId: "c-2",
      causationId: "bad\u0001id",
      traceparent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      tenant: "acme",
    });
    expect(Object.fromEntries(headers)).toEqual({ "x-correlation-id": "c-2", "x-tenant-id": "acme" });
  });

  it("injects nothing outside a context", () => {
    expect([...injectCorrelationHeaders(new Headers())]).toEqual([]);
  });

  it("extracts valid fields and drops invalid ones", () => {
    expect(
      extractCorrelationFromHeaders(
        new Headers({ "X-Correlation-Id": " c-3 ", "x-causation-id": "e-3", traceparent: TRACEPARENT }),
      ),
    ).toEqual({ correlationId: "c-3", causationId: "e-3", traceparent: TRACEPARENT });
    expect(
      extractCorrelationFromHeaders(
        new Headers({
          "x-correlation-id": "x".repeat(257),
          "x-causation-id": "two words",
          traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        }),
      ),
    ).toEqual({});
  });

  it("keeps a higher-version traceparent as version 00", () => {
    const extracted = extractCorrelationFromHeaders(
      new Headers({ traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future" }),
    );
    expect(extracted.traceparent).toBe(TRACEPARENT);
  });

  it("carries the context across a real HTTP hop", async () => {
    const seen: unknown[] = [];
    const server = createServer((request, response) => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === "string") headers.set(name, value);
      }
      withCorrelation(extractCorrelationFromHeaders(headers), () => {
        seen.push(getCorrelation());
        response.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await withCorrelation({ correlationId: "hop-1", traceparent: TRACEPARENT }, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          headers: injectCorrelationHeaders(new Headers()),
        });
        expect(await response.text()).toBe("ok");
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toEqual([{ correlationId: "hop-1", traceparent: TRACEPARENT }]);
  });
});
