import { ValidationError } from "@distro/core";
import { encodeEbcdic } from "./ebcdic";
import type { Delimiters, EdiDocument, EdiStandard, Interchange, Segment } from "./model";

/**
 * Every segment of an interchange in input order: UNA, ISA/UNB, groups with their
 * transactions, stray segments, IEA/UNZ.
 *
 * @param interchange - a parsed or built interchange
 * @returns the segments, ordered by their index
 * @example
 * ```ts
 * interchangeSegments(document.interchanges[0]!).length; // every segment of the first interchange
 * ```
 */
export function interchangeSegments(interchange: Interchange): Segment[] {
  const out: Segment[] = [];
  if (interchange.serviceAdvice) out.push(interchange.serviceAdvice);
  if (interchange.header) out.push(interchange.header);
  let strays = interchange.strays.length > 0;
  for (const group of interchange.groups) {
    if (group.header) out.push(group.header);
    for (const transaction of group.transactions) {
      out.push(transaction.header);
      for (const segment of transaction.segments) out.push(segment);
      if (transaction.trailer) out.push(transaction.trailer);
    }
    if (group.strays.length > 0) {
      strays = true;
      out.push(...group.strays);
    }
    if (group.trailer) out.push(group.trailer);
  }
  out.push(...interchange.strays);
  if (interchange.trailer) out.push(interchange.trailer);
  if (strays) out.sort((a, b) => a.index - b.index);
  return out;
}

/**
 * Writes one segment with its terminator and what followed it in the input.
 *
 * @param segment - the segment
 * @returns the segment text
 * @example
 * ```ts
 * segmentText(segment); // "BEG*00*SA*4500001234**20260105~\n"
 * ```
 */
export function segmentText(segment: Segment): string {
  const delimiters = segment.delimiters;
  const text = segment.text;
  if (text.startsWith("UNA") && segment.elements[0] === "UNA") {
    return `UNA${segment.elements[1] ?? ""}${delimiters.segment}${segment.trailer}`;
  }
  return text + delimiters.segment + segment.trailer;
}

/**
 * Serialises a parsed (or built) document back to text. A file with regular
 * delimiters comes back byte for byte: each segment keeps its delimiters, the line
 * breaks or padding after it, and the byte order mark.
 *
 * @param document - the document
 * @returns the EDI text (with a leading U+FEFF when the input had a byte order mark)
 * @example
 * ```ts
 * const text = serializeEdi(parseEdi(original)); // === original for regular files
 * ```
 */
export function serializeEdi(document: EdiDocument): string {
  const parts: string[] = [];
  if (document.bom) parts.push("\uFEFF");
  parts.push(document.leading);
  for (const interchange of document.interchanges) {
    for (const segment of interchangeSegments(interchange)) parts.push(segmentText(segment));
  }
  return parts.join("");
}

/**
 * Serialises a document to bytes in the encoding it was read with (UTF-8 with its byte
 * order mark, Latin-1, or EBCDIC).
 *
 * @param document - the document
 * @returns the bytes
 * @example
 * ```ts
 * serializeEdiBytes(parseEdi(ebcdicBytes)).equals(ebcdicBytes); // true for a regular file
 * ```
 */
export function serializeEdiBytes(document: EdiDocument): Buffer {
  const text = serializeEdi(document);
  switch (document.encoding) {
    case "cp037":
    case "cp500":
      return Buffer.from(encodeEbcdic(text, document.encoding));
    case "latin1":
      return Buffer.from(text.startsWith("\uFEFF") ? `\u00ef\u00bb\u00bf${text.slice(1)}` : text, "latin1");
    default:
      return Buffer.from(text, "utf8");
  }
}

/** A value to write in one element: plain text, components, or repetitions of components. */
export type ElementValue = string | readonly string[] | readonly (readonly string[])[];

/**
 * Escapes EDIFACT service characters with the release character: `'` → `?'`, `+` → `?+`,
 * `:` → `?:`, `?` → `??` (and the repetition separator in syntax 4).
 *
 * @param value - the plain value
 * @param delimiters - the interchange's delimiters
 * @returns the escaped value
 * @example
 * ```ts
 * escapeEdifact("NO MORE ' FLIGHTS", EDIFACT_DEFAULT_DELIMITERS); // "NO MORE ?' FLIGHTS"
 * ```
 */
export function escapeEdifact(value: string, delimiters: Delimiters): string {
  const { release } = delimiters;
  if (!release) return value;
  const specials = [
    release,
    delimiters.segment,
    delimiters.element,
    delimiters.component,
    delimiters.repetition,
  ].filter((char) => char !== "");
  let out = "";
  for (const char of value) out += specials.includes(char) ? release + char : char;
  return out;
}

function checkX12Value(
  value: string,
  delimiters: Delimiters,
  tag: string,
  element: number,
  component?: number,
): string {
  for (const char of [delimiters.segment, delimiters.element, delimiters.component, delimiters.repetition]) {
    if (char !== "" && value.includes(char)) {
      throw new ValidationError(
        `${tag}${String(element).padStart(2, "0")} contains the delimiter ${JSON.stringify(char)}`,
        [
          {
            code: "delimiter_in_value",
            path: [tag, element],
            message: `Value ${JSON.stringify(value)} contains the delimiter ${JSON.stringify(char)}; X12 has no escape, choose other delimiters`,
            segment: { tag, index: 0, element, ...(component === undefined ? {} : { component }) },
          },
        ],
      );
    }
  }
  return value;
}

/**
 * Formats one segment from plain values, escaping them for EDIFACT and refusing X12
 * values that contain a delimiter. Trailing empty elements and components are dropped.
 *
 * @param standard - X12 or EDIFACT
 * @param tag - the segment tag
 * @param values - element values (1st element first)
 * @param delimiters - the delimiters to write with
 * @returns the element texts, tag first, ready for a {@link Segment}
 * @throws ValidationError when an X12 value contains a delimiter, or a component/repetition is used without its separator
 * @example
 * ```ts
 * formatElements("x12", "BEG", ["00", "SA", "PO1"], X12_DEFAULT_DELIMITERS); // ["BEG", "00", "SA", "PO1"]
 * ```
 */
export function formatElements(
  standard: EdiStandard,
  tag: string,
  values: readonly ElementValue[],
  delimiters: Delimiters,
): string[] {
  const encode = (value: string, element: number, component?: number) =>
    standard === "edifact"
      ? escapeEdifact(value, delimiters)
      : checkX12Value(value, delimiters, tag, element, component);
  const out = [tag];
  values.forEach((value, position) => {
    const element = position + 1;
    if (typeof value === "string") {
      out.push(encode(value, element));
      return;
    }
    const repetitions: readonly (readonly string[])[] =
      value.length > 0 && typeof value[0] !== "string"
        ? (value as readonly (readonly string[])[])
        : [value as readonly string[]];
    if (repetitions.length > 1 && !delimiters.repetition) {
      throw new ValidationError(
        `${tag}${String(element).padStart(2, "0")} repeats but the interchange has no repetition separator`,
        [
          {
            code: "no_repetition_separator",
            path: [tag, element],
            message: "No repetition separator",
            segment: { tag, index: 0, element },
          },
        ],
      );
    }
    const written = repetitions.map((components) => {
      const trimmed = [...components];
      while (trimmed.length > 1 && trimmed[trimmed.length - 1] === "") trimmed.pop();
      if (trimmed.length > 1 && !delimiters.component) {
        throw new ValidationError(
          `${tag}${String(element).padStart(2, "0")} is composite but the interchange has no component separator`,
          [
            {
              code: "no_component_separator",
              path: [tag, element],
              message: "No component separator",
              segment: { tag, index: 0, element },
            },
          ],
        );
      }
      return trimmed
        .map((component, index) => encode(component, element, index + 1))
        .join(delimiters.component);
    });
    out.push(written.join(delimiters.repetition));
  });
  while (out.length > 2 && out[out.length - 1] === "") out.pop();
  return out;
}
