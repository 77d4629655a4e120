import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ValidationError } from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generate850Interchange } from "../../bench/generate";
import { parseEdi } from "../syntax/parse";
import { type StreamedTransaction, streamEdi } from "./stream-edi";

const corpus = conformanceDir();
const folder = corpus ? join(corpus, "edi") : "";
const files = corpus ? readdirSync(folder).filter((name) => name !== "SOURCES.md") : [];

async function collect(source: Parameters<typeof streamEdi>[0]): Promise<StreamedTransaction[]> {
  const out: StreamedTransaction[] = [];
  for await (const item of streamEdi(source)) out.push(item);
  return out;
}

function chunk(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  let index = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[index++ % sizes.length] ?? 1);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function shape(document: ReturnType<typeof parseEdi>) {
  return document.interchanges.flatMap((interchange) =>
    interchange.groups.flatMap((group) =>
      group.transactions.map((transaction) => ({
        type: transaction.type,
        control: transaction.controlNumber,
        group: group.controlNumber,
        interchange: interchange.controlNumber,
        segments: transaction.segments.map((segment) => [segment.elements, segment.offset, segment.line]),
      })),
    ),
  );
}

function streamedShape(items: StreamedTransaction[]) {
  return items.map(({ transaction, group, interchange }) => ({
    type: transaction.type,
    control: transaction.controlNumber,
    group: group.controlNumber,
    interchange: interchange.controlNumber,
    segments: transaction.segments.map((segment) => [segment.elements, segment.offset, segment.line]),
  }));
}

describe.skipIf(!corpus)("streamEdi on the conformance corpus", () => {
  it.each(files)("%s: any chunking yields what parseEdi reads, offsets and lines included", async (name) => {
    const bytes = readFileSync(join(folder, name));
    const expected = shape(parseEdi(bytes));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        async (sizes) => {
          const items = await collect(Readable.from(chunk(bytes, sizes)));
          expect(streamedShape(items)).toEqual(expected);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("reads a Web ReadableStream, and the mailbag's 14 transaction sets", async () => {
    const bytes = readFileSync(join(folder, "bots-edi__bots-plugins__mailbag01.x12"));
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of chunk(bytes, [97])) controller.enqueue(new Uint8Array(part));
        controller.close();
      },
    });
    const items = await collect(web);
    expect(items).toHaveLength(14);
    expect(items.filter((item) => item.transaction.type === "850")).toHaveLength(11);
  });

  it("reports envelope issues through onIssue and throws at the first error in strict mode", async () => {
    const bytes = readFileSync(join(folder, "olmelabs__EdiEngine__ControlNumbersMismatch.edi"));
    const seen: string[] = [];
    for await (const _ of streamEdi(bytes, {
      onIssue: (issue) => seen.push(`${issue.code}@${issue.segment?.tag}`),
    })) {
      // consume
    }
    expect(seen).toEqual([
      "control_number_mismatch@SE",
      "control_number_mismatch@GE",
      "control_number_mismatch@IEA",
    ]);
    await expect(collect(streamEdi(bytes, { strict: true }) as never)).rejects.toThrow(ValidationError);
  });
});

describe("streamEdi", () => {
  it("keeps only the open transaction: the unread tail stays small on a large input", async () => {
    const text = generate850Interchange(300, 20);
    const items: StreamedTransaction[] = [];
    let largest = 0;
    for await (const item of streamEdi(Readable.from(chunk(Buffer.from(text), [4096])))) {
      items.push(item);
      largest = Math.max(largest, item.transaction.segments.length);
      // the interchange and group are headers only: nothing accumulates
      expect(item.interchange.groups).toEqual([]);
      expect(item.group.transactions).toEqual([]);
    }
    expect(items).toHaveLength(300);
    expect(largest).toBe(47);
  });

  it("random bytes in random chunks: transactions or a ValidationError, nothing else", async () => {
    const prefix = Buffer.from(
      "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260105*1200*U*00401*000000001*0*P*>~",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.uint8Array({ maxLength: 500 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        async (withHeader, bytes, sizes) => {
          const input = withHeader ? Buffer.concat([prefix, Buffer.from(bytes)]) : Buffer.from(bytes);
          try {
            await collect(Readable.from(chunk(input, sizes)));
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads Latin-1 bytes that arrive after valid UTF-8, and says so", async () => {
    const head = Buffer.from(generate850Interchange(3, 2).split("ST*850*0003")[0]!, "utf8");
    const tail = Buffer.from(
      `ST*850*0003~\nBEG*00*SA*PO-\u00e9**20260105~\nSE*3*0003~\nGE*3*101~\nIEA*1*000000101~\n`,
      "latin1",
    );
    const codes: string[] = [];
    const items: StreamedTransaction[] = [];
    for await (const item of streamEdi(Readable.from([head.subarray(0, 600), head.subarray(600), tail]), {
      onIssue: (issue) => codes.push(issue.code),
    })) {
      items.push(item);
    }
    expect(codes).toEqual(["encoding_fallback"]);
    expect(items).toHaveLength(3);
    expect(items[2]!.transaction.segments[0]!.get(3)).toBe("PO-\u00e9");
  });

  it("throws a typed error for input with no interchange", async () => {
    await expect(collect("hello world")).rejects.toBeInstanceOf(ValidationError);
    await expect(collect(Readable.from([]))).rejects.toBeInstanceOf(ValidationError);
  });
});
