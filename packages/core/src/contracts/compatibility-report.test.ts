import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError } from "../errors/index";
import { createCanonicalRegistry } from "./canonical";
import { compatibilityReport, renderCompatibilityReport, type SystemContracts } from "./compatibility-report";
import { defineContract } from "./contract";
import { ContractRegistry } from "./registry";

type OrderCreatedV1 = { orderNumber: string; total: string };
type OrderCreatedV2 = OrderCreatedV1 & { currency: string };

const OrderCreatedV1Contract = defineContract({
  type: "order.created",
  version: 1,
  schema: z.object({ orderNumber: z.string(), total: z.string() }),
});
// v1 readers read v2 as is (they ignore currency); v2 readers need the upcaster for v1.
const OrderCreatedV2Contract = defineContract({
  type: "order.created",
  version: 2,
  schema: z.object({ orderNumber: z.string(), total: z.string(), currency: z.string().length(3) }),
  upcast: (previous: OrderCreatedV1) => ({ ...previous, currency: "USD" }),
});
// total renamed: older readers cannot read v3.
const OrderCreatedV3Contract = defineContract({
  type: "order.created",
  version: 3,
  schema: z.object({ orderNumber: z.string(), totalAmount: z.string(), currency: z.string().length(3) }),
  upcast: (previous: OrderCreatedV2) => ({
    orderNumber: previous.orderNumber,
    totalAmount: previous.total,
    currency: previous.currency,
  }),
});

const SUNSET = "2027-01-01T00:00:00.000Z";

function registry(): ContractRegistry {
  return new ContractRegistry({
    compatibility: "NONE",
    clock: { now: () => Date.parse("2026-11-30T00:00:00Z") },
  })
    .register(OrderCreatedV1Contract)
    .register(OrderCreatedV2Contract)
    .register(OrderCreatedV3Contract)
    .deprecate("order.created", 1, { sunsetAt: SUNSET, reason: "no currency", replacement: 2 });
}

const SYSTEMS: SystemContracts[] = [
  { system: "shopify-channel", produces: [{ type: "order.created", version: 2 }] },
  { system: "edi-gateway", produces: [{ type: "order.created", version: 1 }] },
  { system: "marketplace", produces: [{ type: "order.created", version: 3 }] },
  { system: "erp-booking", consumes: [{ type: "order.created", versions: [1] }] },
  { system: "analytics", consumes: [{ type: "order.created", versions: [3] }] },
];

describe("compatibilityReport", () => {
  it("judges every producer → consumer pair by the schema rules, the upcasters and the lifecycle", () => {
    const report = compatibilityReport(registry(), SYSTEMS);
    const verdicts = report.pairs.map((pair) => [
      pair.producer,
      pair.producedVersion,
      pair.consumer,
      pair.status,
      pair.path,
      pair.readsAs,
    ]);
    expect(verdicts).toEqual([
      ["edi-gateway", 1, "analytics", "deprecated", "upcast", 3],
      ["edi-gateway", 1, "erp-booking", "deprecated", "same-version", 1],
      ["marketplace", 3, "analytics", "ok", "same-version", 3],
      ["marketplace", 3, "erp-booking", "incompatible", undefined, undefined],
      ["shopify-channel", 2, "analytics", "ok", "upcast", 3],
      // erp-booking reads it as v1, which is deprecated.
      ["shopify-channel", 2, "erp-booking", "deprecated", "reader-schema", 1],
    ]);
    const broken = report.pairs.find((pair) => pair.status === "incompatible");
    expect(broken?.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ["required_field_missing", ["total"]],
    ]);
    expect(report.summary).toEqual({
      pairs: 6,
      ok: 2,
      deprecated: 3,
      incompatible: 1,
      refused: 0,
      unknown: 0,
    });
    expect(report.at).toBeUndefined();
  });

  it("names what blocks removing each version", () => {
    const report = compatibilityReport(registry(), SYSTEMS);
    const byVersion = Object.fromEntries(
      report.versions.map((version) => [
        version.version,
        {
          status: version.status,
          blockers: version.removalBlockedBy.map((blocker) => `${blocker.system} ${blocker.reason}`),
        },
      ]),
    );
    expect(byVersion).toEqual({
      1: { status: "deprecated", blockers: ["edi-gateway writes v1", "erp-booking reads only v1"] },
      2: { status: "active", blockers: ["shopify-channel writes v2"] },
      3: { status: "active", blockers: ["marketplace writes v3", "analytics reads only v3"] },
    });
    expect(report.versions[0]?.deprecation?.sunsetAt).toBe(SUNSET);
    expect(report.versions.map((version) => version.latest)).toEqual([false, false, true]);
    expect(report.versions.map((version) => version.compatibility)).toEqual(["NONE", "NONE", "NONE"]);
  });

  it("a consumer that reads several versions blocks the one it needs for some producer", () => {
    const registryOf = new ContractRegistry({ compatibility: "NONE" })
      .register(defineContract({ type: "item.counted", version: 1, schema: z.object({ sku: z.string() }) }))
      .register(
        defineContract({
          type: "item.counted",
          version: 2,
          schema: z.object({ sku: z.string(), uom: z.enum(["EA"]) }),
        }),
      )
      .register(
        defineContract({
          type: "item.counted",
          version: 3,
          schema: z.object({ sku: z.string(), uom: z.string() }),
        }),
      );
    const report = compatibilityReport(registryOf, [
      { system: "wms", produces: [{ type: "item.counted", version: 3 }] },
      { system: "planning", consumes: [{ type: "item.counted", versions: [1, 2] }] },
    ]);
    expect(report.pairs[0]).toMatchObject({ status: "ok", readsAs: 1, path: "reader-schema" });
    expect(report.versions[0]?.removalBlockedBy).toEqual([
      { system: "planning", role: "consumer", reason: "needs v1 to read wms's v3" },
    ]);
    expect(report.versions[1]?.removalBlockedBy).toEqual([]);
  });

  it("after the sunset, pairs on the retired version are refused", () => {
    const report = compatibilityReport(registry(), SYSTEMS, { at: new Date("2027-01-02T00:00:00Z") });
    expect(report.at).toBe("2027-01-02T00:00:00.000Z");
    expect(
      report.pairs.filter((pair) => pair.status === "refused").map((pair) => [pair.producer, pair.consumer]),
    ).toEqual([
      ["edi-gateway", "analytics"],
      ["edi-gateway", "erp-booking"],
      // erp-booking reads shopify's v2 as v1, which is retired too.
      ["shopify-channel", "erp-booking"],
    ]);
    expect(report.versions[0]?.status).toBe("sunset");
  });

  it("lists declarations of versions the registry does not know", () => {
    const report = compatibilityReport(registry(), [
      { system: "crm", produces: [{ type: "order.created", version: 9 }] },
      {
        system: "erp-booking",
        consumes: [
          { type: "order.created", versions: [1] },
          { type: "quote.sent", versions: [1] },
        ],
      },
    ]);
    expect(report.unknown).toEqual([
      { system: "crm", role: "producer", type: "order.created", version: 9 },
      { system: "erp-booking", role: "consumer", type: "quote.sent", version: 1 },
    ]);
    expect(report.pairs.map((pair) => pair.status)).toEqual(["unknown"]);
    expect(report.versions.map((version) => version.type)).toEqual([
      "order.created",
      "order.created",
      "order.created",
    ]);
  });

  it("refuses malformed declarations, naming the index and field", () => {
    let error: unknown;
    try {
      compatibilityReport(registry(), [
        { system: "" },
        { system: "x", consumes: [{ type: "order.created", versions: [] }] },
        { system: "y", produces: [{ type: "order.created", version: 1.5 }] },
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([
      [0, "system"],
      [1, "consumes", 0, "versions"],
      [2, "produces", 0, "version"],
    ]);
  });

  it("works on the canonical registry (order.submitted v1 producers read by v2 consumers via the upcaster)", () => {
    const report = compatibilityReport(createCanonicalRegistry(), [
      { system: "edi-gateway", produces: [{ type: "order.submitted", version: 1 }] },
      { system: "order-to-cash", consumes: [{ type: "order.submitted", versions: [2] }] },
    ]);
    expect(report.pairs[0]).toMatchObject({ status: "ok", readsAs: 2 });
  });
});

describe("renderCompatibilityReport", () => {
  it("renders Markdown tables with the summary, the problems and the removal blockers", () => {
    const text = renderCompatibilityReport(compatibilityReport(registry(), SYSTEMS));
    expect(text).toContain("# Contract compatibility");
    expect(text).toContain(
      "6 producer → consumer pairs: 2 ok, 3 on a deprecated version, 1 incompatible, 0 refused (past sunset), 0 unknown.",
    );
    expect(text).toContain("| Contract | Producer | Consumer | Status | How |");
    expect(text).toContain(
      "| order.created | edi-gateway (v1) | analytics (v3) | deprecated | upcast to v3 |",
    );
    expect(text).toContain(
      "| order.created | shopify-channel (v2) | erp-booking (v1) | deprecated | v1 reads it as is |",
    );
    expect(text).toContain("**order.created: marketplace v3 → erp-booking**");
    expect(text).toContain("- total: the v1 reader requires it, v3 data does not have it");
    expect(text).toContain(
      `| order.created | v1 | deprecated | sunset ${SUNSET}; use v2; no currency | edi-gateway | erp-booking | edi-gateway writes v1; erp-booking reads only v1 |`,
    );
    expect(text.endsWith("\n")).toBe(true);
  });

  it("renders plain text, and escapes table cells", () => {
    const report = compatibilityReport(registry(), [
      { system: "a|b", produces: [{ type: "order.created", version: 2 }] },
      { system: "c", consumes: [{ type: "order.created", versions: [2] }] },
    ]);
    expect(renderCompatibilityReport(report)).toContain(
      "| order.created | a\\|b (v2) | c (v2) | ok | reads v2 |",
    );
    const text = renderCompatibilityReport(report, { format: "text", title: "Order events" });
    expect(text.startsWith("Order events\n============\n")).toBe(true);
    expect(text).toContain("- order.created: a|b (v2) → c (v2): ok, reads v2");
    expect(text).toContain("- order.created v1: deprecated");
  });
});
