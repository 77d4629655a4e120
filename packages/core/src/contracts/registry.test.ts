import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isDistroError } from "../errors/distro-error";
import { ContractError } from "../errors/kinds";
import { ValidationError } from "../errors/validation-error";
import { sampleOrder } from "../model/fixtures/samples";
import { parseOrder } from "../model/parse";
import {
  CANONICAL_CONTRACTS,
  createCanonicalRegistry,
  OrderSubmittedV1Contract,
  OrderSubmittedV2Contract,
} from "./canonical";
import { defineContract } from "./contract";
import { ContractRegistry, IncompatibleContractError } from "./registry";

const V1 = defineContract({
  type: "stock.counted",
  version: 1,
  schema: z.object({ sku: z.string(), qty: z.string() }),
});
const V2 = defineContract({
  type: "stock.counted",
  version: 2,
  schema: z.object({ sku: z.string(), qty: z.string(), uom: z.string().default("EA") }),
});
const V3 = defineContract({
  type: "stock.counted",
  version: 3,
  schema: z.object({ sku: z.string(), quantity: z.string(), uom: z.string().default("EA") }),
  upcast: (previous: z.output<typeof V2.schema>) => ({
    sku: previous.sku,
    quantity: previous.qty,
    uom: previous.uom,
  }),
});

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("defineContract", () => {
  it("names the contract and its JSON Schema id", () => {
    expect(V2.name).toBe("stock.counted.v2");
    expect(V2.jsonSchema()).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:distro:contract:stock.counted:v2",
      title: "stock.counted.v2",
      required: ["sku", "qty"],
    });
  });

  it("hands out copies of its JSON Schema", () => {
    const document = V2.jsonSchema();
    document.required = [];
    expect(V2.jsonSchema().required).toEqual(["sku", "qty"]);
  });

  it("refuses bad types and versions", () => {
    const schema = z.object({});
    for (const bad of [
      () => defineContract({ type: "Order Submitted", version: 1, schema }),
      () => defineContract({ type: "order", version: 1, schema }),
      () => defineContract({ type: "order.submitted", version: 0, schema }),
      () => defineContract({ type: "order.submitted", version: 1.5, schema }),
      () => defineContract({ type: "order.submitted", version: 1, schema, upcast: () => ({}) }),
    ]) {
      expect(caught(bad)).toBeInstanceOf(ContractError);
    }
  });
});

describe("ContractRegistry", () => {
  it("registers versions in order and validates payloads against their version", () => {
    const registry = new ContractRegistry().register(V1).register(V2);
    expect(registry.versionsOf("stock.counted")).toEqual([1, 2]);
    expect(registry.latest("stock.counted")).toBe(V2);
    expect(registry.validate("stock.counted", 2, { sku: "A", qty: "1" })).toEqual({
      sku: "A",
      qty: "1",
      uom: "EA",
    });
    const error = caught(() => registry.validate("stock.counted", 1, { sku: "A", qty: 1 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["qty"]);
    expect((error as ValidationError).message).toContain("stock.counted.v1");
  });

  it("refuses a version that breaks the mode, with every issue", () => {
    const registry = new ContractRegistry({ compatibility: "FULL" }).register(V1).register(V2);
    const error = caught(() => registry.register(V3));
    expect(error).toBeInstanceOf(IncompatibleContractError);
    const incompatible = error as IncompatibleContractError;
    expect(isDistroError(incompatible)).toBe(true);
    expect(incompatible.code).toBe("CONTRACT_ERROR");
    expect(incompatible.mode).toBe("FULL");
    expect(incompatible.issues.map((issue) => [issue.direction, issue.code, issue.path])).toEqual([
      ["backward", "required_field_missing", ["quantity"]],
      ["forward", "required_field_missing", ["qty"]],
    ]);
    expect(registry.versionsOf("stock.counted")).toEqual([1, 2]);
    // the same version passes where the type's mode allows it
    registry.setCompatibility("stock.counted", "NONE").register(V3);
    expect(registry.versionsOf("stock.counted")).toEqual([1, 2, 3]);
  });

  it("checks without registering", () => {
    const registry = new ContractRegistry().register(V1).register(V2);
    expect(registry.check(V3, "BACKWARD").compatible).toBe(false);
    expect(registry.check(V3, "NONE").compatible).toBe(true);
    expect(registry.versionsOf("stock.counted")).toEqual([1, 2]);
    expect(caught(() => registry.check(V3, "SIDEWAYS" as "NONE"))).toBeInstanceOf(ContractError);
  });

  it("refuses skipped versions and a different schema under a taken version; re-registering is a no-op", () => {
    const registry = new ContractRegistry().register(V1);
    expect(caught(() => registry.register(V3))).toBeInstanceOf(ContractError);
    registry.register(V1);
    const other = defineContract({
      type: "stock.counted",
      version: 1,
      schema: z.object({ sku: z.number() }),
    });
    expect((caught(() => registry.register(other)) as ContractError).message).toContain("already registered");
  });

  it("upcasts along the chain, validating every step", () => {
    const registry = new ContractRegistry({ compatibility: "NONE" }).register(V1).register(V2).register(V3);
    expect(registry.upcast("stock.counted", 1, { sku: "A", qty: "5" })).toEqual({
      type: "stock.counted",
      fromVersion: 1,
      version: 3,
      data: { sku: "A", quantity: "5", uom: "EA" },
    });
    expect(registry.upcast("stock.counted", 3, { sku: "A", quantity: "5" }).data).toEqual({
      sku: "A",
      quantity: "5",
      uom: "EA",
    });
  });

  it("reports a failing or wrong upcaster as a ContractError naming the step", () => {
    const Throws = defineContract({
      type: "stock.counted",
      version: 2,
      schema: z.object({ sku: z.string() }),
      upcast: () => {
        throw new Error("boom");
      },
    });
    const Wrong = defineContract({
      type: "stock.counted",
      version: 2,
      schema: z.object({ sku: z.string(), n: z.number() }),
      upcast: (previous: { sku: string }) => ({ sku: previous.sku, n: "x" as unknown as number }),
    });
    for (const [contract, text] of [
      [Throws, "failed"],
      [Wrong, "produced an invalid v2 payload"],
    ] as const) {
      const registry = new ContractRegistry({ compatibility: "NONE" }).register(V1).register(contract);
      const error = caught(() =>
        registry.upcast("stock.counted", 1, { sku: "A", qty: "1" }),
      ) as ContractError;
      expect(error).toBeInstanceOf(ContractError);
      expect(error.message).toContain(`stock.counted v1 → v2 ${text}`);
      expect(error.details).toMatchObject({ from: 1, to: 2 });
    }
  });

  it("refuses unknown types and versions with a ContractError", () => {
    const registry = new ContractRegistry().register(V1);
    expect((caught(() => registry.get("stock.counted", 7)) as ContractError).message).toContain("known: v1");
    expect(caught(() => registry.latest("nope.nope"))).toBeInstanceOf(ContractError);
    expect(caught(() => registry.validate("nope.nope", 1, {}))).toBeInstanceOf(ContractError);
    // found by the property test: String({ toString: null }) throws a TypeError
    expect(caught(() => registry.validate({ toString: null } as unknown as string, 1, {}))).toBeInstanceOf(
      ContractError,
    );
    expect(
      caught(() => registry.get("stock.counted", { toString: null } as unknown as number)),
    ).toBeInstanceOf(ContractError);
    expect(caught(() => new ContractRegistry({ compatibility: "ALL" as "NONE" }))).toBeInstanceOf(
      ContractError,
    );
  });
});

describe("canonical contracts", () => {
  const registry = createCanonicalRegistry();
  const order = parseOrder(sampleOrder(1, 2));

  it("registers every canonical contract under BACKWARD", () => {
    expect(registry.types()).toEqual([
      "credit-memo.issued",
      "customer.changed",
      "inventory.changed",
      "invoice.posted",
      "item.changed",
      "order.booked",
      "order.status-changed",
      "order.submitted",
      "price.changed",
      "return.authorized",
      "shipment.shipped",
    ]);
    expect(registry.versionsOf("order.submitted")).toEqual([1, 2]);
    expect(CANONICAL_CONTRACTS).toHaveLength(12);
  });

  it("order.submitted v2 is BACKWARD but not FORWARD compatible with v1", () => {
    expect(
      createCanonicalRegistry({ compatibility: "BACKWARD_TRANSITIVE" }).versionsOf("order.submitted"),
    ).toEqual([1, 2]);
    const error = caught(() =>
      createCanonicalRegistry({ compatibility: "FORWARD" }),
    ) as IncompatibleContractError;
    expect(error).toBeInstanceOf(IncompatibleContractError);
    expect(error.issues.map((issue) => issue.path)).toEqual([["source"]]);
  });

  it("upcasts order.submitted v1 to v2, classifying the channel", () => {
    const cases: [string, string][] = [
      ["shopify", "web"],
      ["b2b-portal", "web"],
      ["EDI 850", "edi"],
      ["x12", "edi"],
      ["amazon", "marketplace"],
      ["sales rep", "sales_rep"],
      ["partner-api", "api"],
      ["fax", "unknown"],
    ];
    for (const [source, kind] of cases) {
      const { data, version } = registry.upcast("order.submitted", 1, {
        order,
        source,
        submittedAt: "2026-03-01T10:00:00Z",
      });
      expect(version).toBe(2);
      expect(data).toEqual({ order, channel: { kind, name: source }, submittedAt: "2026-03-01T10:00:00Z" });
    }
    // a v1 payload read directly by v2 (no upcast) still parses: the compatibility check's promise
    expect(
      OrderSubmittedV2Contract.parse(
        OrderSubmittedV1Contract.parse({ order, source: "x", submittedAt: "2026-03-01T10:00:00Z" }),
      ).channel,
    ).toEqual({ kind: "unknown", name: "unknown" });
  });

  it("the committed docs/contracts files are what the export script writes", () => {
    const dir = join(__dirname, "../../../../docs/contracts");
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
      contracts: { file: string }[];
    };
    const exported = registry.exportJsonSchemas();
    expect(index.contracts.map((entry) => entry.file)).toEqual(
      exported.map((entry) => `${entry.name}.schema.json`),
    );
    for (const entry of exported) {
      expect(JSON.parse(readFileSync(join(dir, `${entry.name}.schema.json`), "utf8"))).toEqual(entry.schema);
    }
  });
});
