import { ValidationError } from "@distro/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateDocument } from "../validate/validate";
import { decodeEdi, detectEbcdic, utf8Length } from "./decode";
import { decodeEbcdic, encodeEbcdic } from "./ebcdic";
import { detectStandard, parseEdi } from "./parse";
import { serializeEdiBytes } from "./serialize";

const x12 =
  "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260105*1200*U*00401*000000007*0*P*>~\n" +
  "GS*PO*SENDER*RECEIVER*20260105*1200*7*X*004010~\nST*850*0001~\nBEG*00*SA*PO-7**20260105~\nSE*3*0001~\nGE*1*7~\nIEA*1*000000007~\n";

describe("EBCDIC", () => {
  it("IBM037 and IBM500 are bijections: encode(decode(bytes)) gives the bytes back", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("cp037" as const, "cp500" as const),
        (bytes, page) => {
          expect(Buffer.from(encodeEbcdic(decodeEbcdic(bytes, page), page)).equals(Buffer.from(bytes))).toBe(
            true,
          );
        },
      ),
    );
  });

  it("decodes the letters, digits and X12 punctuation of IBM037", () => {
    expect(decodeEbcdic(Uint8Array.from([0xc9, 0xe2, 0xc1, 0x5c, 0xf0, 0xf9, 0x6e, 0x15, 0x40]))).toBe(
      "ISA*09>\u0085 ",
    );
    expect(decodeEbcdic(Uint8Array.from([0x4a, 0x5a]), "cp500")).toBe("[]");
  });

  it("an EBCDIC interchange is detected, parsed and written back in EBCDIC", () => {
    const bytes = Buffer.from(encodeEbcdic(x12.replace(/~\n/g, "\u0085")));
    expect(detectEbcdic(bytes)).toBe("cp037");
    const document = parseEdi(bytes);
    expect(document.encoding).toBe("cp037");
    expect(document.interchanges[0]!.groups[0]!.transactions[0]!.segments[0]!.get(3)).toBe("PO-7");
    expect(document.issues).toEqual([]);
    expect(serializeEdiBytes(document).equals(bytes)).toBe(true);
  });
});

describe("decoding and detection", () => {
  it("falls back to Latin-1 for bytes that are not UTF-8, and writes them back unchanged", () => {
    const bytes = Buffer.from(x12.replace("PO-7", "PO-\u00e9"), "latin1");
    const document = parseEdi(bytes);
    expect(document.encoding).toBe("latin1");
    expect(document.interchanges[0]!.groups[0]!.transactions[0]!.segments[0]!.get(3)).toBe("PO-\u00e9");
    expect(serializeEdiBytes(document).equals(bytes)).toBe(true);
  });

  it("counts byte offsets in UTF-8 for multi-byte text", () => {
    const text = x12.replace("PO-7", "PO-\u2026\u00e9");
    const document = parseEdi(Buffer.from(text, "utf8"));
    const se = document.interchanges[0]!.groups[0]!.transactions[0]!.trailer!;
    expect(se.offset).toBe(Buffer.from(text, "utf8").indexOf("SE*3"));
    expect(utf8Length("a\u2026\u00e9\ud83d\ude00", 0, 5)).toBe(1 + 3 + 2 + 4);
  });

  it("detects the standard after blank lines and a byte order mark", () => {
    expect(detectStandard(`\uFEFF\r\n${x12}`)).toBe("x12");
    expect(detectStandard(Buffer.from("UNA:+.? 'UNB+UNOC:3+A+B+260105:1200+1'"))).toBe("edifact");
    expect(detectStandard("UNB+UNOA:1+A+B+1+1'")).toBe("edifact");
    expect(detectStandard("<xml/>")).toBeUndefined();
    expect(decodeEdi("\uFEFFISA").bom).toBe(true);
  });

  it("refuses input that holds no interchange, and non-text input, with a ValidationError", () => {
    expect(() => parseEdi("hello")).toThrow(ValidationError);
    expect(() => parseEdi(42 as unknown as string)).toThrow(ValidationError);
  });

  it("reads CRLF used as the terminator, and writes it back byte for byte", () => {
    const text = x12.replace(/~\n/g, "\r\n");
    const document = parseEdi(text);
    expect(document.interchanges[0]!.delimiters).toMatchObject({ segment: "\r", component: ">" });
    expect(document.issues).toEqual([]);
    const st = document.interchanges[0]!.groups[0]!.transactions[0]!.header;
    expect([st.line, st.trailer]).toEqual([3, "\n"]);
    expect(serializeEdiBytes(document).toString()).toBe(text);
  });

  it("reports the segments a partner requires but the document lacks", () => {
    const document = parseEdi(x12);
    const issues = validateDocument(document, { requiredSegments: { "850": ["BEG", "PO1", "N1"] } });
    expect(
      issues.filter((issue) => issue.code === "mandatory_segment_missing").map((issue) => issue.segment?.tag),
    ).toEqual(["PO1", "N1"]);
  });
});
