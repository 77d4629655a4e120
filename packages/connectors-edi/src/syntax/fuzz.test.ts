import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDistroError } from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateDocument } from "../validate/validate";
import { decodeEdi } from "./decode";
import type { EdiDocument } from "./model";
import { parseEdi } from "./parse";
import { interchangeSegments, serializeEdi } from "./serialize";

const corpus = conformanceDir();
const folder = corpus ? join(corpus, "edi") : "";
const files = corpus ? readdirSync(folder).filter((name) => name !== "SOURCES.md") : [];
const samples = files.map((name) => readFileSync(join(folder, name)));

const stripBreaks = (text: string) => text.replace(/[\r\n]/g, "");

/**
 * Parses and checks the guarantees: only typed errors; every segment read is placed in
 * the structure; and every character of the input is accounted for: the serialised
 * structure equals the input (line breaks aside), except one terminator added per
 * segment reported as missing its terminator.
 */
function checkParse(bytes: Uint8Array): void {
  let document: EdiDocument;
  try {
    document = parseEdi(bytes, { validate: (parsed) => validateDocument(parsed) });
  } catch (error) {
    expect(isDistroError(error)).toBe(true);
    expect((error as { code: string }).code).toBe("VALIDATION_FAILED");
    return;
  }
  const placed = document.interchanges.reduce(
    (sum, interchange) => sum + interchangeSegments(interchange).length,
    0,
  );
  expect(placed).toBe(document.segmentCount);
  const input = stripBreaks(decodeEdi(bytes).text);
  let output = serializeEdi(document);
  if (document.bom) output = output.slice(1);
  output = stripBreaks(output);
  let added = 0;
  for (const issue of document.issues) {
    if (issue.code !== "missing_terminator") continue;
    const terminator = document.interchanges[issue.path[1] as number]!.delimiters.segment;
    added += stripBreaks(terminator).length;
  }
  if (added === 0) {
    expect(output).toBe(input);
  } else {
    // the only difference: terminators written where the input had none
    expect(output.length).toBeGreaterThanOrEqual(input.length + added);
    expect(output.length).toBeLessThanOrEqual(input.length + added);
  }
}

type Mutation =
  | { kind: "replace"; at: number; byte: number }
  | { kind: "insert"; at: number; byte: number }
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    byte: fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(...[..."~*:>'+?\n\r^UNA ISA"].map((char) => char.charCodeAt(0))),
    ),
  }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
  let out = bytes;
  for (const change of mutations) {
    const at = out.length === 0 ? 0 : change.at % out.length;
    switch (change.kind) {
      case "replace":
        out = Buffer.concat([out.subarray(0, at), Buffer.from([change.byte]), out.subarray(at + 1)]);
        break;
      case "insert":
        out = Buffer.concat([out.subarray(0, at), Buffer.from([change.byte]), out.subarray(at)]);
        break;
      case "delete":
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + change.length)]);
        break;
      case "duplicate":
        out = Buffer.concat([out.subarray(0, at + change.length), out.subarray(at)]);
        break;
      case "truncate":
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

describe.skipIf(!corpus)("fuzzing the parser with mutations of the corpus", () => {
  it("mutated files: typed errors only, and no segment or character silently dropped", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: samples.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (index, mutations) => {
          checkParse(mutate(samples[index]!, mutations));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("unmutated files satisfy the same guarantees", () => {
    for (const bytes of samples) checkParse(bytes);
  });
});

describe("fuzzing the parser with random input", () => {
  it("random bytes: a document or a ValidationError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        checkParse(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it("random text after an ISA or UNA/UNB prefix", () => {
    const prefixes = [
      "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260105*1200*U*00401*000000001*0*P*>~",
      "UNA:+.? '",
      "UNB+UNOC:3+A:14+B:14+260105:1200+1'",
      "ISA*",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.string({
          unit: fc.constantFrom(..."ISAGSTEUNHZ*~+:'?>\n\r 0123456789^".split("")),
          maxLength: 400,
        }),
        (prefix, tail) => {
          checkParse(Buffer.from(prefix + tail, "utf8"));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("stays linear on inputs built to be slow: no terminator, endless ISA headers, release runs", () => {
    const large = 200_000;
    const cases = [
      `ISA*00*          *00*          *ZZ*A              *ZZ*B              *260105*1200*U*00401*000000001*0*P*>~${"GS*PO*A*B\n".repeat(large / 10)}`,
      "ISA*".repeat(large / 4),
      `UNA:+.? '${"UNH+1+ORDERS?".repeat(large / 13)}`,
      `UNB+UNOC:3+A+B+1+1'UNH+1+X'${"?".repeat(large)}'`,
    ];
    for (const text of cases) checkParse(Buffer.from(text));
  });
});
