import {
  type BookingResult,
  compareDecimal,
  type EdiInbound,
  type EdiPartnerV1,
  type Invoice,
  isDistroError,
  type Order,
  type Shipment,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import { acknowledgeX12, transactionVerdict } from "../acknowledge/acknowledge";
import {
  type AcknowledgementTracker,
  createAcknowledgementTracker,
  type ExpectedAcknowledgement,
} from "../acknowledge/tracker";
import { buildX12Interchange, type SegmentInput, type TransactionInput } from "../generate/build";
import type { ControlNumberStore } from "../generate/control-numbers";
import {
  invoiceToX12,
  type LineAcknowledgement,
  orderToX12Acknowledgement,
  shipmentToX12,
  x12ToOrder,
} from "../mapping/x12";
import { definePartnerProfile, envelopeFor, isFromPartner, type PartnerProfile } from "../partners/profile";
import type { EdiDocument, EdiIssue, Interchange, Transaction } from "../syntax/model";
import { parseEdi } from "../syntax/parse";
import { serializeEdi } from "../syntax/serialize";
import { validateDocument } from "../validate/validate";

/** Settings of {@link createX12Partner}. */
export interface X12PartnerSettings {
  /** The trading partner: identifiers, version, delimiters, required segments, unit codes, locations, customer id. */
  profile: PartnerProfile;
  /** Where envelope control numbers come from; counted under the profile's `id`, never reused. */
  controlNumbers: ControlNumberStore;
  /**
   * Records every outbound 855 / 856 / 810 group and settles it when the partner's 997
   * arrives through {@link X12Partner.receive} (default: an in-process tracker, 24 hours).
   */
  ackTracker?: AcknowledgementTracker;
  /** The clock for envelope and acknowledgement dates (default `() => new Date()`). */
  clock?: () => Date;
}

/** Which inbound 997 settled which outbound group, as reported by {@link X12Partner.receive}. */
export interface X12Inbound extends EdiInbound {
  /** Outbound groups (855 / 856 / 810) this document's 997s acknowledged. */
  acknowledged: ExpectedAcknowledgement[];
}

/**
 * An X12 trading partner behind core's `EdiPartnerV1` port, with what the port leaves
 * out: the partner profile, the acknowledgement tracker and its overdue list.
 */
export interface X12Partner extends EdiPartnerV1 {
  /** The partner profile (checked and frozen). */
  readonly profile: Readonly<PartnerProfile>;
  /** The tracker of outbound groups waiting for the partner's 997. */
  readonly acknowledgements: AcknowledgementTracker;
  /**
   * Reads an inbound interchange: 850s become orders, inbound 997s settle what we sent,
   * and the 997 for the partner's functional groups comes back serialised.
   *
   * @param document - the interchange text or bytes (UTF-8, Latin-1 or EBCDIC)
   * @returns orders, the 997 to send back (empty when nothing needs one), issues, settled acknowledgements
   */
  receive(document: string | Uint8Array): Promise<X12Inbound>;
  /**
   * Outbound groups whose 997 has not arrived by its due time.
   *
   * @returns overdue expectations, oldest first
   */
  overdue(): ExpectedAcknowledgement[];
}

/** How many of a partner's interchange control numbers are remembered to spot a resent file. */
const RECENT_INTERCHANGES = 10_000;

/** Mapping problem codes → the codes the 997 builder turns into AK3 / AK4. */
const ACK_CODE_OF_MAPPING: Record<string, string> = {
  invalid_number: "invalid_character",
  invalid_date: "invalid_date",
  missing_element: "mandatory_element_missing",
  missing_segment: "mandatory_segment_missing",
};

function functionalGroupsOf(interchange: Interchange): {
  acknowledgements: Interchange["groups"];
  business: Interchange["groups"];
} {
  return {
    acknowledgements: interchange.groups.filter((group) => group.functionalId === "FA"),
    business: interchange.groups.filter((group) => group.functionalId !== "FA"),
  };
}

function mappingIssuesToAck(transaction: Transaction, issues: readonly ValidationIssue[]): EdiIssue[] {
  return issues.map((issue) => {
    const element = issue.segment?.element;
    const code =
      ACK_CODE_OF_MAPPING[issue.code] ??
      (element === undefined ? "mandatory_segment_missing" : "invalid_code");
    const segment = issue.segment ?? { tag: transaction.header.tag, index: transaction.header.index };
    const located = transaction.segments.find((candidate) => candidate.index === segment.index);
    const badValue = located && element !== undefined ? located.get(element) : "";
    return {
      ...issue,
      severity: "error",
      code,
      segment,
      ...(badValue ? { badValue } : {}),
    } satisfies EdiIssue;
  });
}

function lineAnswers(order: Order, booking: BookingResult): Record<number, LineAcknowledgement> {
  const answers: Record<number, LineAcknowledgement> = {};
  for (const allocation of booking.allocations) {
    if (!order.lines.some((line) => line.lineNumber === allocation.lineNumber)) continue;
    if (compareDecimal(allocation.backordered, "0") > 0) {
      answers[allocation.lineNumber] = { status: "backordered", quantity: allocation.backordered };
    } else {
      answers[allocation.lineNumber] = { status: "accepted", quantity: allocation.allocated };
    }
  }
  return answers;
}

/**
 * A line split between stock and backorder gets two ACKs: `IA` for the allocated
 * quantity, then `IB` for the backordered one (the ACK loop of the 855 repeats).
 */
function splitPartialLines(
  transaction: TransactionInput,
  booking: BookingResult,
  unitOf: (lineNumber: number) => string,
): TransactionInput {
  const partial = new Map<number, string>();
  for (const allocation of booking.allocations) {
    if (compareDecimal(allocation.backordered, "0") > 0 && compareDecimal(allocation.allocated, "0") > 0)
      partial.set(allocation.lineNumber, allocation.allocated);
  }
  if (partial.size === 0) return transaction;
  const segments: SegmentInput[] = [];
  let currentLine: number | undefined;
  for (const segment of transaction.segments) {
    if (segment[0] === "PO1") currentLine = Number(segment[1]);
    if (segment[0] === "ACK" && currentLine !== undefined && partial.has(currentLine)) {
      segments.push(["ACK", "IA", partial.get(currentLine)!, unitOf(currentLine)]);
    }
    segments.push(segment);
  }
  return { ...transaction, segments };
}

/**
 * Creates an X12 trading partner implementing core's `EdiPartnerV1` with a partner
 * profile applied inside.
 *
 * `receive` parses the interchange (whatever oddities the file has), validates it against
 * the dictionary and the profile's required segments, maps every accepted 850 to a
 * canonical `Order` (the profile's unit-of-measure mapping, location codes and customer
 * id), and builds the 997: accepting, or rejecting the sets that failed with AK3 / AK4
 * naming the segment and element. A rejected set is never mapped. Inbound 997s settle the
 * outbound 855 / 856 / 810 groups in the acknowledgement tracker.
 *
 * The `write*` methods build complete interchanges (ISA / GS / ST…SE / GE / IEA) with the
 * partner's delimiters and version and control numbers from the `ControlNumberStore`, and
 * record each group in the tracker as awaiting the partner's 997. The 855 answers each
 * line from the booking's allocations: `IA` in stock, `IB` backordered (a split line gets
 * both); a held booking is `BAK02 AH` with `IH` lines, a rejected one `RD` with `IR`.
 *
 * @param settings - profile, control numbers, tracker, clock
 * @returns the partner
 * @throws ValidationError when the profile is invalid or not X12
 * @example
 * ```ts
 * const acme = createX12Partner({
 *   profile: definePartnerProfile({
 *     id: "acme",
 *     standard: "x12",
 *     partnerId: { qualifier: "ZZ", id: "ACMEBUYER" },
 *     ourId: { qualifier: "ZZ", id: "DISTRO" },
 *     version: "004010",
 *     customerId: "C10000",
 *   }),
 *   controlNumbers: createMemoryControlNumberStore(),
 * });
 * const inbound = await acme.receive(bytesOf850);
 * await send(inbound.acknowledgement); // the 997
 * for (const order of inbound.orders) await book(order);
 * ```
 */
export function createX12Partner(settings: X12PartnerSettings): X12Partner {
  const profile = definePartnerProfile(settings.profile);
  if (profile.standard !== "x12") {
    throw new ValidationError(`Partner ${profile.id} speaks ${profile.standard}, not X12`, [
      {
        code: "wrong_standard",
        path: ["profile", "standard"],
        message: "createX12Partner needs an x12 profile",
      },
    ]);
  }
  const clock = settings.clock ?? (() => new Date());
  const tracker = settings.ackTracker ?? createAcknowledgementTracker({ clock: () => clock().getTime() });
  const envelope = () => envelopeFor(profile, { controlNumbers: settings.controlNumbers, clock });
  // The partner's recent interchange control numbers (bounded), to report a resent file.
  const seenInterchanges = new Set<string>();
  const remember = (controlNumber: string): boolean => {
    const key = controlNumber.replace(/^0+(?=\d)/, "");
    if (seenInterchanges.has(key)) return false;
    seenInterchanges.add(key);
    if (seenInterchanges.size > RECENT_INTERCHANGES) {
      const oldest = seenInterchanges.values().next().value;
      if (oldest !== undefined) seenInterchanges.delete(oldest);
    }
    return true;
  };

  async function write(functionalId: string, transaction: TransactionInput): Promise<string> {
    const document = await buildX12Interchange(envelope(), [
      { functionalId, version: profile.version, transactions: [transaction] },
    ]);
    tracker.sent(profile.id, document);
    return serializeEdi(document);
  }

  async function acknowledge(interchange: Interchange): Promise<string> {
    const { business } = functionalGroupsOf(interchange);
    if (business.length === 0) return "";
    const { sender: _sender, receiver: _receiver, ...rest } = envelope();
    const document = await acknowledgeX12({ ...interchange, groups: business }, { ...rest, kind: "997" });
    return serializeEdi(document);
  }

  return {
    specificationVersion: "v1",
    partnerId: profile.id,
    profile,
    acknowledgements: tracker,
    overdue: () => tracker.overdue(),

    async receive(input) {
      const parsed: EdiDocument = parseEdi(input, {
        validate: (document) =>
          validateDocument(
            document,
            profile.requiredSegments ? { requiredSegments: profile.requiredSegments } : {},
          ),
      });
      const issues: ValidationIssue[] = [...parsed.issues];
      const orders: Order[] = [];
      const acknowledgementTexts: string[] = [];
      const acknowledged: ExpectedAcknowledgement[] = [];

      for (const interchange of parsed.interchanges) {
        if (interchange.standard !== "x12" || !isFromPartner(profile, interchange)) {
          issues.push({
            code: "unknown_partner",
            path: ["interchanges", interchange.controlNumber],
            message:
              interchange.standard !== "x12"
                ? `${interchange.header.tag}: interchange ${interchange.controlNumber} is ${interchange.standard}, partner ${profile.id} speaks X12; not read`
                : `ISA06: interchange ${interchange.controlNumber} comes from ${interchange.senderQualifier}:${interchange.sender}, not partner ${profile.id} (${profile.partnerId.qualifier}:${profile.partnerId.id}); not read`,
            segment: { tag: interchange.header.tag, index: interchange.header.index, element: 6 },
          });
          continue;
        }
        if (!remember(interchange.controlNumber)) {
          issues.push({
            code: "duplicate_interchange",
            path: ["interchanges", interchange.controlNumber],
            message: `ISA13: interchange ${interchange.controlNumber} from ${profile.id} was received before; read again (orders carry the partner's PO as their key, so booking stays once)`,
            segment: { tag: "ISA", index: interchange.header.index, element: 13 },
          });
        }
        const { acknowledgements, business } = functionalGroupsOf(interchange);
        if (acknowledgements.length > 0) {
          const settled = tracker.received(profile.id, {
            ...parsed,
            interchanges: [{ ...interchange, groups: acknowledgements }],
          });
          acknowledged.push(...settled);
          for (const entry of settled) {
            if (entry.status === "A" || entry.status === "E") continue;
            issues.push({
              code: "acknowledgement_rejected",
              path: ["acknowledgements", entry.functionalId, entry.controlNumber],
              message: `AK9: partner ${profile.id} answered ${entry.status} to our ${entry.functionalId} group ${entry.controlNumber}`,
              segment: { tag: "AK9", index: interchange.header.index, element: 1 },
            });
          }
        }
        for (const group of business) {
          for (const transaction of group.transactions) {
            if (transaction.type !== "850") {
              issues.push({
                code: "unsupported_transaction",
                path: ["transactions", transaction.controlNumber],
                message: `ST01: ${transaction.type} ${transaction.controlNumber} is acknowledged but not mapped (receive maps 850s)`,
                segment: { tag: "ST", index: transaction.header.index, element: 1 },
              });
              continue;
            }
            if (transactionVerdict(transaction).status === "R") {
              issues.push({
                code: "transaction_rejected",
                path: ["transactions", transaction.controlNumber],
                message: `ST02: 850 ${transaction.controlNumber} is rejected in the 997 and not mapped (${transaction.issues.find((issue) => issue.severity === "error")?.message ?? "errors"})`,
                segment: { tag: "ST", index: transaction.header.index, element: 2 },
              });
              continue;
            }
            try {
              orders.push(x12ToOrder(transaction, { partner: profile }));
            } catch (error) {
              if (!isDistroError(error) || !(error instanceof ValidationError)) throw error;
              issues.push(...error.issues);
              // A set that cannot become an order is rejected in the 997 too, naming the segment and element.
              transaction.issues.push(...mappingIssuesToAck(transaction, error.issues));
            }
          }
        }
        const text = await acknowledge(interchange);
        if (text) acknowledgementTexts.push(text);
      }
      return { orders, acknowledgement: acknowledgementTexts.join(""), issues, acknowledged };
    },

    async writeOrderAcknowledgement(order, booking) {
      const numbered: Order = booking.erpOrderNumber ? { ...order, number: booking.erpOrderNumber } : order;
      const action = booking.status === "rejected" ? "reject" : "change";
      const answers = booking.status === "booked" ? lineAnswers(order, booking) : {};
      const transaction = orderToX12Acknowledgement(numbered, {
        action,
        partner: profile,
        date: clock().toISOString(),
        ...(action === "change" ? { lines: answers } : {}),
      });
      const unitOf = (lineNumber: number) => {
        const po1 = transaction.segments.find(
          (segment) => segment[0] === "PO1" && segment[1] === String(lineNumber),
        );
        return String(po1?.[3] ?? "");
      };
      if (booking.status === "on_hold") {
        // BAK02 AH (acknowledge, hold status) and ACK01 IH (item on hold) on every line
        return write("PR", {
          ...transaction,
          segments: transaction.segments.map((segment): SegmentInput => {
            if (segment[0] === "BAK") return ["BAK", segment[1] ?? "00", "AH", ...segment.slice(3)];
            if (segment[0] === "ACK") return ["ACK", "IH", ...segment.slice(2)];
            return segment;
          }),
        });
      }
      return write("PR", splitPartialLines(transaction, booking, unitOf));
    },

    async writeShipNotice(shipment: Shipment, order: Order) {
      return write("SH", shipmentToX12(shipment, { poNumber: order.poNumber ?? order.id, partner: profile }));
    },

    async writeInvoice(invoice: Invoice, order: Order) {
      return write("IN", invoiceToX12(invoice, { poNumber: order.poNumber ?? order.id, partner: profile }));
    },
  };
}
