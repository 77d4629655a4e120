/**
 * The EDI gateway scenario, end to end, in one process: the simulated Business Central
 * ERP and warehouse from `@distro/testkit`, the real adapters in front of them, and a
 * simulated buyer on the other side of the EDI wire.
 */
import {
  createMemoryControlNumberStore,
  createX12Partner,
  definePartnerProfile,
  type EdiDocument,
  type ExpectedAcknowledgement,
  parseEdi,
} from "@distro/connectors-edi";
import { createBusinessCentralErpSystem } from "@distro/connectors-erp/business-central";
import { createWmsRest } from "@distro/connectors-wms/rest";
import { compareDecimal, type Invoice, type Order } from "@distro/core";
import { createBusinessCentralSimulator } from "@distro/testkit/business-central";
import { createWmsSimulator } from "@distro/testkit/wms";
import { type BuyerLine, createSimulatedBuyer } from "./buyer";
import { createEdiGateway, flowIdOf, type OutboundKind } from "./gateway";

/** One document that crossed the wire. */
export interface Exchange {
  /** `in` from the partner, `out` to it. */
  direction: "in" | "out";
  /** The transaction set it carries. */
  kind: "850" | OutboundKind;
  /** The document as sent. */
  text: string;
  /** Parsed. */
  document: EdiDocument;
}

/** What the scenario produced. */
export interface EdiGatewayDemoResult {
  /** Every document exchanged, in order. */
  exchanges: Exchange[];
  /** The order the 850 became. */
  order: Order;
  /** The flow's final status. */
  flowStatus: string;
  /** Bookings per key in the ERP (the resent 850 must not book twice). */
  bookings: Map<string, number>;
  /** The ERP order number. */
  erpOrderNumber: string;
  /** The invoice the ERP posted on shipment. */
  invoice: Invoice | undefined;
  /** Per 855 line: the ACK codes and quantities. */
  acknowledgedLines: Record<string, string[]>;
  /** Acknowledgements the partner owes us that are overdue, a day after the run. */
  overdue: ExpectedAcknowledgement[];
  /** Acknowledgements the partner still owes us. */
  pending: ExpectedAcknowledgement[];
  /** What the partner's 997s settled. */
  settled: ExpectedAcknowledgement[];
  /** Issue codes the resent 850 was reported with. */
  resendIssues: string[];
  /** The order's audit trail (its correlation id's entries): system, step, outcome. */
  timeline: string[];
}

/**
 * Runs the scenario.
 *
 * @param settings - `log` receives each line the demo prints
 * @returns what happened, for the summary and the test
 */
export async function runEdiGatewayDemo(
  settings: { log?: (line: string) => void } = {},
): Promise<EdiGatewayDemoResult> {
  const log = settings.log ?? (() => {});
  let now = Date.parse("2026-01-05T14:00:00Z");
  const clock = () => new Date(now);
  const webhookSecret = "wms-webhook-secret";

  const bcSimulator = await createBusinessCentralSimulator({ seed: { items: 12 } });
  const wmsSimulator = await createWmsSimulator({ secret: webhookSecret });
  try {
    const erp = createBusinessCentralErpSystem({
      companyUrl: bcSimulator.companyUrl,
      auth: { tokenUrl: bcSimulator.tokenUrl, ...bcSimulator.credentials },
    });
    const wms = createWmsRest({
      baseUrl: wmsSimulator.url,
      accessToken: wmsSimulator.accessToken,
      webhookSecret,
    });

    // The trading partner as distro sees it: ids, version, delimiters, units, locations, customer.
    const profile = definePartnerProfile({
      id: "adatum",
      standard: "x12",
      partnerId: { qualifier: "ZZ", id: "ADATUMEDI" },
      ourId: { qualifier: "ZZ", id: "DISTROSUPPLY" },
      version: "004010",
      delimiters: { segment: "~", element: "*", component: ">" },
      requiredSegments: { "850": ["BEG", "N1", "PO1"] },
      unitsOfMeasure: { EA: "PCS" }, // their EA is the ERP's PCS
      locations: {
        DC038: {
          name: "Adatum Columbus DC",
          line1: "1200 Industrial Pkwy",
          city: "Columbus",
          region: "OH",
          postalCode: "43215",
          country: "US",
        },
      },
      customerId: "C10000", // the customer number in Business Central
    });
    const partner = createX12Partner({ profile, controlNumbers: createMemoryControlNumberStore(), clock });
    const buyer = createSimulatedBuyer({ buyer: profile.partnerId, seller: profile.ourId, clock });

    const exchanges: Exchange[] = [];
    const fromBuyer: string[] = []; // the buyer's 997s, waiting in our mailbox
    const record = (direction: Exchange["direction"], kind: Exchange["kind"], text: string) => {
      const document = parseEdi(text);
      exchanges.push({ direction, kind, text, document });
      log(
        `${direction === "in" ? "<-" : "->"} ${kind} ${direction === "in" ? "from" : "to"} ${profile.id}  ${abbreviate(text)}`,
      );
    };
    const gateway = createEdiGateway({
      partner,
      clock,
      erp,
      wms,
      // The transport: AS2, SFTP or a VAN in production; here the buyer's inbox.
      async send(_partnerId, kind, text) {
        record("out", kind, text);
        const answer = await buyer.receive(text);
        if (answer) fromBuyer.push(answer);
      },
    });

    // 1. The buyer orders three items; one more of the second than any warehouse holds.
    const skus = ["I-00002", "I-00005", "I-00007"];
    const availability = await erp.getAvailability({ skus });
    const most = (sku: string) =>
      availability
        .filter((level) => level.sku === sku)
        .map((level) => level.available)
        .reduce((best, value) => (compareDecimal(value, best) > 0 ? value : best), "0");
    const quantities = ["24", String(Number(most("I-00005")) + 60), "12"];
    const prices = await erp.getPrices({
      customerId: "C10000",
      lines: skus.map((sku, index) => ({ sku, quantity: quantities[index]! })),
    });
    const lines: BuyerLine[] = skus.map((sku, index) => ({
      sku,
      quantity: quantities[index]!,
      uom: "EA",
      unitPrice: prices.find((quote) => quote.sku === sku)!.unitPrice.amount,
      description: `Component ${sku}`,
    }));
    log(`stock of I-00005 at its best warehouse: ${most("I-00005")}; the buyer orders ${quantities[1]}`);
    const po = await buyer.purchaseOrder("4500098765", "DC038", lines);
    record("in", "850", po);

    // 2. Receive: 997 back, order-to-cash starts (credit, booking, 855, fulfilment request).
    const first = await gateway.receive(po);
    const order = first.orders[0]!;
    log(
      `order ${order.id}: ${order.lines.length} lines, ship to ${order.shipTo.city} (${order.shipTo.id}), units ${order.lines.map((line) => line.uom).join("/")}`,
    );

    // 3. The buyer's translator resends the same 850 (it happens): a 997, nothing booked twice.
    record("in", "850", po);
    const resent = await gateway.receive(po);
    for (const issue of resent.issues) log(`   ${issue.code}: ${issue.message}`);

    // 4. The warehouse picks, packs and ships what was allocated.
    for (const kind of ["pick", "pack", "ship"] as const) {
      const delivery = wmsSimulator.event(
        kind,
        order.id,
        kind === "ship" ? { carrier: "ups", trackingNumber: "1Z999AA10123456784" } : {},
      );
      await gateway.warehouseWebhook({ body: delivery.body, headers: delivery.headers });
    }

    // 5. The buyer's 997s for our 855, 856 and 810 come back.
    const settled = [];
    for (const ack of fromBuyer.splice(0)) {
      record("in", "997", ack);
      settled.push(...(await gateway.receive(ack)).acknowledged);
    }
    now += 25 * 60 * 60 * 1000; // a day later, nothing is owed
    const flow = await gateway.manager.get(flowIdOf(order.id));
    const booking = flow?.results.book as { erpOrderNumber?: string } | undefined;

    const ack855 = exchanges.find((exchange) => exchange.kind === "855")!;
    const acknowledgedLines: Record<string, string[]> = {};
    let line = "";
    for (const segment of ack855.document.interchanges[0]!.groups[0]!.transactions[0]!.segments) {
      if (segment.tag === "PO1") line = segment.get(1);
      if (segment.tag === "ACK")
        acknowledgedLines[line] = [
          ...(acknowledgedLines[line] ?? []),
          `${segment.get(1)} ${segment.get(2)} ${segment.get(3)}`,
        ];
    }
    const timeline = flow
      ? (await gateway.audit.list({ correlationId: flow.correlationId })).map(
          (entry) => `${entry.system} ${entry.step} ${entry.outcome}`,
        )
      : [];
    return {
      resendIssues: resent.issues.map((issue) => issue.code),
      timeline,
      exchanges,
      order,
      flowStatus: flow?.status ?? "missing",
      bookings: bcSimulator.bookingsByKey(),
      erpOrderNumber: booking?.erpOrderNumber ?? "",
      invoice: (flow?.results["post-shipment"] as { invoice?: Invoice } | undefined)?.invoice,
      acknowledgedLines,
      overdue: partner.overdue(),
      pending: partner.acknowledgements.pending(),
      settled,
    };
  } finally {
    await wmsSimulator.close();
    await bcSimulator.close();
  }
}

/** The first segments of a document, on one line. */
export function abbreviate(text: string, segments = 6): string {
  const parts = text.split("\n").filter((part) => part.length > 0);
  const body = parts.filter((part) => !/^(ISA|GS|GE|IEA)\*/.test(part));
  return `${body.slice(0, segments).join("")}${body.length > segments ? ` …(${body.length} segments in ST..SE, ${parts.length} with the envelope)` : ""}`;
}
