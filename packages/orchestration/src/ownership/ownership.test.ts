import { describe, expect, it } from "vitest";
import { assertOwned, DEFAULT_OWNERSHIP, mergeOwned, OwnershipError } from "./ownership";

const current = {
  id: "C-100",
  name: "Acme Fasteners",
  tier: "gold",
  segment: "OEM",
  currency: "USD",
  ext: { "crm.salesRep": "jane", "erp.priceGroup": "P1" },
};

describe("master-data ownership", () => {
  it("keeps CRM-owned customer fields when the ERP writes, and reports them", () => {
    const { merged, refused } = mergeOwned(
      "customer",
      current,
      {
        name: "ACME Fasteners Inc",
        tier: "silver",
        segment: "OEM",
        ext: { "crm.salesRep": "bob", "erp.priceGroup": "P2" },
      },
      "erp",
    );
    expect(merged).toMatchObject({
      name: "ACME Fasteners Inc",
      tier: "gold",
      ext: { "crm.salesRep": "jane", "erp.priceGroup": "P2" },
    });
    expect(refused).toEqual([
      { entity: "customer", field: "tier", owner: "crm", writer: "erp" },
      { entity: "customer", field: "ext.crm.salesRep", owner: "crm", writer: "erp" },
    ]);
  });

  it("lets the owner write its fields, and an unchanged value through from anyone", () => {
    expect(assertOwned("customer", current, { tier: "platinum" }, "crm").tier).toBe("platinum");
    expect(assertOwned("customer", current, { tier: "gold", name: "Acme Fasteners" }, "erp").tier).toBe(
      "gold",
    );
  });

  it("refuses a whole write that would overwrite another system's field", () => {
    expect(() =>
      assertOwned("item", { sku: "B1", description: "Bolt" }, { description: "BOLT M8" }, "erp"),
    ).toThrow(OwnershipError);
    try {
      assertOwned("customer", current, { name: "X" }, "crm");
    } catch (error) {
      expect((error as OwnershipError).code).toBe("OWNERSHIP_VIOLATION");
      expect((error as OwnershipError).violations).toEqual([
        { entity: "customer", field: "name", owner: "erp", writer: "crm" },
      ]);
    }
  });

  it("ships defaults in which prices and inventory belong to the ERP", () => {
    expect(DEFAULT_OWNERSHIP.price?.default).toBe("erp");
    expect(mergeOwned("price", { id: "P1", per: "1" }, { per: "100" }, "shopify").refused).toHaveLength(1);
  });
});
