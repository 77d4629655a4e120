import { ConflictError, ValidationError } from "@distro/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEdi } from "../syntax/parse";
import { escapeEdifact, serializeEdi } from "../syntax/serialize";
import { buildEdifactInterchange, buildX12Interchange, EDIFACT_DEFAULT_DELIMITERS } from "./build";
import { createMemoryControlNumberStore, formatControlNumber } from "./control-numbers";

const clock = () => new Date("2026-01-05T12:30:00Z");
const sender = { qualifier: "ZZ", id: "SUPPLIER" };
const receiver = { qualifier: "ZZ", id: "BUYER" };

describe("buildX12Interchange", () => {
  it("writes a valid interchange: fixed-width ISA, counts and control numbers that parse back without issues", async () => {
    const controlNumbers = createMemoryControlNumberStore();
    const document = await buildX12Interchange({ sender, receiver, controlNumbers, clock }, [
      {
        functionalId: "PR",
        version: "004010",
        transactions: [
          {
            type: "855",
            segments: [
              ["BAK", "00", "AC", "PO-1", "20260105"],
              ["CTT", "0"],
            ],
          },
          { type: "855", segments: [["BAK", "00", "AD", "PO-2", "20260105"]] },
        ],
      },
    ]);
    const text = serializeEdi(document);
    expect(text.split("\n")[0]).toBe(
      "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYER          *260105*1230*U*00401*000000001*0*P*>~",
    );
    expect(text.split("\n")[0]!.length).toBe(106);
    expect(text).toContain(
      "GS*PR*SUPPLIER*BUYER*20260105*1230*1*X*004010~\nST*855*0001~\nBAK*00*AC*PO-1*20260105~\nCTT*0~\nSE*4*0001~",
    );
    const parsed = parseEdi(text);
    expect(parsed.issues).toEqual([]);
    expect(serializeEdi(parsed)).toBe(text);
    // positions were filled as the text has them
    const bak = document.interchanges[0]!.groups[0]!.transactions[1]!.segments[0]!;
    expect(text.slice(bak.offset, bak.offset + 3)).toBe("BAK");
    expect(bak.line).toBe(text.slice(0, bak.offset).split("\n").length);
  });

  it("generates with chosen delimiters, and parses them back from the ISA", async () => {
    const document = await buildX12Interchange(
      {
        sender,
        receiver,
        clock,
        version: "00501",
        delimiters: { segment: "\u0015", element: "|", component: "}", repetition: "!" },
        segmentSuffix: "",
      },
      [
        {
          functionalId: "PO",
          version: "005010",
          transactions: [
            {
              type: "850",
              segments: [
                ["BEG", "00", "SA", "PO-9", "", "20260105"],
                ["REF", "ZZ", ["A", "B"]],
              ],
            },
          ],
        },
      ],
    );
    const text = serializeEdi(document);
    const interchange = parseEdi(text).interchanges[0]!;
    expect(interchange.delimiters).toMatchObject({
      segment: "\u0015",
      element: "|",
      component: "}",
      repetition: "!",
    });
    const ref = interchange.groups[0]!.transactions[0]!.segments[1]!;
    expect(ref.components(2)).toEqual(["A", "B"]);
  });

  it("refuses a value that contains a delimiter (X12 has no escape), naming segment and element", async () => {
    const attempt = buildX12Interchange({ sender, receiver, clock }, [
      {
        functionalId: "PO",
        version: "004010",
        transactions: [{ type: "850", segments: [["N3", "12 MAIN ST~SUITE 4"]] }],
      },
    ]);
    await expect(attempt).rejects.toThrow(ValidationError);
    await expect(attempt).rejects.toMatchObject({ issues: [{ segment: { tag: "N3", element: 1 } }] });
  });

  it("refuses delimiters that collide or are letters", async () => {
    await expect(buildX12Interchange({ sender, receiver, delimiters: { element: "~" } }, [])).rejects.toThrow(
      ValidationError,
    );
    await expect(
      buildX12Interchange({ sender, receiver, delimiters: { component: "A" } }, []),
    ).rejects.toThrow(ValidationError);
  });

  it("never reuses a control number for a partner across interchanges", async () => {
    const controlNumbers = createMemoryControlNumberStore();
    const numbers = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const document = await buildX12Interchange({ sender, receiver, controlNumbers, clock }, [
        {
          functionalId: "PO",
          version: "004010",
          transactions: [{ type: "850", segments: [["BEG", "00", "SA", `PO-${round}`, "", "20260105"]] }],
        },
      ]);
      numbers.add(document.interchanges[0]!.controlNumber);
    }
    expect(numbers.size).toBe(5);
  });
});

describe("ControlNumberStore (memory)", () => {
  it("hands out distinct numbers per partner and kind under any interleaving of concurrent calls", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom("ZZ:A", "ZZ:B", "14:C"),
            fc.constantFrom("interchange", "group", "transaction" as const),
          ),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        async (calls) => {
          const store = createMemoryControlNumberStore();
          const results = await Promise.all(
            calls.map(([partner, kind]) =>
              store.next(partner, kind).then((value) => `${partner}|${kind}|${value}`),
            ),
          );
          expect(new Set(results).size).toBe(results.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses to wrap around when exhausted", async () => {
    const store = createMemoryControlNumberStore({ start: 999_999_998 });
    expect(await store.next("ZZ:A", "interchange")).toBe(999_999_998);
    expect(await store.next("ZZ:A", "interchange")).toBe(999_999_999);
    await expect(store.next("ZZ:A", "interchange")).rejects.toThrow(ConflictError);
    expect(await store.next("ZZ:B", "interchange")).toBe(999_999_998);
  });

  it("formats numbers for their envelope", () => {
    expect(formatControlNumber(42, "interchange", "x12")).toBe("000000042");
    expect(formatControlNumber(7, "transaction", "x12")).toBe("0007");
    expect(formatControlNumber(7, "group", "x12")).toBe("7");
    expect(() => createMemoryControlNumberStore({ start: 0 })).toThrow(ValidationError);
  });
});

describe("buildEdifactInterchange", () => {
  it("escapes service characters with the release character and reads them back", async () => {
    const document = await buildEdifactInterchange(
      {
        sender: { qualifier: "14", id: "5400110000009" },
        receiver: { qualifier: "14", id: "5013546107732" },
        clock,
      },
      [
        {
          functionalId: "",
          version: "",
          transactions: [
            {
              type: "ORDERS",
              messageVersion: ["D", "96A", "UN", "EAN008"],
              segments: [
                ["BGM", "220", "PO?1", "9"],
                ["FTX", "AAI", "", "", ["It's 5+5: ten", "second"]],
              ],
            },
          ],
        },
      ],
    );
    const text = serializeEdi(document);
    expect(text).toContain("FTX+AAI+++It?'s 5?+5?: ten:second'");
    expect(text).toContain("BGM+220+PO??1+9'");
    const parsed = parseEdi(text);
    expect(parsed.issues).toEqual([]);
    const ftx = parsed.interchanges[0]!.groups[0]!.transactions[0]!.segments[1]!;
    expect(ftx.components(4)).toEqual(["It's 5+5: ten", "second"]);
    expect(text.startsWith("UNB+UNOC:3+5400110000009:14+5013546107732:14+260105:1230+1'")).toBe(true);
  });

  it("writes a UNA for other delimiters and a UNG group when asked", async () => {
    const document = await buildEdifactInterchange(
      {
        sender: { qualifier: "ZZZ", id: "A" },
        receiver: { qualifier: "ZZZ", id: "B" },
        clock,
        delimiters: { segment: "~", element: "*", component: "=" },
      },
      [
        {
          functionalId: "INVOIC",
          version: "D:97B",
          transactions: [
            { type: "INVOIC", messageVersion: ["D", "97B", "UN"], segments: [["BGM", "380", "INV-1", "9"]] },
          ],
        },
      ],
    );
    const text = serializeEdi(document);
    expect(text.startsWith("UNA=*.? ~\n")).toBe(true);
    const parsed = parseEdi(text);
    expect(parsed.issues).toEqual([]);
    expect(parsed.interchanges[0]!.groups[0]!.header?.tag).toBe("UNG");
  });

  it("escape then parse is the identity for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab+:'?* 1".split("")), maxLength: 40 }), (value) => {
        const escaped = escapeEdifact(value, EDIFACT_DEFAULT_DELIMITERS);
        const text = `UNB+UNOC:3+A+B+260105:1200+1'UNH+1+X:D:96A:UN'FTX+${escaped}'UNT+3+1'UNZ+1+1'`;
        const segment = parseEdi(text).interchanges[0]!.groups[0]!.transactions[0]!.segments[0]!;
        expect(segment.get(1)).toBe(value);
      }),
    );
  });
});
