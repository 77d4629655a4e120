import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isDistroError, ValidationError } from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { validateDocument } from "../validate/validate";
import { type EdiDocument, parseEdi, serializeEdi, serializeEdiBytes, type Transaction } from "./index";

const corpus = conformanceDir();
const folder = corpus ? join(corpus, "edi") : "";
const read = (name: string) => readFileSync(join(folder, name));
const files = corpus ? readdirSync(folder).filter((name) => name !== "SOURCES.md") : [];
const NEGATIVE = new Set([
  "xlate__staedi__invalid997.edi",
  "xlate__staedi__invoic_d97b_bad.edi",
  "olmelabs__EdiEngine__850.SyntaxNotes.ERR.edi",
  "olmelabs__EdiEngine__ControlNumbersMismatch.edi",
  "php-edifact__edifact__example_order_error.edi",
]);
// hard-wrapped files lose their wrapping line breaks; issue135 lacks a terminator
const NOT_REGULAR = new Set([
  "bots-edi__bots-plugins__0T0000000015.edi",
  "xlate__staedi__ts210_80char.edi",
  "xlate__staedi__wrapped_invoic_d97b_una.edi",
  "indice-co__EDI.Net__x12.850.issue135.edi",
]);

function transactions(document: EdiDocument): Transaction[] {
  return document.interchanges.flatMap((interchange) =>
    interchange.groups.flatMap((group) => group.transactions),
  );
}

function countTypes(document: EdiDocument): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const transaction of transactions(document))
    counts[transaction.type] = (counts[transaction.type] ?? 0) + 1;
  return counts;
}

describe.skipIf(!corpus)("conformance corpus: every file", () => {
  it("finds the 40 files", () => {
    expect(files).toHaveLength(40);
  });

  it.each(files)("%s parses into at least one transaction and keeps every segment", (name) => {
    const document = parseEdi(read(name));
    expect(document.interchanges.length).toBeGreaterThan(0);
    expect(transactions(document).length).toBeGreaterThan(0);
    let placed = 0;
    for (const interchange of document.interchanges) {
      placed +=
        (interchange.serviceAdvice ? 1 : 0) + 1 + (interchange.trailer ? 1 : 0) + interchange.strays.length;
      for (const group of interchange.groups) {
        placed += (group.header ? 1 : 0) + (group.trailer ? 1 : 0) + group.strays.length;
        for (const transaction of group.transactions) placed += 2 + transaction.segments.length;
      }
    }
    expect(placed).toBe(document.segmentCount);
  });

  it.each(files.filter((name) => !NOT_REGULAR.has(name)))("%s serialises back byte for byte", (name) => {
    const bytes = read(name);
    expect(serializeEdiBytes(parseEdi(bytes)).equals(bytes)).toBe(true);
  });

  it.each(files.filter((name) => !NEGATIVE.has(name)))("%s has no control-number mismatch", (name) => {
    const document = parseEdi(read(name));
    expect(
      document.issues.filter(
        (issue) =>
          issue.code === "control_number_mismatch" &&
          issue.segment?.tag !== "IEA" &&
          issue.segment?.tag !== "UNT" &&
          issue.segment?.tag !== "UNZ",
      ),
    ).toEqual([]);
  });
});

describe.skipIf(!corpus)("conformance corpus: facts", () => {
  it("mailbag01: 8 interchanges, 9 groups, 14 transaction sets (11 × 850, 2 × 820, 1 × 997) under mixed delimiters", () => {
    const document = parseEdi(read("bots-edi__bots-plugins__mailbag01.x12"));
    expect(document.interchanges).toHaveLength(8);
    expect(document.interchanges.flatMap((interchange) => interchange.groups)).toHaveLength(9);
    expect(transactions(document)).toHaveLength(14);
    expect(countTypes(document)).toEqual({ "850": 11, "820": 2, "997": 1 });
    const terminators = new Set(document.interchanges.map((interchange) => interchange.delimiters.segment));
    expect(terminators).toEqual(new Set(["\u0015", "\n", "~"]));
    const components = new Set(document.interchanges.map((interchange) => interchange.delimiters.component));
    expect(components).toEqual(new Set([">", ":", "@", "+", "}"]));
    expect(document.issues.filter((issue) => issue.severity === "error")).toEqual([]);
    // "~ " (terminator then a space) is kept as the segment's trailer
    const spaced = document.interchanges[6]!;
    expect(spaced.header.trailer).toBe(" ");
  });

  it("850_fat holds 2 interchanges", () => {
    const document = parseEdi(read("aaronhuggins__node-x12__850_fat.edi"));
    expect(document.interchanges).toHaveLength(2);
  });

  it("invoice810_po850_dual holds an 810 and an 850 in two groups of one interchange", () => {
    const document = parseEdi(read("xlate__staedi__invoice810_po850_dual.edi"));
    expect(document.interchanges).toHaveLength(1);
    const groups = document.interchanges[0]!.groups;
    expect(groups.map((group) => group.functionalId)).toEqual(["IN", "PO"]);
    expect(groups.map((group) => group.transactions.map((transaction) => transaction.type))).toEqual([
      ["810", "810"],
      ["850"],
    ]);
  });

  it("ebcdic.x12 is detected as EBCDIC and decoded", () => {
    const bytes = read("bots-edi__bots-plugins__ebcdic.x12");
    const document = parseEdi(bytes);
    expect(document.encoding).toBe("cp037");
    const interchange = document.interchanges[0]!;
    expect(interchange.delimiters).toMatchObject({ element: "*", component: ">", segment: "\u0085" });
    expect(interchange.sender).toBe("1234567890");
    const transaction = transactions(document)[0]!;
    expect(transaction.type).toBe("850");
    const po1 = transaction.segments.find((segment) => segment.tag === "PO1")!;
    expect(po1.get(4)).toBe("23.52");
    // 80-column records: each segment starts on a record boundary
    expect(transaction.header.offset % 80).toBe(0);
    expect(serializeEdiBytes(document).equals(bytes)).toBe(true);
  });

  it("x12.850: UTF-8 byte order mark and non-breaking-space padding in the ISA", () => {
    const bytes = read("indice-co__EDI.Net__x12.850.edi");
    const document = parseEdi(bytes);
    expect(document.bom).toBe(true);
    const interchange = document.interchanges[0]!;
    expect(interchange.sender).toBe("000123456");
    expect(interchange.receiver).toBe("PARTNERID");
    expect(interchange.header.elements[2]).toContain("\u00a0");
    // 106 characters, but more than 106 bytes
    expect(interchange.header.elements.join("*").length + 1).toBe(106);
    expect(interchange.groups[0]!.header!.offset - 3).toBeGreaterThan(107);
    // positions are byte offsets: the GS starts after the BOM and the multi-byte ISA
    const gs = interchange.groups[0]!.header!;
    expect(gs.offset).toBe(bytes.indexOf("GS*PO"));
    expect(gs.line).toBe(2);
  });

  it("x12.850.issue135: ISA16 missing, the terminator still found; a forgotten terminator is reported with its segment", () => {
    const document = parseEdi(read("indice-co__EDI.Net__x12.850.issue135.edi"));
    const interchange = document.interchanges[0]!;
    expect(interchange.delimiters.segment).toBe("~");
    expect(interchange.delimiters.component).toBe("");
    expect(transactions(document)).toHaveLength(2);
    const missing = document.issues.find((issue) => issue.code === "missing_terminator")!;
    expect(missing.segment?.tag).toBe("DTM");
    expect(
      document.issues.find((issue) => issue.code === "missing_component_separator")?.segment,
    ).toMatchObject({ tag: "ISA", element: 16 });
    // both segments are kept: SE01 counts agree
    expect(document.issues.filter((issue) => issue.code === "segment_count_mismatch")).toEqual([]);
  });

  it("x12.810a: tab-indented segments and collapsed ISA fields", () => {
    const document = parseEdi(read("indice-co__EDI.Net__x12.810a.edi"));
    expect(document.interchanges[0]!.sender).toBe("ABCMUSICSUPPLY");
    expect(transactions(document)[0]!.segments[0]!.tag).toBe("BIG");
  });

  it("ts214: the U+2026 terminator, with byte offsets that count its three bytes", () => {
    const bytes = read("xlate__staedi__ts214_ellipses_segterm.edi");
    const document = parseEdi(bytes);
    expect(document.interchanges[0]!.delimiters.segment).toBe("\u2026");
    const st = transactions(document)[0]!.header;
    expect(st.offset).toBe(bytes.indexOf("ST*214"));
    expect(transactions(document)[0]!.type).toBe("214");
    expect(document.issues).toEqual([]);
  });

  it("ts210_80char: hard-wrapped at 80 columns, inside the ISA too", () => {
    const document = parseEdi(read("xlate__staedi__ts210_80char.edi"));
    const interchange = document.interchanges[0]!;
    expect(interchange.header.elements[10]).toBe("0224");
    expect(interchange.controlNumber).toBe("000026003");
    const transaction = transactions(document)[0]!;
    expect(transaction.controlNumber).toBe("1305");
    expect(transaction.segments.find((segment) => segment.tag === "N4")?.get(3)).toBe("286977576");
    expect(document.issues).toEqual([]);
  });

  it("wrapped_invoic (15 columns) reads the same segments as the unwrapped file", () => {
    const wrapped = parseEdi(read("xlate__staedi__wrapped_invoic_d97b_una.edi"));
    const plain = parseEdi(read("xlate__staedi__invoic_d97b_una.edi"));
    const elements = (document: EdiDocument) =>
      transactions(document)[0]!.segments.map((segment) => segment.elements);
    expect(elements(wrapped)).toEqual(elements(plain));
    expect(wrapped.issues).toEqual([]);
  });

  it("invoic_d97b_una: UNA with = * . ? ~ and a release character in data", () => {
    const document = parseEdi(read("xlate__staedi__invoic_d97b_una.edi"));
    const interchange = document.interchanges[0]!;
    expect(interchange.delimiters).toMatchObject({
      component: "=",
      element: "*",
      decimal: ".",
      release: "?",
      segment: "~",
    });
    expect(interchange.header.get(3, 1)).toBe("006415160");
    expect(interchange.header.elements[3]).toBe("006?415160=1");
  });

  it("release characters: ?' ?? ??? in PAORES", () => {
    const document = parseEdi(read("php-edifact__edifact__example_release_character.edi"));
    const values = transactions(document)[0]!
      .segments.filter((segment) => segment.tag === "IFT")
      .map((segment) => segment.get(2));
    expect(values).toContain("NO MORE ' FLIGHTS 3");
    expect(values).toContain("NO MORE ? FLIGHTS 3");
    expect(values).toContain("NO MORE ?' FLIGHTS 3");
    expect(values).toContain("NO MORE FLIGHTS 2?");
  });

  it("ORDRSP: release before + in COM, a single line", () => {
    const document = parseEdi(read("indice-co__EDI.Net__edifact.ORDRSP.edi"));
    const com = transactions(document)[0]!.segments.find((segment) => segment.tag === "COM")!;
    expect(com.components(1)).toEqual(["+49 123 45678 8652", "TE"]);
  });

  it("orders-with-group: messages inside a UNG/UNE group", () => {
    const document = parseEdi(read("xlate__staedi__orders-with-group.edi"));
    const group = document.interchanges[0]!.groups[0]!;
    expect(group.header?.tag).toBe("UNG");
    expect(group.functionalId).toBe("ORDERS");
    expect(group.controlNumber).toBe("1");
    expect(group.trailer?.tag).toBe("UNE");
    expect(group.transactions[0]!.type).toBe("ORDERS");
  });

  it("syntax 4: UNA repetition separator and the default one without UNA", () => {
    const withUna = parseEdi(read("DFDLSchemas__EDIFACT__INVOIC_D.03B_Interchange_with_UNA.txt"));
    expect(withUna.interchanges[0]!.delimiters.repetition).toBe("*");
    const noUna = parseEdi(read("DFDLSchemas__EDIFACT__ORDERS_D.03B_Interchange.txt"));
    expect(noUna.interchanges[0]!.delimiters.repetition).toBe("*");
    const com = transactions(noUna)[0]!.segments.find((segment) => segment.tag === "COM")!;
    expect(com.element(1).repetitions).toEqual([
      ["s11", "AA"],
      ["s21", "AA"],
      ["s31", "AA"],
    ]);
  });

  it("0T0000000015: line breaks inside elements are joined", () => {
    const document = parseEdi(read("bots-edi__bots-plugins__0T0000000015.edi"));
    const dtm = transactions(document)[0]!.segments.find((segment) => segment.tag === "DTM")!;
    expect(dtm.components(1)).toEqual(["137", "20050819", "102"]);
    expect(document.issues).toEqual([]);
  });

  it("856.edi: ISA11 '-' is the repetition separator from version 00406", () => {
    const document = parseEdi(read("aaronhuggins__node-x12__856.edi"));
    expect(document.interchanges[0]!.delimiters.repetition).toBe("-");
    const simple997 = parseEdi(read("xlate__staedi__simple997.edi"));
    expect(simple997.interchanges[0]!.delimiters.repetition).toBe("^");
    const old = parseEdi(read("aaronhuggins__node-x12__850.edi"));
    expect(old.interchanges[0]!.delimiters.repetition).toBe("");
  });

  it("control numbers stay strings with their leading zeros", () => {
    const document = parseEdi(read("aaronhuggins__node-x12__850.edi"));
    const interchange = document.interchanges[0]!;
    expect(interchange.controlNumber).toBe("000003438");
    expect(interchange.groups[0]!.controlNumber).toBe("1421");
    expect(interchange.groups[0]!.transactions[0]!.controlNumber).toBe("000000010");
  });

  it("segment positions: byte offset, index and line in a CRLF file", () => {
    const bytes = read("bots-edi__bots-plugins__855-004010UCS-01.x12");
    const document = parseEdi(bytes);
    const st = transactions(document)[1]!.header;
    expect(st.offset).toBe(bytes.indexOf("ST*855", bytes.indexOf("ST*855") + 1));
    expect(st.line).toBe(bytes.subarray(0, st.offset).toString().split("\n").length);
    expect(st.index).toBe(st.line - 1);
  });

  it("desadv1: several UNH messages in one UNB, CRLF", () => {
    const document = parseEdi(read("bots-edi__bots-plugins__desadv1.edi"));
    expect(countTypes(document)).toEqual({ DESADV: 3 });
    expect(serializeEdi(document)).toBe(read("bots-edi__bots-plugins__desadv1.edi").toString());
  });
});

describe.skipIf(!corpus)("conformance corpus: NEGATIVE files name their error and segment", () => {
  const full = { validate: (document: EdiDocument) => validateDocument(document) };

  it("ControlNumbersMismatch: SE, GE and IEA control numbers do not match their headers", () => {
    const document = parseEdi(read("olmelabs__EdiEngine__ControlNumbersMismatch.edi"));
    const mismatches = document.issues.filter((issue) => issue.code === "control_number_mismatch");
    expect(mismatches.map((issue) => issue.segment)).toEqual([
      { tag: "SE", index: 6, element: 2 },
      { tag: "GE", index: 7, element: 2 },
      { tag: "IEA", index: 8, element: 2 },
    ]);
    expect(mismatches[0]!.message).toContain('"0002" does not match ST02 "0001"');
    expect(document.interchanges[0]!.groups[0]!.transactions[0]!.issues.map((issue) => issue.code)).toEqual([
      "control_number_mismatch",
    ]);
  });

  it("ControlNumbersMismatch throws a ValidationError in strict mode, naming SE", () => {
    const attempt = () => parseEdi(read("olmelabs__EdiEngine__ControlNumbersMismatch.edi"), { strict: true });
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      expect(isDistroError(error)).toBe(true);
      expect((error as ValidationError).message).toContain("SE (segment 6)");
      expect((error as ValidationError).issues).toHaveLength(3);
    }
  });

  it("850.SyntaxNotes.ERR: PO1 P0607 and PO4 C0506 / P0607 violations", () => {
    const document = parseEdi(read("olmelabs__EdiEngine__850.SyntaxNotes.ERR.edi"), full);
    const notes = document.issues.filter((issue) => issue.code === "conditional_element_missing");
    expect(notes.map((issue) => [issue.segment?.tag, issue.segment?.element])).toEqual([
      ["PO1", 7],
      ["PO4", 6],
      ["PO4", 6],
    ]);
    expect(notes[0]!.message).toContain("P0607");
    expect(notes[1]!.message).toContain("C0506");
  });

  it("invalid997: AK101 is not a functional identifier code, AK402 is not numeric", () => {
    const document = parseEdi(read("xlate__staedi__invalid997.edi"), full);
    const errors = document.issues.filter((issue) => issue.severity === "error");
    expect(errors.map((issue) => [issue.code, issue.segment?.tag, issue.segment?.element])).toEqual([
      ["element_too_long", "AK1", 1],
      ["invalid_character", "AK4", 2],
    ]);
  });

  it("invoic_d97b_bad: NAD+BYZZ qualifier too long, non-numeric QTY and PRI, UNS twice", () => {
    const document = parseEdi(read("xlate__staedi__invoic_d97b_bad.edi"), full);
    const errors = document.issues.filter((issue) => issue.severity === "error");
    expect(errors.map((issue) => [issue.code, issue.segment?.tag, issue.segment?.element ?? null])).toEqual([
      ["element_too_long", "NAD", 1],
      ["invalid_character", "QTY", 1],
      ["invalid_character", "PRI", 1],
      ["segment_repeated", "UNS", null],
    ]);
    expect(errors[0]!.message).toContain('"BYZZ"');
  });

  it("example_order_error: IMD item descriptions with too many components and a stray release character", () => {
    const document = parseEdi(read("php-edifact__edifact__example_order_error.edi"), full);
    const errors = document.issues.filter((issue) => issue.severity === "error");
    expect(errors.map((issue) => [issue.code, issue.segment?.tag, issue.segment?.element])).toEqual([
      ["invalid_release_sequence", "IMD", 3],
      ["too_many_components", "IMD", 3],
    ]);
    const ok = parseEdi(read("php-edifact__edifact__example_order_ok.edi"), full);
    expect(ok.issues).toEqual([]);
  });
});
