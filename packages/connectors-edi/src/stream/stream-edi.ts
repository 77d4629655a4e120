import { ValidationError } from "@distro/core";
import { detectEbcdic } from "../syntax/decode";
import { decodeEbcdic } from "../syntax/ebcdic";
import type { EdiIssue, FunctionalGroup, Interchange, Transaction } from "../syntax/model";
import { Scanner } from "../syntax/scanner";

/** Anything {@link streamEdi} reads from: a Node stream, a Web stream, an async iterable of chunks, or the whole input. */
export type EdiSource =
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>
  | Iterable<Uint8Array | string>
  | Uint8Array
  | string;

/** One transaction set / message read by {@link streamEdi}, with its envelopes. */
export interface StreamedTransaction {
  /** The transaction set or message, with its segments and issues. */
  transaction: Transaction;
  /** Its functional group (header fields only: `transactions` is not kept while streaming). */
  group: FunctionalGroup;
  /** Its interchange (header fields and delimiters; `groups` is not kept while streaming). */
  interchange: Interchange;
}

/** Settings of {@link streamEdi}. */
export interface StreamOptions {
  /** Throw a {@link ValidationError} at the first error-severity issue instead of reporting it. */
  strict?: boolean;
  /** Receives every issue as it is found, envelope trailers' issues included. */
  onIssue?: (issue: EdiIssue) => void;
}

function isWebStream(value: unknown): value is ReadableStream<Uint8Array> {
  return (
    typeof value === "object" && value !== null && typeof (value as ReadableStream).getReader === "function"
  );
}

async function* chunksOf(source: EdiSource): AsyncGenerator<Uint8Array | string> {
  if (typeof source === "string" || source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (isWebStream(source)) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    yield* source as AsyncIterable<Uint8Array | string>;
    return;
  }
  if (typeof (source as Iterable<Uint8Array>)[Symbol.iterator] === "function") {
    yield* source as Iterable<Uint8Array | string>;
    return;
  }
  throw new ValidationError("streamEdi needs a stream, an iterable of chunks, bytes or a string", [
    { code: "invalid_type", path: [], message: `Cannot read EDI from ${typeof source}` },
  ]);
}

/** Turns chunks of bytes into text chunks, detecting EBCDIC and the byte order mark on the first bytes. */
class ChunkDecoder {
  private mode: "undecided" | "utf-8" | "latin1" | "cp037" | "cp500" = "undecided";
  private head: Uint8Array[] = [];
  private headLength = 0;
  private utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Whether the bytes stopped being valid UTF-8 and the rest is read as Latin-1. */
  fellBack = false;
  /** Bytes of a byte order mark removed from the start. */
  bomBytes = 0;

  decode(chunk: Uint8Array | string, final: boolean): { text: string; oneBytePerChar: boolean } {
    if (typeof chunk === "string") {
      if (this.mode === "undecided") {
        this.mode = "utf-8";
        if (chunk.charCodeAt(0) === 0xfeff) {
          chunk = chunk.slice(1);
          this.bomBytes = 3;
        }
      }
      return { text: chunk, oneBytePerChar: Buffer.byteLength(chunk, "utf8") === chunk.length };
    }
    let bytes = chunk;
    if (this.mode === "undecided") {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength < 512 && !final) return { text: "", oneBytePerChar: true };
      bytes = Buffer.concat(this.head);
      this.head = [];
      const ebcdic = detectEbcdic(bytes);
      if (ebcdic) this.mode = ebcdic;
      else {
        this.mode = "utf-8";
        if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
          bytes = bytes.subarray(3);
          this.bomBytes = 3;
        }
      }
    }
    if (this.mode === "cp037" || this.mode === "cp500")
      return { text: decodeEbcdic(bytes, this.mode), oneBytePerChar: true };
    if (this.mode === "latin1") return { text: Buffer.from(bytes).toString("latin1"), oneBytePerChar: true };
    try {
      const text = this.utf8.decode(bytes, { stream: !final });
      return { text, oneBytePerChar: Buffer.byteLength(text, "utf8") === text.length };
    } catch {
      this.mode = "latin1";
      this.fellBack = true;
      return { text: Buffer.from(bytes).toString("latin1"), oneBytePerChar: true };
    }
  }
}

/**
 * Reads X12 or EDIFACT from a stream and yields one transaction set / message at a
 * time, with its group and interchange headers. Only the open transaction and the
 * unread tail are held in memory, so memory is bounded by the largest transaction, not
 * the file. Envelope checks run as in {@link parseEdi}; issues reach `onIssue` and the
 * transaction's (group's, interchange's) `issues`.
 *
 * @param source - a Node `Readable`, a Web `ReadableStream`, an (async) iterable of chunks, bytes or a string
 * @param options - strict mode and an issue callback
 * @returns an async iterator of transactions
 * @throws ValidationError in strict mode at the first error, or when the source holds no interchange
 * @example
 * ```ts
 * import { createReadStream } from "node:fs";
 * import { streamEdi } from "@distro/connectors-edi";
 *
 * for await (const { transaction, interchange } of streamEdi(createReadStream("big.edi"))) {
 *   console.log(interchange.sender, transaction.type, transaction.controlNumber);
 * }
 * ```
 */
export async function* streamEdi(
  source: EdiSource,
  options: StreamOptions = {},
): AsyncGenerator<StreamedTransaction> {
  const ready: StreamedTransaction[] = [];
  let firstError: EdiIssue | undefined;
  const scanner = new Scanner({
    retain: false,
    hooks: {
      transaction: (transaction, group, interchange) => ready.push({ transaction, group, interchange }),
      issue: (issue) => {
        options.onIssue?.(issue);
        if (options.strict && issue.severity === "error" && !firstError) firstError = issue;
      },
    },
  });
  const decoder = new ChunkDecoder();
  let sawText = false;
  const check = () => {
    if (firstError) {
      const where = firstError.segment
        ? `${firstError.segment.tag} (segment ${firstError.segment.index})`
        : "input";
      throw new ValidationError(`EDI is invalid: ${where}: ${firstError.message}`, [firstError]);
    }
  };
  let started = false;
  for await (const chunk of chunksOf(source)) {
    const fellBackBefore = decoder.fellBack;
    const { text, oneBytePerChar } = decoder.decode(chunk, false);
    if (decoder.fellBack && !fellBackBefore) {
      options.onIssue?.({
        severity: "warning",
        code: "encoding_fallback",
        path: [],
        message: "The stream is not valid UTF-8 from here on; the rest is read as Latin-1",
      });
    }
    if (text.length === 0) continue;
    sawText = true;
    scanner.feed(text, oneBytePerChar, false, started ? undefined : decoder.bomBytes);
    started = true;
    check();
    while (ready.length > 0) yield ready.shift()!;
  }
  const { text, oneBytePerChar } = decoder.decode(new Uint8Array(0), true);
  if (text.length > 0) sawText = true;
  scanner.feed(text, oneBytePerChar, true, started ? undefined : decoder.bomBytes);
  check();
  while (ready.length > 0) yield ready.shift()!;
  if (!sawText || scanner.segmentCount === 0) {
    throw new ValidationError("The input holds no X12 (ISA) or EDIFACT (UNA/UNB) interchange", [
      ...scanner.issues,
      { code: "no_interchange", path: [], message: "Expected ISA, UNA or UNB" },
    ]);
  }
}
