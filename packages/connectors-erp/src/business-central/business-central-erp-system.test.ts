import type { Order } from "@distro/core";
import {
  type BusinessCentralSimulator,
  createBusinessCentralSimulator,
} from "@distro/testkit/business-central";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBusinessCentralErpSystem } from "./business-central-erp-system";

let sim: BusinessCentralSimulator;
let now = Date.parse("2026-03-01T08:00:00Z");
beforeEach(async () => {
  sim = await createBusinessCentralSimulator({ seed: { items: 12 }, clock: () => now });
});
afterEach(async () => {
  await sim.close();
});

const erp = () =>
  createBusinessCentralErpSystem({
    companyUrl: sim.companyUrl,
    auth: { tokenUrl: sim.tokenUrl, ...sim.credentials },
    maxPageSize: 10,
    sleep: async () => {},
  });

function order(customer: string, quantity: string): Order {
  return {
    id: `o-${customer}-${quantity}`,
    customer: { id: customer, refs: { erp: customer } },
    status: "submitted",
    currency: "USD",
    lines: [
      {
        lineNumber: 10,
        sku: "I-00003",
        quantity,
        uom: "PCS",
        unitPrice: { amount: "1.5", currency: "USD" },
        pricePer: "1",
        status: "open",
      },
    ],
    shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
    orderedAt: "2026-03-01T10:00:00Z",
    schemaVersion: 1,
    refs: {},
    ext: {},
  };
}

describe("Business Central behind the ErpSystem v1 port", () => {
  it("books with per-line allocation keyed to the canonical line numbers, once per key", async () => {
    const port = erp();
    expect(port.specificationVersion).toBe("v1");
    const booking = await port.submitOrder(order("C10000", "2"), { idempotencyKey: "P-1" });
    expect(booking).toMatchObject({
      status: "booked",
      duplicate: false,
      allocations: [{ lineNumber: 10, sku: "I-00003", ordered: "2", allocated: "2", backordered: "0" }],
    });
    expect((await port.submitOrder(order("C10000", "2"), { idempotencyKey: "P-1" })).duplicate).toBe(true);
    expect(sim.bookingsByKey().get("P-1")).toBe(1);
  });

  it("puts an order over the credit limit on hold with the ERP's reason", async () => {
    const booking = await erp().submitOrder(order("C20000", "5000"), { idempotencyKey: "P-2" });
    expect(booking.status).toBe("on_hold");
    expect(booking.reason).toContain("Application_CreditLimitExceeded");
    expect(sim.bookings()).toHaveLength(0);
  });

  it("posts the shipment and invoice once per order and reports the order invoiced", async () => {
    const port = erp();
    const booking = await port.submitOrder(order("C10000", "1"), { idempotencyKey: "P-3" });
    const number = booking.erpOrderNumber as string;
    const shipment = { id: "s-1" } as never;
    const first = await port.postShipment(number, shipment, { idempotencyKey: "SHIP-1" });
    const again = await port.postShipment(number, shipment, { idempotencyKey: "SHIP-1" });
    expect(first.duplicate).toBe(false);
    expect(first.invoice?.lines[0]?.quantity).toBe("1");
    expect(again).toMatchObject({ duplicate: true, shipmentNumber: first.shipmentNumber });
    expect(sim.traffic().byOperation["POST salesOrders(id)/Microsoft.NAV.shipAndInvoice"]).toBe(1);
    const status = await port.getOrderStatus(number);
    expect(status.status).toBe("invoiced");
    expect(status.invoices).toHaveLength(1);
    expect(await port.listShipments({ erpOrderNumber: number })).toHaveLength(1);
  });

  it("reads changes page by page with a cursor that resumes after the last change", async () => {
    const port = erp();
    const pages = [];
    for await (const page of port.readChanges("item")) pages.push(page);
    expect(pages.map((page) => [page.records.length, page.hasMore])).toEqual([
      [10, true],
      [2, false],
    ]);
    const cursor = pages.at(-1)?.cursor as string;
    now += 60_000;
    sim.update("items", "I-00004", { displayName: "Renamed" });
    const later = [];
    for await (const page of port.readChanges("item", { cursor })) later.push(...page.records);
    expect(later.map((item) => [item.sku, item.name])).toEqual([["I-00004", "Renamed"]]);
    const customers = [];
    for await (const page of port.readChanges("customer")) customers.push(...page.records);
    expect(customers.find((customer) => customer.id === "C10000")).toMatchObject({
      tier: "WHOLESALE",
      creditLimit: { amount: "250000" },
    });
  });
});
