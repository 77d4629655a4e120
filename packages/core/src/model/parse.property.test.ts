import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCanonicalRegistry } from "../contracts/canonical";
import { isDistroError } from "../errors/distro-error";
import { ValidationError } from "../errors/validation-error";
import { mutated } from "./fixtures/mutate";
import { SAMPLE_ENTITIES, sampleOrder } from "./fixtures/samples";
import {
  parseCreditMemo,
  parseCustomer,
  parseInventoryLevel,
  parseInvoice,
  parseItem,
  parseOrder,
  parsePrice,
  parseReturn,
  parseShipment,
} from "./parse";

const PARSERS: Record<keyof typeof SAMPLE_ENTITIES, (input: unknown) => unknown> = {
  Customer: parseCustomer,
  Item: parseItem,
  Price: parsePrice,
  InventoryLevel: parseInventoryLevel,
  Order: parseOrder,
  Shipment: parseShipment,
  Invoice: parseInvoice,
  Return: parseReturn,
  CreditMemo: parseCreditMemo,
};

/** The guarantee: a value, or a DistroError of an allowed code whose issues carry paths. */
function expectValueOrTypedError(run: () => unknown, codes = ["VALIDATION_FAILED"]): void {
  try {
    run();
  } catch (error) {
    expect(isDistroError(error), `not a DistroError: ${String(error)}`).toBe(true);
    const distroError = error as ValidationError;
    expect(codes).toContain(distroError.code);
    if (distroError.code === "VALIDATION_FAILED") {
      expect(distroError).toBeInstanceOf(ValidationError);
      expect(distroError.issues.length).toBeGreaterThan(0);
      for (const issue of distroError.issues) {
        expect(Array.isArray(issue.path)).toBe(true);
        for (const part of issue.path) expect(["string", "number"]).toContain(typeof part);
        expect(typeof issue.message).toBe("string");
        expect(typeof issue.code).toBe("string");
        // "unparseable" would mean a schema crashed internally and parseEntity caught it.
        expect(issue.code).not.toBe("unparseable");
      }
    }
  }
}

describe("every entity parser on bad input", () => {
  for (const [name, parse] of Object.entries(PARSERS)) {
    it(`${name}: arbitrary JSON gives a value or a ValidationError with paths`, () => {
      fc.assert(
        fc.property(fc.jsonValue(), (input) => expectValueOrTypedError(() => parse(input))),
        { numRuns: 300 },
      );
    });

    it(`${name}: a valid record damaged at any one place gives a value or a ValidationError with paths`, () => {
      const sample = SAMPLE_ENTITIES[name as keyof typeof SAMPLE_ENTITIES];
      expect(() => parse(sample)).not.toThrow();
      fc.assert(
        fc.property(mutated(sample), (input) => expectValueOrTypedError(() => parse(input))),
        { numRuns: 300 },
      );
    });
  }

  it("names the damaged field of a 20-line order", () => {
    const order = sampleOrder(3, 20);
    (order.lines as Record<string, unknown>[])[17]!.uom = "each";
    try {
      parseOrder(order);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual([["lines", 17, "uom"]]);
      expect((error as ValidationError).message).toContain("lines[17].uom");
    }
  });
});

describe("every contract entry point on bad input", () => {
  const registry = createCanonicalRegistry();
  const order = parseOrder(sampleOrder(1, 3));
  const SAMPLE_PAYLOADS: Record<string, unknown> = {
    "order.submitted.v1": { order, source: "shopify", submittedAt: "2026-03-01T10:00:00Z" },
    "order.submitted.v2": {
      order,
      channel: { kind: "web", name: "shopify" },
      idempotencyKey: "shopify:1",
      submittedAt: "2026-03-01T10:00:00Z",
    },
    "order.booked.v1": { order: { ...order, status: "booked" }, bookedAt: "2026-03-01T10:05:00Z" },
    "order.status-changed.v1": {
      orderId: "SO-1",
      from: "booked",
      to: "cancelled",
      changedAt: "2026-03-01T11:00:00Z",
    },
    "shipment.shipped.v1": { shipment: SAMPLE_ENTITIES.Shipment },
    "invoice.posted.v1": { invoice: SAMPLE_ENTITIES.Invoice },
    "inventory.changed.v1": { level: SAMPLE_ENTITIES.InventoryLevel, delta: "-20", reason: "shipment" },
    "price.changed.v1": { price: SAMPLE_ENTITIES.Price },
    "customer.changed.v1": { customer: SAMPLE_ENTITIES.Customer },
    "item.changed.v1": { item: SAMPLE_ENTITIES.Item },
    "return.authorized.v1": { return: SAMPLE_ENTITIES.Return },
    "credit-memo.issued.v1": { creditMemo: SAMPLE_ENTITIES.CreditMemo },
  };

  it("has a sample payload for every canonical contract", () => {
    expect(Object.keys(SAMPLE_PAYLOADS).sort()).toEqual(
      registry
        .exportJsonSchemas()
        .map((entry) => entry.name)
        .sort(),
    );
  });

  for (const entry of registry.exportJsonSchemas()) {
    it(`${entry.name}: validate and upcast give a value or a typed error with paths`, () => {
      const sample = SAMPLE_PAYLOADS[entry.name];
      expect(() => registry.validate(entry.type, entry.version, sample)).not.toThrow();
      expect(registry.upcast(entry.type, entry.version, sample).version).toBe(
        registry.latest(entry.type).version,
      );
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue(), mutated(sample)), (input) => {
          expectValueOrTypedError(() => registry.validate(entry.type, entry.version, input));
          expectValueOrTypedError(
            () => registry.upcast(entry.type, entry.version, input),
            ["VALIDATION_FAILED", "CONTRACT_ERROR"],
          );
        }),
        { numRuns: 150 },
      );
    });
  }

  it("refuses unknown types and versions with a ContractError, whatever they are", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (type, version, payload) => {
        expectValueOrTypedError(
          () => registry.validate(type as string, version as number, payload),
          ["VALIDATION_FAILED", "CONTRACT_ERROR"],
        );
        expectValueOrTypedError(
          () => registry.upcast(type as string, version as number, payload),
          ["VALIDATION_FAILED", "CONTRACT_ERROR"],
        );
      }),
      { numRuns: 300 },
    );
  });
});
