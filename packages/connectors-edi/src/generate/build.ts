import { ValidationError } from "@distro/core";
import type { Delimiters, EdiDocument, FunctionalGroup, Interchange, Transaction } from "../syntax/model";
import { Segment } from "../syntax/model";
import { type ElementValue, formatElements } from "../syntax/serialize";
import {
  type ControlNumberStore,
  createMemoryControlNumberStore,
  formatControlNumber,
} from "./control-numbers";

/** A segment to write: its tag, then its element values. */
export type SegmentInput = readonly [tag: string, ...values: ElementValue[]];

/** A transaction set / message to write: its type and body (without ST/SE or UNH/UNT). */
export interface TransactionInput {
  /** `850`, `ORDERS`. */
  type: string;
  /** The body segments. */
  segments: readonly SegmentInput[];
  /** X12 ST03 implementation convention reference (005010), e.g. `005010X231A1`. */
  implementationReference?: string;
  /** EDIFACT message version: `D` (directory), `96A` (release), `UN` (agency), association code (`EAN008`). */
  messageVersion?: readonly string[];
}

/** A functional group to write. */
export interface GroupInput {
  /** GS01 functional identifier (`PO`, `PR`, `SH`, `IN`, `FA`); for EDIFACT groups the message group id. */
  functionalId: string;
  /** GS08 version (`004010`, `005010X231A1`); for EDIFACT UNG07 components. */
  version: string | readonly string[];
  /** The transaction sets. */
  transactions: readonly TransactionInput[];
  /** GS02 application sender (default: the interchange sender id). */
  applicationSender?: string;
  /** GS03 application receiver (default: the interchange receiver id). */
  applicationReceiver?: string;
}

/** A trading party: its identifier and the qualifier that says what kind of id it is. */
export interface PartyId {
  /** ISA05/07 qualifier (`ZZ`, `01`, `12`) or UNB partner code qualifier (`14`, `ZZZ`). */
  qualifier: string;
  /** The id. */
  id: string;
}

/** Envelope settings shared by X12 and EDIFACT builders. */
export interface EnvelopeSettings {
  /** Who sends. */
  sender: PartyId;
  /** Who receives. */
  receiver: PartyId;
  /** Where control numbers come from (default: a new memory store). */
  controlNumbers?: ControlNumberStore;
  /** The key control numbers are counted under (default `qualifier:id` of the receiver). */
  partnerKey?: string;
  /** Delimiters to write with (defaults per standard). */
  delimiters?: Partial<Delimiters>;
  /** What to write after each terminator (default `"\n"`). */
  segmentSuffix?: string;
  /** The clock for envelope dates (default `() => new Date()`). */
  clock?: () => Date;
  /** `P` production or `T` test (ISA15; EDIFACT UNB11 test indicator `1` when `T`). */
  usage?: "P" | "T";
  /** Ask for an interchange acknowledgement (ISA14 `1`, UNB09 `1`). */
  acknowledgementRequested?: boolean;
}

/** Settings of {@link buildX12Interchange}. */
export interface X12EnvelopeSettings extends EnvelopeSettings {
  /** ISA12 interchange control version (default `00401`). */
  version?: string;
}

/** Settings of {@link buildEdifactInterchange}. */
export interface EdifactEnvelopeSettings extends EnvelopeSettings {
  /** UNB syntax identifier and version (default `["UNOC", "3"]`). */
  syntax?: readonly [string, string];
  /** Write a UNA service string advice (default true when the delimiters differ from the defaults). */
  serviceAdvice?: boolean;
}

/**
 * The default X12 delimiters: `~`, `*`, `>` and, from 00402, `^`.
 *
 * @example
 * ```ts
 * formatElements("x12", "REF", ["ZZ", "A*B"], X12_DEFAULT_DELIMITERS); // throws: X12 has no escape
 * ```
 */
export const X12_DEFAULT_DELIMITERS: Delimiters = {
  segment: "~",
  element: "*",
  component: ">",
  repetition: "^",
  release: "",
  decimal: ".",
};

/**
 * The EDIFACT defaults of ISO 9735 (`:+.? '`); syntax 4 adds the repetition separator `*`.
 *
 * @example
 * ```ts
 * escapeEdifact("5+5", EDIFACT_DEFAULT_DELIMITERS); // "5?+5"
 * ```
 */
export const EDIFACT_DEFAULT_DELIMITERS: Delimiters = {
  segment: "'",
  element: "+",
  component: ":",
  repetition: "",
  release: "?",
  decimal: ".",
};

function pad(value: string, width: number, name: string): string {
  if (value.length > width) {
    throw new ValidationError(`${name} ${JSON.stringify(value)} is longer than ${width} characters`, [
      { code: "too_long", path: [name], message: `At most ${width} characters` },
    ]);
  }
  return value.padEnd(width, " ");
}

function two(value: number): string {
  return String(value).padStart(2, "0");
}

function checkDelimiters(delimiters: Delimiters): void {
  const used = [
    delimiters.segment,
    delimiters.element,
    delimiters.component,
    delimiters.repetition,
    delimiters.release,
  ].filter((char) => char !== "");
  const bad = used.find((char) => char.length !== 1 || /[A-Za-z0-9 ]/.test(char));
  if (bad !== undefined || new Set(used).size !== used.length) {
    throw new ValidationError(
      "Delimiters must be distinct single characters that are not letters, digits or spaces",
      [{ code: "invalid_delimiters", path: ["delimiters"], message: `Got ${JSON.stringify(delimiters)}` }],
    );
  }
}

class Builder {
  readonly segments: Segment[] = [];
  constructor(
    readonly standard: "x12" | "edifact",
    readonly delimiters: Delimiters,
    readonly suffix: string,
  ) {}

  add(input: SegmentInput): Segment {
    const [tag, ...values] = input;
    const segment = new Segment(
      formatElements(this.standard, tag, values, this.delimiters),
      this.delimiters,
      0,
      this.segments.length,
      1,
      this.suffix,
    );
    this.segments.push(segment);
    return segment;
  }

  /** Fills offsets and lines as the text will have them. */
  finish(): void {
    let offset = 0;
    let line = 1;
    for (const segment of this.segments) {
      segment.offset = offset;
      segment.line = line;
      const text =
        segment.elements[0] === "UNA"
          ? `UNA${segment.elements[1]}${this.delimiters.segment}${segment.trailer}`
          : segment.elements.join(this.delimiters.element) + this.delimiters.segment + segment.trailer;
      offset += Buffer.byteLength(text, "utf8");
      for (const char of text) if (char === "\n") line++;
    }
  }
}

function emptyGroup(): FunctionalGroup {
  return {
    functionalId: "",
    controlNumber: "",
    version: "",
    sender: "",
    receiver: "",
    header: undefined,
    trailer: undefined,
    transactions: [],
    strays: [],
    issues: [],
  };
}

/**
 * Builds an X12 interchange (ISA, GS…GE groups, ST…SE transaction sets, IEA) with
 * control numbers from a {@link ControlNumberStore} and correct counts. Serialise it
 * with {@link serializeEdi}.
 *
 * @param settings - parties, delimiters, control numbers, clock
 * @param groups - the functional groups and their transaction sets
 * @returns a document holding one interchange
 * @throws ValidationError when a value contains a delimiter or an id is too long
 * @example
 * ```ts
 * const document = await buildX12Interchange(
 *   { sender: { qualifier: "ZZ", id: "SUPPLIER" }, receiver: { qualifier: "ZZ", id: "BUYER" }, controlNumbers },
 *   [{ functionalId: "PR", version: "004010", transactions: [{ type: "855", segments: [["BAK", "00", "AC", "PO-1", "20260105"]] }] }],
 * );
 * serializeEdi(document); // "ISA*00*…~\nGS*PR*…"
 * ```
 */
export async function buildX12Interchange(
  settings: X12EnvelopeSettings,
  groups: readonly GroupInput[],
): Promise<EdiDocument> {
  const version = settings.version ?? "00401";
  const delimiters: Delimiters = {
    ...X12_DEFAULT_DELIMITERS,
    ...settings.delimiters,
    release: "",
    decimal: ".",
  };
  if (version < "00402") delimiters.repetition = "";
  checkDelimiters(delimiters);
  const store = settings.controlNumbers ?? createMemoryControlNumberStore();
  const partner = settings.partnerKey ?? `${settings.receiver.qualifier}:${settings.receiver.id}`;
  const now = (settings.clock ?? (() => new Date()))();
  const builder = new Builder("x12", delimiters, settings.segmentSuffix ?? "\n");
  const interchangeControl = formatControlNumber(
    await store.next(partner, "interchange"),
    "interchange",
    "x12",
  );
  const date = `${now.getUTCFullYear()}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}`;
  const time = `${two(now.getUTCHours())}${two(now.getUTCMinutes())}`;
  const header = new Segment(
    [
      "ISA",
      "00",
      pad("", 10, "ISA02"),
      "00",
      pad("", 10, "ISA04"),
      pad(settings.sender.qualifier, 2, "ISA05"),
      pad(settings.sender.id, 15, "ISA06"),
      pad(settings.receiver.qualifier, 2, "ISA07"),
      pad(settings.receiver.id, 15, "ISA08"),
      date.slice(2),
      time,
      version >= "00402" ? delimiters.repetition : "U",
      version,
      interchangeControl,
      settings.acknowledgementRequested ? "1" : "0",
      settings.usage ?? "P",
      delimiters.component,
    ],
    delimiters,
    0,
    0,
    1,
    builder.suffix,
  );
  builder.segments.push(header);
  const interchange: Interchange = {
    standard: "x12",
    delimiters,
    controlNumber: interchangeControl,
    sender: settings.sender.id,
    senderQualifier: settings.sender.qualifier,
    receiver: settings.receiver.id,
    receiverQualifier: settings.receiver.qualifier,
    version,
    serviceAdvice: undefined,
    header,
    trailer: undefined,
    groups: [],
    strays: [],
    issues: [],
  };
  for (const groupInput of groups) {
    const groupControl = formatControlNumber(await store.next(partner, "group"), "group", "x12");
    const groupVersion =
      typeof groupInput.version === "string" ? groupInput.version : groupInput.version.join("");
    const group: FunctionalGroup = {
      ...emptyGroup(),
      functionalId: groupInput.functionalId,
      controlNumber: groupControl,
      version: groupVersion,
      sender: groupInput.applicationSender ?? settings.sender.id,
      receiver: groupInput.applicationReceiver ?? settings.receiver.id,
    };
    group.header = builder.add([
      "GS",
      groupInput.functionalId,
      group.sender,
      group.receiver,
      date,
      time,
      groupControl,
      "X",
      groupVersion,
    ]);
    for (const input of groupInput.transactions) {
      const control = formatControlNumber(await store.next(partner, "transaction"), "transaction", "x12");
      const start = builder.segments.length;
      const headerSegment = builder.add(
        input.implementationReference
          ? ["ST", input.type, control, input.implementationReference]
          : ["ST", input.type, control],
      );
      const body = input.segments.map((segment) => builder.add(segment));
      const trailer = builder.add(["SE", String(builder.segments.length - start + 1), control]);
      const transaction: Transaction = {
        type: input.type,
        controlNumber: control,
        header: headerSegment,
        trailer,
        segments: body,
        issues: [],
      };
      group.transactions.push(transaction);
    }
    group.trailer = builder.add(["GE", String(groupInput.transactions.length), groupControl]);
    interchange.groups.push(group);
  }
  interchange.trailer = builder.add(["IEA", String(groups.length), interchangeControl]);
  builder.finish();
  return {
    interchanges: [interchange],
    issues: [],
    encoding: "utf-8",
    bom: false,
    leading: "",
    segmentCount: builder.segments.length,
  };
}

/**
 * Builds an EDIFACT interchange (optional UNA, UNB, optional UNG…UNE groups, UNH…UNT
 * messages, UNZ) with control references from a {@link ControlNumberStore}. Values are
 * escaped with the release character. Pass `functionalId: ""` groups to write messages
 * without UNG.
 *
 * @param settings - parties, syntax, delimiters, control numbers, clock
 * @param groups - groups of messages (a group with `functionalId: ""` writes no UNG/UNE)
 * @returns a document holding one interchange
 * @throws ValidationError when the delimiters are not usable
 * @example
 * ```ts
 * const document = await buildEdifactInterchange(
 *   { sender: { qualifier: "14", id: "5400110000009" }, receiver: { qualifier: "14", id: "5013546107732" } },
 *   [{ functionalId: "", version: "", transactions: [{ type: "ORDERS", messageVersion: ["D", "96A", "UN", "EAN008"], segments: [["BGM", "220", "PO-1", "9"]] }] }],
 * );
 * ```
 */
export async function buildEdifactInterchange(
  settings: EdifactEnvelopeSettings,
  groups: readonly GroupInput[],
): Promise<EdiDocument> {
  const syntax = settings.syntax ?? ["UNOC", "3"];
  const delimiters: Delimiters = {
    ...EDIFACT_DEFAULT_DELIMITERS,
    ...(Number(syntax[1]) >= 4 ? { repetition: "*" } : {}),
    ...settings.delimiters,
  };
  checkDelimiters(delimiters);
  const store = settings.controlNumbers ?? createMemoryControlNumberStore();
  const partner = settings.partnerKey ?? `${settings.receiver.qualifier}:${settings.receiver.id}`;
  const now = (settings.clock ?? (() => new Date()))();
  const builder = new Builder("edifact", delimiters, settings.segmentSuffix ?? "\n");
  const defaults =
    delimiters.segment === "'" &&
    delimiters.element === "+" &&
    delimiters.component === ":" &&
    delimiters.release === "?" &&
    delimiters.decimal === "." &&
    delimiters.repetition === (Number(syntax[1]) >= 4 ? "*" : "");
  let serviceAdvice: Segment | undefined;
  if (settings.serviceAdvice ?? !defaults) {
    serviceAdvice = new Segment(
      [
        "UNA",
        `${delimiters.component}${delimiters.element}${delimiters.decimal}${delimiters.release || " "}${delimiters.repetition || " "}`,
      ],
      delimiters,
      0,
      0,
      1,
      builder.suffix,
    );
    builder.segments.push(serviceAdvice);
  }
  const reference = formatControlNumber(await store.next(partner, "interchange"), "interchange", "edifact");
  const date = `${String(now.getUTCFullYear()).slice(2)}${two(now.getUTCMonth() + 1)}${two(now.getUTCDate())}`;
  const time = `${two(now.getUTCHours())}${two(now.getUTCMinutes())}`;
  const unb: SegmentInput = [
    "UNB",
    [...syntax],
    [settings.sender.id, settings.sender.qualifier],
    [settings.receiver.id, settings.receiver.qualifier],
    [date, time],
    reference,
    ...((settings.acknowledgementRequested || settings.usage === "T"
      ? ["", "", "", settings.acknowledgementRequested ? "1" : "", "", settings.usage === "T" ? "1" : ""]
      : []) as string[]),
  ];
  const header = builder.add(unb);
  const interchange: Interchange = {
    standard: "edifact",
    delimiters,
    controlNumber: reference,
    sender: settings.sender.id,
    senderQualifier: settings.sender.qualifier,
    receiver: settings.receiver.id,
    receiverQualifier: settings.receiver.qualifier,
    version: syntax.join(":"),
    serviceAdvice,
    header,
    trailer: undefined,
    groups: [],
    strays: [],
    issues: [],
  };
  let count = 0;
  for (const groupInput of groups) {
    const explicit = groupInput.functionalId !== "";
    const group: FunctionalGroup = {
      ...emptyGroup(),
      functionalId: groupInput.functionalId,
      sender: settings.sender.id,
      receiver: settings.receiver.id,
    };
    if (explicit) {
      group.controlNumber = formatControlNumber(await store.next(partner, "group"), "group", "edifact");
      group.version =
        typeof groupInput.version === "string" ? groupInput.version : groupInput.version.join(":");
      group.header = builder.add([
        "UNG",
        groupInput.functionalId,
        [groupInput.applicationSender ?? settings.sender.id, settings.sender.qualifier],
        [groupInput.applicationReceiver ?? settings.receiver.id, settings.receiver.qualifier],
        [date, time],
        group.controlNumber,
        "UN",
        typeof groupInput.version === "string" ? groupInput.version.split(":") : [...groupInput.version],
      ]);
      count++;
    } else {
      count += groupInput.transactions.length;
    }
    for (const input of groupInput.transactions) {
      const control = formatControlNumber(await store.next(partner, "transaction"), "transaction", "edifact");
      const start = builder.segments.length;
      const headerSegment = builder.add([
        "UNH",
        control,
        [input.type, ...(input.messageVersion ?? ["D", "96A", "UN"])],
      ]);
      const body = input.segments.map((segment) => builder.add(segment));
      const trailer = builder.add(["UNT", String(builder.segments.length - start + 1), control]);
      group.transactions.push({
        type: input.type,
        controlNumber: control,
        header: headerSegment,
        trailer,
        segments: body,
        issues: [],
      });
    }
    if (explicit)
      group.trailer = builder.add(["UNE", String(groupInput.transactions.length), group.controlNumber]);
    interchange.groups.push(group);
  }
  interchange.trailer = builder.add(["UNZ", String(count), reference]);
  builder.finish();
  return {
    interchanges: [interchange],
    issues: [],
    encoding: "utf-8",
    bom: false,
    leading: "",
    segmentCount: builder.segments.length,
  };
}
