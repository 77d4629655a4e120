import {
  compareDecimal,
  createMemoryIdempotencyStore,
  isDistroError,
  multiplyDecimal,
  type Order,
  roundDecimal,
} from "@distro/core";
import {
  type BusinessCentralSimulator,
  createBusinessCentralSimulator,
} from "@distro/testkit/business-central";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBusinessCentral } from "./business-central";

let erp: BusinessCentralSimulator;

beforeEach(async () => {
  erp = await createBusinessCentralSimulator({ seed: { items: 60 } });
});
afterEach(async () => {
  await erp.close();
});

function adapter(extra: Partial<Parameters<typeof createBusinessCentral>[0]> = {}) {
  return createBusinessCentral({
    companyUrl: erp.companyUrl,
    auth: { tokenUrl: erp.tokenUrl, ...erp.credentials },
    maxPageSize: 25,
    sleep: async () => {},
    ...extra,
  });
}

function order(id: string, customer: string, lines: [string, string][]): Order {
  return {
    id,
    customer: { id: customer, refs: { erp: customer } },
    status: "submitted",
    currency: "USD",
    lines: lines.map(([sku, quantity], index) => ({
      lineNumber: index + 1,
      sku,
      quantity,
      uom: "PCS",
      unitPrice: { amount: "0.0125", currency: "USD" },
      pricePer: "1",
      status: "open",
    })),
    shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
    orderedAt: "2026-03-01T10:00:00Z",
    schemaVersion: 1,
    refs: {},
    ext: {},
  };
}

describe("Business Central adapter against the simulator", () => {
  it("reads every item through server-driven paging with the page size it asked for", async () => {
    const bc = adapter();
    const pages: number[] = [];
    const skus: string[] = [];
    for await (const page of bc.items()) {
      pages.push(page.records.length);
      skus.push(...page.records.map((item) => item.sku));
    }
    expect(pages).toEqual([25, 25, 10]);
    expect(new Set(skus).size).toBe(60);
    const first = await bc.odata.pages("items").next();
    expect(first.value?.pageSizeApplied).toBe(25);
    expect(first.value?.nextLink).toContain("skiptoken=25");
  });

  it("reads every record exactly once whatever page size the server applies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70 }), async (pageSize) => {
        const skus: string[] = [];
        for await (const page of adapter({ maxPageSize: pageSize }).items())
          skus.push(...page.records.map((item) => item.sku));
        expect(skus).toHaveLength(60);
        expect(new Set(skus).size).toBe(60);
      }),
      { numRuns: 8 },
    );
  });

  it("prices a basket: customer contract from its break, tier below it, list for other customers, sub-cent exact", async () => {
    const bc = adapter();
    const list = erp.record("items", "I-00001")?.unitPrice as string;
    const wholesale = await bc.getPrices({
      customerId: "C10000",
      lines: [
        { sku: "I-00001", quantity: "1500" },
        { sku: "I-00001", quantity: "150" },
        { sku: "I-00001", quantity: "5" },
      ],
    });
    expect(wholesale.lines.map((line) => line.source)).toEqual(["customer", "tier", "tier"]);
    expect(wholesale.lines[0]?.minimumQuantity).toBe("1000");
    expect(
      compareDecimal(
        wholesale.lines[0]?.unitPrice.amount as string,
        wholesale.lines[1]?.unitPrice.amount as string,
      ),
    ).toBe(-1);
    expect(wholesale.lines[0]?.extended.amount).toBe(
      multiplyDecimal(wholesale.lines[0]?.unitPrice.amount as string, "1500"),
    );
    const retail = await bc.getPrices({ customerId: "C20000", lines: [{ sku: "I-00001", quantity: "3" }] });
    expect(retail.lines[0]).toMatchObject({ source: "list", unitPrice: { amount: list, currency: "USD" } });
    expect(retail.total.amount).toBe(roundDecimal(multiplyDecimal(list, "3"), 2));
    expect(list).toMatch(/\.\d{3,4}$/);
  });

  it("names the basket line that has no price", async () => {
    const bc = adapter();
    const error = await bc
      .getPrices({ customerId: "C10000", lines: [{ sku: "NOPE", quantity: "1" }] })
      .catch((e) => e);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.issues[0].path).toEqual(["lines", 0, "sku"]);
  });

  it("reports availability per SKU and warehouse", async () => {
    const levels = await adapter().getAvailability({ skus: ["I-00002", "I-00003"] });
    expect(levels).toHaveLength(6);
    expect(new Set(levels.map((level) => level.locationId))).toEqual(new Set(["EAST", "CENTRAL", "WEST"]));
    const only = await adapter().getAvailability({ skus: ["I-00002"], locationIds: ["WEST"] });
    expect(only).toHaveLength(1);
    expect(only[0]?.available).toBe(only[0]?.onHand);
  });

  it("computes credit exposure and hold", async () => {
    const status = await adapter().getCreditStatus("C20000");
    expect(status).toMatchObject({
      creditLimit: { amount: "1000" },
      exposure: { amount: "900" },
      available: { amount: "100" },
      onHold: false,
    });
    erp.update("customers", "C20000", { blocked: "All" });
    expect((await adapter().getCreditStatus("C20000")).onHold).toBe(true);
  });

  it("books once per key, allocates what is in stock and backorders the rest", async () => {
    const bc = adapter();
    const first = await bc.submitOrder(
      order("o-1", "C10000", [
        ["I-00004", "100000"],
        ["I-00005", "1"],
      ]),
      {
        idempotencyKey: "WEB-1001",
      },
    );
    expect(first.erpOrderNumber).toMatch(/^S-ORD\d+$/);
    expect(first.duplicate).toBe(false);
    const [short, full] = first.lines;
    expect(short?.status).toBe("backordered");
    expect(compareDecimal(short?.backorderedQuantity as string, "0")).toBe(1);
    expect(full?.status).toBe("allocated");
    const again = await bc.submitOrder(
      order("o-1", "C10000", [
        ["I-00004", "100000"],
        ["I-00005", "1"],
      ]),
      {
        idempotencyKey: "WEB-1001",
      },
    );
    expect(again).toMatchObject({ erpOrderNumber: first.erpOrderNumber, duplicate: true });
    expect(erp.bookingsByKey().get("WEB-1001")).toBe(1);
    const reserved = await bc.getAvailability({
      skus: ["I-00004"],
      locationIds: [short?.locationId as string],
    });
    expect(reserved[0]?.available).toBe("0");
    expect(reserved[0]?.allocated).toBe(short?.allocatedQuantity);
  });

  it("turns a credit-limit refusal into a typed, non-retryable error with the ERP's code", async () => {
    const error = await adapter()
      .submitOrder(order("o-2", "C20000", [["I-00007", "10000"]]), { idempotencyKey: "WEB-2" })
      .catch((e) => e);
    expect(isDistroError(error)).toBe(true);
    expect(error.retryable).toBe(false);
    expect(error.upstreamCode).toBe("Application_CreditLimitExceeded");
    expect(erp.bookings()).toHaveLength(0);
  });

  it("any interleaving of duplicate submissions books each key exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 12 }),
        async (picks) => {
          const sim = await createBusinessCentralSimulator({
            seed: { items: 10 },
            maxConcurrentRequests: 100,
          });
          try {
            const bc = createBusinessCentral({
              companyUrl: sim.companyUrl,
              auth: { tokenUrl: sim.tokenUrl, ...sim.credentials },
              idempotency: { store: createMemoryIdempotencyStore() },
              sleep: async () => {},
            });
            await Promise.all(
              picks.map((pick) =>
                bc.submitOrder(order(`o-${pick}`, "C10000", [["I-00002", "1"]]), {
                  idempotencyKey: `K-${pick}`,
                }),
              ),
            );
            const counts = sim.bookingsByKey();
            expect(counts.size).toBe(new Set(picks).size);
            for (const count of counts.values()) expect(count).toBe(1);
          } finally {
            await sim.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it("books many orders through $batch and reports each failed operation on its own", async () => {
    const bc = adapter();
    const orders = Array.from({ length: 150 }, (_, index) => ({
      order: order(`b-${index}`, "C10000", [[index === 7 ? "NO-SUCH-ITEM" : "I-00002", "1"]]),
      idempotencyKey: `BATCH-${index}`,
    }));
    erp.injectFault({
      match: (target) => target.inBatch && target.method === "GET" && target.path.endsWith("/salesOrders"),
      status: 503,
      times: 1,
    });
    erp.injectFault({
      match: (target) => target.inBatch && target.method === "POST" && target.path.endsWith("/salesOrders"),
      status: 503,
      times: 1,
    });
    const results = await bc.submitOrders(orders);
    // 6 key lookups (25 keys each) and 150 bookings, in 3 $batch requests
    expect(erp.traffic().batchOperations).toBe(156);
    expect(erp.ledger.count({ method: "POST", path: "/api/v2.0/$batch" })).toBe(3);
    const failed = results.filter((result) => !result.ok);
    expect(failed.map((result) => result.index).sort((a, b) => a - b)).toEqual([0, 7]);
    const unknownItem = failed.find((result) => result.index === 7);
    expect(unknownItem && !unknownItem.ok && unknownItem.error.message).toContain("salesOrderLines[0]");
    expect(erp.bookings()).toHaveLength(148);
    const again = await bc.submitOrders(orders.slice(0, 10));
    expect(again.filter((result) => result.ok && result.result.duplicate)).toHaveLength(8);
    expect(again[0]).toMatchObject({ ok: true, result: { duplicate: false } });
    expect(again[7]?.ok).toBe(false);
    expect([...erp.bookingsByKey().values()].every((count) => count === 1)).toBe(true);
  });

  it("maps a stale ETag to a conflict, and re-reads and reapplies when asked", async () => {
    const bc = adapter();
    const current = await bc.odata.list("customers", { filter: "number eq 'C40000'" }).next();
    const id = current.value?.id as string;
    const etag = current.value?.["@odata.etag"] as string;
    erp.update("customers", "C40000", { displayName: "Changed by someone else" });
    const conflict = await bc.odata
      .update(`customers(${id})`, etag, { creditLimit: "60000" })
      .catch((e) => e);
    expect(conflict.code).toBe("CONFLICT");
    expect(conflict.details.upstreamCode).toBe("Request_EntityChanged");
    const updated = await bc.odata.update(
      `customers(${id})`,
      etag,
      { creditLimit: "60000" },
      { reapply: (_now, patch) => patch },
    );
    expect(updated.value.creditLimit).toBe("60000");
    expect(updated.etag).not.toBe(etag);
    await bc.setCreditLimit("C40000", { amount: "70000", currency: "USD" });
    expect(erp.record("customers", "C40000")?.creditLimit).toBe("70000");
  });

  it("retries a 429 after Retry-After and stays correct", async () => {
    erp.faults.inject({ kind: "rate-limit", times: 2, retryAfterSeconds: 1, path: /\/items$/ });
    const waits: number[] = [];
    const bc = adapter({ sleep: async (ms) => void waits.push(ms) });
    let count = 0;
    for await (const page of bc.items()) count += page.records.length;
    expect(count).toBe(60);
    expect(waits.filter((ms) => ms >= 1000)).toHaveLength(2);
  });

  it("reads posted shipments and invoices as canonical documents, and order status follows posting", async () => {
    const bc = adapter();
    const booked = await bc.submitOrder(order("o-3", "C10000", [["I-00010", "2"]]), {
      idempotencyKey: "WEB-3",
    });
    const posted = erp.shipAndInvoice(booked.erpOrderNumber);
    const status = await bc.getOrderStatus(booked.erpOrderNumber);
    expect(status.status).toBe("shipped");
    expect(status.lines[0]?.shippedQuantity).toBe("2");
    const invoices = [];
    for await (const page of bc.invoices()) invoices.push(...page.records);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({
      number: posted.invoiceNumber,
      orderId: booked.erpOrderNumber,
      status: "posted",
    });
    expect(invoices[0]?.lines[0]?.quantity).toBe("2");
    const shipments = [];
    let cursor: string | undefined;
    for await (const page of bc.shipments()) {
      shipments.push(...page.records);
      cursor = page.cursor;
    }
    expect(shipments[0]).toMatchObject({
      id: posted.shipmentNumber,
      status: "shipped",
      carrier: { code: "FEDEX" },
    });
    const later = [];
    for await (const page of bc.shipments(cursor)) later.push(...page.records);
    expect(later).toHaveLength(0);
  });

  it("answers a bad $filter with a typed error carrying the OData error code", async () => {
    const error = await adapter()
      .odata.list("items", { filter: "noSuchField eq 'x'" })
      .next()
      .catch((e) => e);
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.upstreamCode).toBe("BadRequest_InvalidToken");
    expect(error.message).toContain("noSuchField");
  });

  it("refuses wrong client credentials with an AuthError", async () => {
    const bc = createBusinessCentral({
      companyUrl: erp.companyUrl,
      auth: { tokenUrl: erp.tokenUrl, clientId: "distro-client", clientSecret: "wrong" },
    });
    const error = await bc.getCreditStatus("C10000").catch((e) => e);
    expect(error.code).toBe("AUTH_FAILED");
  });
});
