import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEvent } from "../envelope/index";
import { defineContract } from "./contract";
import { type ContractValidationFailure, contractValidator } from "./contract-validator";
import { ContractRegistry } from "./registry";

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

function setup() {
  let now = Date.parse("2026-11-30T12:00:00Z");
  const registry = new ContractRegistry({
    compatibility: "NONE",
    clock: { now: () => now },
    onDeprecatedUse: () => {},
  });
  registry.register(StockV1).register(StockV2);
  registry.deprecate("stock.counted", 1, { sunsetAt: "2027-01-01T00:00:00Z", replacement: 2 });
  const setNow = (iso: string) => {
    now = Date.parse(iso);
  };
  return { registry, setNow };
}

const event = (dataschema: string | undefined, data: unknown) =>
  createEvent({
    id: "e1",
    type: "stock.counted",
    source: "/wms",
    ...(dataschema === undefined ? {} : { dataschema }),
    data,
  });

describe("contractValidator onInvalid", () => {
  it("tells each refusal's contract, version and reason, then throws the same error", () => {
    const { registry, setNow } = setup();
    const failures: ContractValidationFailure[] = [];
    const validate = contractValidator(registry, {
      user: "erp-booking",
      onInvalid: (failure) => failures.push(failure),
    });
    const thrown = (input: ReturnType<typeof event>) => {
      try {
        validate(input);
      } catch (error) {
        return error;
      }
      throw new Error("expected a refusal");
    };
    const errors = [
      thrown(event(undefined, {})),
      thrown(event("urn:distro:contract:stock.counted:v9", {})),
      thrown(event(StockV2.schemaId, { sku: "A" })),
      thrown(event(StockV1.schemaId, { sku: "A", qty: "five" })),
    ];
    setNow("2027-02-01T00:00:00Z");
    errors.push(thrown(event(StockV1.schemaId, { sku: "A", qty: "5" })));

    expect(failures.map(({ user, type, version, reason }) => [user, type, version, reason])).toEqual([
      ["erp-booking", undefined, undefined, "no_contract"],
      ["erp-booking", "stock.counted", 9, "unknown_version"],
      ["erp-booking", "stock.counted", 2, "invalid"],
      ["erp-booking", "stock.counted", 1, "upcast_failed"],
      ["erp-booking", "stock.counted", 1, "sunset"],
    ]);
    expect(failures.map((failure) => failure.error)).toEqual(errors);
    // An accepted event tells nothing.
    expect(validate(event(StockV2.schemaId, { sku: "A", quantity: "5" })).data).toEqual({
      sku: "A",
      quantity: "5",
    });
    expect(failures).toHaveLength(5);
  });

  it("a hook that throws does not change the refusal", () => {
    const { registry } = setup();
    const validate = contractValidator(registry, {
      user: "erp-booking",
      onInvalid: () => {
        throw new Error("metrics backend down");
      },
    });
    expect(() => validate(event(StockV2.schemaId, { sku: "A" }))).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});
