import {
  acknowledgeX12,
  buildX12Interchange,
  createMemoryControlNumberStore,
  createX12Partner,
  definePartnerProfile,
  parseEdi,
  type SegmentInput,
  serializeEdi,
} from "@distro/connectors-edi";
import { type Order, parseOrder, parseShipment } from "@distro/core";
import { describe, expect, it } from "vitest";
import { ediAcknowledgementErrorKind, ediPartnerMetrics } from "./edi-metrics";
import { sampleValue, scrape } from "./exposition.test-helper";
import { createMetricsRegistry } from "./registry";

const dock = {
  name: "Acme DC",
  line1: "1200 Industrial Pkwy",
  city: "Columbus",
  region: "OH",
  postalCode: "43215",
  country: "US",
};

const profile = definePartnerProfile({
  id: "acme",
  standard: "x12",
  partnerId: { qualifier: "ZZ", id: "ACMEBUYER" },
  ourId: { qualifier: "ZZ", id: "DISTRO" },
  version: "004010",
  unitsOfMeasure: { CA: "CS", EA: "EA" },
  locations: { DC01: dock },
  customerId: "C10000",
  delimiters: { segment: "~", element: "*", component: ">" },
});

const order: Order = parseOrder({
  id: "acme-PO-7001",
  poNumber: "PO-7001",
  customer: { id: "C10000" },
  channel: "edi",
  status: "submitted",
  currency: "USD",
  orderedAt: "2026-01-05T00:00:00Z",
  shipTo: dock,
  lines: [
    {
      lineNumber: 1,
      sku: "BOLT-M8-40",
      quantity: "10",
      uom: "CS",
      unitPrice: { amount: "12.50", currency: "USD" },
      pricePer: "1",
      status: "open",
    },
  ],
});

const shipment = (id: string) =>
  parseShipment({
    id,
    orderId: "acme-PO-7001",
    status: "shipped",
    carrier: { code: "UPSN", name: "UPS" },
    trackingNumber: "1Z999AA10123456784",
    shipTo: dock,
    shippedAt: "2026-01-07T15:45:00Z",
    lines: [{ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "10", uom: "CS" }],
  });

/** The partner's 997 to an interchange we sent: accepting it, or rejecting its one set. */
async function partnerSide997(sent: string, verdict: "accept" | "reject"): Promise<string> {
  const received = parseEdi(sent);
  if (verdict === "reject") {
    const transaction = received.interchanges[0]!.groups[0]!.transactions[0]!;
    transaction.issues.push({
      severity: "error",
      code: "invalid_code",
      path: [],
      message: "BSN01: bad",
      segment: { tag: "BSN", index: transaction.segments[0]!.index, element: 1 },
    });
  }
  return serializeEdi(
    await acknowledgeX12(received.interchanges[0]!, {
      controlNumbers: createMemoryControlNumberStore({ start: 900 }),
    }),
  );
}

/** An 850 from the partner whose second set cannot be read (PO102 is not a number). */
async function partner850WithABadSet(): Promise<string> {
  const set = (po: string, quantity: string) => ({
    type: "850",
    segments: [
      ["BEG", "00", "SA", po, "", "20260105"],
      ["N1", "ST", "Acme DC", "92", "DC01"],
      ["PO1", "1", quantity, "CA", "12.50", "", "VP", "BOLT-M8-40"],
      ["CTT", "1"],
    ] as SegmentInput[],
  });
  const document = await buildX12Interchange(
    {
      sender: profile.partnerId,
      receiver: profile.ourId,
      controlNumbers: createMemoryControlNumberStore({ start: 500 }),
      clock: () => new Date("2026-01-05T08:00:00Z"),
    },
    [{ functionalId: "PO", version: "004010", transactions: [set("PO-7001", "10"), set("PO-7002", "1O")] }],
  );
  return serializeEdi(document);
}

describe("ediPartnerMetrics", () => {
  it("counts a real X12 partner's rejections, overdue acknowledgements and bad inbound sets per partner", async () => {
    let now = Date.parse("2026-01-05T12:00:00Z");
    const metrics = createMetricsRegistry();
    const partner = ediPartnerMetrics(
      metrics,
      createX12Partner({
        profile,
        controlNumbers: createMemoryControlNumberStore(),
        clock: () => new Date(now),
      }),
    );
    const accepted = await partner.writeShipNotice(shipment("SHP-1"), order);
    const rejected = await partner.writeShipNotice(shipment("SHP-2"), order);
    await partner.writeShipNotice(shipment("SHP-3"), order); // never acknowledged
    expect(partner.acknowledgements.pending()).toHaveLength(3); // other members pass through

    await partner.receive(await partnerSide997(accepted, "accept"));
    const answer = await partner.receive(await partnerSide997(rejected, "reject"));
    expect(answer.acknowledged.map((entry) => entry.status)).toEqual(["R"]);
    const inbound = await partner.receive(await partner850WithABadSet());
    expect(inbound.orders.map((found) => found.poNumber)).toEqual(["PO-7001"]);
    await expect(partner.receive("this is not an interchange")).rejects.toThrow();

    const errors = (samples: Awaited<ReturnType<typeof scrape>>, kind: string) =>
      sampleValue(samples, "distro_edi_partner_errors_total", { partner: "acme", kind });
    const first = await scrape(metrics);
    expect(errors(first, "rejected")).toBe(1);
    expect(errors(first, "inbound_rejected")).toBe(1);
    expect(errors(first, "inbound_issue")).toBeGreaterThanOrEqual(1);
    expect(errors(first, "unreadable")).toBe(1);
    expect(errors(first, "overdue")).toBeUndefined();
    expect(sampleValue(first, "distro_edi_acknowledgements_overdue", { partner: "acme" })).toBe(0);

    now += 25 * 60 * 60 * 1000;
    const late = await scrape(metrics);
    expect(errors(late, "overdue")).toBe(1);
    expect(sampleValue(late, "distro_edi_acknowledgements_overdue", { partner: "acme" })).toBe(1);
    const again = await scrape(metrics); // still overdue: counted once
    expect(errors(again, "overdue")).toBe(1);
    expect(errors(again, "rejected")).toBe(1);
    // No control number or purchase order reaches a label.
    expect(JSON.stringify(again.map((sample) => sample.labels))).not.toMatch(/PO-700|SHP-|"0{0,8}[1-9]"/);
  });

  it("names the error kind of each acknowledgement status", () => {
    expect(["A", "E", "P", "R", "M", "W", "X", "7", "4", "8"].map(ediAcknowledgementErrorKind)).toEqual([
      undefined,
      "accepted_with_errors",
      "partially_accepted",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      undefined,
      "rejected",
      undefined,
    ]);
  });
});
