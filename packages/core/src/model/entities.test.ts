import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/validation-error";
import { multiplyDecimal } from "../money/decimal";
import { type Customer, customerAncestors } from "./customer";
import { gtin13, SAMPLE_ENTITIES, sscc18 } from "./fixtures/samples";
import { gs1CheckDigit, isValidGs1Key } from "./gs1";
import { inventoryKey } from "./inventory";
import { dueDateFor, invoiceTotalMismatches, invoiceTotals } from "./invoice";
import { convertQuantity, GtinSchema } from "./item";
import {
  parseCreditMemo,
  parseCustomer,
  parseInventoryLevel,
  parseInvoice,
  parseItem,
  parsePrice,
  parseReturn,
  parseShipment,
} from "./parse";
import { extendPrice, selectPrice, unitPriceFor } from "./price";
import { creditMemoTotals } from "./returns";

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

describe("GS1 keys", () => {
  it("accepts real GTINs and SSCCs and rejects a wrong check digit", () => {
    expect(gs1CheckDigit("400638133393")).toBe(1);
    expect(GtinSchema.safeParse("4006381333931").success).toBe(true);
    expect(GtinSchema.safeParse("036000291452").success).toBe(true); // UPC-A
    expect(GtinSchema.safeParse("96385074").success).toBe(true); // GTIN-8
    expect(GtinSchema.safeParse("4006381333932").success).toBe(false);
    expect(GtinSchema.safeParse("40063813339").success).toBe(false);
    expect(isValidGs1Key("106141411234567897", [18])).toBe(true);
    expect(isValidGs1Key("106141411234567898", [18])).toBe(false);
  });

  it("detects every single-digit error (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }),
        fc.nat(12),
        fc.integer({ min: 1, max: 9 }),
        (body, position, delta) => {
          const valid = gtin13(Number(body));
          expect(isValidGs1Key(valid, [13])).toBe(true);
          const digit = (Number(valid[position]) + delta) % 10;
          const broken = `${valid.slice(0, position)}${digit}${valid.slice(position + 1)}`;
          expect(isValidGs1Key(broken, [13])).toBe(false);
        },
      ),
    );
  });
});

describe("Item and convertQuantity", () => {
  const item = parseItem(SAMPLE_ENTITIES.Item);

  it("converts boxes of 100 to each and back, exactly", () => {
    expect(convertQuantity(item, { value: "3", uom: "BX" }, "EA")).toEqual({ value: "300", uom: "EA" });
    expect(convertQuantity(item, { value: "250", uom: "EA" }, "BX")).toEqual({ value: "2.5", uom: "BX" });
    expect(convertQuantity(item, { value: "1.5", uom: "CS" }, "BX")).toEqual({ value: "30", uom: "BX" });
    expect(convertQuantity(item, { value: "7", uom: "EA" }, "EA")).toEqual({ value: "7", uom: "EA" });
  });

  it("round-trips any quantity through any unit (property)", () => {
    const units = ["EA", "BX", "CS"] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(...units),
        fc.constantFrom(...units),
        (units, scale, from, to) => {
          const value = multiplyDecimal(String(units), `0.${"0".repeat(scale)}1`.replace(/^0\.1$/, "0.1"));
          const there = convertQuantity(item, { value, uom: from }, to);
          expect(convertQuantity(item, there, from)).toEqual({ value, uom: from });
        },
      ),
    );
  });

  it("refuses inexact and unknown conversions unless asked to round", () => {
    const packs = parseItem({ ...SAMPLE_ENTITIES.Item, uoms: [{ uom: "PK", factor: "3" }] });
    expect(issuesOf(() => convertQuantity(packs, { value: "1", uom: "EA" }, "PK"))[0]?.code).toBe(
      "inexact_conversion",
    );
    expect(convertQuantity(packs, { value: "1", uom: "EA" }, "PK", { scale: 4 })).toEqual({
      value: "0.3333",
      uom: "PK",
    });
    expect(convertQuantity(packs, { value: "6", uom: "EA" }, "PK")).toEqual({ value: "2", uom: "PK" });
    expect(issuesOf(() => convertQuantity(packs, { value: "1", uom: "PL" }, "EA"))[0]).toMatchObject({
      code: "unknown_uom",
      path: ["uom"],
    });
  });

  it("refuses a repeated unit and a bad GTIN with paths", () => {
    const issues = issuesOf(() =>
      parseItem({ ...SAMPLE_ENTITIES.Item, gtin: "4006381333932", uoms: [{ uom: "EA", factor: "1" }] }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([["gtin"], ["uoms", 0, "uom"]]);
  });
});

describe("Price", () => {
  const tier = parsePrice(SAMPLE_ENTITIES.Price);

  it("picks the quantity break and extends below-cent prices exactly", () => {
    expect(unitPriceFor(tier, "999").amount).toBe("0.0125");
    expect(unitPriceFor(tier, "1000").amount).toBe("0.011");
    expect(extendPrice(tier, "300")).toEqual({ amount: "3.75", currency: "USD" });
    expect(extendPrice(tier, "1500")).toEqual({ amount: "16.5", currency: "USD" });
    expect(issuesOf(() => unitPriceFor(tier, "0.5"))[0]?.code).toBe("below_minimum");
  });

  it("prices per pack", () => {
    const perHundred = parsePrice({
      ...SAMPLE_ENTITIES.Price,
      per: "100",
      breaks: [{ minQuantity: "100", unitPrice: { amount: "1.25", currency: "USD" } }],
    });
    expect(extendPrice(perHundred, "300")).toEqual({ amount: "3.75", currency: "USD" });
  });

  it("selects customer over tier over list, within validity dates", () => {
    const list = parsePrice({ ...SAMPLE_ENTITIES.Price, id: "L", tier: undefined });
    const customer = parsePrice({ ...SAMPLE_ENTITIES.Price, id: "C", tier: undefined, customerId: "C-100" });
    const expired = parsePrice({
      ...SAMPLE_ENTITIES.Price,
      id: "X",
      tier: undefined,
      customerId: "C-100",
      validTo: "2025-12-31",
      validFrom: "2025-01-01",
    });
    const all = [list, tier, customer, expired];
    const query = { sku: "BOLT-M8-40", uom: "EA", on: "2026-03-01" };
    expect(selectPrice(all, { ...query, customerId: "C-100", tier: "gold" })?.id).toBe("C");
    expect(selectPrice(all, { ...query, customerId: "C-200", tier: "gold" })?.id).toBe("P-1");
    expect(selectPrice(all, { ...query, tier: "silver" })?.id).toBe("L");
    expect(selectPrice(all, { ...query, on: "2027-01-01" })).toBeUndefined();
    expect(selectPrice(all, { ...query, uom: "BX" })).toBeUndefined();
  });

  it("refuses both scopes, unordered breaks, foreign currency and reversed dates", () => {
    const issues = issuesOf(() =>
      parsePrice({
        ...SAMPLE_ENTITIES.Price,
        customerId: "C-1",
        validFrom: "2027-01-01",
        breaks: [
          { minQuantity: "10", unitPrice: { amount: "1", currency: "USD" } },
          { minQuantity: "10", unitPrice: { amount: "1", currency: "EUR" } },
        ],
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      ["tier"],
      ["validTo"],
      ["breaks", 1, "unitPrice", "currency"],
      ["breaks", 1, "minQuantity"],
    ]);
  });
});

describe("Customer", () => {
  const accounts = new Map<string, Customer>();
  const add = (id: string, parent?: string) => {
    const customer = parseCustomer({
      ...SAMPLE_ENTITIES.Customer,
      id,
      parentRef: parent ? { id: parent } : undefined,
    });
    accounts.set(id, customer);
    return customer;
  };

  it("walks the account hierarchy to the root", () => {
    add("HQ");
    add("BILL", "HQ");
    const shipTo = add("SHIP", "BILL");
    expect(customerAncestors(shipTo, (id) => accounts.get(id)).map((c) => c.id)).toEqual(["BILL", "HQ"]);
  });

  it("refuses cycles, unknown parents, self-parents and a credit limit in another currency", () => {
    add("A", "B");
    const b = add("B", "A");
    expect(issuesOf(() => customerAncestors(b, (id) => accounts.get(id)))[0]?.code).toBe("hierarchy_cycle");
    const orphan = add("O", "NOPE");
    expect(issuesOf(() => customerAncestors(orphan, (id) => accounts.get(id)))[0]?.code).toBe(
      "unknown_parent",
    );
    const issues = issuesOf(() =>
      parseCustomer({
        ...SAMPLE_ENTITIES.Customer,
        id: "C-HQ",
        creditLimit: { amount: "1", currency: "EUR" },
        contacts: [{ name: "x", email: "not-an-email" }],
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      ["contacts", 0, "email"],
      ["parentRef", "id"],
      ["creditLimit", "currency"],
    ]);
  });
});

describe("Inventory, shipments, invoices, returns and credit memos", () => {
  it("keys inventory by sku and location and keeps decimals as strings", () => {
    const level = parseInventoryLevel(SAMPLE_ENTITIES.InventoryLevel);
    expect(inventoryKey(level)).toBe("BOLT-M8-40@DAY-1");
    expect(
      issuesOf(() => parseInventoryLevel({ ...level, allocated: "-1", onHand: 5 })).map((i) => i.path),
    ).toEqual([["onHand"], ["allocated"]]);
  });

  it("checks SSCCs and that packed lines were shipped", () => {
    expect(parseShipment(SAMPLE_ENTITIES.Shipment).packages[0]?.sscc).toBe(sscc18(1));
    const issues = issuesOf(() =>
      parseShipment({
        ...SAMPLE_ENTITIES.Shipment,
        packages: [
          { sscc: sscc18(1), lines: [{ orderLineNumber: 9, sku: "X", quantity: "1", uom: "EA" }] },
          { sscc: sscc18(1) },
          { sscc: "106141411234567898" },
        ],
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      ["packages", 2, "sscc"],
      ["packages", 0, "lines", 0, "orderLineNumber"],
      ["packages", 1, "sscc"],
    ]);
  });

  it("totals an invoice exactly and computes due dates", () => {
    const invoice = parseInvoice(SAMPLE_ENTITIES.Invoice);
    // 300 × 0.0125 = 3.75; tax 0.271875 → 0.27; shipping 12
    expect(invoiceTotals(invoice)).toEqual({
      subtotal: { amount: "3.75", currency: "USD" },
      tax: { amount: "0.27", currency: "USD" },
      shipping: { amount: "12", currency: "USD" },
      total: { amount: "16.02", currency: "USD" },
    });
    expect(invoiceTotalMismatches(invoice)).toEqual([]);
    const stated = parseInvoice({
      ...SAMPLE_ENTITIES.Invoice,
      statedTotals: {
        subtotal: { amount: "3.750", currency: "USD" },
        tax: { amount: "0.28", currency: "USD" },
        total: { amount: "16.03", currency: "USD" },
      },
    });
    expect(
      invoiceTotalMismatches(stated).map((mismatch) => [mismatch.field, mismatch.computed.amount]),
    ).toEqual([
      ["tax", "0.27"],
      ["total", "16.02"],
    ]);
    expect(dueDateFor("2026-01-31", { netDays: 30 })).toBe("2026-03-02");
    expect(dueDateFor("2028-02-01", { netDays: 28 })).toBe("2028-02-29");
    expect(dueDateFor("2026-12-15", { netDays: 30 })).toBe("2027-01-14");
    expect(issuesOf(() => parseInvoice({ ...invoice, dueDate: "2026-03-01" }))[0]?.path).toEqual(["dueDate"]);
  });

  it("parses an RMA and totals its credit memo", () => {
    expect(parseReturn(SAMPLE_ENTITIES.Return).lines[0]?.reason).toBe("damaged");
    expect(creditMemoTotals(parseCreditMemo(SAMPLE_ENTITIES.CreditMemo)).total).toEqual({
      amount: "1.25",
      currency: "USD",
    });
    expect(
      issuesOf(() =>
        parseReturn({
          ...SAMPLE_ENTITIES.Return,
          lines: [{ ...SAMPLE_ENTITIES.Return.lines[0], reason: "meh" }],
        }),
      )[0]?.path,
    ).toEqual(["lines", 0, "reason"]);
  });
});
