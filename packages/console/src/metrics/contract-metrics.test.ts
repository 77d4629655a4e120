import { ContractRegistry, contractValidator, createBus, createEvent, defineContract } from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { contractMetrics } from "./contract-metrics";
import { sampleValue, scrape } from "./exposition.test-helper";
import { createMetricsRegistry } from "./registry";

const StockV1 = defineContract({
  type: "stock.counted",
  version: 1,
  schema: z.object({ sku: z.string(), qty: z.string() }),
});
const StockV2 = defineContract({
  type: "stock.counted",
  version: 2,
  schema: z.object({ sku: z.string(), quantity: z.string().regex(/^\d+$/) }),
  upcast: (previous: { sku: string; qty: string }) => ({ sku: previous.sku, quantity: previous.qty }),
});
const SUNSET = "2027-01-01T00:00:00.000Z";

describe("contractMetrics", () => {
  it("counts refusals of a real validator on a real bus per contract, version and reason, and deprecated and refused uses", async () => {
    let now = Date.parse("2026-12-31T23:00:00Z");
    const registry = new ContractRegistry({
      compatibility: "NONE",
      clock: { now: () => now },
      onDeprecatedUse: () => {},
    });
    registry.register(StockV1).register(StockV2);
    registry.deprecate("stock.counted", 1, { sunsetAt: SUNSET, replacement: 2 });
    const metrics = createMetricsRegistry();
    const contracts = contractMetrics(metrics, { registry, clock: () => now });
    const bus = createBus();
    const subscription = await bus.subscribe({
      name: "erp-booking",
      types: ["stock.counted"],
      validate: contractValidator(registry, { user: "erp-booking", onInvalid: contracts.onInvalid }),
      handler: () => {},
    });
    const publish = (id: string, dataschema: string, data: unknown) =>
      bus.publish(createEvent({ id, type: "stock.counted", source: "/wms", dataschema, data }));

    await publish("e1", StockV1.schemaId, { sku: "BOLT-M8", qty: "5" }); // deprecated, accepted
    await publish("e2", StockV2.schemaId, { sku: "BOLT-M8", quantity: "five" }); // invalid
    await publish("e3", StockV1.schemaId, { sku: "BOLT-M8", qty: "five" }); // valid v1, invalid once upcast
    await publish("e4", "urn:distro:contract:made.up:v7", {}); // a contract nobody registered
    await waitUntil(() => subscription.stats.handled === 1 && subscription.stats.deadLettered === 3);

    const before = await scrape(metrics);
    const failures = (samples: typeof before, labels: Record<string, string>) =>
      sampleValue(samples, "distro_contract_failures_total", { user: "erp-booking", ...labels });
    expect(failures(before, { contract: "stock.counted", version: "2", reason: "invalid" })).toBe(1);
    expect(failures(before, { contract: "stock.counted", version: "1", reason: "upcast_failed" })).toBe(1);
    expect(
      failures(before, { contract: "unregistered", version: "unregistered", reason: "unknown_version" }),
    ).toBe(1);
    expect(
      sampleValue(before, "distro_contract_deprecated_uses_total", {
        contract: "stock.counted",
        version: "1",
        user: "erp-booking",
      }),
    ).toBe(2);
    expect(
      sampleValue(before, "distro_contract_sunset_seconds", { contract: "stock.counted", version: "1" }),
    ).toBe(3600);

    now = Date.parse("2027-01-02T00:00:00Z");
    await publish("e5", StockV1.schemaId, { sku: "BOLT-M8", qty: "5" });
    await waitUntil(() => subscription.stats.deadLettered === 4);
    const after = await scrape(metrics);
    expect(failures(after, { contract: "stock.counted", version: "1", reason: "sunset" })).toBe(1);
    expect(
      sampleValue(after, "distro_contract_refused_uses_total", {
        contract: "stock.counted",
        version: "1",
        user: "erp-booking",
      }),
    ).toBe(1);
    // Counted once, however often scraped.
    expect(
      sampleValue(after, "distro_contract_deprecated_uses_total", {
        contract: "stock.counted",
        version: "1",
        user: "erp-booking",
      }),
    ).toBe(2);
    expect(sampleValue(after, "distro_contract_sunset_seconds", { version: "1" })).toBe(-86_400);
    await bus.close();
  });
});
