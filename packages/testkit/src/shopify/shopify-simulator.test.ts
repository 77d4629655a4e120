import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { parseJsonExact } from "../shared/json";
import { jsonResponse, SimulatorRouter } from "../shared/router";
import { type SimulatorServer, startSimulatorServer } from "../shared/simulator-server";
import { createShopifySimulator, type ShopifySimulator } from "./shopify-simulator";

// biome-ignore lint/suspicious/noExplicitAny: the tests read untyped JSON bodies
type AnyJson = any;
const json = async (response: Response): Promise<AnyJson> => response.json();

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function shop(settings: Parameters<typeof createShopifySimulator>[0] = {}): Promise<ShopifySimulator> {
  const simulator = await createShopifySimulator(settings);
  open.push(simulator);
  return simulator;
}

async function receiver(statuses: number[] = []) {
  const received: { headers: Record<string, string>; body: string }[] = [];
  const router = new SimulatorRouter().on("POST", "/hooks", (request) => {
    received.push({ headers: request.headers, body: request.body });
    return jsonResponse(statuses.shift() ?? 200, {});
  });
  const server: SimulatorServer = await startSimulatorServer({ name: "receiver", router });
  open.push(server);
  return { url: `${server.url}/hooks`, received };
}

function call(simulator: ShopifySimulator, path: string, init: RequestInit = {}) {
  return fetch(simulator.adminUrl(path), {
    ...init,
    headers: {
      "X-Shopify-Access-Token": simulator.accessToken,
      "Content-Type": "application/json",
      ...init.headers,
    },
  });
}

describe("Shopify simulator: REST", () => {
  it("refuses a missing token with 401", async () => {
    const simulator = await shop();
    const response = await fetch(simulator.adminUrl("orders.json"));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
    });
  });

  it("serves orders with ids beyond 2^53 and money as strings, paged by the Link header", async () => {
    const simulator = await shop();
    for (let index = 0; index < 3; index++) {
      await simulator.createOrder({
        lines: [{ sku: `SKU-${index}`, quantity: 3, price: "0.0125" }],
        email: "a@b.co",
      });
    }
    const first = await call(simulator, "orders.json?limit=2&status=any");
    const text = await first.text();
    expect(text).toContain(`"id":${2n ** 53n + 1n},`);
    const page = parseJsonExact(text) as { orders: Record<string, unknown>[] };
    expect(page.orders.map((order) => order.id)).toEqual([String(2n ** 53n + 1n), String(2n ** 53n + 2n)]);
    expect(page.orders[0]?.total_price).toBe("0.04");
    const link = first.headers.get("link") ?? "";
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
    expect(next).toContain("page_info=");
    const second = await fetch(next!, { headers: { "X-Shopify-Access-Token": simulator.accessToken } });
    const secondPage = parseJsonExact(await second.text()) as { orders: Record<string, unknown>[] };
    expect(secondPage.orders.map((order) => order.id)).toEqual([String(2n ** 53n + 3n)]);
    expect(second.headers.get("link")).toMatch(/rel="previous"/);
    expect(second.headers.get("link")).not.toMatch(/rel="next"/);
  });

  it("reports the call limit and answers 429 with Retry-After when the bucket is full", async () => {
    let now = 0;
    const simulator = await shop({ clock: () => now, rest: { capacity: 4, leakPerSecond: 2 } });
    const limits: (string | null)[] = [];
    for (let index = 0; index < 4; index++) {
      const response = await call(simulator, "locations.json");
      limits.push(response.headers.get("x-shopify-shop-api-call-limit"));
      await response.arrayBuffer();
    }
    expect(limits).toEqual(["1/4", "2/4", "3/4", "4/4"]);
    const limited = await call(simulator, "locations.json");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("0.5");
    expect(limited.headers.get("x-shopify-shop-api-call-limit")).toBe("4/4");
    expect((await json(limited)).errors).toMatch(/Exceeded 2 calls per second/);
    now = 1000;
    const after = await call(simulator, "locations.json");
    expect(after.status).toBe(200);
    expect(after.headers.get("x-shopify-shop-api-call-limit")).toBe("3/4");
  });

  it("sets inventory levels and rejects unknown items, bad quantities and bad prices", async () => {
    const simulator = await shop();
    const product = simulator.addProduct({ title: "Bolt", variants: [{ sku: "BOLT", price: "0.10" }] });
    const variant = product.variants[0]!;
    const set = await call(simulator, "inventory_levels/set.json", {
      method: "POST",
      body: JSON.stringify({
        location_id: Number(simulator.defaultLocationId),
        inventory_item_id: Number(variant.inventory_item_id),
        available: 42,
      }),
    });
    expect(set.status).toBe(200);
    expect((await json(set)).inventory_level.available).toBe(42);
    expect(simulator.inventoryLevel(variant.inventory_item_id, simulator.defaultLocationId)).toBe(42);
    const unknown = await call(simulator, "inventory_levels/set.json", {
      method: "POST",
      body: JSON.stringify({
        location_id: Number(simulator.defaultLocationId),
        inventory_item_id: 5,
        available: 1,
      }),
    });
    expect(unknown.status).toBe(404);
    const fractional = await call(simulator, "inventory_levels/set.json", {
      method: "POST",
      body: JSON.stringify({
        location_id: Number(simulator.defaultLocationId),
        inventory_item_id: Number(variant.inventory_item_id),
        available: 1.5,
      }),
    });
    expect(fractional.status).toBe(422);
    const price = await call(simulator, `variants/${variant.id}.json`, {
      method: "PUT",
      body: JSON.stringify({ variant: { id: Number(variant.id), price: 12.5 } }),
    });
    expect(price.status).toBe(422);
    expect(await json(price)).toEqual({ errors: { price: ["expected String to be a Money"] } });
  });

  it("creates fulfilments from fulfilment orders with tracking, and closes them when complete", async () => {
    const simulator = await shop();
    const { order } = await simulator.createOrder({ lines: [{ sku: "A", quantity: 2, price: "5.00" }] });
    const orders = parseJsonExact(
      await (await call(simulator, `orders/${order.id}/fulfillment_orders.json`)).text(),
    ) as { fulfillment_orders: { id: string; line_items: { id: string }[] }[] };
    const fulfillmentOrder = orders.fulfillment_orders[0]!;
    const body = `{"fulfillment":{"line_items_by_fulfillment_order":[{"fulfillment_order_id":${fulfillmentOrder.id},"fulfillment_order_line_items":[{"id":${fulfillmentOrder.line_items[0]!.id},"quantity":2}]}],"tracking_info":{"number":"1Z999","url":"https://ups.example/1Z999","company":"UPS"}}}`;
    const created = await call(simulator, "fulfillments.json", { method: "POST", body });
    expect(created.status).toBe(201);
    expect(simulator.fulfillments()[0]).toMatchObject({
      tracking_number: "1Z999",
      tracking_company: "UPS",
      order_id: order.id,
    });
    expect(simulator.orders()[0]?.fulfillment_status).toBe("fulfilled");
    const again = await call(simulator, "fulfillments.json", { method: "POST", body });
    expect(again.status).toBe(422);
  });
});

describe("Shopify simulator: GraphQL", () => {
  it("charges cost, reports throttleStatus and answers THROTTLED when the bucket cannot hold the cost", async () => {
    let now = 0;
    const simulator = await shop({ clock: () => now, graphql: { capacity: 25, restorePerSecond: 5 } });
    const product = simulator.addProduct({ title: "Bolt", variants: [{ sku: "BOLT", price: "0.10" }] });
    const input = {
      name: "available",
      reason: "correction",
      ignoreCompareQuantity: true,
      quantities: [
        {
          inventoryItemId: `gid://shopify/InventoryItem/${product.variants[0]!.inventory_item_id}`,
          locationId: `gid://shopify/Location/${simulator.defaultLocationId}`,
          quantity: 7,
        },
      ],
    };
    const mutation =
      "mutation Set($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { field message code } } }";
    const send = async () =>
      json(
        await call(simulator, "graphql.json", {
          method: "POST",
          body: JSON.stringify({ query: mutation, variables: { input } }),
        }),
      );
    const first = await send();
    expect(first.data.inventorySetQuantities.userErrors).toEqual([]);
    expect(first.extensions.cost).toEqual({
      requestedQueryCost: 10,
      actualQueryCost: 10,
      throttleStatus: { maximumAvailable: 25, currentlyAvailable: 15, restoreRate: 5 },
    });
    expect(
      simulator.inventoryLevel(product.variants[0]!.inventory_item_id, simulator.defaultLocationId),
    ).toBe(7);
    await send();
    const throttled = await send();
    expect(throttled.errors[0].extensions.code).toBe("THROTTLED");
    expect(throttled.extensions.cost.throttleStatus.currentlyAvailable).toBe(5);
    now = 2000;
    expect((await send()).data.inventorySetQuantities.userErrors).toEqual([]);
  });

  it("returns userErrors with paths and applies nothing when one quantity is bad", async () => {
    const simulator = await shop();
    const product = simulator.addProduct({ title: "Bolt", variants: [{ sku: "BOLT", price: "0.10" }] });
    const itemGid = `gid://shopify/InventoryItem/${product.variants[0]!.inventory_item_id}`;
    const locationGid = `gid://shopify/Location/${simulator.defaultLocationId}`;
    const response = await call(simulator, "graphql.json", {
      method: "POST",
      body: JSON.stringify({
        query:
          "mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { field message code } } }",
        variables: {
          input: {
            name: "available",
            reason: "correction",
            ignoreCompareQuantity: true,
            quantities: [
              { inventoryItemId: itemGid, locationId: locationGid, quantity: 3 },
              { inventoryItemId: "gid://shopify/InventoryItem/1", locationId: locationGid, quantity: 3 },
            ],
          },
        },
      }),
    });
    const body = await json(response);
    expect(body.data.inventorySetQuantities.userErrors).toEqual([
      {
        field: ["input", "quantities", 1, "inventoryItemId"],
        message: "The specified inventory item could not be found.",
        code: "INVALID_INVENTORY_ITEM",
      },
    ]);
    expect(
      simulator.inventoryLevel(product.variants[0]!.inventory_item_id, simulator.defaultLocationId),
    ).toBe(0);
  });
});

describe("Shopify simulator: webhooks", () => {
  it("signs the raw body, sends the real headers, retries on non-2xx and can duplicate", async () => {
    const simulator = await shop({ webhookRetryDelaysMs: [0, 0] });
    const target = await receiver([500]);
    simulator.subscribe("orders/create", target.url);
    simulator.webhooks.inject({ kind: "duplicate", times: 1 });
    const { deliveries } = await simulator.createOrder({ lines: [{ sku: "A", quantity: 1, price: "1.00" }] });
    expect(deliveries[0]?.outcome).toBe("delivered");
    expect(target.received).toHaveLength(3);
    const [first, retry, duplicate] = target.received;
    const expected = createHmac("sha256", simulator.webhookSecret).update(first!.body).digest("base64");
    expect(first!.headers["x-shopify-hmac-sha256"]).toBe(expected);
    expect(first!.headers["x-shopify-topic"]).toBe("orders/create");
    expect(first!.headers["x-shopify-shop-domain"]).toBe(simulator.shopDomain);
    expect(first!.headers["x-shopify-api-version"]).toBe("2024-10");
    expect(first!.headers["x-shopify-triggered-at"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(retry!.headers["x-shopify-webhook-id"]).toBe(first!.headers["x-shopify-webhook-id"]);
    expect(duplicate!.headers["x-shopify-webhook-id"]).toBe(first!.headers["x-shopify-webhook-id"]);
    expect(first!.body).toContain(`"id":${2n ** 53n + 1n}`);
  });
});
