import { utf8Length } from "./decode";
import {
  type Delimiters,
  type EdiIssue,
  type EdiIssueSeverity,
  type FunctionalGroup,
  type Interchange,
  Segment,
  type Transaction,
} from "./model";

/** What the scanner reports as it reads. */
export interface ScannerHooks {
  /** Called when a transaction set / message is complete (trailer read, or closed at a boundary). */
  transaction?: (transaction: Transaction, group: FunctionalGroup, interchange: Interchange) => void;
  /** Called for every issue found. */
  issue?: (issue: EdiIssue) => void;
}

/** Settings of the {@link Scanner}. */
export interface ScannerSettings {
  /** Keep interchanges, groups and transactions in memory (false for streaming). */
  retain: boolean;
  /** Callbacks. */
  hooks?: ScannerHooks;
}

const ISA_LOOKAHEAD = 4096;

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isBlank(code: number): boolean {
  return code === 10 || code === 13 || code === 32 || code === 9 || code === 0x1a || code === 0;
}

function isTag(source: string, start: number, length: number): boolean {
  if (length < 2 || length > 3) return false;
  for (let index = start; index < start + length; index++) {
    const code = source.charCodeAt(index);
    if (!((code >= 48 && code <= 57) || (code >= 65 && code <= 90))) return false;
  }
  return true;
}

/**
 * The incremental reader behind {@link parseEdi} and {@link streamEdi}: fed text, it
 * reads every complete segment, builds interchanges, groups and transactions, checks
 * the envelopes and reports issues. With `retain: false` it keeps only the open
 * transaction, so memory stays bounded by the largest transaction.
 *
 * @internal
 */
export class Scanner {
  /** Interchanges read (only when retaining). */
  readonly interchanges: Interchange[] = [];
  /** Every issue found. */
  readonly issues: EdiIssue[] = [];
  /** Whitespace or unreadable text before the first interchange. */
  leading = "";
  /** Segments read. */
  segmentCount = 0;

  private text = "";
  private pos = 0;
  private baseByte = 0;
  private oneBytePerChar = true;
  private byteCursorChar = 0;
  private byteCursorByte = 0;
  private line = 1;
  private lfCursor = -1;
  private crCursor = -1;
  private lastSegment: Segment | undefined;
  // where the next terminator was found, so a file whose terminator never comes stays linear
  private cachedTerminator = "";
  private cachedFrom = 0;
  private cachedAt = -1;

  private interchange: Interchange | undefined;
  private group: FunctionalGroup | undefined;
  private transaction: Transaction | undefined;
  private interchangeIndex = -1;
  private groupIndex = -1;
  private transactionIndex = -1;
  private groupTransactions = 0;
  private interchangeGroups = 0;
  private interchangeMessages = 0;
  private explicitGroups = 0;

  private readonly settings: ScannerSettings;

  /**
   * @param settings - retention and callbacks
   */
  constructor(settings: ScannerSettings) {
    this.settings = settings;
  }

  /**
   * Reads as much of `text` (the unread rest of the previous feed plus new text) as forms
   * complete segments.
   *
   * @param text - text to append to what is still unread
   * @param baseByte - byte offset of the first character of `text` when nothing is unread; ignored otherwise
   * @param oneBytePerChar - whether each character of the new text is one byte
   * @param final - true when no more text will come
   */
  feed(text: string, oneBytePerChar: boolean, final: boolean, baseByte?: number): void {
    if (this.pos < this.text.length) {
      this.text = this.text.slice(this.pos) + text;
      this.oneBytePerChar = this.oneBytePerChar && oneBytePerChar;
    } else {
      if (baseByte !== undefined) this.baseByte = baseByte;
      this.text = text;
      this.oneBytePerChar = oneBytePerChar;
    }
    this.pos = 0;
    this.byteCursorChar = 0;
    this.byteCursorByte = 0;
    this.cachedTerminator = "";
    this.lfCursor = this.text.indexOf("\n");
    this.crCursor = this.text.indexOf("\r");
    this.run(final);
    // count the line breaks already read, then keep only the unread rest
    this.lineAt(this.pos);
    const consumedBytes = this.byteAt(this.pos);
    this.baseByte = consumedBytes;
    if (final) this.finish();
  }

  /** The unread text length (for tests of bounded memory). */
  get pending(): number {
    return this.text.length - this.pos;
  }

  private byteAt(charIndex: number): number {
    if (this.oneBytePerChar) return this.baseByte + charIndex;
    if (charIndex < this.byteCursorChar) {
      this.byteCursorChar = 0;
      this.byteCursorByte = 0;
    }
    this.byteCursorByte += utf8Length(this.text, this.byteCursorChar, charIndex);
    this.byteCursorChar = charIndex;
    return this.baseByte + this.byteCursorByte;
  }

  private lineAt(charIndex: number): number {
    while (this.lfCursor !== -1 && this.lfCursor < charIndex) {
      this.line++;
      this.lfCursor = this.text.indexOf("\n", this.lfCursor + 1);
    }
    return this.line;
  }

  private report(
    severity: EdiIssueSeverity,
    code: string,
    message: string,
    segment: Segment | undefined,
    element?: number,
    owner?: { issues: EdiIssue[] },
  ): void {
    const path: (string | number)[] = [];
    if (this.interchangeIndex >= 0 && this.interchange) {
      path.push("interchanges", this.interchangeIndex);
      if (this.group && owner !== this.interchange) {
        path.push("groups", this.groupIndex);
        if (this.transaction && owner === this.transaction) path.push("transactions", this.transactionIndex);
      }
    }
    if (segment) path.push("segments", segment.index);
    const issue: EdiIssue = { severity, code, path, message };
    if (segment) {
      issue.segment = { tag: segment.tag, index: segment.index };
      if (element !== undefined) issue.segment.element = element;
    }
    this.issues.push(issue);
    owner?.issues.push(issue);
    this.settings.hooks?.issue?.(issue);
  }

  private run(final: boolean): void {
    const text = this.text;
    const length = text.length;
    while (this.pos < length) {
      if (!this.interchange) {
        if (!this.startInterchange(final)) return;
        continue;
      }
      const delimiters = this.interchange.delimiters;
      const start = this.pos;
      // a new interchange header while one is open: the trailer is missing
      if (this.interchange.header !== undefined && this.looksLikeHeader(start)) {
        this.closeInterchange(undefined);
        continue;
      }
      const terminator = delimiters.segment;
      let end: number;
      if (
        this.cachedTerminator === terminator &&
        this.cachedFrom <= start &&
        (this.cachedAt === -1 || this.cachedAt >= start)
      ) {
        end = this.cachedAt;
      } else {
        end = text.indexOf(terminator, start);
        if (delimiters.release) {
          while (end !== -1 && isReleased(text, end, delimiters.release))
            end = text.indexOf(terminator, end + 1);
        }
        this.cachedTerminator = terminator;
        this.cachedFrom = start;
        this.cachedAt = end;
      }
      let unterminated = false;
      if (end === -1) {
        if (!final) return;
        end = length;
        unterminated = true;
      }
      let after = unterminated ? end : end + terminator.length;
      let source = text;
      let sourceStart = start;
      let sourceEnd = end;
      const wrapsLf = terminator !== "\n" && this.lfCursorFrom(start) !== -1 && this.lfCursor < end;
      if (wrapsLf || (terminator !== "\r" && this.crFrom(start) < end)) {
        const split = wrapsLf ? this.missingTerminator(start, end, delimiters.element) : -1;
        if (split !== -1) {
          end = split;
          after = split;
          unterminated = true;
        }
        source = text.slice(start, end).replace(/[\r\n]/g, "");
        sourceStart = 0;
        sourceEnd = source.length;
      }
      let next = after;
      while (next < length && isBlank(text.charCodeAt(next))) next++;
      if (next >= length && !final && end < length) return;

      let trailer = "";
      if (next > after) {
        const gap = next - after;
        if (gap === 1 && text.charCodeAt(after) === 10) trailer = "\n";
        else if (gap === 2 && text.charCodeAt(after) === 13 && text.charCodeAt(after + 1) === 10)
          trailer = "\r\n";
        else trailer = text.slice(after, next);
      }
      const segment = new Segment(
        undefined,
        delimiters,
        this.byteAt(start),
        this.segmentCount,
        this.lineAt(start),
        trailer,
        source,
        sourceStart,
        sourceEnd,
      );
      this.segmentCount++;
      this.lastSegment = segment;
      this.pos = next;
      if (unterminated) {
        this.report(
          "error",
          "missing_terminator",
          `Segment ${segment.tag} has no terminator ${end === length ? "before the end of input" : "before the line break that starts the next segment"}`,
          segment,
          undefined,
          this.transaction ?? this.group ?? this.interchange,
        );
      }
      this.accept(segment, source, sourceStart, sourceEnd);
    }
  }

  /**
   * A line break inside a segment is either a hard wrap (lines of one fixed width) or a
   * terminator that the sender forgot. It is the latter when the next line starts like a
   * segment (a tag, then the element separator) and the line it ends is not as long as
   * the line before it. Returns where the segment really ends, or -1.
   */
  private missingTerminator(start: number, end: number, element: string): number {
    const text = this.text;
    let lf = text.indexOf("\n", start);
    while (lf !== -1 && lf < end) {
      let cursor = lf + 1;
      while (cursor < end && (text.charCodeAt(cursor) === 13 || text.charCodeAt(cursor) === 10)) cursor++;
      const first = text.charCodeAt(cursor);
      if (first >= 65 && first <= 90) {
        let tagEnd = cursor + 1;
        while (tagEnd < end && tagEnd - cursor < 3 && isAlphanumeric(text.charCodeAt(tagEnd))) tagEnd++;
        if (tagEnd - cursor >= 2 && text.startsWith(element, tagEnd)) {
          const lineStart = text.lastIndexOf("\n", lf - 1) + 1;
          const lineLength = lf - lineStart - (text.charCodeAt(lf - 1) === 13 ? 1 : 0);
          const previousStart = lineStart > 0 ? text.lastIndexOf("\n", lineStart - 2) + 1 : -1;
          const previousLength =
            previousStart >= 0
              ? lineStart - 1 - previousStart - (text.charCodeAt(lineStart - 2) === 13 ? 1 : 0)
              : -1;
          if (lineLength !== previousLength) return text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
        }
      }
      lf = text.indexOf("\n", lf + 1);
    }
    return -1;
  }

  private lfCursorFrom(start: number): number {
    this.lineAt(start);
    return this.lfCursor;
  }

  private crFrom(start: number): number {
    while (this.crCursor !== -1 && this.crCursor < start)
      this.crCursor = this.text.indexOf("\r", this.crCursor + 1);
    return this.crCursor === -1 ? Number.POSITIVE_INFINITY : this.crCursor;
  }

  private looksLikeHeader(at: number): boolean {
    const text = this.text;
    const a = text.charCodeAt(at);
    if (a === 73) {
      // ISA + a separator
      return (
        text.startsWith("ISA", at) &&
        at + 3 < text.length &&
        !isAlphanumeric(text.charCodeAt(at + 3)) &&
        !isBlank(text.charCodeAt(at + 3))
      );
    }
    if (a === 85 && text.startsWith("UN", at)) {
      const c = text.charCodeAt(at + 2);
      if (c === 65) return true;
      if (c === 66) return at + 3 < text.length && !isAlphanumeric(text.charCodeAt(at + 3));
    }
    return false;
  }

  // ---- interchange start ------------------------------------------------------------

  private startInterchange(final: boolean): boolean {
    const text = this.text;
    const length = text.length;
    let at = this.pos;
    while (
      at < length &&
      (isBlank(text.charCodeAt(at)) || text.charCodeAt(at) === 0xa0 || text.charCodeAt(at) === 0x85)
    )
      at++;
    if (at > this.pos) this.appendGap(text.slice(this.pos, at));
    this.pos = at;
    if (at >= length) return false;
    if (!final && length - at < 4) return false;
    if (this.looksLikeHeader(at)) {
      if (text.startsWith("ISA", at)) return this.startX12(at, final);
      return this.startEdifact(at, final);
    }
    // not EDI: keep it as a gap up to the next interchange header, and report it
    let nextHeader = -1;
    const pattern = /ISA[^A-Za-z0-9\s]|UNA|UNB[^A-Za-z0-9]/g;
    pattern.lastIndex = at + 1;
    const match = pattern.exec(text);
    if (match) nextHeader = match.index;
    if (nextHeader === -1 && !final) {
      if (length - at < ISA_LOOKAHEAD) return false;
      nextHeader = length - 3;
    }
    const stop = nextHeader === -1 ? length : nextHeader;
    const garbage = text.slice(at, stop);
    this.issues.push({
      severity: "error",
      code: "unexpected_data",
      path: ["offset", this.byteAt(at)],
      message: `Unexpected data that is not an X12 or EDIFACT interchange at byte ${this.byteAt(at)} (line ${this.lineAt(at)}): ${JSON.stringify(garbage.slice(0, 40))}`,
    });
    this.settings.hooks?.issue?.(this.issues[this.issues.length - 1]!);
    this.appendGap(garbage);
    this.pos = stop;
    return true;
  }

  private appendGap(gap: string): void {
    if (this.lastSegment) this.lastSegment.trailer += gap;
    else this.leading += gap;
  }

  private startX12(at: number, final: boolean): boolean {
    const text = this.text;
    const length = text.length;
    const element = text[at + 3]!;
    let cursor = at + 4;
    let separators = 1;
    while (separators < 16) {
      const next = text.indexOf(element, cursor);
      if (next === -1 || next - at > ISA_LOOKAHEAD) {
        if (!final && next === -1 && length - at < ISA_LOOKAHEAD) return false;
        return this.rejectHeader(at, "invalid_interchange_header", "ISA has fewer than 16 elements");
      }
      separators++;
      cursor = next + 1;
    }
    // cursor: first character of ISA16
    if (!final && length - cursor < 200) {
      // need the next segment to decide an ambiguous terminator
      const newline = text.indexOf("\n", cursor + 2);
      if (newline === -1 && length - cursor < ISA_LOOKAHEAD) return false;
    }
    const candidate = text[cursor];
    const afterCandidate = text[cursor + 1];
    if (candidate === undefined)
      return this.rejectHeader(at, "invalid_interchange_header", "ISA ends before ISA16");
    let component = candidate;
    let terminator = afterCandidate ?? "";
    let missingComponent = false;
    if (candidate === "\r" || candidate === "\n") {
      // ISA16 absent and a line break ends the ISA
      component = "";
      terminator = candidate;
      missingComponent = true;
    } else if (afterCandidate === "\r" || afterCandidate === "\n" || afterCandidate === undefined) {
      // either ISA16 then a line-break terminator, or no ISA16 and `candidate` is the terminator
      let lineStart = cursor + 2;
      while (lineStart < length && isBlank(text.charCodeAt(lineStart))) lineStart++;
      const lineEnd = text.indexOf(afterCandidate ?? "\n", lineStart);
      if (afterCandidate === undefined) {
        component = "";
        terminator = candidate;
        missingComponent = true;
      } else if (lineEnd > lineStart) {
        let last = lineEnd - 1;
        if (text[last] === "\r") last--;
        if (text[last] === candidate && !isAlphanumeric(candidate.charCodeAt(0))) {
          component = "";
          terminator = candidate;
          missingComponent = true;
        }
      }
    }
    if (terminator === "" || isAlphanumeric(terminator.charCodeAt(0)) || terminator === element) {
      return this.rejectHeader(at, "invalid_interchange_header", "ISA has no usable segment terminator");
    }
    const delimiters: Delimiters = {
      segment: terminator,
      element,
      component,
      repetition: "",
      release: "",
      decimal: ".",
    };
    this.interchange = {
      standard: "x12",
      delimiters,
      controlNumber: "",
      sender: "",
      senderQualifier: "",
      receiver: "",
      receiverQualifier: "",
      version: "",
      serviceAdvice: undefined,
      header: undefined as unknown as Segment,
      trailer: undefined,
      groups: [],
      strays: [],
      issues: [],
    };
    this.interchangeIndex++;
    this.groupIndex = -1;
    this.interchangeGroups = 0;
    this.interchangeMessages = 0;
    this.explicitGroups = 0;
    if (this.settings.retain) this.interchanges.push(this.interchange);
    this.pendingMissingComponent = missingComponent;
    return true;
  }

  private pendingMissingComponent = false;

  private rejectHeader(at: number, code: string, message: string): boolean {
    // report, keep the text as a gap, and look for the next header after it
    const pattern = /ISA[^A-Za-z0-9\s]|UNA|UNB[^A-Za-z0-9]/g;
    pattern.lastIndex = at + 1;
    const match = pattern.exec(this.text);
    const stop = match ? match.index : this.text.length;
    const issue: EdiIssue = {
      severity: "error",
      code,
      path: ["offset", this.byteAt(at)],
      message: `${message} (byte ${this.byteAt(at)}, line ${this.lineAt(at)})`,
      segment: { tag: this.text.slice(at, at + 3), index: this.segmentCount },
    };
    this.issues.push(issue);
    this.settings.hooks?.issue?.(issue);
    this.appendGap(this.text.slice(at, stop));
    this.pos = stop;
    return true;
  }

  private startEdifact(at: number, final: boolean): boolean {
    const text = this.text;
    let delimiters: Delimiters = {
      segment: "'",
      element: "+",
      component: ":",
      repetition: "",
      release: "?",
      decimal: ".",
    };
    let serviceAdvice: Segment | undefined;
    if (text.startsWith("UNA", at)) {
      if (text.length - at < 9) {
        if (!final) return false;
        return this.rejectHeader(at, "invalid_interchange_header", "UNA is shorter than 9 characters");
      }
      const advice = text.slice(at + 3, at + 9);
      const repetition = advice[4]!;
      delimiters = {
        component: advice[0]!,
        element: advice[1]!,
        decimal: advice[2]!,
        release: advice[3] === " " ? "" : advice[3]!,
        repetition: repetition === " " ? "" : repetition,
        segment: advice[5]!,
      };
      let next = at + 9;
      while (next < text.length && isBlank(text.charCodeAt(next))) next++;
      if (!final && next >= text.length) return false;
      serviceAdvice = new Segment(
        ["UNA", advice.slice(0, 5)],
        delimiters,
        this.byteAt(at),
        this.segmentCount,
        this.lineAt(at),
        text.slice(at + 9, next),
      );
      this.segmentCount++;
      this.lastSegment = serviceAdvice;
      this.pos = next;
    }
    this.interchange = {
      standard: "edifact",
      delimiters,
      controlNumber: "",
      sender: "",
      senderQualifier: "",
      receiver: "",
      receiverQualifier: "",
      version: "",
      serviceAdvice,
      header: undefined as unknown as Segment,
      trailer: undefined,
      groups: [],
      strays: [],
      issues: [],
    };
    this.interchangeIndex++;
    this.groupIndex = -1;
    this.interchangeGroups = 0;
    this.interchangeMessages = 0;
    this.explicitGroups = 0;
    this.hasAdvice = serviceAdvice !== undefined;
    if (this.settings.retain) this.interchanges.push(this.interchange);
    return true;
  }

  private hasAdvice = false;

  // ---- segment dispatch -------------------------------------------------------------

  private accept(segment: Segment, source: string, start: number, end: number): void {
    const interchange = this.interchange!;
    if (interchange.header === undefined) {
      this.acceptHeader(segment);
      return;
    }
    let tagEnd = source.indexOf(interchange.delimiters.element, start);
    if (tagEnd === -1 || tagEnd > end) tagEnd = end;
    const tagLength = tagEnd - start;
    const first = source.charCodeAt(start);
    const second = source.charCodeAt(start + 1);
    if (interchange.standard === "x12") {
      if (tagLength === 2) {
        if (first === 83 /* S */) {
          if (second === 84 /* T */) {
            this.openTransaction(segment);
            return;
          }
          if (second === 69 /* E */) {
            this.closeTransaction(segment);
            return;
          }
        } else if (first === 71 /* G */) {
          if (second === 83 /* S */) {
            this.openGroup(segment);
            return;
          }
          if (second === 69 /* E */) {
            this.closeGroup(segment);
            return;
          }
        }
      } else if (
        tagLength === 3 &&
        first === 73 /* I */ &&
        second === 69 /* E */ &&
        source.charCodeAt(start + 2) === 65
      ) {
        this.closeInterchange(segment);
        return;
      }
    } else if (tagLength === 3 && first === 85 /* U */ && second === 78 /* N */) {
      switch (source.charCodeAt(start + 2)) {
        case 72 /* H */:
          this.openTransaction(segment);
          return;
        case 84 /* T */:
          this.closeTransaction(segment);
          return;
        case 71 /* G */:
          this.openGroup(segment);
          return;
        case 69 /* E */:
          this.closeGroup(segment);
          return;
        case 90 /* Z */:
          this.closeInterchange(segment);
          return;
      }
    }
    if (this.transaction) {
      this.transaction.segments.push(segment);
      if (!isTag(source, start, tagLength)) {
        this.report(
          "error",
          "invalid_segment_tag",
          `Segment tag ${JSON.stringify(source.slice(start, tagEnd).slice(0, 20))} is not 2 or 3 letters or digits`,
          segment,
          undefined,
          this.transaction,
        );
      }
      return;
    }
    this.stray(
      segment,
      `Segment ${segment.tag} is outside any ${interchange.standard === "x12" ? "transaction set (ST…SE)" : "message (UNH…UNT)"}`,
    );
  }

  private stray(segment: Segment, message: string): void {
    if (this.group) {
      this.group.strays.push(segment);
      this.report("error", "segment_outside_transaction", message, segment, undefined, this.group);
    } else {
      this.interchange!.strays.push(segment);
      this.report("error", "segment_outside_transaction", message, segment, undefined, this.interchange);
    }
  }

  private acceptHeader(segment: Segment): void {
    const interchange = this.interchange!;
    const tag = segment.tag;
    interchange.header = segment;
    if (interchange.standard === "x12") {
      if (segment.elements.length !== 17) {
        this.report(
          "error",
          "invalid_interchange_header",
          `ISA has ${segment.elements.length - 1} elements, expected 16`,
          segment,
          undefined,
          interchange,
        );
      }
      const e = segment.elements;
      interchange.senderQualifier = (e[5] ?? "").trim();
      interchange.sender = (e[6] ?? "").trim();
      interchange.receiverQualifier = (e[7] ?? "").trim();
      interchange.receiver = (e[8] ?? "").trim();
      interchange.version = (e[12] ?? "").trim();
      interchange.controlNumber = (e[13] ?? "").trim();
      const repetition = e[11] ?? "";
      if (
        interchange.version >= "00402" &&
        repetition.length === 1 &&
        !isAlphanumeric(repetition.charCodeAt(0))
      ) {
        interchange.delimiters.repetition = repetition;
      }
      if (this.pendingMissingComponent) {
        this.report(
          "warning",
          "missing_component_separator",
          "ISA16 (component element separator) is absent; composite elements are read as plain values",
          segment,
          16,
          interchange,
        );
      }
      const width =
        segment.elements.join(interchange.delimiters.element).length + interchange.delimiters.segment.length;
      if (width !== 106 && !this.pendingMissingComponent) {
        this.report(
          "warning",
          "nonstandard_interchange_header",
          `ISA is ${width} characters long, not 106 (fields are not fixed width)`,
          segment,
          undefined,
          interchange,
        );
      }
      if (!/^\d{9}$/.test(interchange.controlNumber)) {
        this.report(
          "error",
          "invalid_control_number",
          `ISA13 control number ${JSON.stringify(interchange.controlNumber)} is not 9 digits`,
          segment,
          13,
          interchange,
        );
      }
      return;
    }
    if (tag !== "UNB") {
      this.report(
        "error",
        "missing_interchange_header",
        `Expected UNB after UNA, found ${tag}`,
        segment,
        undefined,
        interchange,
      );
    }
    const syntax = segment.components(1);
    interchange.version = syntax.join(":");
    const sender = segment.components(2);
    const receiver = segment.components(3);
    interchange.sender = sender[0] ?? "";
    interchange.senderQualifier = sender[1] ?? "";
    interchange.receiver = receiver[0] ?? "";
    interchange.receiverQualifier = receiver[1] ?? "";
    interchange.controlNumber = segment.get(5);
    if (!this.hasAdvice && Number(syntax[1]) >= 4) interchange.delimiters.repetition = "*";
  }

  private openGroup(segment: Segment): void {
    const interchange = this.interchange!;
    if (this.transaction) this.missingTrailer(this.transaction.header);
    if (this.group) this.endGroup(undefined);
    const x12 = interchange.standard === "x12";
    this.group = {
      functionalId: segment.get(1),
      controlNumber: x12 ? segment.get(6) : segment.get(5),
      version: x12 ? segment.get(8) : segment.components(7).join(":"),
      sender: x12 ? segment.get(2) : segment.get(2, 1),
      receiver: x12 ? segment.get(3) : segment.get(3, 1),
      header: segment,
      trailer: undefined,
      transactions: [],
      strays: [],
      issues: [],
    };
    this.groupIndex++;
    this.groupTransactions = 0;
    this.interchangeGroups++;
    this.explicitGroups++;
    if (this.settings.retain) interchange.groups.push(this.group);
  }

  private implicitGroup(type: string): FunctionalGroup {
    const group: FunctionalGroup = {
      functionalId: type,
      controlNumber: "",
      version: "",
      sender: this.interchange!.sender,
      receiver: this.interchange!.receiver,
      header: undefined,
      trailer: undefined,
      transactions: [],
      strays: [],
      issues: [],
    };
    this.group = group;
    this.groupIndex++;
    this.groupTransactions = 0;
    this.interchangeGroups++;
    if (this.settings.retain) this.interchange!.groups.push(group);
    return group;
  }

  private openTransaction(segment: Segment): void {
    const interchange = this.interchange!;
    if (this.transaction) this.missingTrailer(this.transaction.header);
    const x12 = interchange.standard === "x12";
    const type = x12 ? segment.get(1) : segment.get(2, 1);
    if (!this.group) {
      this.implicitGroup(type);
      if (x12) {
        this.report(
          "error",
          "transaction_outside_group",
          `ST ${segment.get(2)} is outside a functional group (no GS)`,
          segment,
          undefined,
          this.group,
        );
      }
    }
    this.transaction = {
      type,
      controlNumber: segment.get(x12 ? 2 : 1),
      header: segment,
      trailer: undefined,
      segments: [],
      issues: [],
    };
    this.transactionIndex = this.groupTransactions;
    this.groupTransactions++;
    this.interchangeMessages++;
    if (this.settings.retain) this.group!.transactions.push(this.transaction);
  }

  private missingTrailer(header: Segment): void {
    const x12 = this.interchange!.standard === "x12";
    const transaction = this.transaction!;
    this.report(
      "error",
      "missing_trailer",
      `${x12 ? "SE" : "UNT"} is missing for ${header.tag} ${transaction.controlNumber}`,
      header,
      undefined,
      transaction,
    );
    this.endTransaction();
  }

  private endTransaction(): void {
    const transaction = this.transaction!;
    this.transaction = undefined;
    this.settings.hooks?.transaction?.(transaction, this.group!, this.interchange!);
  }

  private closeTransaction(segment: Segment): void {
    const transaction = this.transaction;
    const x12 = this.interchange!.standard === "x12";
    if (!transaction) {
      this.stray(segment, `${segment.tag} without a matching ${x12 ? "ST" : "UNH"}`);
      return;
    }
    transaction.trailer = segment;
    const count = transaction.segments.length + 2;
    const declared = segment.get(1);
    if (declared !== String(count) && Number(declared) !== count) {
      this.report(
        "error",
        "segment_count_mismatch",
        `${segment.tag}01 says ${JSON.stringify(declared)} segments, the ${x12 ? "transaction set" : "message"} has ${count}`,
        segment,
        1,
        transaction,
      );
    }
    const control = segment.get(2);
    if (control !== transaction.controlNumber) {
      this.report(
        "error",
        "control_number_mismatch",
        `${segment.tag}02 ${JSON.stringify(control)} does not match ${transaction.header.tag}${x12 ? "02" : "01"} ${JSON.stringify(transaction.controlNumber)}`,
        segment,
        2,
        transaction,
      );
    }
    this.endTransaction();
  }

  private closeGroup(segment: Segment): void {
    if (this.transaction) this.missingTrailer(this.transaction.header);
    if (!this.group || this.group.header === undefined) {
      this.stray(
        segment,
        `${segment.tag} without a matching ${this.interchange!.standard === "x12" ? "GS" : "UNG"}`,
      );
      return;
    }
    this.endGroup(segment);
  }

  private endGroup(trailer: Segment | undefined): void {
    const group = this.group!;
    const x12 = this.interchange!.standard === "x12";
    const headerTag = x12 ? "GS" : "UNG";
    const trailerTag = x12 ? "GE" : "UNE";
    if (group.header !== undefined) {
      if (!trailer) {
        this.report(
          "error",
          "missing_trailer",
          `${trailerTag} is missing for ${headerTag} ${group.controlNumber}`,
          group.header,
          undefined,
          group,
        );
      } else {
        group.trailer = trailer;
        const declared = trailer.get(1);
        if (Number(declared) !== this.groupTransactions || declared === "") {
          this.report(
            "error",
            "transaction_count_mismatch",
            `${trailerTag}01 says ${JSON.stringify(declared)} ${x12 ? "transaction sets" : "messages"}, the group has ${this.groupTransactions}`,
            trailer,
            1,
            group,
          );
        }
        const control = trailer.get(2);
        if (control !== group.controlNumber) {
          this.report(
            "error",
            "control_number_mismatch",
            `${trailerTag}02 ${JSON.stringify(control)} does not match ${headerTag}${x12 ? "06" : "05"} ${JSON.stringify(group.controlNumber)}`,
            trailer,
            2,
            group,
          );
        }
      }
    }
    this.group = undefined;
  }

  private closeInterchange(segment: Segment | undefined): void {
    const interchange = this.interchange!;
    if (this.transaction) this.missingTrailer(this.transaction.header);
    if (this.group) {
      if (this.group.header !== undefined) this.endGroup(undefined);
      else this.group = undefined;
    }
    const x12 = interchange.standard === "x12";
    if (!segment) {
      this.report(
        "error",
        "missing_trailer",
        `${x12 ? "IEA" : "UNZ"} is missing for interchange ${interchange.controlNumber}`,
        interchange.header,
        undefined,
        interchange,
      );
    } else {
      interchange.trailer = segment;
      const declared = segment.get(1);
      const expected = x12 || this.explicitGroups > 0 ? this.interchangeGroups : this.interchangeMessages;
      if (Number(declared) !== expected || declared === "") {
        this.report(
          "error",
          x12 || this.explicitGroups > 0 ? "group_count_mismatch" : "message_count_mismatch",
          `${segment.tag}01 says ${JSON.stringify(declared)}, the interchange has ${expected} ${x12 || this.explicitGroups > 0 ? "functional groups" : "messages"}`,
          segment,
          1,
          interchange,
        );
      }
      const control = segment.get(2);
      if (control !== interchange.controlNumber) {
        this.report(
          "error",
          "control_number_mismatch",
          `${segment.tag}02 ${JSON.stringify(control)} does not match ${x12 ? "ISA13" : "UNB05"} ${JSON.stringify(interchange.controlNumber)}`,
          segment,
          2,
          interchange,
        );
      }
    }
    this.interchange = undefined;
    this.group = undefined;
  }

  private finish(): void {
    if (this.interchange) {
      if (this.interchange.header === undefined) {
        this.report(
          "error",
          "missing_interchange_header",
          "The input ends inside an interchange header",
          undefined,
          undefined,
          this.interchange,
        );
        this.interchange = undefined;
      } else {
        this.closeInterchange(undefined);
      }
    }
  }
}

function isReleased(text: string, index: number, release: string): boolean {
  let count = 0;
  let cursor = index - 1;
  while (cursor >= 0 && text[cursor] === release) {
    count++;
    cursor--;
  }
  return count % 2 === 1;
}
