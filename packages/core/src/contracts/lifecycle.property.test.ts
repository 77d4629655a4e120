import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineContract } from "./contract";
import { ContractSunsetError, type DeprecatedContractUse } from "./lifecycle";
import { ContractRegistry } from "./registry";

const V1 = defineContract({ type: "stock.counted", version: 1, schema: z.object({ sku: z.string() }) });
const V2 = defineContract({ type: "stock.counted", version: 2, schema: z.object({ sku: z.string() }) });
const SUNSET = Date.parse("2027-01-01T00:00:00Z");

describe("contract lifecycle (property)", () => {
  it("for any uses by any users at any times: one warning per user before the sunset, every use after it refused", () => {
    const use = fc.record({
      user: fc.constantFrom("shopify-channel", "erp-booking", "edi-gateway", "wms"),
      version: fc.constantFrom(1, 2),
      // Around the sunset, both sides, the exact millisecond included.
      at: fc.oneof(fc.integer({ min: SUNSET - 5_000, max: SUNSET + 5_000 }), fc.constant(SUNSET)),
      upcast: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(use, { maxLength: 40 }), (uses) => {
        let now = 0;
        const warnings: DeprecatedContractUse[] = [];
        const registry = new ContractRegistry({
          clock: { now: () => now },
          onDeprecatedUse: (warning) => warnings.push(warning),
        })
          .register(V1)
          .register(V2)
          .deprecate("stock.counted", 1, { sunsetAt: new Date(SUNSET), replacement: 2 });
        let refused = 0;
        for (const { user, version, at, upcast } of uses) {
          now = at;
          const run = () =>
            upcast
              ? registry.upcast("stock.counted", version, { sku: "A" }, { user })
              : registry.validate("stock.counted", version, { sku: "A" }, { user });
          if (version === 1 && at >= SUNSET) {
            expect(run).toThrow(ContractSunsetError);
            refused++;
          } else {
            expect(run).not.toThrow();
          }
        }
        const early = uses.filter((entry) => entry.version === 1 && entry.at < SUNSET);
        const earlyUsers = [...new Set(early.map((entry) => entry.user))];
        // Warnings come in the order of each user's first early use, once each.
        expect(warnings.map((warning) => warning.user)).toEqual(earlyUsers);
        const usage = registry.usage();
        expect(usage.reduce((sum, entry) => sum + entry.deprecatedUses, 0)).toBe(early.length);
        expect(usage.reduce((sum, entry) => sum + entry.refusedUses, 0)).toBe(refused);
        expect(usage.every((entry) => entry.version === 1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
