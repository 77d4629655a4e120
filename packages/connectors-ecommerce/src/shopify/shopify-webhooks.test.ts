import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createFileSecretProvider,
  createMemoryDeadLetterStore,
  type Order,
  rotatingSecret,
  SignatureError,
  UpstreamError,
  ValidationError,
} from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { createShopifySimulator, type ShopifySimulator } from "@distro/testkit/shopify";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createShopifyWebhookHandler,
  type ShopifyWebhookResult,
  verifyShopifyWebhook,
} from "./shopify-webhooks";

const SECRET = "shpss_distro_test";
const sign = (body: string | Buffer, secret = SECRET) =>
  createHmac("sha256", secret).update(body).digest("base64");

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

/** Serves a Web-standard handler from node:http, as an app would. */
async function serve(handler: (request: Request) => Promise<ShopifyWebhookResult>) {
  const results: ShopifyWebhookResult[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", async () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (typeof value === "string") headers.set(name, value);
      }
      const request = new Request(`http://127.0.0.1${incoming.url}`, {
        method: incoming.method ?? "POST",
        headers,
        body: Buffer.concat(chunks),
      });
      const result = await handler(request);
      results.push(result);
      const response = result.response();
      outgoing.writeHead(response.status);
      outgoing.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/shopify`, results };
}

async function shop(): Promise<ShopifySimulator> {
  const simulator = await createShopifySimulator({ webhookSecret: SECRET, webhookRetryDelaysMs: [0, 0, 0] });
  open.push(simulator);
  return simulator;
}

const address = {
  first_name: "Ann",
  last_name: "Lee",
  address1: "1 Dock Rd",
  city: "Dayton",
  province_code: "OH",
  zip: "45402",
  country_code: "US",
};

describe("verifyShopifyWebhook", () => {
  it("accepts the right signature on the raw bytes and refuses any other body", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        (body, other) => {
          const signature = sign(Buffer.from(body));
          verifyShopifyWebhook(body, signature, SECRET);
          const tampered = Buffer.concat([Buffer.from(body), Buffer.from(other)]);
          expect(() => verifyShopifyWebhook(tampered, signature, SECRET)).toThrow(SignatureError);
        },
      ),
    );
  });

  it("throws SignatureError for a missing, malformed, short or wrong-secret header", () => {
    const body = '{"id":1}';
    expect(() => verifyShopifyWebhook(body, null, SECRET)).toThrow(/missing X-Shopify-Hmac-Sha256/);
    expect(() => verifyShopifyWebhook(body, "not base64 !!", SECRET)).toThrow(SignatureError);
    expect(() => verifyShopifyWebhook(body, "AAAA", SECRET)).toThrow(SignatureError);
    expect(() => verifyShopifyWebhook(body, sign(body, "other"), SECRET)).toThrow(SignatureError);
    verifyShopifyWebhook(body, sign(body, "new-secret"), ["old-secret", "new-secret"]);
    expect(() => verifyShopifyWebhook(body, sign(body), "")).toThrow(ValidationError);
  });
});

describe("createShopifyWebhookHandler over loopback, fed by the Shopify simulator", () => {
  it("maps orders/create to a canonical order with exact ids and money", async () => {
    const simulator = await shop();
    const orders: Order[] = [];
    const endpoint = await serve(
      createShopifyWebhookHandler({ secret: SECRET, onOrder: (order) => void orders.push(order) }),
    );
    simulator.subscribe("orders/create", endpoint.url);
    const { order } = await simulator.createOrder({
      email: "buyer@acme.example",
      lines: [{ sku: "BOLT-M8-40", quantity: 300, price: "0.0125" }],
      shippingAddress: address,
      totalTax: "0.30",
    });
    expect(endpoint.results.map((result) => result.outcome)).toEqual(["processed"]);
    expect(orders).toHaveLength(1);
    const canonical = orders[0]!;
    expect(canonical.refs.shopify).toBe(String(order.id));
    expect(canonical.refs.shopify).toBe("9007199254740993");
    expect(canonical.lines[0]).toMatchObject({
      sku: "BOLT-M8-40",
      quantity: "300",
      unitPrice: { amount: "0.0125", currency: "USD" },
    });
    expect(canonical.taxTotal).toEqual({ amount: "0.30", currency: "USD" });
    expect(canonical.shipTo).toMatchObject({
      line1: "1 Dock Rd",
      city: "Dayton",
      region: "OH",
      country: "US",
      name: "Ann Lee",
    });
    expect(canonical.ext["shopify.total_price"]).toBe("4.05");
  });

  it("books each webhook id once, whatever duplicates and retries arrive", async () => {
    const simulator = await shop();
    const onOrder = vi.fn();
    const endpoint = await serve(createShopifyWebhookHandler({ secret: SECRET, onOrder }));
    simulator.subscribe("orders/create", endpoint.url);
    simulator.webhooks.inject({ kind: "duplicate", times: 3 });
    simulator.webhooks.inject({ kind: "out-of-order", times: 1 });
    for (let index = 0; index < 4; index++) {
      await simulator.createOrder({
        email: "a@b.example",
        lines: [{ sku: `S-${index}`, quantity: 1, price: "1.00" }],
        shippingAddress: address,
      });
    }
    await simulator.webhooks.flush();
    expect(onOrder).toHaveBeenCalledTimes(4);
    const outcomes = endpoint.results.map((result) => result.outcome);
    expect(outcomes.filter((outcome) => outcome === "processed")).toHaveLength(4);
    expect(outcomes.filter((outcome) => outcome === "duplicate")).toHaveLength(3);
    const ids = onOrder.mock.calls.map(([order]) => (order as Order).refs.shopify);
    expect(new Set(ids).size).toBe(4);
  });

  it("acknowledges and ignores unknown topics", async () => {
    const simulator = await shop();
    const onEvent = vi.fn();
    const endpoint = await serve(createShopifyWebhookHandler({ secret: SECRET, onEvent }));
    const [result] = await simulator.sendWebhook("app/uninstalled", { id: 1 }, { address: endpoint.url });
    expect(result?.attempts.map((attempt) => attempt.status)).toEqual([200]);
    expect(endpoint.results[0]?.outcome).toBe("ignored");
    expect(onEvent).not.toHaveBeenCalled();
  });

  it("dead-letters a payload that fails mapping, with the failing path, and acknowledges it", async () => {
    const simulator = await shop();
    const deadLetters = createMemoryDeadLetterStore();
    const onOrder = vi.fn();
    const endpoint = await serve(createShopifyWebhookHandler({ secret: SECRET, deadLetters, onOrder }));
    simulator.subscribe("orders/create", endpoint.url);
    await simulator.createOrder({ email: "a@b.example", lines: [{ sku: "A", quantity: 1, price: "1.00" }] });
    expect(endpoint.results[0]?.outcome).toBe("dead_lettered");
    expect(endpoint.results[0]?.status).toBe(200);
    expect(onOrder).not.toHaveBeenCalled();
    const [entry] = await deadLetters.list();
    expect(entry?.type).toBe("orders/create");
    expect(entry?.issues?.map((issue) => issue.path)).toEqual([["shipping_address"]]);
    expect(entry?.message).toContain('"id":9007199254740993');
  });

  it("rejects forged and unsigned deliveries with 401 before any parsing or mapping", async () => {
    const simulator = await createShopifySimulator({
      webhookSecret: "attacker-secret",
      webhookRetryDelaysMs: [],
    });
    open.push(simulator);
    const onOrder = vi.fn();
    const deadLetters = createMemoryDeadLetterStore();
    const endpoint = await serve(createShopifyWebhookHandler({ secret: SECRET, onOrder, deadLetters }));
    simulator.subscribe("orders/create", endpoint.url);
    await simulator.createOrder({
      email: "a@b.example",
      lines: [{ sku: "A", quantity: 1, price: "1.00" }],
      shippingAddress: address,
    });
    const unsigned = await fetch(endpoint.url, {
      method: "POST",
      body: "{not json",
      headers: { "x-shopify-topic": "orders/create" },
    });
    expect(unsigned.status).toBe(401);
    expect(endpoint.results.map((result) => [result.outcome, result.status, result.error?.code])).toEqual([
      ["rejected", 401, "SIGNATURE_INVALID"],
      ["rejected", 401, "SIGNATURE_INVALID"],
    ]);
    expect(endpoint.results[1]?.error?.details.missing).toEqual([
      "X-Shopify-Hmac-Sha256",
      "X-Shopify-Webhook-Id",
      "X-Shopify-Shop-Domain",
    ]);
    expect(onOrder).not.toHaveBeenCalled();
    expect(await deadLetters.list()).toEqual([]);
  });

  it("answers 500 and lets Shopify retry when the consumer fails transiently", async () => {
    const simulator = await shop();
    let calls = 0;
    const endpoint = await serve(
      createShopifyWebhookHandler({
        secret: SECRET,
        onOrder: () => {
          calls++;
          if (calls === 1) throw new UpstreamError("ERP answered 503", { status: 503, system: "erp" });
        },
      }),
    );
    simulator.subscribe("orders/create", endpoint.url);
    const { deliveries } = await simulator.createOrder({
      email: "a@b.example",
      lines: [{ sku: "A", quantity: 1, price: "1.00" }],
      shippingAddress: address,
    });
    expect(deliveries[0]?.attempts.map((attempt) => attempt.status)).toEqual([500, 200]);
    expect(endpoint.results.map((result) => result.outcome)).toEqual(["failed", "processed"]);
    expect(calls).toBe(2);
  });
});

const corpus = conformanceDir();
describe.skipIf(!corpus)("Shopify conformance payloads through the webhook handler", () => {
  it("maps the recorded order.json body (signed as Shopify would) to a canonical order", async () => {
    const raw = readFileSync(join(corpus!, "api", "Shopify__shopify_python_api__order.json"), "utf8");
    const body = JSON.stringify((JSON.parse(raw) as { order: unknown }).order);
    const orders: Order[] = [];
    const handler = createShopifyWebhookHandler({
      secret: SECRET,
      onOrder: (order) => void orders.push(order),
    });
    const result = await handler(
      new Request("http://localhost/hooks", {
        method: "POST",
        body,
        headers: {
          "x-shopify-hmac-sha256": sign(body),
          "x-shopify-topic": "orders/create",
          "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
          "x-shopify-shop-domain": "apple.myshopify.com",
        },
      }),
    );
    expect(result.outcome).toBe("processed");
    expect(orders[0]?.lines.map((line) => line.sku)).toEqual([
      "IPOD2008GREEN",
      "IPOD2008RED",
      "IPOD2008BLACK",
    ]);
  });
});

describe("createShopifyWebhookHandler with a rotating secret", () => {
  it("verifies with the new secret after a rotation, and with the old one only for the grace period", async () => {
    const directory = await mkdtemp(join(tmpdir(), "distro-shopify-secret-"));
    open.push({ close: () => rm(directory, { recursive: true, force: true }) });
    const file = join(directory, "shopify-webhook-secret");
    await writeFile(file, "shpss_october\n");
    let now = Date.parse("2026-11-30T12:00:00Z");
    const secret = rotatingSecret(createFileSecretProvider({ directory }), "shopify-webhook-secret", {
      graceMs: 10 * 60_000,
      clock: { now: () => now },
    });
    const endpoint = await serve(createShopifyWebhookHandler({ secret }));
    let delivery = 0;
    const deliver = async (key: string) => {
      delivery++;
      const body = JSON.stringify({ id: delivery, name: "Acme Supply" });
      const response = await fetch(endpoint.url, {
        method: "POST",
        body,
        headers: {
          "x-shopify-hmac-sha256": sign(body, key),
          "x-shopify-topic": "shop/update",
          "x-shopify-webhook-id": `rotation-${delivery}`,
          "x-shopify-shop-domain": "acme.myshopify.com",
        },
      });
      return response.status;
    };

    expect(await deliver("shpss_october")).toBe(200);
    expect(await deliver("shpss_november")).toBe(401);
    await writeFile(file, "shpss_november\n");
    expect(await deliver("shpss_november")).toBe(200);
    expect(await deliver("shpss_october")).toBe(200); // signed just before the rotation
    now += 10 * 60_000;
    expect(await deliver("shpss_october")).toBe(401);
    expect(await deliver("shpss_november")).toBe(200);
    expect(endpoint.results.map((result) => result.outcome)).toEqual([
      "ignored",
      "rejected",
      "ignored",
      "ignored",
      "rejected",
      "ignored",
    ]);
    for (const result of endpoint.results) {
      expect(JSON.stringify(result.error ?? {})).not.toContain("shpss_");
    }
  });
});
