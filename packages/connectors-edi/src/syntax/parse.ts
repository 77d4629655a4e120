import { ValidationError } from "@distro/core";
import { type DecodedText, decodeEdi, type EdiInput } from "./decode";
import type { EdiDocument, EdiIssue, EdiStandard } from "./model";
import { Scanner } from "./scanner";

/** Settings of {@link parseEdi}. */
export interface ParseOptions {
  /**
   * Throw a {@link ValidationError} listing every error-severity issue instead of
   * returning them in `document.issues`. Default false: problems are reported, not thrown.
   */
  strict?: boolean;
  /**
   * Extra checks after the envelope checks, e.g. {@link validateDocument} bound to a
   * dictionary. Their issues are added to `document.issues` (and to the transactions).
   */
  validate?: (document: EdiDocument) => EdiIssue[];
}

/**
 * Tells whether text or bytes hold X12 or EDIFACT, from the first interchange header
 * (after a byte order mark, blank lines or EBCDIC encoding).
 *
 * @param input - the start of the input, or all of it
 * @returns `x12`, `edifact`, or undefined when neither header is found
 * @example
 * ```ts
 * detectStandard("UNA:+.? 'UNB+UNOC:3+..."); // "edifact"
 * ```
 */
export function detectStandard(input: EdiInput): EdiStandard | undefined {
  const { text } = decodeEdi(typeof input === "string" ? input : input.subarray(0, 4096));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: U+001A (DOS end of file) pads real files
  const match = /^[\s\u00a0\u0085\u001a]*(ISA[^A-Za-z0-9\s]|UNA|UNB[^A-Za-z0-9])/.exec(text);
  if (!match) return undefined;
  return match[1]!.startsWith("ISA") ? "x12" : "edifact";
}

/**
 * Parses X12 or EDIFACT (detected per interchange) from a string or bytes into
 * interchanges → functional groups → transaction sets → segments, each interchange with
 * its own delimiters. Envelopes are checked (control numbers, counts, missing trailers);
 * problems are returned in `document.issues` unless `strict` is set.
 *
 * Handles a UTF-8 byte order mark, EBCDIC (IBM037 / IBM500), Latin-1, line breaks after
 * or as terminators, hard-wrapped lines, ISA headers that are not fixed width or lack
 * ISA16, multi-byte terminators, and several interchanges in one file.
 *
 * @param input - the EDI text or bytes
 * @param options - strict mode and extra validation
 * @returns the parsed document
 * @throws ValidationError when the input holds no interchange, or in strict mode when any error-severity issue was found
 * @example
 * ```ts
 * import { parseEdi } from "@distro/connectors-edi";
 *
 * const document = parseEdi(readFileSync("850.edi"));
 * for (const interchange of document.interchanges)
 *   for (const group of interchange.groups)
 *     for (const transaction of group.transactions) console.log(transaction.type, transaction.controlNumber);
 * ```
 */
export function parseEdi(input: EdiInput, options: ParseOptions = {}): EdiDocument {
  const decoded = decodeEdi(input);
  return parseDecoded(decoded, options);
}

/**
 * Parses already-decoded text (see {@link decodeEdi}).
 *
 * @param decoded - decoded text and its byte mapping
 * @param options - strict mode and extra validation
 * @returns the parsed document
 * @throws ValidationError as {@link parseEdi} does
 * @example
 * ```ts
 * const document = parseDecoded(decodeEdi(bytes));
 * ```
 */
export function parseDecoded(decoded: DecodedText, options: ParseOptions = {}): EdiDocument {
  const scanner = new Scanner({ retain: true });
  scanner.feed(decoded.text, decoded.oneBytePerChar, true, decoded.byteBase);
  const document: EdiDocument = {
    interchanges: scanner.interchanges,
    issues: scanner.issues,
    encoding: decoded.encoding,
    bom: decoded.bom,
    leading: scanner.leading,
    segmentCount: scanner.segmentCount,
  };
  if (document.interchanges.length === 0) {
    throw new ValidationError("The input holds no X12 (ISA) or EDIFACT (UNA/UNB) interchange", [
      ...document.issues,
      {
        code: "no_interchange",
        path: [],
        message: `Expected ISA, UNA or UNB, found ${JSON.stringify(decoded.text.trimStart().slice(0, 20))}`,
      },
    ]);
  }
  if (options.validate) {
    const extra = options.validate(document);
    document.issues.push(...extra);
  }
  if (options.strict) throwIfErrors(document.issues);
  return document;
}

/**
 * Throws a {@link ValidationError} when any issue is an error.
 *
 * @param issues - issues found
 * @throws ValidationError listing the error-severity issues, the first one named in the message
 * @example
 * ```ts
 * throwIfErrors(document.issues);
 * ```
 */
export function throwIfErrors(issues: readonly EdiIssue[]): void {
  const errors = issues.filter((issue) => issue.severity === "error");
  if (errors.length === 0) return;
  const first = errors[0]!;
  const where = first.segment ? `${first.segment.tag} (segment ${first.segment.index})` : "input";
  throw new ValidationError(
    `EDI is invalid: ${where}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`,
    errors,
  );
}
