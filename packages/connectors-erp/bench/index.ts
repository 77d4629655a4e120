/**
 * Bench: read items with their prices through the Business Central OData adapter (server
 * paging) and book orders through `$batch`, against a naive client that makes one request
 * per record, in the same run, against the same simulator and the same limits.
 *
 * Limits (the simulator enforces them; both clients pace themselves with the same limiter):
 * Business Central's real budget of 6,000 requests per 5-minute window and 5 concurrent
 * requests, with 2 ms latency per request. A `$batch` counts as one request.
 *
 * The naive client runs on a sample (its request count would otherwise exceed the budget,
 * 100,000 requests for 50,000 items); its throughput is measured on that sample.
 */
import { performance } from "node:perf_hooks";
import type { Order } from "@distro/core";
import { createBusinessCentralSimulator } from "@distro/testkit/business-central";
import { createBusinessCentral } from "../src/business-central/index";
import { createBenchLimiter } from "./limiter";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
const itemCount = smoke ? 2_000 : 50_000;
const orderCount = smoke ? 200 : 2_000;
const naiveItemSample = smoke ? 100 : 400;
const naiveOrderSample = smoke ? 50 : 300;
const limits = { requests: 6_000, windowMs: 300_000, concurrency: 5 };

function order(index: number, sku: string): Order {
  return {
    id: `bench-${index}`,
    customer: { id: "C10000", refs: { erp: "C10000" } },
    status: "submitted",
    currency: "USD",
    lines: [
      {
        lineNumber: 1,
        sku,
        quantity: "1",
        uom: "PCS",
        unitPrice: { amount: "0.0125", currency: "USD" },
        pricePer: "1",
        status: "open",
      },
    ],
    shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
    orderedAt: "2026-03-01T10:00:00Z",
    schemaVersion: 1,
    refs: {},
    ext: {},
  };
}

const erp = await createBusinessCentralSimulator({
  seed: { items: itemCount },
  rateLimit: { requests: limits.requests, windowMs: limits.windowMs },
  maxConcurrentRequests: limits.concurrency,
  latencyMs: 2,
});
erp.update("customers", "C10000", { creditLimit: "0" });
const limiter = createBenchLimiter(limits);
const adapter = createBusinessCentral({
  companyUrl: erp.companyUrl,
  auth: { tokenUrl: erp.tokenUrl, ...erp.credentials },
  limiter,
  maxPageSize: 5_000,
});

// Ours: items and price rows through server paging, joined in memory.
let started = performance.now();
const pricesBySku = new Map<string, number>();
const itemSkus: string[] = [];
await Promise.all([
  (async () => {
    for await (const page of adapter.items()) for (const item of page.records) itemSkus.push(item.sku);
  })(),
  (async () => {
    for await (const page of adapter.prices()) {
      for (const price of page.records) pricesBySku.set(price.sku, (pricesBySku.get(price.sku) ?? 0) + 1);
    }
  })(),
]);
const oursItemsSeconds = (performance.now() - started) / 1000;
const withPrices = itemSkus.filter((sku) => (pricesBySku.get(sku) ?? 0) > 0).length;
if (withPrices !== itemCount) throw new Error(`expected ${itemCount} priced items, got ${withPrices}`);

// Naive: one request per item and one per item's prices.
const token = await (async () => {
  const response = await fetch(erp.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: erp.credentials.clientId,
      client_secret: erp.credentials.clientSecret,
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
})();
const naiveGet = (path: string) =>
  limiter.schedule(async () => {
    const response = await fetch(`${erp.companyUrl}/${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`naive GET ${path}: ${response.status}`);
    return response.json();
  });
started = performance.now();
await Promise.all(
  itemSkus.slice(0, naiveItemSample).map(async (sku) => {
    await naiveGet(`items?$filter=number eq '${sku}'`);
    await naiveGet(`salesPrices?$filter=itemNumber eq '${sku}'`);
  }),
);
const naiveItemsSeconds = (performance.now() - started) / 1000;

// Ours: orders through $batch, each keyed.
started = performance.now();
const booked = await adapter.submitOrders(
  Array.from({ length: orderCount }, (_, index) => ({
    order: order(index, itemSkus[index % itemSkus.length] as string),
    idempotencyKey: `OURS-${index}`,
  })),
);
const oursOrdersSeconds = (performance.now() - started) / 1000;
const failed = booked.filter((result) => !result.ok).length;
if (failed > 0) throw new Error(`${failed} orders failed in the batch run`);

// Naive: one POST per order.
started = performance.now();
await Promise.all(
  Array.from({ length: naiveOrderSample }, (_, index) =>
    limiter.schedule(async () => {
      const response = await fetch(`${erp.companyUrl}/salesOrders`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          customerNumber: "C10000",
          externalDocumentNumber: `NAIVE-${index}`,
          salesOrderLines: [
            { lineType: "Item", lineObjectNumber: itemSkus[index % itemSkus.length], quantity: 1 },
          ],
        }),
      });
      if (response.status !== 201) throw new Error(`naive POST: ${response.status}`);
      await response.text();
    }),
  ),
);
const naiveOrdersSeconds = (performance.now() - started) / 1000;

const traffic = erp.traffic();
const exceeded = traffic.rateLimited + traffic.concurrencyLimited > 0 ? 1 : 0;
const rate = (count: number, seconds: number) => Math.round(count / seconds);
const oursItems = rate(itemCount, oursItemsSeconds);
const naiveItems = rate(naiveItemSample, naiveItemsSeconds);
const oursOrders = rate(orderCount, oursOrdersSeconds);
const naiveOrders = rate(naiveOrderSample, naiveOrdersSeconds);
await erp.close();

console.log(
  `items: ours ${itemCount} in ${oursItemsSeconds.toFixed(2)} s; naive sample ${naiveItemSample} in ${naiveItemsSeconds.toFixed(2)} s (${(oursItems / naiveItems).toFixed(1)}x)`,
);
console.log(
  `orders: ours ${orderCount} in ${oursOrdersSeconds.toFixed(2)} s; naive sample ${naiveOrderSample} in ${naiveOrdersSeconds.toFixed(2)} s (${(oursOrders / naiveOrders).toFixed(1)}x)`,
);
console.log(
  `limits: ${limits.requests} requests / ${limits.windowMs / 60_000} min, ${limits.concurrency} concurrent; used ${traffic.requests} requests (${traffic.batchOperations} batch operations), peak concurrency ${traffic.peakConcurrency}`,
);
console.log(
  `bench: erp-odata ours_items_per_s=${oursItems} naive_items_per_s=${naiveItems} ours_orders_per_s=${oursOrders} naive_orders_per_s=${naiveOrders} erp_limit_exceeded=${exceeded}`,
);
