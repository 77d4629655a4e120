import {
  type Address,
  formatDecimal,
  type Invoice,
  invoiceTotals,
  type Order,
  type OrderLine,
  orderLineAmount,
  parseInvoice,
  parseOrder,
  parseShipment,
  type Shipment,
  ValidationError,
} from "@distro/core";
import type { SegmentInput, TransactionInput } from "../generate/build";
import { mapUnitOfMeasure, type PartnerProfile } from "../partners/profile";
import type { Segment, Transaction } from "../syntax/model";
import { ediDate, MappingContext } from "./context";
import type { InboundMappingOptions } from "./x12";

function expectMessage(message: Transaction, type: string): void {
  if (message.type !== type) {
    throw new ValidationError(`Expected an EDIFACT ${type}, got ${message.type}`, [
      {
        code: "wrong_message_type",
        path: ["type"],
        message: `UNH02 is ${message.type}, expected ${type}`,
        segment: { tag: "UNH", index: message.header.index, element: 2 },
      },
    ]);
  }
}

function canonicalId(text: string): string {
  return text.trim().replace(/\s+/g, "-").slice(0, 128);
}

const find = (segments: readonly Segment[], tag: string, qualifier?: string) =>
  segments.find(
    (segment) =>
      segment.tag === tag &&
      (qualifier === undefined || segment.get(1, 1) === qualifier || segment.get(1) === qualifier),
  );

/** An address from a NAD segment, or from the partner's locations by its party id. */
function nadAddress(
  context: MappingContext,
  nad: Segment,
  path: string[],
  partner: PartnerProfile | undefined,
): Address | undefined {
  const id = nad.get(2, 1);
  const street = nad.get(5, 1);
  const city = nad.get(6);
  const country = nad.get(9);
  if (!street || !city || !country) {
    const known = id ? partner?.locations?.[id] : undefined;
    if (known) {
      context.source(path, nad, 2);
      return {
        ...known,
        id: known.id ?? id,
        ...(nad.get(2, 3) === "9" && /^\d{13}$/.test(id) && !known.gln ? { gln: id } : {}),
      };
    }
    context.fail(
      nad,
      id ? 2 : 5,
      "incomplete_address",
      `party ${nad.get(1)} ${JSON.stringify(id || nad.get(4, 1))} has no ${!street ? "street (NAD05)" : !city ? "city (NAD06)" : "country (NAD09)"}${id ? ` and ${JSON.stringify(id)} is not in the partner profile's locations` : ""}`,
    );
    return undefined;
  }
  context.source([...path, "line1"], nad, 5);
  context.source([...path, "city"], nad, 6);
  context.source([...path, "country"], nad, 9);
  const address: Address = { line1: street, city, country };
  const name = nad.get(4, 1) || nad.get(3, 1);
  if (name) address.name = name;
  if (nad.get(5, 2)) address.line2 = nad.get(5, 2);
  if (nad.get(7, 1)) address.region = nad.get(7, 1);
  if (nad.get(8)) address.postalCode = nad.get(8);
  if (id) address.id = id;
  if (nad.get(2, 3) === "9" && /^\d{13}$/.test(id)) address.gln = id;
  return address;
}

function nadSegment(qualifier: string, address: Address): SegmentInput {
  const id = address.gln ?? address.id ?? "";
  const agency = address.gln ? "9" : id ? "91" : "";
  return [
    "NAD",
    qualifier,
    id ? [id, "", agency] : "",
    "",
    address.name ?? address.company ?? "",
    address.line2 ? [address.line1, address.line2] : address.line1,
    address.city,
    address.region ?? "",
    address.postalCode ?? "",
    address.country,
  ];
}

/** The segments of each LIN group: from a LIN to the next LIN or UNS. */
function lineGroups(segments: readonly Segment[]): Segment[][] {
  const groups: Segment[][] = [];
  let current: Segment[] | undefined;
  for (const segment of segments) {
    if (segment.tag === "LIN") {
      current = [segment];
      groups.push(current);
    } else if (segment.tag === "UNS" || segment.tag === "CNT") {
      current = undefined;
    } else if (current) {
      current.push(segment);
    }
  }
  return groups;
}

/** The seller's item id of a LIN group: PIA supplier article (SA), else the LIN item number. */
function itemId(group: readonly Segment[]): { id: string; segment: Segment; element: number } | undefined {
  for (const pia of group.filter((segment) => segment.tag === "PIA")) {
    for (let element = 2; element < pia.elements.length; element++) {
      if (pia.get(element, 2) === "SA" && pia.get(element, 1))
        return { id: pia.get(element, 1), segment: pia, element };
    }
  }
  const lin = group[0]!;
  if (lin.get(3, 1)) return { id: lin.get(3, 1), segment: lin, element: 3 };
  const pia = group.find((segment) => segment.tag === "PIA" && segment.get(2, 1));
  return pia ? { id: pia.get(2, 1), segment: pia, element: 2 } : undefined;
}

/**
 * Maps an inbound EDIFACT ORDERS message to a canonical {@link Order}: BGM number, DTM
 * 137 / 2 dates, CUX currency, NAD+DP/ST ship-to, NAD+IV bill-to, and LIN groups with
 * PIA supplier article numbers, IMD descriptions, QTY+21 quantities and PRI prices.
 *
 * @param message - a parsed ORDERS message
 * @param options - partner profile and id
 * @returns the order
 * @throws ValidationError naming the segment and element of each problem
 * @example
 * ```ts
 * const order = edifactToOrder(document.interchanges[0]!.groups[0]!.transactions[0]!, { partner });
 * ```
 */
export function edifactToOrder(message: Transaction, options: InboundMappingOptions = {}): Order {
  expectMessage(message, "ORDERS");
  const context = new MappingContext(message);
  const { partner } = options;
  const segments = message.segments;
  const bgm = find(segments, "BGM");
  if (!bgm) context.missing("BGM", "order number");
  const poNumber = bgm?.get(2, 1) ?? "";
  if (bgm && !poNumber) context.fail(bgm, 2, "missing_element", "document number (1004) is required");
  const orderDate = find(segments, "DTM", "137");
  const orderedAt = orderDate ? context.date(orderDate, 1, "document date", 2) : undefined;
  if (!orderDate) context.missing("DTM", "DTM+137 document date");
  const currency = find(segments, "CUX")?.get(1, 2) || partner?.currency || "EUR";
  // without a delivery party, EANCOM delivers to the buyer
  const shipToNad = find(segments, "NAD", "DP") ?? find(segments, "NAD", "ST") ?? find(segments, "NAD", "BY");
  if (!shipToNad) context.missing("NAD", "NAD+DP delivery party");
  const shipTo = shipToNad ? nadAddress(context, shipToNad, ["shipTo"], partner) : undefined;
  const billToNad = find(segments, "NAD", "IV");
  const billTo = billToNad ? nadAddress(context, billToNad, ["billTo"], partner) : undefined;
  const buyer = find(segments, "NAD", "BY");
  const lines: OrderLine[] = [];
  for (const group of lineGroups(segments)) {
    const lin = group[0]!;
    const index = lines.length;
    const item = itemId(group);
    if (!item) context.fail(lin, 3, "missing_element", "no item number (LIN03 or PIA)");
    const qty = group.find(
      (segment) => segment.tag === "QTY" && (segment.get(1, 1) === "21" || segment.get(1, 1) === "1"),
    );
    if (!qty)
      context.fail(lin, undefined, "missing_segment", `line ${lin.get(1)} has no QTY+21 ordered quantity`);
    const quantity = qty ? context.decimal(qty, 1, "ordered quantity", 2) : undefined;
    const pri =
      group.find((segment) => segment.tag === "PRI" && segment.get(1, 1) === "AAA") ??
      group.find((segment) => segment.tag === "PRI");
    const pending = !pri && options.missingPrice === "pending";
    if (!pri && !pending)
      context.fail(lin, undefined, "missing_segment", `line ${lin.get(1)} has no PRI price`);
    const price = pri ? context.decimal(pri, 1, "price", 2) : pending ? "0" : undefined;
    const per = pri?.get(1, 5) ? context.decimal(pri, 1, "unit price basis", 5) : "1";
    const description = group.find((segment) => segment.tag === "IMD")?.get(3, 4);
    if (qty) context.source(["lines", index, "quantity"], qty, 1);
    if (pri) context.source(["lines", index, "unitPrice"], pri, 1);
    if (item) context.source(["lines", index, "sku"], item.segment, item.element);
    if (!item || quantity === undefined || price === undefined || per === undefined) continue;
    const line: OrderLine = {
      lineNumber: /^\d+$/.test(lin.get(1)) ? Number(lin.get(1)) : index + 1,
      sku: item.id,
      quantity,
      uom: mapUnitOfMeasure(partner, qty?.get(1, 3) || "PCE", "inbound"),
      unitPrice: { amount: price, currency },
      pricePer: per,
      status: "open",
    };
    if (description) line.description = description;
    if (pending) line.ext = { "edi.pricePending": true };
    if (lin.get(3, 2) === "EN" || lin.get(3, 2) === "SRV") line.refs = { gtin: lin.get(3, 1) };
    lines.push(line);
  }
  if (lines.length === 0 && context.issues.length === 0) context.missing("LIN", "at least one line");
  const order: Record<string, unknown> = {
    id: options.id ?? canonicalId(`${partner?.id ?? "edi"}-${poNumber}`),
    poNumber,
    customer: { id: partner?.customerId ?? buyer?.get(2, 1) ?? partner?.id ?? "edi" },
    channel: "edi",
    status: "submitted",
    currency,
    lines,
    shipTo,
    orderedAt: `${orderedAt ?? "1970-01-01"}T00:00:00Z`,
    refs: { [partner?.id ?? "edi"]: poNumber },
    ext: { "edi.message": message.controlNumber },
  };
  if (billTo) order.billTo = billTo;
  const delivery = find(segments, "DTM", "2");
  if (delivery) order.requestedDeliveryDate = context.date(delivery, 1, "requested delivery date", 2);
  if (bgm) context.source(["poNumber"], bgm, 2);
  return context.canonical("Order", parseOrder, order);
}

/** Settings of {@link shipmentToDesadv}. */
export interface DespatchAdviceOptions {
  /** The buyer's order number (RFF+ON). */
  poNumber: string;
  /** The partner (unit-of-measure mapping). */
  partner?: PartnerProfile;
}

/**
 * Writes an EDIFACT DESADV for a canonical shipment: BGM 351, DTM 137 / 11 / 17, RFF+ON,
 * NAD+DP, TDT carrier, then a CPS hierarchy: CPS 1 for the consignment, one CPS per
 * package with PAC and GIN+BJ (SSCC), and LIN / PIA / QTY+12 for each line.
 *
 * @param shipment - the shipment
 * @param options - order number and partner
 * @returns the DESADV message for {@link buildEdifactInterchange}
 * @throws ValidationError when the shipment is invalid
 * @example
 * ```ts
 * const desadv = shipmentToDesadv(shipment, { poNumber: "4500012345" });
 * ```
 */
export function shipmentToDesadv(shipment: Shipment, options: DespatchAdviceOptions): TransactionInput {
  const checked = parseShipment(shipment);
  const shippedAt = checked.shippedAt ?? new Date().toISOString();
  const segments: SegmentInput[] = [
    ["BGM", "351", checked.id, "9"],
    ["DTM", ["137", ediDate(shippedAt), "102"]],
    ["DTM", ["11", ediDate(shippedAt), "102"]],
  ];
  if (checked.estimatedDeliveryDate)
    segments.push(["DTM", ["17", ediDate(checked.estimatedDeliveryDate), "102"]]);
  segments.push(["RFF", ["ON", options.poNumber]]);
  if (checked.trackingNumber) segments.push(["RFF", ["CN", checked.trackingNumber]]);
  segments.push(nadSegment("DP", checked.shipTo));
  segments.push(["TDT", "20", "", "", "", [checked.carrier.code, "", "", checked.carrier.name ?? ""]]);
  segments.push(["CPS", "1"]);
  let level = 1;
  const line = (item: Shipment["lines"][number]) => {
    segments.push(["LIN", String(item.orderLineNumber)]);
    segments.push(["PIA", "5", [item.sku, "SA"]]);
    segments.push(["QTY", ["12", item.quantity, mapUnitOfMeasure(options.partner, item.uom, "outbound")]]);
    if (item.lot) segments.push(["PCI", "10"], ["GIN", "BX", item.lot]);
  };
  const packed = new Set<number>();
  for (const pack of checked.packages) {
    level++;
    segments.push(["CPS", String(level), "1"]);
    segments.push(["PAC", "1", "", "PK"]);
    if (pack.sscc) segments.push(["PCI", "33E"], ["GIN", "BJ", pack.sscc]);
    for (const item of pack.lines) {
      packed.add(item.orderLineNumber);
      line(item);
    }
  }
  const loose = checked.lines.filter((item) => !packed.has(item.orderLineNumber));
  if (loose.length > 0) {
    level++;
    segments.push(["CPS", String(level), "1"]);
    for (const item of loose) line(item);
  }
  segments.push(["CNT", ["2", String(checked.lines.length)]]);
  return {
    type: "DESADV",
    segments,
    messageVersion: [
      "D",
      "96A",
      "UN",
      ...(options.partner?.associationCode ? [options.partner.associationCode] : []),
    ],
  };
}

/**
 * Maps an inbound EDIFACT DESADV to a canonical {@link Shipment}: BGM number, DTM 11
 * despatch date, RFF+ON order, NAD+DP ship-to, TDT carrier, and the CPS hierarchy whose
 * GIN+BJ SSCCs become packages and whose LIN / QTY+12 become lines.
 *
 * @param message - a parsed DESADV message
 * @param options - partner profile and id; `orderId` defaults to RFF+ON
 * @returns the shipment
 * @throws ValidationError naming the segment and element of each problem
 * @example
 * ```ts
 * const shipment = desadvToShipment(message, { partner });
 * ```
 */
export function desadvToShipment(
  message: Transaction,
  options: InboundMappingOptions & { orderId?: string } = {},
): Shipment {
  expectMessage(message, "DESADV");
  const context = new MappingContext(message);
  const { partner } = options;
  const segments = message.segments;
  const bgm = find(segments, "BGM");
  if (!bgm) context.missing("BGM", "despatch advice number");
  const number = bgm?.get(2, 1) ?? "";
  const despatch = find(segments, "DTM", "11") ?? find(segments, "DTM", "137");
  const date = despatch ? context.date(despatch, 1, "despatch date", 2) : undefined;
  const order = segments.find((segment) => segment.tag === "RFF" && segment.get(1, 1) === "ON");
  const nad = find(segments, "NAD", "DP") ?? find(segments, "NAD", "ST");
  if (!nad) context.missing("NAD", "NAD+DP delivery party");
  const shipTo = nad ? nadAddress(context, nad, ["shipTo"], partner) : undefined;
  const tdt = find(segments, "TDT");
  const lines: Shipment["lines"] = [];
  const packages: Shipment["packages"] = [];
  let pack: Shipment["packages"][number] | undefined;
  let lin: Segment | undefined;
  let sku: string | undefined;
  for (const segment of segments) {
    switch (segment.tag) {
      case "CPS":
        pack = undefined;
        lin = undefined;
        break;
      case "PAC":
        pack = { lines: [] };
        packages.push(pack);
        break;
      case "GIN":
        if (segment.get(1) === "BJ") {
          if (!pack) {
            pack = { lines: [] };
            packages.push(pack);
          }
          pack.sscc = segment.get(2, 1).replace(/^00(?=\d{18}$)/, "");
          context.source(["packages", packages.length - 1, "sscc"], segment, 2);
        }
        break;
      case "LIN":
        lin = segment;
        sku = segment.get(3, 1) || undefined;
        break;
      case "PIA":
        for (let element = 2; element < segment.elements.length; element++)
          if (segment.get(element, 2) === "SA") sku = segment.get(element, 1);
        break;
      case "QTY": {
        if (!lin || (segment.get(1, 1) !== "12" && segment.get(1, 1) !== "21")) break;
        const quantity = context.decimal(segment, 1, "despatched quantity", 2);
        if (!sku) context.fail(lin, 3, "missing_element", "no item number (LIN03 or PIA+…:SA)");
        if (quantity === undefined || !sku) break;
        const item = {
          orderLineNumber: /^\d+$/.test(lin.get(1)) ? Number(lin.get(1)) : lines.length + 1,
          sku,
          quantity,
          uom: mapUnitOfMeasure(partner, segment.get(1, 3) || "PCE", "inbound"),
        };
        context.source(["lines", lines.length], segment, 1);
        lines.push({ ...item });
        pack?.lines.push(item);
        break;
      }
    }
  }
  if (lines.length === 0 && context.issues.length === 0)
    context.missing("QTY", "at least one despatched line (LIN + QTY+12)");
  const shipment: Record<string, unknown> = {
    id: options.id ?? canonicalId(`${partner?.id ?? "edi"}-${number}`),
    orderId: options.orderId ?? (order?.get(1, 2) || number),
    status: "shipped",
    carrier: { code: tdt?.get(5, 1) || "UNKNOWN", ...(tdt?.get(5, 4) ? { name: tdt.get(5, 4) } : {}) },
    shipTo,
    shippedAt: `${date ?? "1970-01-01"}T00:00:00Z`,
    lines,
    packages,
    refs: { [partner?.id ?? "edi"]: number },
  };
  const tracking = segments.find((segment) => segment.tag === "RFF" && segment.get(1, 1) === "CN");
  if (tracking) shipment.trackingNumber = tracking.get(1, 2);
  return context.canonical("Shipment", parseShipment, shipment);
}

/** Settings of {@link invoiceToInvoic}. */
export interface InvoicOptions {
  /** The buyer's order number (RFF+ON). */
  poNumber?: string;
  /** The partner (unit-of-measure mapping). */
  partner?: PartnerProfile;
}

/**
 * Writes an EDIFACT INVOIC for a canonical invoice: BGM 380, DTM 137 and 13 (due),
 * RFF+ON, NAD+IV, CUX, PAT terms, LIN / PIA / IMD / QTY+47 / MOA+203 / PRI+AAA per line,
 * then UNS, CNT and the MOA totals (79 lines, 124 tax, 86 total).
 *
 * @param invoice - the invoice
 * @param options - order number and partner
 * @returns the INVOIC message
 * @throws ValidationError when the invoice is invalid
 * @example
 * ```ts
 * const invoic = invoiceToInvoic(invoice, { poNumber: "4500012345" });
 * ```
 */
export function invoiceToInvoic(invoice: Invoice, options: InvoicOptions = {}): TransactionInput {
  const checked = parseInvoice(invoice);
  const totals = invoiceTotals(checked);
  const segments: SegmentInput[] = [
    ["BGM", "380", checked.number, "9"],
    ["DTM", ["137", ediDate(checked.issueDate), "102"]],
    ["DTM", ["13", ediDate(checked.dueDate), "102"]],
  ];
  if (options.poNumber) segments.push(["RFF", ["ON", options.poNumber]]);
  segments.push(nadSegment("IV", checked.billTo));
  segments.push(["CUX", ["2", checked.currency, "4"]]);
  segments.push(["PAT", "1", "", ["5", "3", "D", String(checked.paymentTerms.netDays)]]);
  for (const line of checked.lines) {
    segments.push(["LIN", String(line.lineNumber)]);
    if (line.sku) segments.push(["PIA", "5", [line.sku, "SA"]]);
    segments.push(["IMD", "F", "", ["", "", "", line.description]]);
    segments.push(["QTY", ["47", line.quantity, mapUnitOfMeasure(options.partner, line.uom, "outbound")]]);
    segments.push(["MOA", ["203", formatDecimal(orderLineAmount(line).amount, 2)]]);
    segments.push([
      "PRI",
      ["AAA", line.unitPrice.amount, "", "", line.pricePer === "1" ? "" : line.pricePer],
    ]);
  }
  segments.push(["UNS", "S"]);
  segments.push(["CNT", ["2", String(checked.lines.length)]]);
  segments.push(["MOA", ["79", totals.subtotal.amount]]);
  segments.push(["MOA", ["124", totals.tax.amount]]);
  segments.push(["MOA", ["86", totals.total.amount]]);
  return {
    type: "INVOIC",
    segments,
    messageVersion: [
      "D",
      "96A",
      "UN",
      ...(options.partner?.associationCode ? [options.partner.associationCode] : []),
    ],
  };
}

/**
 * Maps an inbound EDIFACT INVOIC to a canonical {@link Invoice}: BGM number, DTM 137 /
 * 13 / 35 dates, NAD+IV or NAD+BY bill-to, CUX, PAT net days, LIN groups with QTY+47,
 * PRI and IMD. MOA+86 (or 77) is checked against the computed total when no taxes or
 * allowances adjust it.
 *
 * @param message - a parsed INVOIC message
 * @param options - partner profile and id
 * @returns the invoice
 * @throws ValidationError naming the segment and element of each problem
 * @example
 * ```ts
 * const invoice = invoicToInvoice(message, { partner });
 * ```
 */
export function invoicToInvoice(message: Transaction, options: InboundMappingOptions = {}): Invoice {
  expectMessage(message, "INVOIC");
  const context = new MappingContext(message);
  const { partner } = options;
  const segments = message.segments;
  const bgm = find(segments, "BGM");
  if (!bgm) context.missing("BGM", "invoice number");
  const number = bgm?.get(2, 1) ?? "";
  const issued = find(segments, "DTM", "137") ?? find(segments, "DTM", "3");
  if (!issued) context.missing("DTM", "DTM+137 invoice date");
  const issueDate = issued ? context.date(issued, 1, "invoice date", 2) : undefined;
  const due = find(segments, "DTM", "13");
  const dueDate = due ? context.date(due, 1, "due date", 2) : undefined;
  const currency = find(segments, "CUX")?.get(1, 2) || partner?.currency || "EUR";
  const nad = find(segments, "NAD", "IV") ?? find(segments, "NAD", "BY");
  if (!nad) context.missing("NAD", "NAD+IV invoicee");
  const billTo = nad ? nadAddress(context, nad, ["billTo"], partner) : undefined;
  const pat = find(segments, "PAT");
  const netDays = pat && /^\d+$/.test(pat.get(3, 4)) ? Number(pat.get(3, 4)) : 30;
  const lines: Record<string, unknown>[] = [];
  for (const group of lineGroups(segments)) {
    const lin = group[0]!;
    const index = lines.length;
    const item = itemId(group);
    const qty =
      group.find((segment) => segment.tag === "QTY" && segment.get(1, 1) === "47") ??
      group.find((segment) => segment.tag === "QTY");
    if (!qty)
      context.fail(lin, undefined, "missing_segment", `line ${lin.get(1)} has no QTY+47 invoiced quantity`);
    const quantity = qty ? context.decimal(qty, 1, "invoiced quantity", 2) : undefined;
    const pri =
      group.find((segment) => segment.tag === "PRI" && segment.get(1, 1) === "AAA") ??
      group.find((segment) => segment.tag === "PRI");
    if (!pri) context.fail(lin, undefined, "missing_segment", `line ${lin.get(1)} has no PRI price`);
    const price = pri ? context.decimal(pri, 1, "price", 2) : undefined;
    const per = pri?.get(1, 5) ? context.decimal(pri, 1, "unit price basis", 5) : "1";
    const description =
      group.find((segment) => segment.tag === "IMD")?.get(3, 4) || item?.id || `line ${lin.get(1)}`;
    if (qty) context.source(["lines", index, "quantity"], qty, 1);
    if (pri) context.source(["lines", index, "unitPrice"], pri, 1);
    if (quantity === undefined || price === undefined || per === undefined) continue;
    lines.push({
      lineNumber: /^\d+$/.test(lin.get(1)) ? Number(lin.get(1)) : index + 1,
      ...(item ? { sku: item.id } : {}),
      description,
      quantity,
      uom: mapUnitOfMeasure(partner, qty?.get(1, 3) || "PCE", "inbound"),
      unitPrice: { amount: price, currency },
      pricePer: per,
    });
  }
  if (lineGroups(segments).length === 0) context.missing("LIN", "at least one line");
  const order = segments.find((segment) => segment.tag === "RFF" && segment.get(1, 1) === "ON");
  const invoice: Record<string, unknown> = {
    id: options.id ?? canonicalId(`${partner?.id ?? "edi"}-${number}`),
    number,
    status: "posted",
    customer: { id: partner?.customerId ?? partner?.id ?? "edi" },
    currency,
    issueDate: issueDate ?? "1970-01-01",
    dueDate: dueDate ?? addDays(issueDate ?? "1970-01-01", netDays),
    paymentTerms: { code: `NET${netDays}`, netDays },
    billTo,
    lines,
    refs: { [partner?.id ?? "edi"]: number },
    ext: order ? { "edi.poNumber": order.get(1, 2) } : {},
  };
  if (bgm) context.source(["number"], bgm, 2);
  const mapped = context.canonical("Invoice", parseInvoice, invoice);
  const total = find(segments, "MOA", "86") ?? find(segments, "MOA", "77");
  const adjusted = segments.some((segment) => segment.tag === "TAX" || segment.tag === "ALC");
  if (total && !adjusted) {
    const stated = context.decimal(total, 1, "invoice total", 2);
    const computed = invoiceTotals(mapped).total.amount;
    if (stated !== undefined && formatDecimal(stated, 2) !== formatDecimal(computed, 2)) {
      context.fail(total, 1, "total_mismatch", `total ${stated} does not match the lines' ${computed}`);
      context.throw("Invoice");
    }
  }
  return mapped;
}

function addDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
