import {
  type CreditMemo,
  type CrmActivity,
  type CrmSystem,
  type ErpSystem,
  type Order,
  parseOrder,
  parseReturn,
  type Return,
} from "@distro/core";
import { describe, expect, it } from "vitest";
import { createProcessManager } from "../flow/process-manager";
import { type AcceptedQuote, quoteToOrderFlow } from "./quote-to-order";
import { RETURN_TO_CREDIT_EVENTS, returnToCreditFlow } from "./return-to-credit";

const order: Order = parseOrder({
  id: "WEB-1001",
  customer: { id: "C-100", refs: { erp: "10000" } },
  status: "invoiced",
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
      status: "shipped",
    },
  ],
});

const rma: Return = parseReturn({
  id: "RMA-1",
  rmaNumber: "RMA-0001",
  status: "authorized",
  customer: { id: "C-100", refs: { erp: "10000" } },
  orderId: "WEB-1001",
  lines: [
    { lineNumber: 1, sku: "BOLT-M8-40", quantity: "100", uom: "EA", reason: "damaged", orderLineNumber: 1 },
  ],
  requestedAt: "2026-03-10T10:00:00Z",
});

function crmRecorder() {
  const activities: CrmActivity[] = [];
  const crm = {
    specificationVersion: "v1",
    system: "crm",
    recordActivity: async (activity: CrmActivity) => {
      activities.push(activity);
      return { id: String(activities.length) };
    },
  } as unknown as CrmSystem;
  return { crm, activities };
}

describe("return-to-credit", () => {
  it("credits what the warehouse received at the price paid, once per RMA, and tells the channel and CRM", async () => {
    const memos: { memo: CreditMemo; key: string }[] = [];
    const erp = {
      specificationVersion: "v1",
      system: "erp",
      postCreditMemo: async (memo: CreditMemo, { idempotencyKey }: { idempotencyKey: string }) => {
        memos.push({ memo, key: idempotencyKey });
        return { erpNumber: "CM-9001", duplicate: false };
      },
    } as unknown as ErpSystem;
    const refunds: string[] = [];
    const channel = {
      specificationVersion: "v1",
      system: "shop",
      notifyCreditMemo: async (memo: CreditMemo) => void refunds.push(memo.number),
    } as never;
    const { crm, activities } = crmRecorder();
    const manager = createProcessManager();
    manager.register(returnToCreditFlow({ erp, channel, crm }));

    const waiting = await manager.start(
      "return-to-credit",
      { rma, order, issueDate: "2026-03-12" },
      { id: "r2c:RMA-1" },
    );
    expect(waiting.status).toBe("waiting");
    const received = { lines: [{ ...rma.lines[0]!, quantity: "80" }] };
    const [done] = await manager.deliver({
      id: "wms-1",
      type: RETURN_TO_CREDIT_EVENTS.received,
      key: "RMA-1",
      data: received,
    });
    expect(done?.status).toBe("completed");
    expect(memos).toHaveLength(1);
    expect(memos[0]?.key).toBe("rma:RMA-1");
    expect(memos[0]?.memo.lines[0]).toMatchObject({
      sku: "BOLT-M8-40",
      quantity: "80",
      unitPrice: { amount: "0.0125", currency: "USD" },
    });
    expect(refunds).toEqual(["CM-RMA-0001"]);
    expect(activities[0]).toMatchObject({ kind: "return_credited", customerId: "10000" });
  });
});

describe("quote-to-order", () => {
  const quote: AcceptedQuote = {
    id: "Q-77",
    customer: { id: "C-100", refs: { erp: "10000" } },
    currency: "USD",
    shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
    lines: [
      {
        sku: "BOLT-M8-40",
        quantity: "1000",
        uom: "EA",
        quotedUnitPrice: { amount: "0.0110", currency: "USD" },
      },
      { sku: "BRG-6204", quantity: "5", uom: "EA" },
    ],
    validUntil: "2026-04-01",
    acceptedAt: "2026-03-20T09:00:00Z",
  };
  const erp = {
    specificationVersion: "v1",
    system: "erp",
    getPrices: async ({ lines }: { lines: { sku: string; quantity: string }[] }) =>
      lines.map((line) => ({
        sku: line.sku,
        quantity: line.quantity,
        uom: "EA",
        unitPrice: { amount: "4.20", currency: "USD" },
        per: "1",
        extended: { amount: "21", currency: "USD" },
      })),
  } as unknown as ErpSystem;

  it("keeps quoted prices, prices the rest at the ERP, and submits the order once", async () => {
    const submitted: { order: Order; key: string }[] = [];
    const { crm, activities } = crmRecorder();
    const manager = createProcessManager();
    manager.register(
      quoteToOrderFlow({
        erp,
        crm,
        submit: async (built, key) => void submitted.push({ order: built, key }),
      }),
    );
    const done = await manager.start("quote-to-order", { quote }, { id: "q2o:Q-77" });
    await manager.start("quote-to-order", { quote }, { id: "q2o:Q-77" });
    expect(done.status).toBe("completed");
    expect(submitted).toHaveLength(1);
    expect(submitted[0]?.key).toBe("quote:Q-77");
    expect(submitted[0]?.order.lines.map((line) => line.unitPrice.amount)).toEqual(["0.0110", "4.20"]);
    expect(activities[0]?.kind).toBe("order_submitted");
  });

  it("holds a quote accepted after it expired", async () => {
    const manager = createProcessManager();
    manager.register(quoteToOrderFlow({ erp, submit: async () => {} }));
    const held = await manager.start(
      "quote-to-order",
      { quote: { ...quote, acceptedAt: "2026-04-02T00:00:00Z" } },
      { id: "q2o:late" },
    );
    expect(held.status).toBe("held");
    expect(held.hold?.code).toBe("QUOTE_EXPIRED");
  });
});
