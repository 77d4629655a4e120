import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type BookingResult,
  gs1CheckDigit,
  type Invoice,
  invoiceTotals,
  isDistroError,
  multiplyDecimal,
  type Order,
  parseInvoice,
  parseOrder,
  parseShipment,
  type Shipment,
} from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acknowledgeX12 } from "../acknowledge/acknowledge";
import { buildX12Interchange, type SegmentInput } from "../generate/build";
import { createMemoryControlNumberStore } from "../generate/control-numbers";
import { definePartnerProfile, type PartnerProfile } from "../partners/profile";
import type { EdiDocument, EdiIssue, Interchange, Segment, Transaction } from "../syntax/model";
import { parseEdi } from "../syntax/parse";
import { serializeEdi } from "../syntax/serialize";
import { createX12Partner } from "./x12-partner";

const dock = {
  name: "Acme DC",
  line1: "1200 Industrial Pkwy",
  city: "Columbus",
  region: "OH",
  postalCode: "43215",
  country: "US",
};

const acme = definePartnerProfile({
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

/** A fixed clock so envelope dates are exact; it can be moved forward. */
function fixedClock(start = "2026-01-05T12:00:00Z") {
  let now = new Date(start).getTime();
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
}

function partnerFor(profile: Readonly<PartnerProfile> = acme) {
  const time = fixedClock();
  const controlNumbers = createMemoryControlNumberStore();
  return { partner: createX12Partner({ profile, controlNumbers, clock: time.clock }), time, controlNumbers };
}

function transactionsOf(document: EdiDocument): Transaction[] {
  return document.interchanges.flatMap((interchange) =>
    interchange.groups.flatMap((group) => group.transactions),
  );
}

function tags(transaction: Transaction, tag: string): Segment[] {
  return transaction.segments.filter((segment) => segment.tag === tag);
}

/** What the partner sends: an 850 built from its side of the envelope. */
async function partner850(lines: SegmentInput[][], extra: { po?: string; shipTo?: SegmentInput[] } = {}) {
  const transactions = lines.map((body, index) => ({
    type: "850",
    segments: [
      ["BEG", "00", "SA", `${extra.po ?? "PO-7001"}${index === 0 ? "" : `-${index}`}`, "", "20260105"],
      ...(extra.shipTo ?? [["N1", "ST", "Acme DC", "92", "DC01"]]),
      ...body,
      ["CTT", String(body.filter((segment) => segment[0] === "PO1").length)],
    ] as SegmentInput[],
  }));
  const document = await buildX12Interchange(
    {
      sender: acme.partnerId,
      receiver: acme.ourId,
      controlNumbers: createMemoryControlNumberStore({ start: 500 }),
      clock: () => new Date("2026-01-05T08:00:00Z"),
    },
    [{ functionalId: "PO", version: "004010", transactions }],
  );
  return serializeEdi(document);
}

const twoLines: SegmentInput[] = [
  ["PO1", "1", "10", "CA", "12.50", "", "VP", "BOLT-M8-40"],
  ["PID", "F", "", "", "", "Hex bolt M8x40, case of 100"],
  ["PO1", "2", "300", "EA", "0.0125", "", "VP", "WASHER-M8"],
];

describe("createX12Partner: receive", () => {
  it("maps an 850 to an order with the profile's units, location codes and customer, and accepts it in a 997", async () => {
    const { partner } = partnerFor();
    const inbound = await partner.receive(await partner850([twoLines]));
    expect(inbound.issues.filter((issue) => (issue as EdiIssue).severity === "error")).toEqual([]);
    expect(inbound.orders).toHaveLength(1);
    const order = inbound.orders[0]!;
    expect(order).toMatchObject({
      poNumber: "PO-7001",
      channel: "edi",
      customer: { id: "C10000" },
      shipTo: { city: "Columbus", id: "DC01" },
    });
    expect(order.lines.map((line) => [line.sku, line.quantity, line.uom, line.unitPrice.amount])).toEqual([
      ["BOLT-M8-40", "10", "CS", "12.5"],
      ["WASHER-M8", "300", "EA", "0.0125"],
    ]);
    const ack = parseEdi(inbound.acknowledgement);
    expect(ack.issues).toEqual([]);
    const interchange = ack.interchanges[0]!;
    expect([interchange.sender, interchange.receiver]).toEqual(["DISTRO", "ACMEBUYER"]);
    const [ack997] = transactionsOf(ack);
    expect(ack997!.type).toBe("997");
    expect(ack997!.segments.map((segment) => segment.text)).toEqual([
      "AK1*PO*500",
      `AK2*850*${"0500"}`,
      "AK5*A",
      "AK9*A*1*1*1",
    ]);
  });

  it("rejects a set that fails validation with AK3/AK4 naming segment and element, and never maps it", async () => {
    const { partner } = partnerFor();
    const bad: SegmentInput[] = [["PO1", "1", "12O", "EA", "1.00", "", "VP", "BOLT-M8-40"]];
    const inbound = await partner.receive(await partner850([twoLines, bad]));
    expect(inbound.orders.map((order) => order.poNumber)).toEqual(["PO-7001"]);
    const ack = transactionsOf(parseEdi(inbound.acknowledgement))[0]!;
    const texts = ack.segments.map((segment) => segment.text);
    expect(texts).toContain("AK5*R*5");
    const ak3 = tags(ack, "AK3")[0]!;
    expect([ak3.get(1), ak3.get(2), ak3.get(4)]).toEqual(["PO1", "4", "8"]);
    const ak4 = tags(ack, "AK4")[0]!;
    expect([ak4.get(1), ak4.get(3), ak4.get(4)]).toEqual(["2", "6", "12O"]);
    expect(texts.at(-1)).toBe("AK9*P*2*2*1");
    expect(inbound.issues.some((issue) => issue.message.startsWith("PO102"))).toBe(true);
    expect(
      inbound.issues.some((issue) => issue.code === "transaction_rejected" && issue.segment?.tag === "ST"),
    ).toBe(true);
  });

  it("rejects a set that validates but cannot be mapped (unknown location code), naming N104", async () => {
    const { partner } = partnerFor();
    const inbound = await partner.receive(
      await partner850([twoLines], { shipTo: [["N1", "ST", "Somewhere", "92", "DC99"]] }),
    );
    expect(inbound.orders).toEqual([]);
    const n1Issue = inbound.issues.find((issue) => issue.segment?.tag === "N1");
    expect(n1Issue?.message).toMatch(/^N104: .*DC99/);
    const ack = transactionsOf(parseEdi(inbound.acknowledgement))[0]!;
    const ak3 = tags(ack, "AK3")[0]!;
    expect([ak3.get(1), ak3.get(2), ak3.get(4)]).toEqual(["N1", "3", "8"]); // ST is 1, BEG 2, N1 3
    expect([tags(ack, "AK4")[0]!.get(1), tags(ack, "AK4")[0]!.get(4)]).toEqual(["4", "DC99"]);
    expect(tags(ack, "AK5")[0]!.get(1)).toBe("R");
    expect(tags(ack, "AK9")[0]!.text).toBe("AK9*R*1*1*0");
  });

  it("reports a resent interchange (same ISA13) and still answers it with a 997 and the same order", async () => {
    const { partner } = partnerFor();
    const text = await partner850([twoLines]);
    const first = await partner.receive(text);
    const again = await partner.receive(text);
    expect(first.issues.some((issue) => issue.code === "duplicate_interchange")).toBe(false);
    expect(again.issues.find((issue) => issue.code === "duplicate_interchange")?.message).toMatch(
      /^ISA13: interchange 000000500 /,
    );
    expect(again.orders).toEqual(first.orders);
    expect(parseEdi(again.acknowledgement).interchanges[0]!.controlNumber).not.toBe(
      parseEdi(first.acknowledgement).interchanges[0]!.controlNumber,
    );
  });

  it("does not read or acknowledge an interchange from another sender", async () => {
    const { partner } = partnerFor();
    const foreign = (await partner850([twoLines])).replace("ZZ*ACMEBUYER      ", "ZZ*SOMEONEELSE    ");
    const inbound = await partner.receive(foreign);
    expect(inbound.orders).toEqual([]);
    expect(inbound.acknowledgement).toBe("");
    expect(inbound.issues.find((issue) => issue.code === "unknown_partner")?.message).toMatch(
      /^ISA06: .*SOMEONEELSE/,
    );
  });
});

describe("createX12Partner: receive properties", () => {
  const quantity = fc.oneof(
    fc.integer({ min: 1, max: 99_999 }).map(String),
    fc.constantFrom("12O", "", "1..5", "-"),
  );
  const unit = fc.constantFrom("EA", "CA", "");
  const location = fc.constantFrom("DC01", "DC01", "DC99");

  it("maps every accepted 850 and none of the rejected ones; the 997 says which is which", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ lines: fc.array(fc.tuple(quantity, unit), { minLength: 1, maxLength: 4 }), location }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        async (purchaseOrders) => {
          const { partner } = partnerFor();
          const text = await partner850(
            purchaseOrders.map(({ lines }) =>
              lines.map(
                ([amount, uom], index) =>
                  ["PO1", String(index + 1), amount, uom, "1.25", "", "VP", `SKU-${index}`] as SegmentInput,
              ),
            ),
            { shipTo: [["N1", "ST", "Acme DC", "92", purchaseOrders[0]!.location]] },
          );
          const inbound = await partner.receive(text);
          const ack = transactionsOf(parseEdi(inbound.acknowledgement))[0]!;
          const verdicts = tags(ack, "AK5").map((segment) => segment.get(1));
          expect(verdicts).toHaveLength(purchaseOrders.length);
          const sent = transactionsOf(parseEdi(text)).map((transaction) => transaction.segments[0]!.get(3));
          expect(inbound.orders.map((mapped) => mapped.poNumber)).toEqual(
            sent.filter((_, index) => verdicts[index] !== "R"),
          );
          const ak9 = tags(ack, "AK9")[0]!;
          expect(Number(ak9.get(4))).toBe(inbound.orders.length);
          const clean = purchaseOrders[0]!.location === "DC01";
          purchaseOrders.forEach(({ lines }, index) => {
            const valid = clean && lines.every(([amount, uom]) => /^\d+$/.test(amount) && uom !== "");
            expect(verdicts[index]).toBe(valid ? "A" : "R");
          });
          if (verdicts.includes("R")) {
            expect(tags(ack, "AK3").length).toBeGreaterThan(0);
            expect(inbound.issues.every((issue) => issue.segment?.tag !== undefined)).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("throws nothing but a typed ValidationError on mutated or random input", async () => {
    const { partner } = partnerFor();
    const base = await partner850([twoLines]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(fc.nat(base.length - 1), fc.nat(base.length), fc.string({ maxLength: 8 }))
            .map(([start, length, insert]) => base.slice(0, start) + insert + base.slice(start + length)),
          fc.uint8Array({ maxLength: 300 }),
        ),
        async (input) => {
          try {
            const inbound = await partner.receive(input);
            if (inbound.acknowledgement)
              expect(parseEdi(inbound.acknowledgement).interchanges.length).toBeGreaterThan(0);
          } catch (error) {
            expect(isDistroError(error)).toBe(true);
            expect((error as Error).name).toBe("ValidationError");
          }
        },
      ),
      { numRuns: 150 },
    );
  });
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
    {
      lineNumber: 2,
      sku: "WASHER-M8",
      quantity: "300",
      uom: "EA",
      unitPrice: { amount: "0.0125", currency: "USD" },
      pricePer: "1",
      status: "open",
    },
    {
      lineNumber: 3,
      sku: "NUT-M8",
      quantity: "40",
      uom: "EA",
      unitPrice: { amount: "0.30", currency: "USD" },
      pricePer: "1",
      status: "open",
    },
  ],
});

const booking: BookingResult = {
  status: "booked",
  erpOrderNumber: "SO-000123",
  duplicate: false,
  allocations: [
    { lineNumber: 1, sku: "BOLT-M8-40", ordered: "10", allocated: "10", backordered: "0" },
    { lineNumber: 2, sku: "WASHER-M8", ordered: "300", allocated: "0", backordered: "300" },
    { lineNumber: 3, sku: "NUT-M8", ordered: "40", allocated: "25", backordered: "15" },
  ],
};

function sscc(serial: number): string {
  const body = `0${String(871234500000000 + serial).padStart(16, "0")}`;
  return body + gs1CheckDigit(body);
}

const shipment: Shipment = parseShipment({
  id: "SHP-7001",
  orderId: "acme-PO-7001",
  status: "shipped",
  carrier: { code: "UPSN", name: "UPS" },
  trackingNumber: "1Z999AA10123456784",
  shipTo: dock,
  shippedAt: "2026-01-07T15:45:00Z",
  lines: [
    { orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "10", uom: "CS" },
    { orderLineNumber: 3, sku: "NUT-M8", quantity: "25", uom: "EA" },
  ],
  packages: [
    { sscc: sscc(1), lines: [{ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "10", uom: "CS" }] },
    { sscc: sscc(2), lines: [{ orderLineNumber: 3, sku: "NUT-M8", quantity: "25", uom: "EA" }] },
  ],
});

const invoice: Invoice = parseInvoice({
  id: "INV-9001",
  number: "INV-9001",
  status: "posted",
  customer: { id: "C10000" },
  currency: "USD",
  issueDate: "2026-01-07",
  dueDate: "2026-02-06",
  paymentTerms: { code: "NET30", netDays: 30 },
  billTo: dock,
  lines: [
    {
      lineNumber: 1,
      sku: "BOLT-M8-40",
      description: "Hex bolt M8x40",
      quantity: "10",
      uom: "CS",
      unitPrice: { amount: "12.50", currency: "USD" },
    },
    {
      lineNumber: 3,
      sku: "NUT-M8",
      description: "Hex nut M8",
      quantity: "25",
      uom: "EA",
      unitPrice: { amount: "0.0125", currency: "USD" },
    },
  ],
});

describe("createX12Partner: write", () => {
  it("writes an 855 for a backorder booking: IA for stock, IB for backorder, both for a split line", async () => {
    const { partner } = partnerFor();
    const document = parseEdi(await partner.writeOrderAcknowledgement(order, booking));
    expect(document.issues).toEqual([]);
    const [ack] = transactionsOf(document);
    expect(document.interchanges[0]!.groups[0]!.functionalId).toBe("PR");
    const bak = tags(ack!, "BAK")[0]!;
    expect([bak.get(2), bak.get(3), bak.get(8)]).toEqual(["AC", "PO-7001", "SO-000123"]);
    const perLine: Record<string, string[]> = {};
    let line = "";
    for (const segment of ack!.segments) {
      if (segment.tag === "PO1") line = segment.get(1);
      if (segment.tag === "ACK")
        perLine[line] = [...(perLine[line] ?? []), `${segment.get(1)} ${segment.get(2)} ${segment.get(3)}`];
    }
    expect(perLine).toEqual({ "1": ["IA 10 CA"], "2": ["IB 300 EA"], "3": ["IA 25 EA", "IB 15 EA"] });
  });

  it("writes a held order as BAK02 AH with IH lines, and a rejected one as RD with IR lines", async () => {
    const { partner } = partnerFor();
    const codes = async (result: BookingResult) => {
      const ack = transactionsOf(parseEdi(await partner.writeOrderAcknowledgement(order, result)))[0]!;
      return [
        tags(ack, "BAK")[0]!.get(2),
        ...tags(ack, "ACK").map((segment) => `${segment.get(1)} ${segment.get(2)}`),
      ];
    };
    expect(await codes({ status: "on_hold", allocations: [], duplicate: false, reason: "credit" })).toEqual([
      "AH",
      "IH 10",
      "IH 300",
      "IH 40",
    ]);
    expect(await codes({ status: "rejected", allocations: [], duplicate: false, reason: "blocked" })).toEqual(
      ["RD", "IR 0", "IR 0", "IR 0"],
    );
  });

  it("writes an 856 with the S/O/P/I hierarchy and SSCCs, and an 810 whose TDS is the exact total", async () => {
    const { partner } = partnerFor();
    const asn = transactionsOf(parseEdi(await partner.writeShipNotice(shipment, order)))[0]!;
    expect(tags(asn, "HL").map((segment) => `${segment.get(1)}:${segment.get(2)}:${segment.get(3)}`)).toEqual(
      ["1::S", "2:1:O", "3:2:P", "4:3:I", "5:2:P", "6:5:I"],
    );
    expect(tags(asn, "MAN").map((segment) => segment.get(2))).toEqual([sscc(1), sscc(2)]);
    expect(tags(asn, "PRF")[0]!.get(1)).toBe("PO-7001");
    expect(tags(asn, "SN1").map((segment) => `${segment.get(2)} ${segment.get(3)}`)).toEqual([
      "10 CA",
      "25 EA",
    ]);

    const edi810 = transactionsOf(parseEdi(await partner.writeInvoice(invoice, order)))[0]!;
    const total = invoiceTotals(invoice).total.amount; // 125.3125 → 12531 cents
    expect(tags(edi810, "TDS")[0]!.get(1)).toBe(multiplyDecimal(total, "100").split(".")[0]);
    expect(tags(edi810, "TDS")[0]!.get(1)).toBe("12531");
    expect(tags(edi810, "BIG")[0]!.get(4)).toBe("PO-7001");
    expect(tags(edi810, "IT1").map((segment) => segment.get(4))).toEqual(["12.50", "0.0125"]);
  });

  it("builds complete envelopes with the partner's ids and distinct control numbers", async () => {
    const { partner } = partnerFor();
    const texts = [
      await partner.writeOrderAcknowledgement(order, booking),
      await partner.writeShipNotice(shipment, order),
      await partner.writeInvoice(invoice, order),
    ];
    const documents = texts.map((text) => parseEdi(text));
    for (const document of documents) {
      expect(document.issues).toEqual([]);
      const interchange = document.interchanges[0]!;
      expect(
        interchange.header.text.startsWith(
          "ISA*00*          *00*          *ZZ*DISTRO         *ZZ*ACMEBUYER      *",
        ),
      ).toBe(true);
      expect(interchange.trailer!.get(1)).toBe("1");
      expect(interchange.groups[0]!.trailer!.get(1)).toBe("1");
      expect(interchange.groups[0]!.version).toBe("004010");
      const transaction = interchange.groups[0]!.transactions[0]!;
      expect(Number(transaction.trailer!.get(1))).toBe(transaction.segments.length + 2);
    }
    const isa13 = documents.map((document) => document.interchanges[0]!.controlNumber);
    expect(isa13).toEqual(["000000001", "000000002", "000000003"]);
    expect(
      new Set(documents.map((document) => document.interchanges[0]!.groups[0]!.controlNumber)).size,
    ).toBe(3);
  });

  it("writes with the partner's own delimiters and version, and reads its 997 written the same way", async () => {
    const profile = definePartnerProfile({
      ...acme,
      version: "005010",
      delimiters: { segment: "\n", element: "|", component: ":", repetition: "^" },
    });
    const { partner } = partnerFor(profile);
    const text = await partner.writeInvoice(invoice, order);
    expect(text.startsWith("ISA|00|")).toBe(true);
    const document = parseEdi(text);
    expect(document.issues).toEqual([]);
    const interchange = document.interchanges[0]!;
    expect(interchange.delimiters).toMatchObject({
      segment: "\n",
      element: "|",
      component: ":",
      repetition: "^",
    });
    expect([interchange.version, interchange.groups[0]!.version]).toEqual(["00501", "005010"]);
    const answer = await acknowledgeX12(interchange, {
      controlNumbers: createMemoryControlNumberStore({ start: 70 }),
      delimiters: interchange.delimiters,
    });
    const inbound = await partner.receive(serializeEdi(answer));
    expect(inbound.acknowledged.map((entry) => entry.functionalId)).toEqual(["IN"]);
  });

  it("never reuses an interchange or group control number, whatever mix of documents is written concurrently", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("855", "856", "810", "997"), { minLength: 1, maxLength: 12 }),
        async (kinds) => {
          const { partner } = partnerFor();
          const inbound = await partner850([twoLines]);
          const texts = await Promise.all(
            kinds.map(async (kind) => {
              if (kind === "855") return partner.writeOrderAcknowledgement(order, booking);
              if (kind === "856") return partner.writeShipNotice(shipment, order);
              if (kind === "810") return partner.writeInvoice(invoice, order);
              return (await partner.receive(inbound)).acknowledgement;
            }),
          );
          const interchanges = texts.map((text) => parseEdi(text).interchanges[0]!);
          expect(new Set(interchanges.map((interchange) => interchange.controlNumber)).size).toBe(
            kinds.length,
          );
          expect(new Set(interchanges.map((interchange) => interchange.groups[0]!.controlNumber)).size).toBe(
            kinds.length,
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("createX12Partner: acknowledgements of what we sent", () => {
  async function partnerSide997(text: string, kind: "ok" | "reject" = "ok") {
    const received = parseEdi(text);
    if (kind === "reject") {
      const transaction = received.interchanges[0]!.groups[0]!.transactions[0]!;
      transaction.issues.push({
        severity: "error",
        code: "invalid_code",
        path: [],
        message: "BAK02: bad",
        segment: { tag: "BAK", index: transaction.segments[0]!.index, element: 2 },
      });
    }
    return serializeEdi(
      await acknowledgeX12(received.interchanges[0]!, {
        controlNumbers: createMemoryControlNumberStore({ start: 900 }),
      }),
    );
  }

  it("settles 855/856/810 when the partner's 997s come back; what never comes back turns overdue", async () => {
    const { partner, time } = partnerFor();
    const sent855 = await partner.writeOrderAcknowledgement(order, booking);
    const sent856 = await partner.writeShipNotice(shipment, order);
    const sent810 = await partner.writeInvoice(invoice, order);
    expect(partner.acknowledgements.pending().map((entry) => entry.functionalId)).toEqual(["PR", "SH", "IN"]);

    const first = await partner.receive(await partnerSide997(sent855));
    expect(first.acknowledged.map((entry) => [entry.functionalId, entry.status])).toEqual([["PR", "A"]]);
    expect(first.orders).toEqual([]);
    expect(first.acknowledgement).toBe(""); // a 997 is never acknowledged
    await partner.receive(await partnerSide997(sent856));

    time.advance(25 * 60 * 60 * 1000);
    expect(partner.overdue().map((entry) => entry.functionalId)).toEqual(["IN"]);
    const late = await partner.receive(await partnerSide997(sent810, "reject"));
    expect(late.acknowledged.map((entry) => [entry.functionalId, entry.status])).toEqual([["IN", "R"]]);
    expect(late.issues.find((issue) => issue.code === "acknowledgement_rejected")?.message).toMatch(
      /^AK9: .* R .*IN group/,
    );
    expect(partner.overdue()).toEqual([]);
    expect(partner.acknowledgements.pending()).toEqual([]);
  });
});

const corpus = conformanceDir();
const folder = corpus ? join(corpus, "edi") : "";
const corpus850s = corpus
  ? readdirSync(folder).filter((name) => {
      if (name === "SOURCES.md") return false;
      try {
        return transactionsOf(parseEdi(readFileSync(join(folder, name)))).some(
          (transaction) => transaction.type === "850",
        );
      } catch {
        return false;
      }
    })
  : [];
if (!corpus)
  console.warn("skipping the corpus round trips: no conformance corpus (conformanceDir() is unset)");

describe.skipIf(!corpus)("createX12Partner: corpus 850s", () => {
  it.each(corpus850s)("%s: every 850 is either mapped or rejected in the 997, never both", async (name) => {
    const bytes = readFileSync(join(folder, name));
    const document = parseEdi(bytes);
    const senders = new Map<string, Interchange[]>();
    for (const interchange of document.interchanges.filter((candidate) => candidate.standard === "x12")) {
      const key = `${interchange.senderQualifier}:${interchange.sender}`;
      senders.set(key, [...(senders.get(key) ?? []), interchange]);
    }
    let total = 0;
    for (const interchanges of senders.values()) {
      const first = interchanges[0]!;
      const profile = definePartnerProfile({
        id: "corpus",
        standard: "x12",
        partnerId: { qualifier: first.senderQualifier || "ZZ", id: first.sender },
        ourId: { qualifier: first.receiverQualifier || "ZZ", id: first.receiver || "DISTRO" },
        version: first.groups[0]?.version.slice(0, 6) || "004010",
      });
      const { partner } = partnerFor(profile);
      const inbound = await partner.receive(bytes);
      const received850s = interchanges
        .flatMap((interchange) => interchange.groups.flatMap((group) => group.transactions))
        .filter((transaction) => transaction.type === "850");
      total += received850s.length;
      const ack = parseEdi(inbound.acknowledgement);
      expect(ack.issues.filter((issue) => issue.severity === "error")).toEqual([]);
      // AK2 / AK5 pairs of the 850s, in the order the 850s were received
      const verdicts: string[] = [];
      let in850 = false;
      for (const segment of transactionsOf(ack).flatMap((transaction) => transaction.segments)) {
        if (segment.tag === "AK2") in850 = segment.get(1) === "850";
        if (segment.tag === "AK5" && in850) verdicts.push(segment.get(1));
      }
      expect(verdicts).toHaveLength(received850s.length);
      const acceptedPos = received850s
        .filter((_, index) => verdicts[index] !== "R")
        .map((transaction) => transaction.segments.find((segment) => segment.tag === "BEG")?.get(3));
      expect(inbound.orders.map((mapped) => mapped.poNumber)).toEqual(acceptedPos);
      // a rejected set is reported with the segment that failed (validation or mapping)
      const rejected = verdicts.filter((verdict) => verdict === "R").length;
      if (rejected > 0)
        expect(
          inbound.issues.filter((issue) => issue.segment?.tag && (issue as EdiIssue).severity !== "warning")
            .length,
        ).toBeGreaterThanOrEqual(rejected);
      // Each mapped order goes back out as an 855 that parses clean and names its PO.
      for (const mapped of inbound.orders) {
        const allocations = mapped.lines.map((line) => ({
          lineNumber: line.lineNumber,
          sku: line.sku,
          ordered: line.quantity,
          allocated: line.quantity,
          backordered: "0",
        }));
        const reply = parseEdi(
          await partner.writeOrderAcknowledgement(mapped, {
            status: "booked",
            erpOrderNumber: "SO-1",
            allocations,
            duplicate: false,
          }),
        );
        expect(reply.issues).toEqual([]);
        const bak = transactionsOf(reply)[0]!.segments[0]!;
        expect([bak.tag, bak.get(2), bak.get(3)]).toEqual(["BAK", "AD", mapped.poNumber]);
      }
    }
    expect(total).toBeGreaterThan(0);
  });
});
