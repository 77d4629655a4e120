import {
  addDecimal,
  compareDecimal,
  dueDateFor,
  formatDecimal,
  type Invoice,
  invoiceTotals,
  multiplyDecimal,
  type Order,
  type OrderLine,
  parseInvoice,
  parseOrder,
  parseShipment,
  type Shipment,
  sumDecimals,
  ValidationError,
} from "@distro/core";
import type { SegmentInput, TransactionInput } from "../generate/build";
import { mapUnitOfMeasure, type PartnerProfile } from "../partners/profile";
import type { Segment, Transaction } from "../syntax/model";
import { ediDate, MappingContext, PRODUCT_QUALIFIERS, x12Address, x12Parties, x12ProductId } from "./context";

/** Settings shared by the inbound mappers. */
export interface InboundMappingOptions {
  /** The partner who sent the document: unit-of-measure mapping, currency, customer id. */
  partner?: PartnerProfile;
  /** The canonical id to give the record (default derived from the document number). */
  id?: string;
  /**
   * What to do with an order line that carries no price (EANCOM orders often leave pricing
   * to the seller): `reject` (default) reports it, naming the line; `pending` books it at
   * zero with `ext["edi.pricePending"] = true` so the ERP prices it.
   */
  missingPrice?: "reject" | "pending";
}

function expectType(transaction: Transaction, type: string): void {
  if (transaction.type !== type) {
    throw new ValidationError(`Expected a ${type}, got ${transaction.type}`, [
      {
        code: "wrong_transaction_type",
        path: ["type"],
        message: `ST01 is ${transaction.type}, expected ${type}`,
        segment: { tag: "ST", index: transaction.header.index, element: 1 },
      },
    ]);
  }
}

function canonicalId(text: string): string {
  return text.trim().replace(/\s+/g, "-").slice(0, 128);
}

function refsFor(partner: PartnerProfile | undefined, value: string): Record<string, string> {
  return { [partner?.id ?? "edi"]: value };
}

/**
 * Maps an inbound X12 850 purchase order to a canonical {@link Order} (status
 * `submitted`): BEG number and date, CUR currency, N1 ship-to / bill-to loops, DTM
 * requested dates, PO1 lines with PID descriptions, units mapped through the partner
 * profile. Every problem names its segment and element.
 *
 * @param transaction - a parsed 850
 * @param options - partner profile and id
 * @returns the order
 * @throws ValidationError naming the segment and element of each problem (e.g. `PO102: quantity "x" is not a number`)
 * @example
 * ```ts
 * const order = x12ToOrder(document.interchanges[0]!.groups[0]!.transactions[0]!, { partner: acme });
 * order.poNumber; // BEG03
 * ```
 */
export function x12ToOrder(transaction: Transaction, options: InboundMappingOptions = {}): Order {
  expectType(transaction, "850");
  const context = new MappingContext(transaction);
  const { partner } = options;
  const segments = transaction.segments;
  const beg = segments.find((segment) => segment.tag === "BEG");
  if (!beg) context.missing("BEG", "purchase order number and date");
  const poNumber = beg?.get(3) ?? "";
  if (beg && !poNumber) context.fail(beg, 3, "missing_element", "purchase order number is required");
  const orderDate = beg ? context.date(beg, 5, "purchase order date") : undefined;
  const cur = segments.find((segment) => segment.tag === "CUR");
  const currency = cur?.get(2) || partner?.currency || "USD";
  const parties = x12Parties(segments);
  const shipToLoop = parties.get("ST");
  if (!shipToLoop) context.missing("N1", "an N1*ST ship-to party");
  const shipTo = shipToLoop ? x12Address(context, shipToLoop, ["shipTo"], partner?.locations) : undefined;
  const billToLoop = parties.get("BT");
  const billTo = billToLoop ? x12Address(context, billToLoop, ["billTo"], partner?.locations) : undefined;
  const lines: OrderLine[] = [];
  segments.forEach((segment, position) => {
    if (segment.tag !== "PO1") return;
    const index = lines.length;
    const lineNumber = /^\d+$/.test(segment.get(1)) ? Number(segment.get(1)) : index + 1;
    const quantity = context.decimal(segment, 2, "quantity ordered");
    const uomCode = segment.get(3);
    if (!uomCode) context.fail(segment, 3, "missing_element", "unit of measure is required");
    const pending = options.missingPrice === "pending" && segment.get(4) === "";
    const price = pending ? "0" : context.decimal(segment, 4, "unit price");
    const product = x12ProductId(segment, 6, PRODUCT_QUALIFIERS);
    if (!product) context.fail(segment, 7, "missing_element", "no product id (PO106/PO107 qualifier and id)");
    const pid = segments
      .slice(position + 1)
      .find(
        (next, offset) =>
          next.tag === "PID" &&
          !segments.slice(position + 1, position + 1 + offset).some((between) => between.tag === "PO1"),
      );
    context.source(["lines", index], segment);
    context.source(["lines", index, "quantity"], segment, 2);
    context.source(["lines", index, "uom"], segment, 3);
    context.source(["lines", index, "unitPrice"], segment, 4);
    context.source(["lines", index, "sku"], segment, product?.element ?? 7);
    if (quantity === undefined || price === undefined || !product) return;
    const line: OrderLine = {
      lineNumber,
      sku: product.id,
      quantity,
      uom: mapUnitOfMeasure(partner, uomCode, "inbound"),
      unitPrice: { amount: price, currency },
      pricePer: "1",
      status: "open",
    };
    if (pending) line.ext = { "edi.pricePending": true };
    if (pid?.get(5)) line.description = pid.get(5);
    const dtm = segments.slice(position + 1).find((next) => next.tag === "DTM" || next.tag === "PO1");
    if (dtm?.tag === "DTM" && dtm.get(1) === "002") {
      const date = context.date(dtm, 2, "requested delivery date", undefined, true);
      if (date) line.requestedDeliveryDate = date;
    }
    if (product.qualifier !== "VP" && product.qualifier !== "VN")
      line.refs = { [partner?.id ?? "edi"]: product.id };
    lines.push(line);
  });
  if (!segments.some((segment) => segment.tag === "PO1")) context.missing("PO1", "at least one line");
  const ctt = segments.find((segment) => segment.tag === "CTT");
  if (ctt?.get(1) && Number(ctt.get(1)) !== lines.length && context.issues.length === 0) {
    context.fail(ctt, 1, "line_count_mismatch", `says ${ctt.get(1)} lines, the order has ${lines.length}`);
  }
  const order: Record<string, unknown> = {
    id: options.id ?? canonicalId(`${partner?.id ?? "edi"}-${poNumber}`),
    poNumber,
    customer: {
      id: partner?.customerId ?? partner?.id ?? "edi",
      refs: refsFor(partner, transaction.controlNumber),
    },
    channel: "edi",
    status: "submitted",
    currency,
    lines,
    shipTo,
    orderedAt: `${orderDate ?? "1970-01-01"}T00:00:00Z`,
    refs: refsFor(partner, poNumber),
    ext: { "edi.transaction": transaction.controlNumber },
  };
  if (billTo) order.billTo = billTo;
  for (const segment of segments) {
    if (segment.tag !== "DTM") continue;
    if (segment.get(1) === "002" && !order.requestedDeliveryDate)
      order.requestedDeliveryDate = context.date(segment, 2, "requested delivery date");
    if (segment.get(1) === "010" && !order.requestedShipDate)
      order.requestedShipDate = context.date(segment, 2, "requested ship date");
  }
  if (beg) {
    context.source(["poNumber"], beg, 3);
    context.source(["orderedAt"], beg, 5);
  }
  if (cur) context.source(["currency"], cur, 2);
  return context.canonical("Order", parseOrder, order);
}

/** What a seller answers for each line of an order in an 855. */
export interface LineAcknowledgement {
  /** `accepted`, `rejected`, `changed` (quantity or price), or `backordered`. */
  status: "accepted" | "rejected" | "changed" | "backordered";
  /** The quantity the seller confirms, when it differs. */
  quantity?: string;
  /** The unit price the seller confirms, when it differs. */
  unitPrice?: string;
  /** When the seller will ship (ISO date). */
  date?: string;
}

/** Settings of {@link orderToX12Acknowledgement}. */
export interface OrderAcknowledgementOptions {
  /** `accept` the order as is, `reject` it, or `change` lines (see `lines`). */
  action: "accept" | "reject" | "change";
  /** Per line number: what the seller answers (for `change`; others default to accepted). */
  lines?: Readonly<Record<number, LineAcknowledgement>>;
  /** The acknowledgement date (ISO; default today from `clock`). */
  date?: string;
  /** The partner (unit-of-measure mapping). */
  partner?: PartnerProfile;
}

const ACK_CODES = { accepted: "IA", rejected: "IR", changed: "IC", backordered: "IB" } as const;

/**
 * Writes the 855 purchase order acknowledgement for a canonical order: BAK with `AD`
 * (accepted), `AC` (accepted with changes) or `RD` (rejected), then each line's PO1
 * with an ACK (`IA` accepted, `IC` changed, `IR` rejected, `IB` backordered) and CTT.
 *
 * @param order - the order being acknowledged
 * @param options - the action and per-line answers
 * @returns the 855 transaction set, ready for {@link buildX12Interchange}
 * @throws ValidationError when the order has no PO number or a changed line names an unknown line number
 * @example
 * ```ts
 * const ack = orderToX12Acknowledgement(order, { action: "change", lines: { 2: { status: "backordered", date: "2026-02-01" } } });
 * ```
 */
export function orderToX12Acknowledgement(
  order: Order,
  options: OrderAcknowledgementOptions,
): TransactionInput {
  if (!order.poNumber) {
    throw new ValidationError("An 855 needs the order's PO number", [
      { code: "missing_po_number", path: ["poNumber"], message: "BAK03 needs the purchase order number" },
    ]);
  }
  const known = new Set(order.lines.map((line) => line.lineNumber));
  const unknown = Object.keys(options.lines ?? {}).filter((number) => !known.has(Number(number)));
  if (unknown.length > 0) {
    throw new ValidationError(
      `Line ${unknown[0]} is not on order ${order.id}`,
      unknown.map((number) => ({
        code: "unknown_line",
        path: ["lines", number],
        message: `Order has no line ${number}`,
      })),
    );
  }
  const date = ediDate(options.date ?? new Date().toISOString());
  const answers = order.lines.map((line) => {
    const answer: LineAcknowledgement =
      options.action === "reject"
        ? { status: "rejected" }
        : (options.lines?.[line.lineNumber] ?? { status: "accepted" });
    return { line, answer };
  });
  const changed = answers.some(({ answer }) => answer.status !== "accepted");
  const code = options.action === "reject" ? "RD" : changed ? "AC" : "AD";
  const segments: SegmentInput[] = [
    ["BAK", "00", code, order.poNumber, ediDate(order.orderedAt), "", "", "", order.number ?? "", date],
  ];
  if (order.currency !== "USD") segments.push(["CUR", "SE", order.currency]);
  for (const { line, answer } of answers) {
    const uom = mapUnitOfMeasure(options.partner, line.uom, "outbound");
    segments.push([
      "PO1",
      String(line.lineNumber),
      line.quantity,
      uom,
      line.unitPrice.amount,
      "",
      "VP",
      line.sku,
    ]);
    if (line.description) segments.push(["PID", "F", "", "", "", line.description]);
    const quantity = answer.status === "rejected" ? "0" : (answer.quantity ?? line.quantity);
    const ack: string[] = ["ACK", ACK_CODES[answer.status], quantity, uom];
    if (answer.date) ack.push("068", ediDate(answer.date));
    segments.push(ack as unknown as SegmentInput);
    if (answer.unitPrice !== undefined && answer.unitPrice !== line.unitPrice.amount)
      segments.push(["CTP", "", "", answer.unitPrice]);
  }
  segments.push(["CTT", String(order.lines.length)]);
  return { type: "855", segments };
}

/** Settings of {@link shipmentToX12}. */
export interface ShipNoticeOptions {
  /** The buyer's PO number (PRF01). */
  poNumber: string;
  /** The partner (unit-of-measure mapping). */
  partner?: PartnerProfile;
  /** The bill of lading number (REF*BM), when known. */
  billOfLading?: string;
}

/**
 * Writes the 856 ship notice for a canonical shipment with the standard HL hierarchy:
 * shipment (S) → order (O) → pack (P, with its SSCC in MAN*GM) → item (I, LIN + SN1).
 * Lines not in any package hang under the order. HL ids count from 1; CTT counts HLs.
 *
 * @param shipment - the shipment
 * @param options - PO number, bill of lading, partner
 * @returns the 856 transaction set
 * @throws ValidationError when the shipment is invalid (e.g. an SSCC with a wrong check digit)
 * @example
 * ```ts
 * const asn = shipmentToX12(shipment, { poNumber: "4500012345" });
 * ```
 */
export function shipmentToX12(shipment: Shipment, options: ShipNoticeOptions): TransactionInput {
  const checked = parseShipment(shipment);
  const shippedAt = checked.shippedAt ?? new Date().toISOString();
  const segments: SegmentInput[] = [
    ["BSN", "00", checked.id, ediDate(shippedAt), shippedAt.slice(11, 16).replace(":", ""), "0001"],
  ];
  let hl = 0;
  const next = (parent: number | undefined, level: string, hasChildren: boolean): number => {
    hl++;
    segments.push([
      "HL",
      String(hl),
      parent === undefined ? "" : String(parent),
      level,
      hasChildren ? "1" : "0",
    ]);
    return hl;
  };
  const shipmentHl = next(undefined, "S", true);
  const weights = checked.packages.flatMap((pack) => (pack.weight ? [pack.weight.value] : []));
  const packageWeight = weights.length > 0 ? sumDecimals(weights) : undefined;
  const weightUnit = checked.packages.find((pack) => pack.weight)?.weight?.unit;
  segments.push([
    "TD1",
    "CTN",
    String(Math.max(1, checked.packages.length)),
    "",
    "",
    "",
    ...(packageWeight ? ["G", packageWeight, weightUnit === "kg" ? "KG" : "LB"] : []),
  ]);
  segments.push([
    "TD5",
    "",
    "2",
    checked.carrier.code,
    "",
    checked.carrier.name ?? checked.carrier.service ?? "",
  ]);
  if (options.billOfLading) segments.push(["REF", "BM", options.billOfLading]);
  if (checked.trackingNumber) segments.push(["REF", "CN", checked.trackingNumber]);
  segments.push(["DTM", "011", ediDate(shippedAt)]);
  if (checked.estimatedDeliveryDate) segments.push(["DTM", "017", ediDate(checked.estimatedDeliveryDate)]);
  const to = checked.shipTo;
  segments.push(
    to.gln
      ? ["N1", "ST", to.name ?? to.company ?? "", "UL", to.gln]
      : ["N1", "ST", to.name ?? to.company ?? to.line1],
  );
  segments.push(to.line2 ? ["N3", to.line1, to.line2] : ["N3", to.line1]);
  segments.push(["N4", to.city, to.region ?? "", to.postalCode ?? "", to.country]);
  const orderHl = next(shipmentHl, "O", true);
  segments.push(["PRF", options.poNumber]);
  const item = (
    parent: number,
    line: { orderLineNumber: number; sku: string; quantity: string; uom: string; lot?: string | undefined },
  ) => {
    next(parent, "I", false);
    segments.push([
      "LIN",
      String(line.orderLineNumber),
      "VP",
      line.sku,
      ...(line.lot ? ["LT", line.lot] : []),
    ]);
    segments.push(["SN1", "", line.quantity, mapUnitOfMeasure(options.partner, line.uom, "outbound")]);
  };
  const packed = new Set<number>();
  for (const pack of checked.packages) {
    const packHl = next(orderHl, "P", pack.lines.length > 0);
    if (pack.sscc) segments.push(["MAN", "GM", pack.sscc]);
    if (pack.trackingNumber) segments.push(["MAN", "CP", pack.trackingNumber]);
    for (const line of pack.lines) {
      packed.add(line.orderLineNumber);
      item(packHl, line);
    }
  }
  for (const line of checked.lines) if (!packed.has(line.orderLineNumber)) item(orderHl, line);
  segments.push(["CTT", String(hl)]);
  return { type: "856", segments };
}

/**
 * Maps an inbound X12 856 ship notice to a canonical {@link Shipment}: BSN id and date,
 * TD5 carrier, REF*CN tracking, N1*ST ship-to, PRF order, and the HL hierarchy, whose
 * pack levels become packages (MAN*GM SSCC) and item levels lines (LIN + SN1).
 *
 * @param transaction - a parsed 856
 * @param options - partner profile and id; `orderId` defaults to PRF01
 * @returns the shipment
 * @throws ValidationError naming the segment and element of each problem
 * @example
 * ```ts
 * const shipment = x12ToShipment(transaction, { partner: acme });
 * shipment.packages[0]?.sscc;
 * ```
 */
export function x12ToShipment(
  transaction: Transaction,
  options: InboundMappingOptions & { orderId?: string } = {},
): Shipment {
  expectType(transaction, "856");
  const context = new MappingContext(transaction);
  const { partner } = options;
  const segments = transaction.segments;
  const bsn = segments.find((segment) => segment.tag === "BSN");
  if (!bsn) context.missing("BSN", "shipment id and date");
  const shippedDate = segments.find((segment) => segment.tag === "DTM" && segment.get(1) === "011");
  const date = shippedDate
    ? context.date(shippedDate, 2, "ship date")
    : bsn
      ? context.date(bsn, 3, "ship notice date")
      : undefined;
  const td5 = segments.find((segment) => segment.tag === "TD5");
  const tracking = segments.find((segment) => segment.tag === "REF" && segment.get(1) === "CN");
  const prf = segments.find((segment) => segment.tag === "PRF");
  const shipToLoop = x12Parties(segments).get("ST");
  if (!shipToLoop) context.missing("N1", "an N1*ST ship-to party");
  const shipTo = shipToLoop ? x12Address(context, shipToLoop, ["shipTo"], partner?.locations) : undefined;
  const lines: Shipment["lines"] = [];
  const packages: Shipment["packages"] = [];
  let currentPackage: Shipment["packages"][number] | undefined;
  let currentLevel = "";
  const packageByLevel = new Map<string, Shipment["packages"][number]>();
  let pendingLine: { segment: Segment; sku: string; lineNumber: number; lot?: string } | undefined;
  for (const segment of segments) {
    switch (segment.tag) {
      case "HL": {
        currentLevel = segment.get(3);
        if (!currentLevel) context.fail(segment, 3, "missing_element", "hierarchical level code is required");
        if (currentLevel === "P" || currentLevel === "T") {
          currentPackage = { lines: [] };
          packages.push(currentPackage);
          packageByLevel.set(segment.get(1), currentPackage);
        } else {
          // an item belongs to the pack it hangs under, or to none when it hangs under the order
          currentPackage = packageByLevel.get(segment.get(2));
        }
        break;
      }
      case "MAN":
        if (currentPackage && (segment.get(1) === "GM" || segment.get(1) === "AA")) {
          currentPackage.sscc = segment.get(2).replace(/^00(?=\d{18}$)/, "");
          context.source(["packages", packages.length - 1, "sscc"], segment, 2);
        }
        if (currentPackage && segment.get(1) === "CP") currentPackage.trackingNumber = segment.get(2);
        break;
      case "LIN": {
        const product = x12ProductId(segment, 2, PRODUCT_QUALIFIERS);
        if (!product) {
          context.fail(segment, 3, "missing_element", "no product id (LIN02/LIN03)");
          break;
        }
        const lot = x12ProductId(segment, 2, ["LT"]);
        pendingLine = {
          segment,
          sku: product.id,
          lineNumber: /^\d+$/.test(segment.get(1)) ? Number(segment.get(1)) : lines.length + 1,
          ...(lot?.qualifier === "LT" ? { lot: lot.id } : {}),
        };
        break;
      }
      case "SN1": {
        if (!pendingLine) {
          context.fail(segment, undefined, "unexpected_segment", "SN1 without a LIN before it");
          break;
        }
        const quantity = context.decimal(segment, 2, "units shipped");
        const uom = segment.get(3);
        if (!uom) context.fail(segment, 3, "missing_element", "unit of measure is required");
        if (quantity !== undefined && uom) {
          const line = {
            orderLineNumber: pendingLine.lineNumber,
            sku: pendingLine.sku,
            quantity,
            uom: mapUnitOfMeasure(partner, uom, "inbound"),
            ...(pendingLine.lot ? { lot: pendingLine.lot } : {}),
          };
          context.source(["lines", lines.length], segment, 2);
          const existing = lines.find(
            (candidate) => candidate.orderLineNumber === line.orderLineNumber && candidate.sku === line.sku,
          );
          if (existing) existing.quantity = addDecimal(existing.quantity, line.quantity);
          else lines.push({ ...line });
          currentPackage?.lines.push(line);
        }
        pendingLine = undefined;
        break;
      }
    }
  }
  if (lines.length === 0 && context.issues.length === 0)
    context.missing("SN1", "at least one shipped item (LIN + SN1)");
  const id = bsn?.get(2) ?? "";
  const shipment: Record<string, unknown> = {
    id: options.id ?? canonicalId(`${partner?.id ?? "edi"}-${id}`),
    orderId: options.orderId ?? (prf?.get(1) || id),
    status: "shipped",
    carrier: { code: td5?.get(3) || td5?.get(5) || "UNKNOWN", ...(td5?.get(5) ? { name: td5.get(5) } : {}) },
    shipTo,
    shippedAt: `${date ?? "1970-01-01"}T00:00:00Z`,
    lines,
    packages,
    refs: refsFor(partner, id),
  };
  if (tracking?.get(2)) shipment.trackingNumber = tracking.get(2);
  if (bsn) context.source(["id"], bsn, 2);
  return context.canonical("Shipment", parseShipment, shipment);
}

/** Settings of {@link invoiceToX12}. */
export interface InvoiceOutOptions {
  /** The buyer's PO number (BIG04). */
  poNumber?: string;
  /** The partner (unit-of-measure mapping). */
  partner?: PartnerProfile;
}

/**
 * Writes the 810 invoice for a canonical invoice: BIG, CUR, N1*BT loop, ITD terms, IT1
 * lines with PID descriptions, TDS total in cents (implied two decimals), CTT.
 *
 * @param invoice - the invoice
 * @param options - PO number and partner
 * @returns the 810 transaction set
 * @throws ValidationError when the invoice is invalid
 * @example
 * ```ts
 * const edi810 = invoiceToX12(invoice, { poNumber: "4500012345" });
 * ```
 */
export function invoiceToX12(invoice: Invoice, options: InvoiceOutOptions = {}): TransactionInput {
  const checked = parseInvoice(invoice);
  const totals = invoiceTotals(checked);
  const segments: SegmentInput[] = [
    ["BIG", ediDate(checked.issueDate), checked.number, "", options.poNumber ?? ""],
  ];
  if (checked.currency !== "USD") segments.push(["CUR", "SE", checked.currency]);
  const to = checked.billTo;
  segments.push(
    to.gln
      ? ["N1", "BT", to.name ?? to.company ?? "", "UL", to.gln]
      : ["N1", "BT", to.name ?? to.company ?? to.line1],
  );
  segments.push(to.line2 ? ["N3", to.line1, to.line2] : ["N3", to.line1]);
  segments.push(["N4", to.city, to.region ?? "", to.postalCode ?? "", to.country]);
  const terms = checked.paymentTerms;
  segments.push([
    "ITD",
    "01",
    "3",
    terms.discountPercent ?? "",
    "",
    terms.discountDays === undefined ? "" : String(terms.discountDays),
    ediDate(checked.dueDate),
    String(terms.netDays),
  ]);
  for (const line of checked.lines) {
    const it1: string[] = [
      "IT1",
      String(line.lineNumber),
      line.quantity,
      mapUnitOfMeasure(options.partner, line.uom, "outbound"),
      line.unitPrice.amount,
      line.pricePer === "1" ? "" : "PE",
    ];
    if (line.sku) it1.push("VP", line.sku);
    segments.push(it1 as unknown as SegmentInput);
    segments.push(["PID", "F", "", "", "", line.description]);
  }
  if (compareDecimal(totals.tax.amount, "0") !== 0) segments.push(["TXI", "TX", totals.tax.amount]);
  if (compareDecimal(totals.shipping.amount, "0") !== 0)
    segments.push(["SAC", "C", "D240", "", "", cents(totals.shipping.amount)]);
  segments.push(["TDS", cents(totals.total.amount)]);
  segments.push(["CTT", String(checked.lines.length)]);
  return { type: "810", segments };
}

function cents(amount: string): string {
  return formatDecimal(multiplyDecimal(amount, "100"), 0);
}

/**
 * Maps an inbound X12 810 invoice to a canonical {@link Invoice} (status `posted`): BIG
 * date, number and PO, CUR, N1*BT bill-to, ITD terms (due date from ITD06 or net days),
 * IT1 lines with PID descriptions. TDS01 is checked against the lines, taxes (TXI) and
 * charges (SAC) when nothing else adjusts the total.
 *
 * @param transaction - a parsed 810
 * @param options - partner profile and id
 * @returns the invoice
 * @throws ValidationError naming the segment and element of each problem
 * @example
 * ```ts
 * const invoice = x12ToInvoice(transaction, { partner: acme });
 * invoice.lines.length;
 * ```
 */
export function x12ToInvoice(transaction: Transaction, options: InboundMappingOptions = {}): Invoice {
  expectType(transaction, "810");
  const context = new MappingContext(transaction);
  const { partner } = options;
  const segments = transaction.segments;
  const big = segments.find((segment) => segment.tag === "BIG");
  if (!big) context.missing("BIG", "invoice date and number");
  const issueDate = big ? context.date(big, 1, "invoice date") : undefined;
  const number = big?.get(2) ?? "";
  if (big && !number) context.fail(big, 2, "missing_element", "invoice number is required");
  const currency = segments.find((segment) => segment.tag === "CUR")?.get(2) || partner?.currency || "USD";
  const parties = x12Parties(segments);
  const billToLoop = parties.get("BT") ?? parties.get("SO") ?? parties.get("BY");
  if (!billToLoop) context.missing("N1", "an N1*BT bill-to party");
  const billTo = billToLoop ? x12Address(context, billToLoop, ["billTo"], partner?.locations) : undefined;
  const itd = segments.find((segment) => segment.tag === "ITD");
  let netDays = 30;
  let dueDate: string | undefined;
  const paymentTerms: Record<string, unknown> = {};
  if (itd) {
    if (/^\d+$/.test(itd.get(7))) netDays = Number(itd.get(7));
    if (itd.get(6)) dueDate = context.date(itd, 6, "net due date");
    if (itd.get(3)) paymentTerms.discountPercent = context.decimal(itd, 3, "terms discount percent");
    if (/^\d+$/.test(itd.get(5))) paymentTerms.discountDays = Number(itd.get(5));
  }
  const lines: Record<string, unknown>[] = [];
  segments.forEach((segment, position) => {
    if (segment.tag !== "IT1") return;
    const index = lines.length;
    const quantity = context.decimal(segment, 2, "quantity invoiced");
    const uom = segment.get(3);
    if (!uom) context.fail(segment, 3, "missing_element", "unit of measure is required");
    const pending = options.missingPrice === "pending" && segment.get(4) === "";
    const price = pending ? "0" : context.decimal(segment, 4, "unit price");
    const product = x12ProductId(segment, 6, PRODUCT_QUALIFIERS);
    const after = segments.slice(position + 1);
    const end = after.findIndex((next) => next.tag === "IT1");
    const pid = (end === -1 ? after : after.slice(0, end)).find((next) => next.tag === "PID");
    context.source(["lines", index, "quantity"], segment, 2);
    context.source(["lines", index, "unitPrice"], segment, 4);
    context.source(["lines", index, "uom"], segment, 3);
    if (quantity === undefined || price === undefined || !uom) return;
    const description = pid?.get(5) || product?.id || `line ${index + 1}`;
    lines.push({
      lineNumber: /^\d+$/.test(segment.get(1)) ? Number(segment.get(1)) : index + 1,
      ...(product ? { sku: product.id } : {}),
      description,
      quantity,
      uom: mapUnitOfMeasure(partner, uom, "inbound"),
      unitPrice: { amount: price, currency },
    });
  });
  if (!segments.some((segment) => segment.tag === "IT1")) context.missing("IT1", "at least one invoice line");
  const tds = segments.find((segment) => segment.tag === "TDS");
  const invoice: Record<string, unknown> = {
    id: options.id ?? canonicalId(`${partner?.id ?? "edi"}-${number}`),
    number,
    status: "posted",
    customer: { id: partner?.customerId ?? partner?.id ?? "edi" },
    currency,
    issueDate: issueDate ?? "1970-01-01",
    dueDate: dueDate ?? dueDateFor(issueDate ?? "1970-01-01", { netDays }),
    paymentTerms: { code: `NET${netDays}`, netDays, ...paymentTerms },
    billTo,
    lines,
    refs: refsFor(partner, number),
    ext: {
      ...(big?.get(4) ? { "edi.poNumber": big.get(4) } : {}),
      ...(tds ? { "edi.totalCents": tds.get(1) } : {}),
    },
  };
  if (big) context.source(["number"], big, 2);
  if (itd) context.source(["dueDate"], itd, 6);
  const mapped = context.canonical("Invoice", parseInvoice, invoice);
  const adjusted = segments.some((segment) => segment.tag === "SAC" || segment.tag === "TXI");
  if (tds && !adjusted) {
    const stated = context.decimal(tds, 1, "total invoice amount");
    const computed = cents(invoiceTotals(mapped).total.amount);
    if (stated !== undefined && stated !== computed) {
      context.fail(tds, 1, "total_mismatch", `total ${stated} (cents) does not match the lines' ${computed}`);
      context.throw("Invoice");
    }
  }
  return mapped;
}
