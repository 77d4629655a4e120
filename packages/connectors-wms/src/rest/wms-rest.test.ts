import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createMemoryDeadLetterStore, isDistroError, type Order } from "@distro/core";
import { createWmsSimulator, type WmsSimulator } from "@distro/testkit/wms";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyFulfilmentEvent, type FulfilmentEvent, type FulfilmentState } from "./fulfilment-state";
import { createWmsRest, type WmsRest, type WmsWebhookOutcome } from "./wms-rest";

const secret = "wms-shared-secret";
let wms: WmsSimulator;
let receiver: Server;
let adapter: WmsRest;
let outcomes: (WmsWebhookOutcome | { kind: "rejected"; code: string })[];
const deadLetters = createMemoryDeadLetterStore();

function order(id: string): Order {
  return {
    id,
    number: id,
    customer: { id: "C10000" },
    status: "booked",
    currency: "USD",
    lines: [
      {
        lineNumber: 1,
        sku: "BOLT-M8",
        quantity: "100",
        uom: "EA",
        unitPrice: { amount: "0.0125", currency: "USD" },
        pricePer: "1",
        status: "allocated",
        allocatedQuantity: "60",
        backorderedQuantity: "40",
      },
    ],
    shipTo: {
      name: "Dock 4",
      line1: "1 Dock Rd",
      city: "Dayton",
      region: "OH",
      postalCode: "45402",
      country: "US",
    },
    orderedAt: "2026-03-01T10:00:00Z",
    schemaVersion: 1,
    refs: {},
    ext: {},
  };
}

beforeEach(async () => {
  outcomes = [];
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === "string") headers[name] = value;
      adapter
        .handleWebhook({ body: Buffer.concat(chunks), headers })
        .then((outcome) => {
          outcomes.push(outcome);
          response.writeHead(200).end();
        })
        .catch((error: unknown) => {
          outcomes.push({ kind: "rejected", code: isDistroError(error) ? error.code : "UNKNOWN" });
          response.writeHead(isDistroError(error) && error.code === "SIGNATURE_INVALID" ? 401 : 500).end();
        });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/wms`;
  wms = await createWmsSimulator({ secret, webhookUrl, sleep: async () => {} });
  adapter = createWmsRest({
    baseUrl: wms.url,
    accessToken: wms.accessToken,
    webhookSecret: secret,
    deadLetters,
    sleep: async () => {},
  });
});

afterEach(async () => {
  await wms.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe("WMS REST / webhook adapter against the WMS simulator", () => {
  it("sends a fulfilment request once per order, even when retried after a 429", async () => {
    wms.faults.inject({ kind: "rate-limit", times: 1, retryAfterSeconds: 0 });
    const first = await adapter.requestFulfilment(order("O-1"));
    const again = await adapter.requestFulfilment(order("O-1"));
    expect(again.wmsOrderId).toBe(first.wmsOrderId);
    expect(wms.orders()).toHaveLength(1);
    expect(wms.orders()[0]?.products).toEqual([{ sku: "BOLT-M8", quantity: "60" }]);
    expect(wms.ledger.count({ status: 429 })).toBe(1);
    expect((await adapter.state("O-1"))?.status).toBe("requested");
  });

  it("follows pick, pack and ship into shipped with carrier and tracking", async () => {
    await adapter.requestFulfilment(order("O-2"));
    await wms.deliver(wms.event("pick", "O-2"));
    await wms.deliver(wms.event("pack", "O-2"));
    await wms.deliver(wms.event("ship", "O-2", { trackingNumber: "1Z999AA10123456784", carrier: "ups" }));
    const state = await adapter.state("O-2");
    expect(state).toMatchObject({ status: "shipped", carrier: "ups", trackingNumber: "1Z999AA10123456784" });
    expect(state?.applied).toHaveLength(3);
  });

  it("ends in shipped when the ship event overtakes the pack, and a late pack does not move it back", async () => {
    wms.sender.inject({ kind: "out-of-order", times: 1 });
    await wms.deliver(wms.event("pack", "O-3"));
    await wms.deliver(wms.event("ship", "O-3"));
    expect(outcomes.map((outcome) => outcome.kind === "applied" && outcome.event.kind)).toEqual([
      "shipped",
      "packed",
    ]);
    expect((await adapter.state("O-3"))?.status).toBe("shipped");
  });

  it("applies a duplicated delivery once", async () => {
    wms.sender.inject({ kind: "duplicate", times: 1 });
    await wms.deliver(wms.event("pick", "O-4"));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(["applied", "duplicate"]);
    expect((await adapter.state("O-4"))?.applied).toHaveLength(1);
  });

  it("refuses a forged signature with 401 and leaves the state alone", async () => {
    const result = await wms.deliver(wms.forge(wms.event("ship", "O-5")));
    expect(result.outcome).toBe("failed");
    expect(result.attempts.every((attempt) => attempt.status === 401)).toBe(true);
    expect(
      outcomes.every((outcome) => outcome.kind === "rejected" && outcome.code === "SIGNATURE_INVALID"),
    ).toBe(true);
    expect(await adapter.state("O-5")).toBeUndefined();
  });

  it("dead-letters an unknown event type and a malformed event, naming what failed", async () => {
    await wms.deliver(wms.raw({ webhook_type: "Inventory Change", sku: "BOLT-M8" }));
    const malformed = wms.raw({
      webhook_type: "Shipment Update",
      fulfillment: { order_number: "O-6", shipping_carrier: "ups" },
    });
    await wms.deliver(malformed);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(["dead-lettered", "dead-lettered"]);
    const entries = await deadLetters.list();
    const unknown = entries.find((entry) => entry.message.includes("Inventory Change"));
    expect(unknown?.error.message).toContain('unknown WMS event type "Inventory Change"');
    const bad = entries.find((entry) => entry.eventId === malformed.id);
    expect(bad?.issues?.[0]?.path).toEqual(["fulfillment", "tracking_number"]);
  });

  it("keeps an exception's reason and still ends in shipped when the order ships", async () => {
    await wms.deliver(wms.event("exception", "O-7", { reason: "Short 40 units" }));
    expect((await adapter.state("O-7"))?.status).toBe("exception");
    await wms.deliver(wms.event("ship", "O-7"));
    expect(await adapter.state("O-7")).toMatchObject({ status: "shipped", exception: "Short 40 units" });
  });

  it("implements the WmsSystem v1 port: fulfilment requests and web-standard Request webhooks", async () => {
    expect([adapter.specificationVersion, adapter.system]).toEqual(["v1", "wms-rest"]);
    const { id } = await adapter.requestFulfillment({
      id: "F-1",
      orderId: "O-8",
      erpOrderNumber: "S-ORD101001",
      locationId: "EAST",
      shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
      lines: [{ lineNumber: 1, sku: "BOLT-M8", quantity: "5", uom: "EA" }],
    });
    expect(wms.orders().find((entry) => entry.id === id)).toMatchObject({
      referenceId: "O-8",
      orderNumber: "S-ORD101001",
    });
    const delivery = wms.event("ship", "O-8", { trackingNumber: "1Z1" });
    const request = () =>
      new Request("http://localhost/wms", { method: "POST", headers: delivery.headers, body: delivery.body });
    const events = await adapter.receiveWebhook(request());
    expect(events).toEqual([
      { id: delivery.id, type: "shipped", orderId: "O-8", occurredAt: expect.any(String) },
    ]);
    expect(await adapter.receiveWebhook(request())).toEqual([]);
    const forged = wms.forge(delivery);
    await expect(
      adapter.receiveWebhook(
        new Request("http://localhost/wms", { method: "POST", headers: forged.headers, body: forged.body }),
      ),
    ).rejects.toMatchObject({ code: "SIGNATURE_INVALID" });
  });

  it("any order and duplication of pick, pack and ship ends in the furthest status", () => {
    const kinds = ["picked", "packed", "shipped"] as const;
    fc.assert(
      fc.property(
        fc.subarray([0, 1, 2], { minLength: 1 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
        (chosen, duplicates, keys) => {
          const events: FulfilmentEvent[] = chosen.map((index) => ({
            messageId: `m${index}`,
            orderId: "O",
            kind: kinds[index] as FulfilmentEvent["kind"],
            lines: [],
          }));
          const stream = [
            ...events,
            ...duplicates.map((pick) => events[pick % events.length] as FulfilmentEvent),
          ];
          const shuffled = stream
            .map((event, index) => ({ event, key: keys[index] ?? 0 }))
            .sort((a, b) => a.key - b.key)
            .map((entry) => entry.event);
          let state: FulfilmentState | undefined;
          for (const event of shuffled) state = applyFulfilmentEvent(state, event);
          expect(state?.status).toBe(kinds[Math.max(...chosen)]);
        },
      ),
    );
  });
});
