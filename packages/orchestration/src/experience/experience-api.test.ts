import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createMemoryIdempotencyStore, type Order } from "@distro/core";
import { afterEach, describe, expect, it } from "vitest";
import { createExperienceApi, type ExperienceApiSettings } from "./experience-api";

const order = {
  id: "WEB-1001",
  customer: { id: "C-100" },
  status: "submitted",
  currency: "USD",
  orderedAt: "2026-03-01T10:00:00Z",
  shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
  lines: [
    {
      lineNumber: 1,
      sku: "BOLT-M8-40",
      quantity: "300",
      uom: "EA",
      unitPrice: { amount: "0.0125", currency: "USD" },
    },
  ],
};

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Serves the handler on a real node:http server on loopback, as a host service would. */
async function serve(settings: Partial<ExperienceApiSettings> = {}) {
  const accepted: { order: Order; key: string }[] = [];
  const api = createExperienceApi({
    quote: async ({ customerId, lines }) => ({
      prices: lines.map((line) => ({
        sku: line.sku,
        quantity: line.quantity,
        uom: line.uom ?? "EA",
        unitPrice: { amount: "0.0125", currency: "USD" },
        per: "1",
        extended: { amount: "3.75", currency: "USD" },
        rule: `customer:${customerId}`,
      })),
      availability: [],
    }),
    accept: async (acceptedOrder, { idempotencyKey }) =>
      void accepted.push({ order: acceptedOrder, key: idempotencyKey }),
    orderStatus: async (orderId) =>
      orderId === "WEB-1001"
        ? { orderId, status: "booked", erpOrderNumber: "SO-1", shipments: [], invoices: [] }
        : undefined,
    idempotency: { store: createMemoryIdempotencyStore() },
    ...settings,
  });
  server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers))
      if (typeof value === "string") headers.set(name, value);
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const response = await api.handle(
      new Request(`http://127.0.0.1${incoming.url}`, { method: incoming.method!, headers, body }),
    );
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return { base, accepted };
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read loosely typed JSON bodies
const bodyOf = async (response: Response): Promise<any> => response.json();

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("experience API", () => {
  it("accepts an order once per Idempotency-Key and replays the first answer to duplicates", async () => {
    const { base, accepted } = await serve();
    const first = await post(`${base}/orders`, order, {
      "idempotency-key": "k-1",
      "x-correlation-id": "corr-77",
    });
    expect(first.status).toBe(202);
    expect(first.headers.get("x-correlation-id")).toBe("corr-77");
    const body = await bodyOf(first);
    expect(body).toMatchObject({ orderId: "WEB-1001", status: "accepted", correlationId: "corr-77" });

    const again = await Promise.all(
      [1, 2, 3].map(() => post(`${base}/orders`, order, { "idempotency-key": "k-1" })),
    );
    for (const response of again) {
      expect(response.status).toBe(202);
      expect(response.headers.get("idempotent-replayed")).toBe("true");
      expect(await bodyOf(response)).toEqual(body);
    }
    expect(accepted).toHaveLength(1);
  });

  it("answers 409 with Retry-After while the first request with the key is in flight", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { base } = await serve({ accept: () => gate });
    const first = post(`${base}/orders`, order, { "idempotency-key": "k-2" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const duplicate = await post(`${base}/orders`, order, { "idempotency-key": "k-2" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(duplicate.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await bodyOf(duplicate)).code).toBe("IDEMPOTENCY_IN_PROGRESS");
    release();
    expect((await first).status).toBe(202);
  });

  it("answers 422 when a key is reused with another payload, and for an invalid order names the path", async () => {
    const { base, accepted } = await serve();
    expect((await post(`${base}/orders`, order, { "idempotency-key": "k-3" })).status).toBe(202);
    const reused = await post(`${base}/orders`, { ...order, id: "WEB-2" }, { "idempotency-key": "k-3" });
    expect(reused.status).toBe(422);
    expect((await bodyOf(reused)).code).toBe("IDEMPOTENCY_KEY_REUSED");

    const invalid = await post(
      `${base}/orders`,
      { ...order, lines: [{ ...order.lines[0], quantity: 300 }] },
      { "idempotency-key": "k-4" },
    );
    expect(invalid.status).toBe(422);
    const problem = await bodyOf(invalid);
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.issues[0].path).toEqual(["lines", 0, "quantity"]);
    expect(accepted).toHaveLength(1);

    const missingKey = await post(`${base}/orders`, order);
    expect(missingKey.status).toBe(400);
    const notJson = await fetch(`${base}/orders`, {
      method: "POST",
      headers: { "idempotency-key": "k-5" },
      body: "{",
    });
    expect(notJson.status).toBe(422);
  });

  it("serves prices, order status, 404s and the OpenAPI document", async () => {
    const { base } = await serve();
    const prices = await post(`${base}/prices`, {
      customerId: "C-100",
      lines: [{ sku: "BOLT-M8-40", quantity: "300" }],
    });
    expect(prices.status).toBe(200);
    expect((await bodyOf(prices)).prices[0]).toMatchObject({
      unitPrice: { amount: "0.0125" },
      rule: "customer:C-100",
    });
    expect((await post(`${base}/prices`, { customerId: "C-100", lines: [] })).status).toBe(422);

    const status = await fetch(`${base}/orders/WEB-1001`);
    expect(await bodyOf(status)).toMatchObject({ status: "booked", erpOrderNumber: "SO-1" });
    expect((await fetch(`${base}/orders/NOPE`)).status).toBe(404);
    expect((await fetch(`${base}/orders`)).status).toBe(405);

    const document = await bodyOf(await fetch(`${base}/openapi.json`));
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(["/api/prices", "/api/orders", "/api/orders/{orderId}"]);
    expect(document.components.schemas.Order.required).toContain("lines");
  });
});
