import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEvent } from "../envelope/index";
import { ContractError, isDistroError, ValidationError } from "../errors/index";
import { createBus } from "../messaging/bus";
import { createMemoryDeadLetterStore } from "../messaging/dead-letter";
import { createLogger } from "../observability/logger";
import { waitUntil } from "../testing/wait-until";
import { defineContract } from "./contract";
import { contractValidator, parseContractSchemaId } from "./contract-validator";
import { ContractSunsetError, type DeprecatedContractUse } from "./lifecycle";
import { ContractRegistry } from "./registry";

const StockV1 = defineContract({
  type: "stock.counted",
  version: 1,
  schema: z.object({ sku: z.string(), qty: z.string() }),
});
const StockV2 = defineContract({
  type: "stock.counted",
  version: 2,
  schema: z.object({ sku: z.string(), quantity: z.string(), uom: z.string().default("EA") }),
  upcast: (previous: { sku: string; qty: string }) => ({ sku: previous.sku, quantity: previous.qty }),
});

const SUNSET = "2027-01-01T00:00:00.000Z";

function setup() {
  let now = Date.parse("2026-11-30T12:00:00Z");
  const warnings: DeprecatedContractUse[] = [];
  const registry = new ContractRegistry({
    compatibility: "NONE",
    clock: { now: () => now },
    onDeprecatedUse: (use) => warnings.push(use),
  });
  registry.register(StockV1).register(StockV2);
  registry.deprecate("stock.counted", 1, {
    sunsetAt: SUNSET,
    reason: "qty renamed to quantity",
    replacement: 2,
  });
  return {
    registry,
    warnings,
    setNow: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

describe("contract lifecycle", () => {
  it("reports each version's status before and after the sunset", () => {
    const { registry, setNow } = setup();
    expect(registry.lifecycleOf("stock.counted", 2)).toEqual({ status: "active" });
    expect(registry.lifecycleOf("stock.counted", 1)).toEqual({
      status: "deprecated",
      deprecation: {
        type: "stock.counted",
        version: 1,
        sunsetAt: SUNSET,
        reason: "qty renamed to quantity",
        replacement: 2,
      },
    });
    expect(registry.lifecycleOf("stock.counted", 1, new Date(SUNSET)).status).toBe("sunset");
    setNow("2026-12-31T23:59:59.999Z");
    expect(registry.lifecycleOf("stock.counted", 1).status).toBe("deprecated");
    setNow(SUNSET);
    expect(registry.lifecycleOf("stock.counted", 1).status).toBe("sunset");
    expect(registry.deprecations()).toHaveLength(1);
  });

  it("warns once per contract, version and user before the sunset, and counts every use", () => {
    const { registry, warnings } = setup();
    const payload = { sku: "BOLT-M8", qty: "5" };
    for (let index = 0; index < 3; index++) {
      registry.validate("stock.counted", 1, payload, { user: "wms-counts", role: "producer" });
    }
    registry.upcast("stock.counted", 1, payload, { user: "erp-booking", role: "consumer" });
    registry.upcast("stock.counted", 1, payload, { user: "erp-booking", role: "consumer" });
    registry.validate("stock.counted", 2, { sku: "BOLT-M8", quantity: "5" }, { user: "wms-counts" });
    registry.validate("stock.counted", 1, payload);

    expect(warnings.map((warning) => [warning.user, warning.role])).toEqual([
      ["wms-counts", "producer"],
      ["erp-booking", "consumer"],
      ["unnamed", undefined],
    ]);
    expect(warnings[0]?.message).toBe(
      `stock.counted v1 is deprecated and will be refused from ${SUNSET}; use v2 (qty renamed to quantity) [used by wms-counts]`,
    );
    expect(registry.usage().map((entry) => [entry.user, entry.deprecatedUses, entry.refusedUses])).toEqual([
      ["erp-booking", 2, 0],
      ["unnamed", 1, 0],
      ["wms-counts", 3, 0],
    ]);
  });

  it("refuses a version past its sunset on the produce and consume paths, naming contract, version and date", () => {
    const { registry, setNow, warnings } = setup();
    setNow("2027-01-01T00:00:00.001Z");
    const payload = { sku: "BOLT-M8", qty: "5" };
    const produced = (() => {
      try {
        registry.validate("stock.counted", 1, payload, { user: "wms-counts", role: "producer" });
      } catch (error) {
        return error;
      }
    })();
    expect(produced).toBeInstanceOf(ContractSunsetError);
    expect(produced).toBeInstanceOf(ContractError);
    const sunset = produced as ContractSunsetError;
    expect(sunset.message).toBe(
      `stock.counted v1 was retired on ${SUNSET}; use v2 (qty renamed to quantity)`,
    );
    expect([sunset.type, sunset.version, sunset.sunsetAt, sunset.replacement, sunset.user]).toEqual([
      "stock.counted",
      1,
      SUNSET,
      2,
      "wms-counts",
    ]);
    expect(isDistroError(sunset) && sunset.retryable).toBe(false);
    expect(() => registry.upcast("stock.counted", 1, payload, { user: "erp-booking" })).toThrow(
      ContractSunsetError,
    );
    expect(() => registry.use("stock.counted", 1)).toThrow(ContractSunsetError);
    // The latest version is untouched, and introspection still works.
    expect(registry.validate("stock.counted", 2, { sku: "A", quantity: "1" })).toEqual({
      sku: "A",
      quantity: "1",
      uom: "EA",
    });
    expect(registry.get("stock.counted", 1).version).toBe(1);
    expect(warnings).toEqual([]);
    expect(registry.usage().map((entry) => [entry.user, entry.refusedUses])).toEqual([
      ["erp-booking", 1],
      ["unnamed", 1],
      ["wms-counts", 1],
    ]);
  });

  it("refuses deprecations it cannot honour", () => {
    const registry = new ContractRegistry().register(StockV1);
    expect(() => registry.deprecate("stock.counted", 2, { sunsetAt: SUNSET })).toThrow(ContractError);
    expect(() => registry.deprecate("stock.counted", 1, { sunsetAt: "next tuesday" })).toThrow(
      ValidationError,
    );
    expect(() => registry.deprecate("stock.counted", 1, { sunsetAt: SUNSET, replacement: 2 })).toThrow(
      /cannot be replaced by 2/,
    );
    expect(() => registry.deprecate("stock.counted", 1, { sunsetAt: new Date(SUNSET) })).not.toThrow();
  });

  it("warns through the logger when no hook is given", () => {
    const lines: string[] = [];
    const registry = new ContractRegistry({
      compatibility: "NONE",
      clock: { now: () => Date.parse("2026-11-30T00:00:00Z") },
      logger: createLogger({ sink: (line) => lines.push(line), redact: false }),
    });
    registry.register(StockV1).deprecate("stock.counted", 1, { sunsetAt: SUNSET });
    registry.validate("stock.counted", 1, { sku: "A", qty: "1" }, { user: "edi-gateway" });
    registry.validate("stock.counted", 1, { sku: "A", qty: "1" }, { user: "edi-gateway" });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({
      level: "warn",
      contract: { type: "stock.counted", version: 1, user: "edi-gateway", sunsetAt: SUNSET },
    });
  });

  it("marks deprecated versions in the exported JSON Schemas", () => {
    const { registry } = setup();
    const [v1, v2] = registry.exportJsonSchemas();
    expect(v1?.schema.deprecated).toBe(true);
    expect(v1?.deprecation?.sunsetAt).toBe(SUNSET);
    expect(v2?.schema.deprecated).toBeUndefined();
    expect(v2?.deprecation).toBeUndefined();
  });
});

describe("contractValidator on the bus", () => {
  it("upcasts a deprecated version with one warning, and dead-letters a version past its sunset", async () => {
    const { registry, warnings, setNow } = setup();
    const deadLetters = createMemoryDeadLetterStore();
    const bus = createBus({ deadLetters });
    const handled: unknown[] = [];
    const subscription = await bus.subscribe({
      name: "erp-booking",
      types: ["stock.counted"],
      validate: contractValidator(registry, { user: "erp-booking" }),
      handler: (event) => void handled.push([event.dataschema, event.data]),
    });
    const event = (id: string) =>
      createEvent({
        id,
        type: "stock.counted",
        source: "/wms",
        dataschema: StockV1.schemaId,
        data: { sku: "BOLT-M8", qty: "5" },
      });
    await bus.publish(event("e1"));
    await bus.publish(event("e2"));
    await waitUntil(() => subscription.stats.handled === 2);
    expect(handled).toEqual([
      [StockV2.schemaId, { sku: "BOLT-M8", quantity: "5", uom: "EA" }],
      [StockV2.schemaId, { sku: "BOLT-M8", quantity: "5", uom: "EA" }],
    ]);
    expect(warnings.map((warning) => [warning.user, warning.role])).toEqual([["erp-booking", "consumer"]]);

    setNow("2027-02-01T00:00:00Z");
    await bus.publish(event("e3"));
    await waitUntil(() => subscription.stats.deadLettered === 1);
    const [dead] = await deadLetters.list();
    expect(dead?.error.name).toBe("ContractSunsetError");
    expect(dead?.error.message).toContain(`stock.counted v1 was retired on ${SUNSET}`);
    expect(handled).toHaveLength(2);
    await bus.close();
  });

  it("refuses an event whose dataschema names no contract version", () => {
    const { registry } = setup();
    const validate = contractValidator(registry, { user: "erp-booking" });
    expect(() => validate(createEvent({ id: "x", type: "stock.counted", source: "/wms", data: {} }))).toThrow(
      /names no contract version/,
    );
    expect(parseContractSchemaId("urn:distro:contract:stock.counted:v12")).toEqual({
      type: "stock.counted",
      version: 12,
    });
    expect(parseContractSchemaId("https://example.com/schema.json")).toBeUndefined();
  });

  it("validates at the event's own version when upcasting is off", () => {
    const { registry } = setup();
    const validate = contractValidator(registry, { user: "legacy-report", upcast: false });
    const checked = validate(
      createEvent({
        id: "x",
        type: "stock.counted",
        source: "/wms",
        dataschema: StockV1.schemaId,
        data: { sku: "A", qty: "1" },
      }),
    );
    expect(checked.data).toEqual({ sku: "A", qty: "1" });
    expect(checked.dataschema).toBe(StockV1.schemaId);
  });
});
