import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createMemoryDeadLetterStore,
  type InventoryLevel,
  type Invoice,
  type Item,
  type Order,
  type Price,
  type Shipment,
  UpstreamError,
  ValidationError,
} from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { createShopifySimulator, type ShopifySimulator } from "@distro/testkit/shopify";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { parseShopifyJson } from "./exact-json";
import { shopifyOrderToOrder } from "./mappers/to-order";
import {
  ShopifyFulfillmentOrderSchema,
  ShopifyFulfillmentSchema,
  ShopifyInventoryLevelSchema,
} from "./shopify-api";
import { createShopify, type ShopifySettings } from "./shopify-client";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function setup(
  simulatorSettings: Parameters<typeof createShopifySimulator>[0] = {},
  channelSettings: Partial<ShopifySettings> = {},
) {
  const simulator: ShopifySimulator = await createShopifySimulator(simulatorSettings);
  open.push(simulator);
  const shopify = createShopify({
    shop: simulator.shopDomain,
    baseUrl: simulator.url,
    accessToken: simulator.accessToken,
    rest: {
      leakPerSecond: simulatorSettings.rest?.leakPerSecond ?? 2,
      capacity: simulatorSettings.rest?.capacity ?? 40,
    },
    ...channelSettings,
  });
  return { simulator, shopify };
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
const level = (sku: string, available: string, locationId = "WH-EAST"): InventoryLevel => ({
  sku,
  locationId,
  uom: "EA",
  onHand: available,
  allocated: "0",
  available,
  incoming: "0",
  asOf: "2026-03-31T12:00:00Z",
  schemaVersion: 1,
  refs: {},
  ext: {},
});

describe("createShopify: orders", () => {
  it("reads an order by id with its id beyond 2^53 exact, for any such id", async () => {
    const { simulator, shopify } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 63n }), async (id) => {
        if (simulator.orders().some((order) => order.id === id)) return;
        await simulator.createOrder({
          id,
          email: "a@b.example",
          lines: [{ sku: "A", quantity: 2, price: "3.10" }],
          shippingAddress: address,
          notify: false,
        });
        const order = await shopify.getOrder(String(id));
        expect(order.refs.shopify).toBe(String(id));
        expect(order.id).toBe(`shopify-${id}`);
        expect(order.lines[0]?.unitPrice).toEqual({ amount: "3.10", currency: "USD" });
      }),
      { numRuns: 15 },
    );
  });

  it("reads changed orders page by page with a resumable updated_at cursor", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z");
    const { simulator, shopify } = await setup({ clock: () => now });
    for (let index = 0; index < 5; index++) {
      now += 60_000;
      await simulator.createOrder({
        email: "a@b.example",
        lines: [{ sku: `S${index}`, quantity: 1, price: "1.00" }],
        shippingAddress: address,
        notify: false,
      });
    }
    const pages = [];
    for await (const page of shopify.readOrders({ pageSize: 2 })) pages.push(page);
    expect(pages.map((page) => [page.records.length, page.hasMore])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    expect(pages[2]?.cursor).toBe("2026-03-01T00:05:00.000Z");
    const resumed = [];
    for await (const page of shopify.readOrders({ cursor: pages[0]!.cursor, pageSize: 50 }))
      resumed.push(...page.records);
    expect(resumed.map((order) => order.lines[0]?.sku)).toEqual(["S1", "S2", "S3", "S4"]);
  });

  it("dead-letters orders that fail mapping during a read and keeps going", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    const { simulator, shopify } = await setup({}, { deadLetters });
    await simulator.createOrder({
      email: "a@b.example",
      lines: [{ sku: "A", quantity: 1, price: "1.00" }],
      notify: false,
    });
    await simulator.createOrder({
      email: "a@b.example",
      lines: [{ sku: "B", quantity: 1, price: "1.00" }],
      shippingAddress: address,
      notify: false,
    });
    const records: Order[] = [];
    for await (const page of shopify.readOrders()) records.push(...page.records);
    expect(records.map((order) => order.lines[0]?.sku)).toEqual(["B"]);
    const [entry] = await deadLetters.list();
    expect(entry?.issues?.[0]?.path).toEqual(["shipping_address"]);
  });

  it("writes the ERP booking and the invoice onto the Shopify order", async () => {
    const { simulator, shopify } = await setup();
    const { order: raw } = await simulator.createOrder({
      email: "a@b.example",
      lines: [{ sku: "A", quantity: 5, price: "1.00" }],
      shippingAddress: address,
      notify: false,
    });
    const order = await shopify.getOrder(String(raw.id));
    await shopify.acknowledgeBooking(order, {
      erpOrderNumber: "SO-000123",
      allocations: [{ lineNumber: 1, sku: "A", ordered: "5", allocated: "3", backordered: "2" }],
    });
    const stored = simulator.orders()[0]!;
    expect(stored.note_attributes).toEqual([
      { name: "erp_order_number", value: "SO-000123" },
      { name: "backordered", value: "A x 2" },
    ]);
    expect(stored.tags).toBe("erp-booked, backordered");
    await shopify.notifyInvoice(
      {
        id: "INV-1",
        number: "INV-000045",
        issueDate: "2026-03-05",
        dueDate: "2026-04-04",
        statedTotals: {
          subtotal: { amount: "5.00", currency: "USD" },
          tax: { amount: "0.00", currency: "USD" },
          total: { amount: "5.00", currency: "USD" },
        },
      } as unknown as Invoice,
      order,
    );
    const invoiced = simulator.orders()[0]!;
    expect(invoiced.note_attributes).toEqual([
      { name: "erp_order_number", value: "SO-000123" },
      { name: "backordered", value: "A x 2" },
      { name: "invoice_number", value: "INV-000045" },
      { name: "invoice_date", value: "2026-03-05" },
      { name: "invoice_due_date", value: "2026-04-04" },
      { name: "invoice_total", value: "5.00 USD" },
    ]);
    expect(invoiced.tags).toBe("erp-booked, backordered, invoiced");
    await expect(
      shopify.acknowledgeBooking({ ...order, refs: {} }, { erpOrderNumber: "X", allocations: [] }),
    ).rejects.toThrow(ValidationError);
  });
});

describe("createShopify: fulfilments", () => {
  it("creates a fulfilment with tracking for shipped lines, once per tracking number", async () => {
    const { simulator, shopify } = await setup();
    const { order: raw } = await simulator.createOrder({
      email: "a@b.example",
      lines: [
        { sku: "A", quantity: 2, price: "1.00" },
        { sku: "B", quantity: 1, price: "1.00" },
      ],
      shippingAddress: address,
      notify: false,
    });
    const order = await shopify.getOrder(String(raw.id));
    const shipment: Shipment = {
      id: "SH-1",
      orderId: order.id,
      status: "shipped",
      carrier: { code: "UPS", name: "UPS" },
      trackingNumber: "1Z999AA10123456784",
      trackingUrl: "https://www.ups.com/track?tracknum=1Z999AA10123456784",
      shipTo: order.shipTo,
      lines: [{ orderLineNumber: 1, sku: "A", quantity: "2", uom: "EA" }],
      packages: [],
      schemaVersion: 1,
      refs: {},
      ext: {},
    };
    const first = await shopify.createFulfillment(shipment, order);
    const again = await shopify.createFulfillment(shipment, order);
    expect(again.id).toBe(first.id);
    expect(simulator.fulfillments()).toHaveLength(1);
    expect(simulator.fulfillments()[0]).toMatchObject({
      tracking_number: "1Z999AA10123456784",
      tracking_company: "UPS",
      tracking_url: "https://www.ups.com/track?tracknum=1Z999AA10123456784",
      line_items: [{ sku: "A", quantity: 2 }],
    });
    expect(simulator.orders()[0]?.fulfillment_status).toBe("partial");
    const tooMany = {
      ...shipment,
      trackingNumber: "1Z2",
      lines: [{ orderLineNumber: 2, sku: "B", quantity: "3", uom: "EA" }],
    };
    const error = await shopify.createFulfillment(tooMany, order).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["lines", 0, "quantity"]);
    expect(simulator.fulfillments()).toHaveLength(1);
  });
});

describe("createShopify: inventory", () => {
  it("pushes levels through REST, paced so that no call draws a 429", async () => {
    const { simulator, shopify } = await setup(
      { rest: { capacity: 10, leakPerSecond: 100 } },
      { rest: { capacity: 10, leakPerSecond: 100 }, locations: { "WH-EAST": "" } },
    );
    const skus = Array.from({ length: 120 }, (_, index) => `SKU-${index}`);
    for (const sku of skus) simulator.addProduct({ title: sku, variants: [{ sku, price: "1.00" }] });
    const levels = skus.map((sku, index) => level(sku, String(index)));
    const result = await shopify.setInventory(levels);
    expect(result.updated).toBe(120);
    expect(simulator.ledger.count({ status: 429 })).toBe(0);
    expect(simulator.ledger.count({ operation: "inventory_levels.set" })).toBe(120);
    expect(
      simulator.inventoryLevel(
        simulator.variantBySku("SKU-119")!.inventory_item_id,
        simulator.defaultLocationId,
      ),
    ).toBe(119);
  });

  it("pushes levels through GraphQL inventorySetQuantities in batches of at most 250", async () => {
    const { simulator, shopify } = await setup({ graphql: { capacity: 40, restorePerSecond: 200 } });
    const skus = Array.from({ length: 600 }, (_, index) => `G-${index}`);
    for (const sku of skus) simulator.addProduct({ title: sku, variants: [{ sku, price: "1.00" }] });
    const result = await shopify.setInventoryWith(
      skus.map((sku) => level(sku, "7")),
      "graphql",
    );
    expect(result.updated).toBe(600);
    const calls = simulator.ledger.filter({ operation: "graphql.inventorySetQuantities" });
    expect(calls).toHaveLength(3);
    expect(simulator.ledger.count({ operation: "graphql.throttled" })).toBe(0);
    expect(
      simulator.inventoryLevel(
        simulator.variantBySku("G-599")!.inventory_item_id,
        simulator.defaultLocationId,
      ),
    ).toBe(7);
  });

  it("refuses the whole push, naming each bad level, before sending anything", async () => {
    const { simulator, shopify } = await setup();
    simulator.addProduct({ title: "A", variants: [{ sku: "A", price: "1.00" }] });
    const error = await shopify
      .setInventory([level("A", "5"), level("NOPE", "1"), level("A", "2.5")])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      [1, "sku"],
      [2, "available"],
    ]);
    expect(simulator.ledger.count({ operation: "inventory_levels.set" })).toBe(0);
  });

  it("rides out injected 429s and 503s on an idempotent set by honouring Retry-After", async () => {
    const { simulator, shopify } = await setup(
      {},
      {
        retry: {
          maxAttempts: 4,
          maxElapsedMs: 10_000,
          baseDelayMs: 1,
          maxDelayMs: 50,
          multiplier: 2,
          jitter: "none",
        },
      },
    );
    simulator.addProduct({ title: "A", variants: [{ sku: "A", price: "1.00" }] });
    await shopify.variantForSku("A");
    simulator.faults.inject({
      kind: "rate-limit",
      retryAfterSeconds: 0.01,
      times: 1,
      path: /inventory_levels/,
    });
    simulator.faults.inject({ kind: "server-error", status: 503, times: 1, path: /inventory_levels/ });
    expect(await shopify.setInventory([level("A", "9")])).toEqual({ updated: 1 });
    expect(simulator.ledger.filter({ path: /inventory_levels/ }).map((entry) => entry.status)).toEqual([
      429, 503, 200,
    ]);
    expect(shopify.restThrottle.snapshot().throttled).toBe(1);
  });
});

describe("createShopify: catalog", () => {
  const item = (sku: string, name: string): Item =>
    ({
      id: sku,
      sku,
      name,
      status: "active",
      baseUom: "EA",
      uoms: [],
      categories: [],
      taxExempt: false,
      schemaVersion: 1,
      refs: {},
      ext: {},
    }) as unknown as Item;
  const price = (sku: string, amount: string): Price => ({
    id: `P-${sku}`,
    sku,
    uom: "EA",
    currency: "USD",
    breaks: [{ minQuantity: "1", unitPrice: { amount, currency: "USD" } }],
    per: "1",
    schemaVersion: 1,
    refs: {},
    ext: {},
  });

  it("creates new products, updates existing ones, and never rounds a price silently", async () => {
    const { simulator, shopify } = await setup();
    simulator.addProduct({ title: "Old name", variants: [{ sku: "EXISTING", price: "9.00" }] });
    const result = await shopify.publishCatalog(
      [item("EXISTING", "Hex bolt M8"), item("NEW-1", "Washer M8")],
      [price("EXISTING", "12.50"), price("NEW-1", "0.10")],
    );
    expect(result).toEqual({ published: 2 });
    expect(simulator.variantBySku("EXISTING")?.price).toBe("12.50");
    expect(simulator.products().find((product) => product.variants[0]?.sku === "EXISTING")?.title).toBe(
      "Hex bolt M8",
    );
    expect(simulator.variantBySku("NEW-1")?.price).toBe("0.10");
    const error = await shopify
      .publishCatalog([item("NEW-2", "Nut")], [price("NEW-2", "0.0125")])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]).toMatchObject({
      code: "precision_loss",
      path: ["prices", 0, "breaks", 0, "unitPrice", "amount"],
    });
    expect(simulator.variantBySku("NEW-2")).toBeUndefined();
  });

  it("surfaces Shopify's 422 validation body as an UpstreamError with its field", async () => {
    const { shopify } = await setup();
    const error = await shopify.rest
      .post("products.json", { json: { product: { title: "" } } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(422);
    expect((error as UpstreamError).upstreamCode).toBe("title: can't be blank");
  });
});

const corpus = conformanceDir();
describe.skipIf(!corpus)("Shopify conformance payloads", () => {
  const read = (name: string) => readFileSync(join(corpus!, "api", name), "utf8");

  it("maps order.json to a canonical order: ids as strings, exact money, addresses, customer, SKUs", () => {
    const { order } = parseShopifyJson(read("Shopify__shopify_python_api__order.json")) as { order: unknown };
    const canonical = shopifyOrderToOrder(order);
    expect(canonical).toMatchObject({
      id: "shopify-450789469",
      number: "#1001",
      currency: "USD",
      status: "submitted",
      customer: { id: "shopify-customer-207119551", refs: { shopify: "207119551" } },
      taxTotal: { amount: "11.94", currency: "USD" },
      shippingCharge: { amount: "0.00", currency: "USD" },
      shipTo: {
        name: "Bob Norman",
        line1: "Chestnut Street 92",
        city: "Louisville",
        region: "KY",
        postalCode: "40202",
        country: "US",
      },
      billTo: { line1: "Chestnut Street 92", country: "US" },
      orderedAt: "2008-01-10T11:00:00-05:00",
      refs: { shopify: "450789469" },
    });
    expect(canonical.lines.map((line) => [line.sku, line.quantity, line.unitPrice.amount])).toEqual([
      ["IPOD2008GREEN", "1", "199.00"],
      ["IPOD2008RED", "1", "199.00"],
      ["IPOD2008BLACK", "1", "199.00"],
    ]);
    expect(canonical.ext["shopify.total_price"]).toBe("409.94");
  });

  it("reports orders.json (a list without line items) as a ValidationError on line_items", () => {
    const { orders } = parseShopifyJson(read("Shopify__shopify_python_api__orders.json")) as {
      orders: unknown[];
    };
    expect(orders).toHaveLength(1);
    const error = (() => {
      try {
        shopifyOrderToOrder(orders[0]);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([["line_items"]]);
  });

  it("reads inventory levels, fulfilment orders and fulfilments", () => {
    const single = parseShopifyJson(read("Shopify__shopify_python_api__inventory_level.json")) as {
      inventory_level: unknown;
    };
    expect(ShopifyInventoryLevelSchema.parse(single.inventory_level)).toMatchObject({
      inventory_item_id: "808950810",
      location_id: "905684977",
      available: 6,
    });
    const list = parseShopifyJson(read("Shopify__shopify_python_api__inventory_levels.json")) as {
      inventory_levels: unknown[];
    };
    expect(ShopifyInventoryLevelSchema.array().parse(list.inventory_levels).length).toBeGreaterThan(0);
    const fulfillmentOrder = ShopifyFulfillmentOrderSchema.parse(
      parseShopifyJson(read("Shopify__shopify-api-ruby__fulfillment_order.json")),
    );
    expect(fulfillmentOrder.line_items[0]).toMatchObject({
      line_item_id: "466157049",
      fulfillable_quantity: 1,
      sku: "IPOD2008GREEN",
    });
    const webhook = ShopifyFulfillmentSchema.parse(
      parseShopifyJson(read("Shopify__shopify-fulfillment-integration__fulfillment_webhook.json")),
    );
    expect(webhook).toMatchObject({
      order_id: "450789469",
      tracking_number: "1Z2345",
      tracking_numbers: ["1Z2345"],
    });
    expect(webhook.line_items[0]?.sku).toBe("IPOD2008GREEN");
    const { fulfillment } = parseShopifyJson(read("Shopify__shopify_python_api__fulfillment.json")) as {
      fulfillment: unknown;
    };
    expect(ShopifyFulfillmentSchema.parse(fulfillment).order_id).toMatch(/^\d+$/);
  });
});
