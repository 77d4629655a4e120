import { parseEdi } from "@distro/connectors-edi";
import { addDecimal, compareDecimal, invoiceTotals, multiplyDecimal, roundDecimal } from "@distro/core";
import { describe, expect, it } from "vitest";
import { runEdiGatewayDemo } from "./demo";

describe("examples/edi-gateway", () => {
  it("runs 850 → 997 → booking → 855 → ship → 856 → invoice → 810 → the partner's 997s, booking once", async () => {
    const result = await runEdiGatewayDemo();
    expect(result.exchanges.map((exchange) => `${exchange.direction} ${exchange.kind}`)).toEqual([
      "in 850",
      "out 997",
      "out 855",
      "in 850", // the buyer resends the same 850
      "out 997",
      "out 856",
      "out 810",
      "in 997",
      "in 997",
      "in 997",
    ]);
    // booked once in the ERP, whatever the resend
    expect([...result.bookings.values()]).toEqual([1]);
    expect(result.resendIssues).toEqual(["duplicate_interchange"]);
    expect(result.flowStatus).toBe("completed");
    expect(result.timeline.filter((step) => step === "erp book success")).toHaveLength(1);
    for (const exchange of result.exchanges) {
      expect(exchange.document.issues).toEqual([]);
      expect(parseEdi(exchange.text).interchanges).toHaveLength(1);
    }
    // our interchanges never reuse a control number
    const ours = result.exchanges.filter((exchange) => exchange.direction === "out");
    const isa13 = ours.map((exchange) => exchange.document.interchanges[0]!.controlNumber);
    expect(new Set(isa13).size).toBe(ours.length);

    // 855: the short line is split between stock (IA) and backorder (IB); BAK names the ERP order
    expect(result.acknowledgedLines["1"]).toEqual(["IA 24 EA"]);
    expect(result.acknowledgedLines["3"]).toEqual(["IA 12 EA"]);
    const [allocated, backordered] = result.acknowledgedLines["2"]!;
    expect(allocated).toMatch(/^IA \d+ EA$/);
    expect(backordered).toBe("IB 60 EA");
    const bak = result.exchanges.find((exchange) => exchange.kind === "855")!.document.interchanges[0]!
      .groups[0]!.transactions[0]!.segments[0]!;
    expect([bak.get(2), bak.get(3), bak.get(8)]).toEqual(["AC", "4500098765", result.erpOrderNumber]);

    // 856: shipment → order → pack (SSCC) → items, for the allocated quantities only
    const asn = result.exchanges.find((exchange) => exchange.kind === "856")!.document.interchanges[0]!
      .groups[0]!.transactions[0]!;
    expect(asn.segments.filter((segment) => segment.tag === "HL").map((segment) => segment.get(3))).toEqual([
      "S",
      "O",
      "P",
      "I",
      "I",
      "I",
    ]);
    expect(asn.segments.find((segment) => segment.tag === "MAN")!.get(2)).toMatch(/^\d{18}$/);
    const shipped = asn.segments.filter((segment) => segment.tag === "SN1").map((segment) => segment.get(2));
    expect(shipped).toEqual(["24", allocated!.split(" ")[1], "12"]);

    // 810: TDS is the sum of the IT1 lines, in cents
    const invoice = result.exchanges.find((exchange) => exchange.kind === "810")!.document.interchanges[0]!
      .groups[0]!.transactions[0]!;
    const linesTotal = invoice.segments
      .filter((segment) => segment.tag === "IT1")
      .reduce(
        (sum, segment) => addDecimal(sum, roundDecimal(multiplyDecimal(segment.get(2), segment.get(4)), 2)),
        "0",
      );
    const tds = invoice.segments.find((segment) => segment.tag === "TDS")!.get(1);
    expect(compareDecimal(tds, multiplyDecimal(linesTotal, "100"))).toBe(0);
    expect(compareDecimal(tds, multiplyDecimal(invoiceTotals(result.invoice!).total.amount, "100"))).toBe(0);
    expect(invoice.segments.find((segment) => segment.tag === "BIG")!.get(4)).toBe("4500098765");

    // the partner acknowledged 855, 856 and 810; a day later nothing is overdue
    expect(result.settled.map((entry) => [entry.functionalId, entry.status])).toEqual([
      ["PR", "A"],
      ["SH", "A"],
      ["IN", "A"],
    ]);
    expect(result.pending).toEqual([]);
    expect(result.overdue).toEqual([]);
  });
});
