import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Address,
  gs1CheckDigit,
  type Invoice,
  invoiceTotals,
  parseInvoice,
  parseShipment,
  type Shipment,
  ValidationError,
} from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { buildEdifactInterchange, buildX12Interchange, type TransactionInput } from "../generate/build";
import { definePartnerProfile, envelopeFor, isFromPartner, mapUnitOfMeasure } from "../partners/profile";
import type { EdiDocument, Transaction } from "../syntax/model";
import { parseEdi } from "../syntax/parse";
import { serializeEdi } from "../syntax/serialize";
import { validateDocument } from "../validate/validate";
import {
  desadvToShipment,
  edifactToOrder,
  invoiceToInvoic,
  invoicToInvoice,
  shipmentToDesadv,
} from "./edifact";
import {
  invoiceToX12,
  orderToX12Acknowledgement,
  shipmentToX12,
  x12ToInvoice,
  x12ToOrder,
  x12ToShipment,
} from "./x12";

const corpus = conformanceDir();
const folder = corpus ? join(corpus, "edi") : "";
const clock = () => new Date("2026-01-05T12:30:00Z");
const transactions = (document: EdiDocument): Transaction[] =>
  document.interchanges.flatMap((interchange) => interchange.groups.flatMap((group) => group.transactions));
const fromFile = (name: string) => transactions(parseEdi(readFileSync(join(folder, name))));

const warehouse: Address = {
  name: "Central DC",
  line1: "1200 Industrial Pkwy",
  city: "Columbus",
  region: "OH",
  postalCode: "43215",
  country: "US",
};
const acme = definePartnerProfile({
  id: "acme",
  standard: "x12",
  partnerId: { qualifier: "12", id: "4405197800" },
  ourId: { qualifier: "01", id: "999999999" },
  version: "004010",
  unitsOfMeasure: { EA: "PC", CA: "CS" },
  customerId: "C-ACME",
  locations: { "0001": warehouse, DESTINATION1: warehouse },
});
const eancom = definePartnerProfile({
  id: "retail-nl",
  standard: "edifact",
  partnerId: { qualifier: "14", id: "8712345678910" },
  ourId: { qualifier: "14", id: "8712345678920" },
  version: "D96A",
  associationCode: "EAN008",
  unitsOfMeasure: { PCE: "EA" },
  locations: {
    "8712345003203": {
      name: "DC Tilburg",
      line1: "Havenweg 1",
      city: "Tilburg",
      postalCode: "5000AA",
      country: "NL",
      gln: "8712345003203",
    },
    "8712345678930": {
      name: "Retail NL Finance",
      line1: "Stationsplein 2",
      city: "Utrecht",
      postalCode: "3511ED",
      country: "NL",
      gln: "8712345678930",
    },
  },
});

function sscc(serial: number): string {
  const body = `0${String(871234500000000 + serial).padStart(16, "0")}`;
  return body + gs1CheckDigit(body);
}

const shipment: Shipment = parseShipment({
  id: "SHP-1001",
  orderId: "SO-1001",
  status: "shipped",
  carrier: { code: "UPSN", name: "UPS" },
  trackingNumber: "1Z999AA10123456784",
  shipTo: warehouse,
  shippedAt: "2026-01-05T15:45:00Z",
  lines: [
    { orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA" },
    { orderLineNumber: 2, sku: "NUT-M8", quantity: "12.5", uom: "KG" },
    { orderLineNumber: 3, sku: "WASHER-M8", quantity: "1000", uom: "EA" },
  ],
  packages: [
    {
      sscc: sscc(1),
      weight: { value: "12.5", unit: "kg" },
      lines: [{ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA" }],
    },
    { sscc: sscc(2), lines: [{ orderLineNumber: 2, sku: "NUT-M8", quantity: "12.5", uom: "KG" }] },
  ],
});

const invoice: Invoice = parseInvoice({
  id: "INV-2001",
  number: "INV-2001",
  status: "posted",
  customer: { id: "C-ACME" },
  currency: "USD",
  issueDate: "2026-01-06",
  dueDate: "2026-02-05",
  paymentTerms: { code: "2/10N30", netDays: 30, discountPercent: "2", discountDays: 10 },
  billTo: warehouse,
  lines: [
    {
      lineNumber: 1,
      sku: "BOLT-M8-40",
      description: "Hex bolt M8x40",
      quantity: "300",
      uom: "EA",
      unitPrice: { amount: "0.0125", currency: "USD" },
    },
    {
      lineNumber: 2,
      sku: "NUT-M8",
      description: "Hex nut M8",
      quantity: "12.5",
      uom: "KG",
      unitPrice: { amount: "7.40", currency: "USD" },
    },
  ],
});

async function roundTrip(
  input: TransactionInput,
  standard: "x12" | "edifact",
): Promise<{ transaction: Transaction; document: EdiDocument }> {
  const settings = {
    sender: { qualifier: "ZZ", id: "DISTRO" },
    receiver: { qualifier: "ZZ", id: "ACME" },
    clock,
  };
  const built =
    standard === "x12"
      ? await buildX12Interchange(settings, [
          {
            functionalId: input.type === "856" ? "SH" : input.type === "810" ? "IN" : "PR",
            version: "004010",
            transactions: [input],
          },
        ])
      : await buildEdifactInterchange(settings, [{ functionalId: "", version: "", transactions: [input] }]);
  const document = parseEdi(serializeEdi(built), { validate: (parsed) => validateDocument(parsed) });
  return { transaction: transactions(document)[0]!, document };
}

describe.skipIf(!corpus)("X12 850 → Order", () => {
  it("maps node-x12's 850: BEG, N1*ST loop, DTM, PO1 lines with PID and the partner's units", () => {
    const order = x12ToOrder(fromFile("aaronhuggins__node-x12__850.edi")[0]!, { partner: acme });
    expect(order).toMatchObject({
      id: "acme-08292233294",
      poNumber: "08292233294",
      status: "submitted",
      currency: "USD",
      customer: { id: "C-ACME" },
      orderedAt: "2010-11-27T00:00:00Z",
      requestedDeliveryDate: "2010-12-14",
      shipTo: {
        name: "XYZ RETAIL",
        line1: "31875 SOLON RD",
        city: "SOLON",
        region: "OH",
        postalCode: "44139",
        country: "US",
      },
    });
    expect(order.lines).toHaveLength(6);
    expect(order.lines[0]).toMatchObject({
      lineNumber: 1,
      sku: "AB3542",
      quantity: "120",
      uom: "PC",
      unitPrice: { amount: "9.25", currency: "USD" },
      description: "SMALL WIDGET",
    });
    expect(order.lines[5]).toMatchObject({
      lineNumber: 6,
      sku: "DX1875",
      quantity: "696",
      unitPrice: { amount: "9.55" },
    });
  });

  it("names the segment and element of a bad value", () => {
    const text = readFileSync(join(folder, "aaronhuggins__node-x12__850.edi"), "utf8").replace(
      "PO1*1*120*EA",
      "PO1*1*12O*EA",
    );
    const transaction = transactions(parseEdi(text))[0]!;
    let caught: unknown;
    try {
      x12ToOrder(transaction, { partner: acme });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const issues = (caught as ValidationError).issues;
    expect(issues[0]).toMatchObject({ code: "invalid_number", segment: { tag: "PO1", element: 2 } });
    expect((caught as ValidationError).message).toContain('PO102: quantity ordered "12O" is not a number');
  });

  it("a ship-to by location code is resolved through the partner's locations, or reported on N104", () => {
    const text = readFileSync(join(folder, "aaronhuggins__node-x12__850.edi"), "utf8").replace(
      /N3\*31875 SOLON RD~\nN4\*SOLON\*OH\*44139~\n/,
      "",
    );
    const transaction = transactions(parseEdi(text))[0]!;
    expect(() => x12ToOrder(transaction)).toThrow(
      /N104: ST party .* is not in the partner profile's locations/,
    );
    const withLocation = definePartnerProfile({ ...acme, locations: { "0003947268292": warehouse } });
    expect(x12ToOrder(transaction, { partner: withLocation }).shipTo).toMatchObject({
      city: "Columbus",
      id: "0003947268292",
    });
  });

  it("refuses another transaction type, naming ST01", () => {
    expect(() => x12ToOrder(fromFile("aaronhuggins__node-x12__855.edi")[0]!)).toThrow(ValidationError);
  });
});

describe.skipIf(!corpus)("Order → 855", () => {
  const order = x12ToOrder(fromFile("aaronhuggins__node-x12__850.edi")[0]!, { partner: acme });

  it("accepts: BAK*00*AD and an ACK*IA per line; the 855 passes validation", async () => {
    const { transaction, document } = await roundTrip(
      orderToX12Acknowledgement(order, { action: "accept", date: "2026-01-05", partner: acme }),
      "x12",
    );
    expect(document.issues).toEqual([]);
    expect(transaction.segments[0]!.elements).toEqual([
      "BAK",
      "00",
      "AD",
      "08292233294",
      "20101127",
      "",
      "",
      "",
      "",
      "20260105",
    ]);
    const acks = transaction.segments.filter((segment) => segment.tag === "ACK");
    expect(acks.map((segment) => segment.get(1))).toEqual(["IA", "IA", "IA", "IA", "IA", "IA"]);
    // units go back in the partner's code
    expect(transaction.segments.find((segment) => segment.tag === "PO1")?.get(3)).toBe("EA");
  });

  it("changes lines: AC with IB backordered (with date) and IC quantity changed", async () => {
    const input = orderToX12Acknowledgement(order, {
      action: "change",
      date: "2026-01-05",
      partner: acme,
      lines: { 2: { status: "backordered", date: "2026-02-01" }, 3: { status: "changed", quantity: "100" } },
    });
    const { transaction, document } = await roundTrip(input, "x12");
    expect(document.issues).toEqual([]);
    expect(transaction.segments[0]!.get(2)).toBe("AC");
    const acks = transaction.segments
      .filter((segment) => segment.tag === "ACK")
      .map((segment) => segment.elements.slice(1));
    expect(acks[1]).toEqual(["IB", "220", "EA", "068", "20260201"]);
    expect(acks[2]).toEqual(["IC", "100", "EA"]);
  });

  it("rejects: BAK*00*RD and ACK*IR with zero quantity; unknown lines are refused", async () => {
    const { transaction } = await roundTrip(
      orderToX12Acknowledgement(order, { action: "reject", date: "2026-01-05" }),
      "x12",
    );
    expect(transaction.segments[0]!.get(2)).toBe("RD");
    expect(
      transaction.segments
        .filter((segment) => segment.tag === "ACK")
        .every((segment) => segment.get(1) === "IR" && segment.get(2) === "0"),
    ).toBe(true);
    expect(() =>
      orderToX12Acknowledgement(order, { action: "change", lines: { 99: { status: "rejected" } } }),
    ).toThrow(ValidationError);
  });
});

describe("Shipment ↔ 856 with the HL hierarchy and SSCC labels", () => {
  it("writes shipment → order → pack → item levels, MAN*GM SSCCs and a CTT of the HL count", async () => {
    const input = shipmentToX12(shipment, { poNumber: "4500012345", billOfLading: "BOL-77" });
    const { transaction, document } = await roundTrip(input, "x12");
    expect(document.issues).toEqual([]);
    const hl = transaction.segments
      .filter((segment) => segment.tag === "HL")
      .map((segment) => segment.elements.slice(1));
    expect(hl).toEqual([
      ["1", "", "S", "1"],
      ["2", "1", "O", "1"],
      ["3", "2", "P", "1"],
      ["4", "3", "I", "0"],
      ["5", "2", "P", "1"],
      ["6", "5", "I", "0"],
      ["7", "2", "I", "0"],
    ]);
    expect(
      transaction.segments.filter((segment) => segment.tag === "MAN").map((segment) => segment.get(2)),
    ).toEqual([sscc(1), sscc(2)]);
    expect(transaction.segments.find((segment) => segment.tag === "CTT")?.get(1)).toBe("7");
    expect(transaction.segments.find((segment) => segment.tag === "TD1")?.elements.slice(6)).toEqual([
      "G",
      "12.5",
      "KG",
    ]);
  });

  it("reads its own 856 back to the same shipment", async () => {
    const { transaction } = await roundTrip(shipmentToX12(shipment, { poNumber: "SO-1001" }), "x12");
    const back = x12ToShipment(transaction, { id: "SHP-1001" });
    expect(back).toMatchObject({
      id: "SHP-1001",
      orderId: "SO-1001",
      trackingNumber: shipment.trackingNumber,
      carrier: { code: "UPSN", name: "UPS" },
    });
    expect(back.lines).toEqual(shipment.lines);
    expect(back.packages.map((pack) => [pack.sscc, pack.lines])).toEqual(
      shipment.packages.map((pack) => [pack.sscc, pack.lines]),
    );
    expect(back.shipTo).toMatchObject({
      line1: warehouse.line1,
      city: warehouse.city,
      postalCode: warehouse.postalCode,
    });
  });

  it("refuses an SSCC with a wrong check digit", () => {
    const bad = {
      ...shipment,
      packages: [{ sscc: `${sscc(1).slice(0, 17)}${(Number(sscc(1)[17]) + 1) % 10}`, lines: [] }],
    };
    expect(() => shipmentToX12(bad as Shipment, { poNumber: "1" })).toThrow(ValidationError);
  });

  it.skipIf(!corpus)("names MAN02 for the corpus ASNs' SSCCs, whose check digits do not match", () => {
    for (const name of ["olmelabs__EdiEngine__856.Crossdock.OK.edi", "bots-edi__bots-plugins__856_1.x12"]) {
      let caught: ValidationError | undefined;
      try {
        x12ToShipment(fromFile(name)[0]!, { partner: acme });
      } catch (error) {
        caught = error as ValidationError;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect(caught!.issues[0]!.segment).toMatchObject({ tag: "MAN", element: 2 });
      expect(caught!.message).toContain("MAN02");
    }
  });
});

describe("Invoice ↔ 810", () => {
  it("writes BIG, N1*BT, ITD, IT1 / PID, TDS in cents, and reads it back exactly", async () => {
    const input = invoiceToX12(invoice, { poNumber: "4500012345" });
    const { transaction, document } = await roundTrip(input, "x12");
    expect(document.issues).toEqual([]);
    const tds = transaction.segments.find((segment) => segment.tag === "TDS")!;
    expect(tds.get(1)).toBe("9625"); // 300 × 0.0125 + 12.5 × 7.40 = 3.75 + 92.50
    expect(transaction.segments.find((segment) => segment.tag === "IT1")?.get(3)).toBe("EA");
    const back = x12ToInvoice(transaction, { id: "INV-2001" });
    expect(back).toMatchObject({
      number: "INV-2001",
      issueDate: "2026-01-06",
      dueDate: "2026-02-05",
      paymentTerms: { netDays: 30, discountPercent: "2", discountDays: 10 },
    });
    expect(
      back.lines.map((line) => [line.sku, line.quantity, line.uom, line.unitPrice.amount, line.description]),
    ).toEqual([
      ["BOLT-M8-40", "300", "EA", "0.0125", "Hex bolt M8x40"],
      ["NUT-M8", "12.5", "KG", "7.4", "Hex nut M8"],
    ]);
    expect(invoiceTotals(back).total.amount).toBe(invoiceTotals(invoice).total.amount);
  });

  it.skipIf(!corpus)("maps staedi's 810 with ITD terms, and reports a TDS01 that does not add up", () => {
    const simple = x12ToInvoice(fromFile("xlate__staedi__simple810.edi")[0]!);
    expect(simple).toMatchObject({
      number: "00001",
      issueDate: "1997-12-11",
      paymentTerms: { netDays: 16, discountPercent: "1", discountDays: 15 },
    });
    expect(() => x12ToInvoice(fromFile("bots-edi__bots-plugins__810_1.x12")[0]!, { partner: acme })).toThrow(
      /TDS01: total 1234579/,
    );
  });
});

describe.skipIf(!corpus)("EDIFACT ORDERS / DESADV / INVOIC", () => {
  it("ORDERS → Order from php-edifact's EANCOM order; prices missing are reported or left pending", () => {
    const message = fromFile("php-edifact__edifact__example_order_ok.edi")[0]!;
    expect(() => edifactToOrder(message)).toThrow(/LIN: line 1 has no PRI price/);
    const order = edifactToOrder(message, { missingPrice: "pending" });
    expect(order).toMatchObject({
      poNumber: "2019265563",
      orderedAt: "2018-12-05T00:00:00Z",
      requestedDeliveryDate: "2018-12-06",
      currency: "EUR",
    });
    // the file itself carries U+FFFD where its author lost the umlauts; the release character before + is removed
    expect(order.shipTo).toMatchObject({
      name: "A+A K\ufffdlte GmbH",
      line1: "Teststra\ufffde 7",
      city: "TestCity",
      postalCode: "46149",
      country: "DE",
      gln: "4250159399005",
    });
    expect(order.lines[0]).toMatchObject({
      lineNumber: 1,
      sku: "1001",
      quantity: "2",
      uom: "GBND",
      description: "Butter 40x250g Alu",
      ext: { "edi.pricePending": true },
    });
  });

  it("DESADV → Shipment from bots' desadv1, the delivery GLN resolved through the partner's locations", () => {
    const shipmentIn = desadvToShipment(fromFile("bots-edi__bots-plugins__desadv1.edi")[0]!, {
      partner: eancom,
    });
    expect(shipmentIn).toMatchObject({
      orderId: "ref1234",
      shippedAt: "2008-09-13T00:00:00Z",
      shipTo: { city: "Tilburg", gln: "8712345003203" },
    });
    expect(shipmentIn.lines).toEqual([
      { orderLineNumber: 1, sku: "8717755680019", quantity: "48", uom: "EA" },
      { orderLineNumber: 2, sku: "8717755620071", quantity: "192", uom: "EA" },
    ]);
  });

  it("Shipment → DESADV → Shipment keeps lines, packages and SSCCs", async () => {
    const { transaction, document } = await roundTrip(
      shipmentToDesadv(shipment, { poNumber: "SO-1001", partner: eancom }),
      "edifact",
    );
    expect(document.issues).toEqual([]);
    expect(
      transaction.segments.filter((segment) => segment.tag === "GIN").map((segment) => segment.get(2)),
    ).toEqual([sscc(1), sscc(2)]);
    const back = desadvToShipment(transaction, { partner: eancom, id: "SHP-1001" });
    expect(back.lines).toEqual(shipment.lines);
    expect(back.packages.map((pack) => [pack.sscc, pack.lines])).toEqual(
      shipment.packages.map((pack) => [pack.sscc, pack.lines]),
    );
    expect(back.orderId).toBe("SO-1001");
  });

  it("INVOIC → Invoice from bots' invoic01 (both messages), and Invoice → INVOIC → Invoice", async () => {
    const [first, second] = fromFile("bots-edi__bots-plugins__invoic01.edi");
    const inbound = invoicToInvoice(first!, { partner: eancom });
    expect(inbound).toMatchObject({
      number: "20051098",
      issueDate: "2005-08-29",
      currency: "EUR",
      billTo: { city: "Utrecht" },
      paymentTerms: { netDays: 30 },
    });
    expect(inbound.lines[0]).toMatchObject({
      sku: "8712345678906",
      quantity: "2",
      unitPrice: { amount: "6.5" },
    });
    expect(invoicToInvoice(second!, { partner: eancom }).lines.length).toBeGreaterThan(0);

    const { transaction, document } = await roundTrip(
      invoiceToInvoic(invoice, { poNumber: "4500012345", partner: eancom }),
      "edifact",
    );
    expect(document.issues).toEqual([]);
    const back = invoicToInvoice(transaction, { id: "INV-2001" });
    expect(back.lines.map((line) => [line.sku, line.quantity, line.unitPrice.amount])).toEqual([
      ["BOLT-M8-40", "300", "0.0125"],
      ["NUT-M8", "12.5", "7.4"],
    ]);
    expect(back.dueDate).toBe("2026-02-05");
    expect(invoiceTotals(back).total).toEqual(invoiceTotals(invoice).total);
  });

  it("a wrong INVOIC total is reported on MOA", async () => {
    const input = invoiceToInvoic(invoice);
    const segments = input.segments.map((segment) =>
      segment[0] === "MOA" && Array.isArray(segment[1]) && segment[1][0] === "86"
        ? (["MOA", ["86", "99.99"]] as const)
        : segment,
    );
    const { transaction } = await roundTrip({ ...input, segments }, "edifact");
    expect(() => invoicToInvoice(transaction)).toThrow(/MOA01: total 99.99 does not match/);
  });
});

describe("partner profiles", () => {
  it("map units both ways and build envelope settings", () => {
    expect(mapUnitOfMeasure(acme, "CA", "inbound")).toBe("CS");
    expect(mapUnitOfMeasure(acme, "CS", "outbound")).toBe("CA");
    expect(mapUnitOfMeasure(acme, "BX", "inbound")).toBe("BX");
    expect(envelopeFor(acme)).toMatchObject({
      sender: acme.ourId,
      receiver: acme.partnerId,
      partnerKey: "acme",
      version: "00401",
    });
  });

  it.skipIf(!corpus)("recognise their inbound interchanges", () => {
    const document = parseEdi(readFileSync(join(folder, "aaronhuggins__node-x12__850.edi")));
    expect(isFromPartner(acme, document.interchanges[0]!)).toBe(true);
    expect(isFromPartner(eancom, document.interchanges[0]!)).toBe(false);
  });

  it("refuse bad profiles, naming each field", () => {
    let caught: ValidationError | undefined;
    try {
      definePartnerProfile({
        ...acme,
        id: "Bad Id",
        version: "D96A",
        partnerId: { qualifier: "ZZZ", id: "" },
      });
    } catch (error) {
      caught = error as ValidationError;
    }
    expect(caught?.issues.map((issue) => issue.path.join("."))).toEqual(["id", "partnerId", "version"]);
  });
});
