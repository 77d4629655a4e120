import { isUtf8 } from "node:buffer";
import { ValidationError } from "@distro/core";
import { decodeEbcdic } from "./ebcdic";
import type { EdiEncoding } from "./model";

/** Bytes or text that hold EDI. */
export type EdiInput = string | Uint8Array;

/** Text decoded from EDI bytes, with what is needed to map characters back to byte offsets. */
export interface DecodedText {
  /** The decoded text, byte order mark removed. */
  text: string;
  /** How the bytes were decoded. */
  encoding: EdiEncoding;
  /** Whether a UTF-8 byte order mark was removed. */
  bom: boolean;
  /** Bytes before `text[0]` in the input (3 after a byte order mark). */
  byteBase: number;
  /** True when each character of `text` is exactly one byte of the input. */
  oneBytePerChar: boolean;
}

/**
 * Tells the encoding of EDI bytes: EBCDIC when the first non-blank bytes spell `ISA`
 * (IBM037) or `UNA` / `UNB` (IBM500) in EBCDIC, otherwise UTF-8, or Latin-1 when the
 * bytes are not valid UTF-8.
 *
 * @param bytes - the start of the input (a few hundred bytes are enough)
 * @returns `cp037`, `cp500` or `undefined` for an ASCII-family encoding
 * @example
 * ```ts
 * detectEbcdic(Uint8Array.from([0xc9, 0xe2, 0xc1, 0x5c])); // "cp037"
 * ```
 */
export function detectEbcdic(bytes: Uint8Array): "cp037" | "cp500" | undefined {
  let index = 0;
  while (index < bytes.length && index < 4096) {
    const byte = bytes[index]!;
    // EBCDIC space, NL, LF, CR or ASCII whitespace
    if (byte === 0x40 || byte === 0x15 || byte === 0x25 || byte === 0x0d || byte === 0x0a || byte === 0x20)
      index++;
    else break;
  }
  const a = bytes[index];
  const b = bytes[index + 1];
  const c = bytes[index + 2];
  if (a === 0xc9 && b === 0xe2 && c === 0xc1) return "cp037";
  if (a === 0xe4 && b === 0xd5 && (c === 0xc1 || c === 0xc2)) return "cp500";
  return undefined;
}

/**
 * Decodes EDI bytes to text: strips a UTF-8 byte order mark, decodes EBCDIC when
 * detected, falls back to Latin-1 for bytes that are not valid UTF-8.
 *
 * @param input - bytes or an already-decoded string
 * @returns the text and how it maps to bytes
 * @throws ValidationError when the input is neither a string nor bytes
 * @example
 * ```ts
 * decodeEdi(Buffer.from("\uFEFFISA*00*...")).bom; // true
 * ```
 */
export function decodeEdi(input: EdiInput): DecodedText {
  if (typeof input === "string") {
    const bom = input.charCodeAt(0) === 0xfeff;
    const text = bom ? input.slice(1) : input;
    return {
      text,
      encoding: "utf-8",
      bom,
      byteBase: bom ? 3 : 0,
      oneBytePerChar: Buffer.byteLength(text, "utf8") === text.length,
    };
  }
  if (!(input instanceof Uint8Array)) {
    throw new ValidationError("EDI input must be a string, a Buffer or a Uint8Array", [
      { code: "invalid_type", path: [], message: `Expected text or bytes, got ${typeof input}` },
    ]);
  }
  const ebcdic = detectEbcdic(input);
  if (ebcdic) {
    return {
      text: decodeEbcdic(input, ebcdic),
      encoding: ebcdic,
      bom: false,
      byteBase: 0,
      oneBytePerChar: true,
    };
  }
  const bom = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf;
  const body = bom ? input.subarray(3) : input;
  const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isUtf8(view)) {
    return {
      text: view.toString("latin1"),
      encoding: "latin1",
      bom,
      byteBase: bom ? 3 : 0,
      oneBytePerChar: true,
    };
  }
  const text = view.toString("utf8");
  return { text, encoding: "utf-8", bom, byteBase: bom ? 3 : 0, oneBytePerChar: text.length === body.length };
}

/**
 * The number of UTF-8 bytes of `text[from..to)`.
 *
 * @param text - the text
 * @param from - first character index
 * @param to - end character index (exclusive)
 * @returns the byte count
 * @example
 * ```ts
 * utf8Length("a…b", 0, 3); // 5
 * ```
 */
export function utf8Length(text: string, from: number, to: number): number {
  let bytes = 0;
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < to) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}
