import { ValidationError } from "@distro/core";
import {
  buildEdifactInterchange,
  buildX12Interchange,
  type EdifactEnvelopeSettings,
  type SegmentInput,
  type TransactionInput,
  type X12EnvelopeSettings,
} from "../generate/build";
import type { EdiDocument, EdiIssue, FunctionalGroup, Interchange, Transaction } from "../syntax/model";

/** Which X12 acknowledgement to write. */
export type X12AcknowledgementKind = "997" | "999";

const AK4_CODES: Record<string, string> = {
  mandatory_element_missing: "1",
  conditional_element_missing: "2",
  too_many_elements: "3",
  element_too_short: "4",
  element_too_long: "5",
  invalid_character: "6",
  invalid_code: "7",
  invalid_date: "8",
  invalid_time: "9",
  exclusion_violated: "10",
  too_many_components: "13",
};

const AK3_CODES: Record<string, string> = {
  invalid_segment_tag: "1",
  segment_outside_transaction: "2",
  mandatory_segment_missing: "3",
  segment_repeated: "5",
  missing_terminator: "8",
};

const AK5_CODES: Record<string, string> = {
  missing_trailer: "2",
  control_number_mismatch: "3",
  segment_count_mismatch: "4",
};

const AK9_CODES: Record<string, string> = {
  missing_trailer: "3",
  control_number_mismatch: "4",
  transaction_count_mismatch: "5",
};

/** The outcome of one transaction set in an acknowledgement. */
export interface TransactionVerdict {
  /** ST01 / UNH message type. */
  type: string;
  /** ST02 / UNH01. */
  controlNumber: string;
  /** `A` accepted, `E` accepted with errors noted, `R` rejected. */
  status: "A" | "E" | "R";
  /** AK5 / IK5 syntax error codes (at most 5). */
  codes: string[];
}

/**
 * Decides the acceptance of one transaction set from its issues: rejected when any issue
 * is an error, accepted with errors noted when only warnings, accepted otherwise.
 *
 * @param transaction - a parsed (and validated) transaction set
 * @returns status and AK5 codes
 * @example
 * ```ts
 * transactionVerdict(transaction).status; // "A"
 * ```
 */
export function transactionVerdict(transaction: Transaction): TransactionVerdict {
  const errors = transaction.issues.filter((issue) => issue.severity === "error");
  const codes = new Set<string>();
  for (const issue of errors) codes.add(AK5_CODES[issue.code] ?? "5");
  const status = errors.length > 0 ? "R" : transaction.issues.length > 0 ? "E" : "A";
  return {
    type: transaction.type,
    controlNumber: transaction.controlNumber,
    status,
    codes: [...codes].slice(0, 5),
  };
}

function segmentPosition(issue: EdiIssue, transaction: Transaction): number {
  const index = issue.segment?.index ?? transaction.header.index;
  return Math.max(1, index - transaction.header.index + 1);
}

/**
 * The body of a 997 or 999 for one received functional group: AK1, then per transaction
 * set AK2, AK3/IK3 for each segment in error with AK4/IK4 for each element, AK5/IK5, and
 * AK9 with the counts and group-level codes.
 *
 * @param group - the received group (parsed, ideally validated)
 * @param kind - `997` or `999`
 * @returns the segments of the acknowledgement transaction set
 * @example
 * ```ts
 * const segments = acknowledgementSegments(document.interchanges[0]!.groups[0]!, "997");
 * segments[0]; // ["AK1", "PO", "1421"]
 * ```
 */
export function acknowledgementSegments(
  group: FunctionalGroup,
  kind: X12AcknowledgementKind,
): SegmentInput[] {
  const segments: SegmentInput[] = [];
  const is999 = kind === "999";
  segments.push(
    is999 || group.version.startsWith("005")
      ? ["AK1", group.functionalId, group.controlNumber, group.version]
      : ["AK1", group.functionalId, group.controlNumber],
  );
  let accepted = 0;
  for (const transaction of group.transactions) {
    const verdict = transactionVerdict(transaction);
    if (verdict.status !== "R") accepted++;
    segments.push(["AK2", transaction.type, transaction.controlNumber]);
    const bySegment = new Map<number, EdiIssue[]>();
    for (const issue of transaction.issues) {
      if (issue.severity !== "error" || AK5_CODES[issue.code] !== undefined) continue;
      const position = segmentPosition(issue, transaction);
      const list = bySegment.get(position) ?? [];
      list.push(issue);
      bySegment.set(position, list);
    }
    for (const [position, issues] of [...bySegment.entries()].sort((a, b) => a[0] - b[0])) {
      const first = issues[0]!;
      const elementIssues = issues.filter((issue) => AK4_CODES[issue.code] !== undefined);
      const segmentCode = elementIssues.length > 0 ? "8" : (AK3_CODES[first.code] ?? "8");
      segments.push([is999 ? "IK3" : "AK3", first.segment?.tag ?? "", String(position), "", segmentCode]);
      for (const issue of elementIssues) {
        const element = issue.segment?.element ?? 1;
        const component = issue.segment?.component;
        const positionValue =
          component === undefined ? String(element) : [String(element), String(component)];
        const copy = (issue.badValue ?? "").slice(0, 99);
        segments.push([
          is999 ? "IK4" : "AK4",
          positionValue,
          issue.dataElement ?? "",
          AK4_CODES[issue.code]!,
          copy,
        ]);
      }
    }
    segments.push([is999 ? "IK5" : "AK5", verdict.status, ...verdict.codes]);
  }
  const groupErrors = group.issues.filter((issue) => issue.severity === "error");
  const groupCodes = [
    ...new Set(
      groupErrors.map((issue) => AK9_CODES[issue.code]).filter((code): code is string => code !== undefined),
    ),
  ];
  const received = group.transactions.length;
  const declared = group.trailer?.get(1) || String(received);
  let status: "A" | "E" | "P" | "R";
  if (groupErrors.length > 0 || (accepted === 0 && received > 0)) status = "R";
  else if (accepted < received) status = "P";
  else if (group.transactions.some((transaction) => transaction.issues.length > 0)) status = "E";
  else status = "A";
  segments.push(["AK9", status, declared, String(received), String(accepted), ...groupCodes.slice(0, 5)]);
  return segments;
}

/** Settings of {@link acknowledgeX12}. */
export interface AcknowledgeX12Settings extends Omit<X12EnvelopeSettings, "sender" | "receiver"> {
  /** `997` (default) or `999`. */
  kind?: X12AcknowledgementKind;
}

/**
 * Builds the X12 acknowledgement interchange for a received interchange: one 997 (or
 * 999) per functional group, in an FA group, sent back from the receiver to the sender.
 *
 * @param interchange - the received interchange (parsed, ideally validated)
 * @param settings - kind, control numbers, clock, delimiters
 * @returns a document with the acknowledgement interchange
 * @throws ValidationError when the interchange is not X12
 * @example
 * ```ts
 * const received = parseEdi(bytes, { validate: (document) => validateDocument(document) });
 * const ack = await acknowledgeX12(received.interchanges[0]!, { controlNumbers });
 * serializeEdi(ack); // "ISA*…~\nGS*FA*…~\nST*997*0001~\nAK1*PO*1421~…"
 * ```
 */
export async function acknowledgeX12(
  interchange: Interchange,
  settings: AcknowledgeX12Settings = {},
): Promise<EdiDocument> {
  if (interchange.standard !== "x12") {
    throw new ValidationError("Only X12 interchanges get a 997/999; use acknowledgeEdifact for EDIFACT", [
      { code: "wrong_standard", path: ["standard"], message: `Got ${interchange.standard}` },
    ]);
  }
  const kind = settings.kind ?? "997";
  const transactions: TransactionInput[] = interchange.groups.map((group) => ({
    type: kind,
    segments: acknowledgementSegments(group, kind),
    ...(kind === "999" ? { implementationReference: "005010X231A1" } : {}),
  }));
  const version =
    kind === "999" ? "005010X231A1" : interchange.groups[0]?.version.startsWith("005") ? "005010" : "004010";
  return buildX12Interchange(
    {
      ...settings,
      version: settings.version ?? (kind === "999" ? "00501" : interchange.version || "00401"),
      sender: { qualifier: interchange.receiverQualifier, id: interchange.receiver },
      receiver: { qualifier: interchange.senderQualifier, id: interchange.sender },
    },
    [{ functionalId: "FA", version, transactions }],
  );
}

const CONTRL_CODES: Record<string, string> = {
  mandatory_element_missing: "13",
  conditional_element_missing: "13",
  too_many_elements: "16",
  too_many_components: "16",
  element_too_long: "39",
  element_too_short: "40",
  invalid_character: "37",
  invalid_code: "12",
  invalid_date: "12",
  invalid_time: "12",
  invalid_release_sequence: "37",
  segment_repeated: "35",
  mandatory_segment_missing: "13",
  invalid_segment_tag: "14",
  segment_outside_transaction: "15",
  control_number_mismatch: "28",
  segment_count_mismatch: "29",
  missing_trailer: "13",
  missing_terminator: "18",
};

/**
 * Builds an EDIFACT CONTRL message for a received interchange: UCI for the interchange,
 * then per message UCM with UCS / UCD for each segment and element in error. Action codes:
 * `7` acknowledged, `4` rejected.
 *
 * @param interchange - the received EDIFACT interchange
 * @param settings - control numbers, clock, delimiters
 * @returns a document with the CONTRL interchange, sent back to the sender
 * @throws ValidationError when the interchange is not EDIFACT
 * @example
 * ```ts
 * const contrl = await acknowledgeEdifact(parseEdi(bytes).interchanges[0]!);
 * serializeEdi(contrl); // "UNB+UNOC:3+…'\nUNH+1+CONTRL:D:3:UN'\nUCI+…"
 * ```
 */
export async function acknowledgeEdifact(
  interchange: Interchange,
  settings: Omit<EdifactEnvelopeSettings, "sender" | "receiver"> = {},
): Promise<EdiDocument> {
  if (interchange.standard !== "edifact") {
    throw new ValidationError("Only EDIFACT interchanges get a CONTRL; use acknowledgeX12 for X12", [
      { code: "wrong_standard", path: ["standard"], message: `Got ${interchange.standard}` },
    ]);
  }
  const interchangeErrors = interchange.issues.filter((issue) => issue.severity === "error");
  const segments: SegmentInput[] = [];
  const messageSegments: SegmentInput[] = [];
  for (const group of interchange.groups) {
    for (const message of group.transactions) {
      const errors = message.issues.filter((issue) => issue.severity === "error");
      const messageId = message.header.components(2);
      if (errors.length === 0) {
        messageSegments.push(["UCM", message.controlNumber, messageId, "7"]);
        continue;
      }
      const envelopeError = errors.find(
        (issue) =>
          issue.code === "control_number_mismatch" ||
          issue.code === "segment_count_mismatch" ||
          issue.code === "missing_trailer",
      );
      messageSegments.push([
        "UCM",
        message.controlNumber,
        messageId,
        "4",
        envelopeError ? (CONTRL_CODES[envelopeError.code] ?? "18") : "",
      ]);
      for (const issue of errors) {
        if (issue === envelopeError) continue;
        const position = String(segmentPosition(issue, message));
        messageSegments.push([
          "UCS",
          position,
          issue.segment?.element === undefined ? (CONTRL_CODES[issue.code] ?? "18") : "",
        ]);
        if (issue.segment?.element !== undefined) {
          messageSegments.push([
            "UCD",
            CONTRL_CODES[issue.code] ?? "18",
            issue.segment.component === undefined
              ? String(issue.segment.element)
              : [String(issue.segment.element), String(issue.segment.component)],
          ]);
        }
      }
    }
  }
  const rejected = interchangeErrors.length > 0;
  const interchangeCode = interchangeErrors
    .map((issue) => CONTRL_CODES[issue.code])
    .find((code) => code !== undefined);
  segments.push([
    "UCI",
    interchange.controlNumber,
    [interchange.sender, interchange.senderQualifier],
    [interchange.receiver, interchange.receiverQualifier],
    rejected ? "4" : "7",
    ...(rejected && interchangeCode ? [interchangeCode] : []),
  ]);
  segments.push(...messageSegments);
  const syntax = interchange.header.components(1);
  return buildEdifactInterchange(
    {
      ...settings,
      syntax: settings.syntax ?? [syntax[0] || "UNOC", syntax[1] || "3"],
      sender: { qualifier: interchange.receiverQualifier, id: interchange.receiver },
      receiver: { qualifier: interchange.senderQualifier, id: interchange.sender },
    },
    [
      {
        functionalId: "",
        version: "",
        transactions: [{ type: "CONTRL", messageVersion: ["D", "3", "UN"], segments }],
      },
    ],
  );
}
