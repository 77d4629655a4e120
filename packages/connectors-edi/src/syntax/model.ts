import type { ValidationIssue } from "@distro/core";

/** The two EDI standards distro reads and writes. */
export type EdiStandard = "x12" | "edifact";

/**
 * The delimiters of one interchange. X12 reads them from the ISA header; EDIFACT from
 * the UNA service string advice, or the defaults (`:+.? '`) when there is none.
 * An empty string means the interchange has no such delimiter.
 */
export interface Delimiters {
  /** Ends a segment (`~`, `'`, `\n`, `…`). */
  segment: string;
  /** Separates the elements of a segment (`*`, `+`). */
  element: string;
  /** Separates the components of a composite element (`>`, `:`); empty when absent. */
  component: string;
  /** Separates repetitions of an element (`^`, `*` in EDIFACT syntax 4); empty when none. */
  repetition: string;
  /** EDIFACT release (escape) character (`?`); empty for X12. */
  release: string;
  /** EDIFACT decimal mark (`.` or `,`); `.` for X12. */
  decimal: string;
}

/** Where a segment sits in the input. */
export interface SegmentPosition {
  /** Byte offset of the segment's first character in the original input. */
  offset: number;
  /** Index of the segment in the whole input (0-based, counting every segment). */
  index: number;
  /** 1-based line of the segment's first character. */
  line: number;
}

/**
 * How serious an {@link EdiIssue} is. Errors make an acknowledgement reject the
 * transaction; warnings are reported and accepted.
 */
export type EdiIssueSeverity = "error" | "warning";

/**
 * A problem found while parsing or validating: core's {@link ValidationIssue} with the
 * segment named (`segment.tag`, `segment.index`, `segment.element`) and a severity.
 */
export interface EdiIssue extends ValidationIssue {
  /** Error or warning. */
  severity: EdiIssueSeverity;
  /** The data element reference number (`353`, `3035`) when the issue is in an element. */
  dataElement?: string;
  /** A copy of the bad value, when there is one (for AK404 / IK404). */
  badValue?: string;
}

/**
 * One element of a segment, split on demand into repetitions and components, with
 * EDIFACT release characters removed.
 */
export interface EdiElement {
  /** The element as written in the file (release characters kept). */
  raw: string;
  /** The value with release characters removed. */
  value: string;
  /** The components of the first repetition, release characters removed. */
  components: string[];
  /** Each repetition, split into its components. */
  repetitions: string[][];
}

/**
 * One segment: its elements as written (`elements[0]` is the tag, so `elements[3]` is
 * element 03, as X12 and EDIFACT number them) and its position in the input.
 *
 * @example
 * ```ts
 * const beg = transaction.segments.find((segment) => segment.tag === "BEG");
 * beg?.get(3); // the purchase order number (BEG03)
 * ```
 */
export class Segment {
  /** Byte offset of the first character in the original input. */
  offset: number;
  /** Index of this segment among all segments of the input (0-based). */
  index: number;
  /** 1-based line of the first character. */
  line: number;
  /** What followed the terminator before the next segment (line breaks, padding). */
  trailer: string;
  /** The delimiters of the interchange this segment belongs to. */
  delimiters: Delimiters;
  // the segment's text is source[start..end); elements are split from it on first use
  private source: string;
  private start: number;
  private end: number;
  private split: string[] | undefined;

  /**
   * @param elements - tag then elements, as written; or undefined when `source` holds the text
   * @param delimiters - the interchange's delimiters
   * @param offset - byte offset
   * @param index - segment index in the input
   * @param line - 1-based line
   * @param trailer - text between the terminator and the next segment
   * @param source - text that holds the segment (without terminator) between `start` and `end`
   * @param start - first character of the segment in `source`
   * @param end - end of the segment in `source` (exclusive)
   */
  constructor(
    elements: string[] | undefined,
    delimiters: Delimiters,
    offset = 0,
    index = 0,
    line = 1,
    trailer = "",
    source = "",
    start = 0,
    end = source.length,
  ) {
    this.split = elements;
    this.delimiters = delimiters;
    this.offset = offset;
    this.index = index;
    this.line = line;
    this.trailer = trailer;
    this.source = source;
    this.start = start;
    this.end = end;
  }

  /**
   * The elements as written; `elements[0]` is the tag. Split from the input on first use.
   *
   * @returns tag then elements
   * @example
   * ```ts
   * segment.elements; // ["BEG", "00", "SA", "PO-1", "", "20260105"]
   * ```
   */
  get elements(): string[] {
    if (this.split === undefined) {
      const text = this.source.slice(this.start, this.end);
      const { element, release } = this.delimiters;
      this.split =
        release && text.indexOf(release) !== -1 ? splitEscaped(text, element, release) : text.split(element);
    }
    return this.split;
  }

  /**
   * Replaces the elements (tag first).
   *
   * @param value - tag then elements
   */
  set elements(value: string[]) {
    this.split = value;
  }

  /**
   * The segment as written, without its terminator.
   *
   * @returns the segment text
   * @example
   * ```ts
   * segment.text; // "BEG*00*SA*PO-1**20260105"
   * ```
   */
  get text(): string {
    if (this.split === undefined) return this.source.slice(this.start, this.end);
    return this.split.join(this.delimiters.element);
  }

  /**
   * The segment tag (`BEG`, `NAD`).
   *
   * @returns the tag
   * @example
   * ```ts
   * segment.tag; // "BEG"
   * ```
   */
  get tag(): string {
    return this.elements[0] ?? "";
  }

  /**
   * The position of the segment in the input.
   *
   * @returns offset, index and line
   * @example
   * ```ts
   * segment.position; // { offset: 106, index: 1, line: 2 }
   * ```
   */
  get position(): SegmentPosition {
    return { offset: this.offset, index: this.index, line: this.line };
  }

  /**
   * The value of element `element` (1-based), or of one of its components, with EDIFACT
   * release characters removed. Missing elements and components read as `""`.
   *
   * @param element - element number (1 = first element after the tag)
   * @param component - component number (1-based); omit for the whole element
   * @returns the value, or `""`
   * @example
   * ```ts
   * segment.get(1); // NAD01, e.g. "BY"
   * segment.get(2, 1); // first component of NAD02
   * ```
   */
  get(element: number, component?: number): string {
    const raw = this.elements[element];
    if (raw === undefined || raw === "") return "";
    if (component === undefined) return unescapeValue(raw, this.delimiters.release);
    const components = splitEscaped(
      firstRepetition(raw, this.delimiters),
      this.delimiters.component,
      this.delimiters.release,
    );
    const value = components[component - 1];
    return value === undefined ? "" : unescapeValue(value, this.delimiters.release);
  }

  /**
   * Element `element` (1-based) split into repetitions and components.
   *
   * @param element - element number
   * @returns the element view (empty values when the element is absent)
   * @example
   * ```ts
   * segment.element(2).components; // ["5400110000009", "", "9"]
   * ```
   */
  element(element: number): EdiElement {
    const raw = this.elements[element] ?? "";
    const { release, repetition, component } = this.delimiters;
    const repetitions = (repetition ? splitEscaped(raw, repetition, release) : [raw]).map((part) =>
      splitEscaped(part, component, release).map((value) => unescapeValue(value, release)),
    );
    return { raw, value: unescapeValue(raw, release), components: repetitions[0] ?? [""], repetitions };
  }

  /**
   * The components of element `element` (1-based), release characters removed.
   *
   * @param element - element number
   * @returns the components (`[""]` when absent)
   * @example
   * ```ts
   * segment.components(1); // ["UNOC", "3"]
   * ```
   */
  components(element: number): string[] {
    return this.element(element).components;
  }

  /**
   * The number of elements after the tag, trailing empty ones included as written.
   *
   * @returns the element count
   * @example
   * ```ts
   * segment.size; // 5
   * ```
   */
  get size(): number {
    return this.elements.length - 1;
  }
}

function firstRepetition(raw: string, delimiters: Delimiters): string {
  if (!delimiters.repetition) return raw;
  return splitEscaped(raw, delimiters.repetition, delimiters.release)[0] ?? "";
}

/**
 * Splits text on a one-character separator, honouring an EDIFACT release character
 * (escapes stay in the parts).
 *
 * @param text - the text
 * @param separator - the separator (empty: no split)
 * @param release - the release character (empty: none)
 * @returns the parts
 * @example
 * ```ts
 * splitEscaped("A?:B:C", ":", "?"); // ["A?:B", "C"]
 * ```
 */
export function splitEscaped(text: string, separator: string, release: string): string[] {
  if (!separator) return [text];
  if (!release || text.indexOf(release) === -1) return text.split(separator);
  const parts: string[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === release) {
      index++;
    } else if (char === separator) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Removes EDIFACT release characters: `?+` → `+`, `??` → `?`.
 *
 * @param text - an escaped value
 * @param release - the release character (empty: returned unchanged)
 * @returns the plain value
 * @example
 * ```ts
 * unescapeValue("NO MORE ?' FLIGHTS", "?"); // "NO MORE ' FLIGHTS"
 * ```
 */
export function unescapeValue(text: string, release: string): string {
  if (!release || text.indexOf(release) === -1) return text;
  let out = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === release && index + 1 < text.length) {
      index++;
      out += text[index];
    } else {
      out += char;
    }
  }
  return out;
}

/** A transaction set (X12 ST…SE) or message (EDIFACT UNH…UNT). */
export interface Transaction {
  /** The transaction set or message type: `850`, `ORDERS`. */
  type: string;
  /** ST02 / UNH01, kept as written (leading zeros). */
  controlNumber: string;
  /** The ST / UNH segment. */
  header: Segment;
  /** The SE / UNT segment; undefined when it is missing. */
  trailer: Segment | undefined;
  /** The segments between header and trailer. */
  segments: Segment[];
  /** Problems found in this transaction. */
  issues: EdiIssue[];
}

/** A functional group (X12 GS…GE, EDIFACT UNG…UNE), or the implicit group of EDIFACT messages sent without UNG. */
export interface FunctionalGroup {
  /** GS01 functional identifier (`PO`, `IN`) or UNG01 message group id; for an implicit group, the first message's type. */
  functionalId: string;
  /** GS06 / UNG05, as written; empty for an implicit group. */
  controlNumber: string;
  /** GS08 version (`004010`) or UNG07 (`D:96A`). */
  version: string;
  /** GS02 / UNG02 sender. */
  sender: string;
  /** GS03 / UNG03 receiver. */
  receiver: string;
  /** The GS / UNG segment; undefined for an implicit group. */
  header: Segment | undefined;
  /** The GE / UNE segment; undefined when absent. */
  trailer: Segment | undefined;
  /** The transaction sets / messages. */
  transactions: Transaction[];
  /** Segments found in the group but outside any transaction (each also reported as an issue). */
  strays: Segment[];
  /** Problems found at group level. */
  issues: EdiIssue[];
}

/** One interchange (ISA…IEA, UNA/UNB…UNZ) with its own delimiters. */
export interface Interchange {
  /** X12 or EDIFACT. */
  standard: EdiStandard;
  /** This interchange's delimiters. */
  delimiters: Delimiters;
  /** ISA13 / UNB05, as written. */
  controlNumber: string;
  /** ISA06 / UNB02 sender id (trimmed). */
  sender: string;
  /** ISA05 / UNB02 component 2 sender qualifier. */
  senderQualifier: string;
  /** ISA08 / UNB03 receiver id (trimmed). */
  receiver: string;
  /** ISA07 / UNB03 component 2 receiver qualifier. */
  receiverQualifier: string;
  /** ISA12 (`00401`) or the UNB syntax identifier and version (`UNOC:3`). */
  version: string;
  /** The UNA segment, when present (EDIFACT). */
  serviceAdvice: Segment | undefined;
  /** The ISA / UNB segment. */
  header: Segment;
  /** The IEA / UNZ segment; undefined when absent. */
  trailer: Segment | undefined;
  /** Functional groups; EDIFACT messages without UNG sit in one implicit group. */
  groups: FunctionalGroup[];
  /** Segments outside any group (each also reported as an issue). */
  strays: Segment[];
  /** Problems found at interchange level. */
  issues: EdiIssue[];
}

/** How the input bytes were decoded. */
export type EdiEncoding = "utf-8" | "latin1" | "cp037" | "cp500";

/** A parsed EDI input: one or more interchanges, with every problem found. */
export interface EdiDocument {
  /** The interchanges, in input order. */
  interchanges: Interchange[];
  /** Every problem found, in input order. */
  issues: EdiIssue[];
  /** How the bytes were decoded. */
  encoding: EdiEncoding;
  /** Whether the input started with a UTF-8 byte order mark. */
  bom: boolean;
  /** Text before the first interchange (blank lines; anything else is also reported as an issue). */
  leading: string;
  /** The number of segments read. */
  segmentCount: number;
}
