/**
 * Pushes inventory levels to the Shopify simulator over loopback through the throttle-aware
 * client (`createShopify().setInventory`, REST `inventory_levels/set.json`), then through a
 * naive client that sends as fast as it can and waits `Retry-After` on each 429, and
 * compares. Both use the same concurrency and a fresh simulator with the same bucket.
 *
 * Bucket: 40 calls, leaking 25/s for the full run (10,000 levels, about 400 s per client)
 * and 25/s for the smoke run (200 levels, about 7 s per client). Shopify's standard plan leaks
 * 2/s; the rate is raised so the run is short, and kept below what one loopback process
 * serves on a small machine so the client, not the machine, sets the pace. Override with
 * DISTRO_BENCH_LEAK_PER_SECOND and DISTRO_BENCH_SIZE.
 *
 * bucket_utilisation = accepted calls / (capacity + leak rate x elapsed seconds): the share
 * of what the bucket allowed in that time that the client actually used.
 */

import { createShopify } from "@distro/connectors-ecommerce/shopify";
import type { InventoryLevel } from "@distro/core";
import { createShopifySimulator, type ShopifySimulator } from "@distro/testkit/shopify";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
const size = Number(process.env.DISTRO_BENCH_SIZE ?? (smoke ? 200 : 10_000));
const capacity = 40;
const leakPerSecond = Number(process.env.DISTRO_BENCH_LEAK_PER_SECOND ?? 25);
const concurrency = 32;

async function simulatorWithCatalog(): Promise<ShopifySimulator> {
  const simulator = await createShopifySimulator({ rest: { capacity, leakPerSecond } });
  for (let index = 0; index < size; index++) {
    const sku = `SKU-${String(index).padStart(5, "0")}`;
    simulator.addProduct({ title: sku, variants: [{ sku, price: "1.00" }] });
  }
  return simulator;
}

function levels(): InventoryLevel[] {
  return Array.from({ length: size }, (_, index) => ({
    sku: `SKU-${String(index).padStart(5, "0")}`,
    locationId: "WH-EAST",
    uom: "EA",
    onHand: String(index % 500),
    allocated: "0",
    available: String(index % 500),
    incoming: "0",
    asOf: "2026-03-31T12:00:00Z",
    schemaVersion: 1 as const,
    refs: {},
    ext: {},
  }));
}

async function ours(): Promise<{ seconds: number; throttled: number; accepted: number }> {
  const simulator = await simulatorWithCatalog();
  try {
    const shopify = createShopify({
      shop: simulator.shopDomain,
      baseUrl: simulator.url,
      accessToken: simulator.accessToken,
      rest: { leakPerSecond, capacity },
      inventory: { api: "rest", concurrency },
      locations: { "WH-EAST": String(simulator.defaultLocationId) },
    });
    await shopify.variantForSku("SKU-00000");
    await new Promise((resolve) => setTimeout(resolve, ((capacity / leakPerSecond) * 1000) | 0));
    simulator.ledger.clear();
    const started = performance.now();
    const result = await shopify.setInventory(levels());
    const seconds = (performance.now() - started) / 1000;
    if (result.updated !== size) throw new Error(`ours updated ${result.updated} of ${size}`);
    return {
      seconds,
      throttled: simulator.ledger.count({ status: 429 }),
      accepted: simulator.ledger.count({ status: 200 }),
    };
  } finally {
    await simulator.close();
  }
}

async function naive(): Promise<{ seconds: number; throttled: number; accepted: number }> {
  const simulator = await simulatorWithCatalog();
  try {
    const items = levels().map((level) => ({
      inventoryItemId: String(simulator.variantBySku(level.sku)!.inventory_item_id),
      available: Number(level.available),
    }));
    const url = simulator.adminUrl("inventory_levels/set.json");
    const location = String(simulator.defaultLocationId);
    simulator.ledger.clear();
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        for (;;) {
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-shopify-access-token": simulator.accessToken },
            body: `{"location_id":${location},"inventory_item_id":${item.inventoryItemId},"available":${item.available}}`,
          });
          await response.arrayBuffer();
          if (response.status !== 429) break;
          const wait = Number(response.headers.get("retry-after") ?? "1");
          await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return {
      seconds: (performance.now() - started) / 1000,
      throttled: simulator.ledger.count({ status: 429 }),
      accepted: simulator.ledger.count({ status: 200 }),
    };
  } finally {
    await simulator.close();
  }
}

const mine = await ours();
const baseline = await naive();
const utilisation = Math.min(1, mine.accepted / (capacity + leakPerSecond * mine.seconds));
const round = (value: number, digits: number) => Number(value.toFixed(digits));
console.log(
  `shopify-inventory-push: ${size} levels, bucket ${capacity} leaking ${leakPerSecond}/s, concurrency ${concurrency}${smoke ? " (smoke)" : ""}`,
);
console.log(`  ours : ${round(mine.seconds, 2)} s, ${mine.accepted} calls accepted, ${mine.throttled} x 429`);
console.log(
  `  naive: ${round(baseline.seconds, 2)} s, ${baseline.accepted} calls accepted, ${baseline.throttled} x 429`,
);
console.log(`  ratio naive_s / ours_s = ${round(baseline.seconds / mine.seconds, 2)}`);
console.log(
  `bench: shopify-inventory-push ours_s=${round(mine.seconds, 2)} ours_429=${mine.throttled} naive_s=${round(baseline.seconds, 2)} naive_429=${baseline.throttled} bucket_utilisation=${round(utilisation, 3)}`,
);
