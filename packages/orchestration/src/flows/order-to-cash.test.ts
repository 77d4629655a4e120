import {
  type BookingResult,
  type CommerceChannel,
  type CreditStatus,
  type CrmActivity,
  type CrmSystem,
  createInMemoryAuditLog,
  type ErpSystem,
  type FulfillmentRequest,
  type Invoice,
  type Order,
  type Shipment,
  type WmsSystem,
} from "@distro/core";
import { describe, expect, it } from "vitest";
import { createProcessManager } from "../flow/process-manager";
import { backorderOf, ORDER_TO_CASH_EVENTS, orderToCashFlow } from "./order-to-cash";

const order: Order = {
  id: "WEB-1001",
  customer: { id: "C-100", refs: { erp: "10000" } },
  status: "submitted",
  currency: "USD",
  orderedAt: "2026-03-01T10:00:00Z",
  shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
  lines: [
    {
      lineNumber: 1,
      sku: "BOLT-M8-40",
      quantity: "300",
      uom: "EA",
      unitPrice: { amount: "0.0125", currency: "USD" },
      pricePer: "1",
      status: "open",
    },
    {
      lineNumber: 2,
      sku: "BRG-6204",
      quantity: "10",
      uom: "EA",
      unitPrice: { amount: "4.20", currency: "USD" },
      pricePer: "1",
      status: "open",
    },
  ],
  refs: {},
  ext: {},
  schemaVersion: 1,
} as Order;

/** A small in-process ERP behind the port: books once per key, allocates from stock. */
function fakeErp(stock: Record<string, string>, credit: Partial<CreditStatus> = {}) {
  const bookings = new Map<string, BookingResult>();
  const bookCalls: string[] = [];
  const erp: ErpSystem = {
    specificationVersion: "v1",
    system: "erp",
    getPrices: async () => [],
    getAvailability: async () => [],
    getCreditStatus: async (customerId) => ({
      customerId,
      limit: { amount: "1000", currency: "USD" },
      exposure: { amount: "0", currency: "USD" },
      available: { amount: "1000", currency: "USD" },
      onHold: false,
      ...credit,
    }),
    submitOrder: async (submitted, { idempotencyKey }) => {
      bookCalls.push(idempotencyKey);
      const known = bookings.get(idempotencyKey);
      if (known) return { ...known, duplicate: true };
      const allocations = submitted.lines.map((line) => {
        const available = BigInt(stock[line.sku] ?? "0");
        const wanted = BigInt(line.quantity);
        const allocated = available < wanted ? available : wanted;
        return {
          lineNumber: line.lineNumber,
          sku: line.sku,
          ordered: line.quantity,
          allocated: String(allocated),
          backordered: String(wanted - allocated),
          locationId: "WH-EAST",
        };
      });
      const result: BookingResult = {
        status: "booked",
        erpOrderNumber: `SO-${bookings.size + 1}`,
        allocations,
        duplicate: false,
      };
      bookings.set(idempotencyKey, result);
      return result;
    },
    getOrderStatus: async (erpOrderNumber) => ({ erpOrderNumber, status: "booked" }),
    listInvoices: async () => [],
    listShipments: async () => [],
    postShipment: async (erpOrderNumber, shipment) => ({
      duplicate: false,
      shipmentNumber: `SH-${erpOrderNumber}`,
      invoice: {
        id: `INV-${erpOrderNumber}`,
        number: `INV-${erpOrderNumber}`,
        status: "posted",
        customer: { id: "C-100" },
        orderId: shipment.orderId,
        currency: "USD",
        issueDate: "2026-03-03",
        dueDate: "2026-04-02",
      } as unknown as Invoice,
    }),
    readChanges: async function* () {},
  };
  return { erp, bookCalls, bookings };
}

function fakeEdges() {
  const calls: string[] = [];
  const activities: CrmActivity[] = [];
  const requests: FulfillmentRequest[] = [];
  const wms: WmsSystem = {
    specificationVersion: "v1",
    system: "wms",
    requestFulfillment: async (request) => {
      requests.push(request);
      return { id: request.id };
    },
    receiveWebhook: async () => [],
  };
  const channel = {
    specificationVersion: "v1",
    system: "shop",
    acknowledgeBooking: async () => void calls.push("acknowledgeBooking"),
    createFulfillment: async (shipment: Shipment) => {
      calls.push(`createFulfillment:${shipment.trackingNumber}`);
      return { id: "F-1" };
    },
    notifyInvoice: async (invoice: Invoice) => void calls.push(`notifyInvoice:${invoice.number}`),
  } as unknown as CommerceChannel;
  const crm = {
    specificationVersion: "v1",
    system: "crm",
    recordActivity: async (entry: CrmActivity) => {
      activities.push(entry);
      return { id: String(activities.length) };
    },
  } as unknown as CrmSystem;
  return { wms, channel, crm, calls, activities, requests };
}

const shipment: Shipment = {
  id: "SHP-1",
  orderId: "WEB-1001",
  status: "shipped",
  carrier: { name: "UPS" },
  trackingNumber: "1Z999",
  shipTo: order.shipTo,
  lines: [{ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA" }],
  packages: [],
} as unknown as Shipment;

describe("order-to-cash flow", () => {
  it("books, splits the backorder, fulfils, waits for the ship event, then posts shipment and invoice out", async () => {
    const { erp, bookCalls } = fakeErp({ "BOLT-M8-40": "300", "BRG-6204": "4" });
    const edges = fakeEdges();
    const log = createInMemoryAuditLog();
    const manager = createProcessManager({ audit: log });
    manager.register(orderToCashFlow({ erp, wms: edges.wms, channel: edges.channel, crm: edges.crm }));

    const waiting = await manager.start(
      "order-to-cash",
      { order, idempotencyKey: "shop:1001" },
      { id: "o2c:1001", correlationId: "c-1001" },
    );
    expect(waiting.status).toBe("waiting");
    const backorder = waiting.results["backorder-split"] as Order;
    expect(backorder.parentOrderId).toBe("WEB-1001");
    expect(backorder.lines).toEqual([
      expect.objectContaining({ sku: "BRG-6204", quantity: "6", status: "backordered" }),
    ]);
    expect(edges.requests[0]?.lines.map((line) => [line.sku, line.quantity])).toEqual([
      ["BOLT-M8-40", "300"],
      ["BRG-6204", "4"],
    ]);
    expect(edges.activities[0]?.kind).toBe("order_backordered");

    const [done] = await manager.deliver({
      id: "wms-evt-1",
      type: ORDER_TO_CASH_EVENTS.shipped,
      key: "WEB-1001",
      data: shipment,
    });
    expect(done?.status).toBe("completed");
    expect(edges.calls).toEqual(["acknowledgeBooking", "createFulfillment:1Z999", "notifyInvoice:INV-SO-1"]);
    expect(edges.activities.map((entry) => entry.kind)).toEqual([
      "order_backordered",
      "order_shipped",
      "order_invoiced",
    ]);
    expect(bookCalls).toEqual(["shop:1001"]);
    const audit = await log.list({ correlationId: "c-1001" });
    expect((await log.list()).length).toBe(audit.length);
    expect(audit.filter((entry) => entry.details?.phase === "completed").map((entry) => entry.step)).toEqual([
      "credit-check",
      "book",
      "backorder-split",
      "notify-booking",
      "crm-booked",
      "request-fulfillment",
      "post-shipment",
      "shipment-out",
      "crm-shipped",
      "invoice-out",
    ]);
  });

  it("holds an order over the available credit with the reason, and never books it", async () => {
    const { erp, bookCalls } = fakeErp({}, { available: { amount: "5.00", currency: "USD" } });
    const edges = fakeEdges();
    const manager = createProcessManager();
    manager.register(orderToCashFlow({ erp, wms: edges.wms, channel: edges.channel }));
    const held = await manager.start(
      "order-to-cash",
      { order, idempotencyKey: "shop:1001" },
      { id: "o2c:1001" },
    );
    expect(held.status).toBe("held");
    expect(held.hold?.code).toBe("CREDIT_LIMIT");
    expect(held.hold?.reason).toBe("Order total 45.75 USD exceeds available credit 5.00 USD");
    expect(bookCalls).toEqual([]);
  });

  it("computes no backorder when everything is allocated", () => {
    expect(
      backorderOf(order, {
        status: "booked",
        erpOrderNumber: "SO-1",
        duplicate: false,
        allocations: order.lines.map((line) => ({
          lineNumber: line.lineNumber,
          sku: line.sku,
          ordered: line.quantity,
          allocated: line.quantity,
          backordered: "0",
        })),
      }),
    ).toBeUndefined();
  });
});
