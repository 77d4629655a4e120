import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "@distro/core";
import { conformanceDir } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { buildX12Interchange } from "../generate/build";
import { createMemoryControlNumberStore } from "../generate/control-numbers";
import type { EdiDocument } from "../syntax/model";
import { parseEdi } from "../syntax/parse";
import { serializeEdi } from "../syntax/serialize";
import { validateDocument } from "../validate/validate";
import { acknowledgeEdifact, acknowledgeX12 } from "./acknowledge";
import { createAcknowledgementTracker } from "./tracker";

const corpus = conformanceDir();
const folder = corpus ? join(corpus, "edi") : "";
const clock = () => new Date("2026-01-05T12:30:00Z");
const full = { validate: (document: EdiDocument) => validateDocument(document) };
const read = (name: string) => parseEdi(readFileSync(join(folder, name)), full);

function bodyLines(document: EdiDocument): string[] {
  return serializeEdi(document)
    .split("\n")
    .filter((line) => /^(AK|IK|UC)/.test(line));
}

describe.skipIf(!corpus)("997 / 999 from validation results", () => {
  it("accepts a clean 850: AK5*A and AK9*A with the counts", async () => {
    const document = read("aaronhuggins__node-x12__850.edi");
    const ack = await acknowledgeX12(document.interchanges[0]!, { clock });
    expect(bodyLines(ack)).toEqual(["AK1*PO*1421~", "AK2*850*000000010~", "AK5*A~", "AK9*A*1*1*1~"]);
    const text = serializeEdi(ack);
    // from the receiver (01 999999999) back to the sender (12 4405197800)
    expect(text).toContain(
      "ISA*00*          *00*          *01*999999999      *12*4405197800     *260105*1230*U*00400*000000001*0*P*>~",
    );
    expect(text).toContain("GS*FA*999999999*4405197800*20260105*1230*1*X*004010~");
    // our own 997 passes our own validation
    expect(parseEdi(text, full).issues).toEqual([]);
  });

  it("rejects the control-number mismatches with AK5 code 3 and AK9 code 4", async () => {
    const document = read("olmelabs__EdiEngine__ControlNumbersMismatch.edi");
    const ack = await acknowledgeX12(document.interchanges[0]!, { clock });
    expect(bodyLines(ack)).toEqual(["AK1*OW*3314~", "AK2*940*0001~", "AK5*R*3~", "AK9*R*1*1*0*4~"]);
  });

  it("names the segment and element of syntax-note errors with AK3 / AK4", async () => {
    const document = read("olmelabs__EdiEngine__850.SyntaxNotes.ERR.edi");
    const ack = await acknowledgeX12(document.interchanges[0]!, { clock });
    expect(bodyLines(ack)).toEqual([
      "AK1*PO*1421~",
      "AK2*850*000000010~",
      "AK3*PO1*13**8~",
      "AK4*7*234*2~",
      "AK3*PO4*30**8~",
      "AK4*6*384*2~",
      "AK4*6*384*2~",
      "AK5*R*5~",
      "AK9*R*1*1*0~",
    ]);
  });

  it("writes a 999 with IK3 / IK4 / IK5 and copies of the bad values", async () => {
    const document = read("xlate__staedi__invalid997.edi");
    const ack = await acknowledgeX12(document.interchanges[0]!, { clock, kind: "999" });
    expect(bodyLines(ack)).toEqual([
      "AK1*FA*000005*005010X230~",
      "AK2*997*0001~",
      "IK3*AK1*2**8~",
      "IK4*1*479*5*HC NOT IN CODESET~",
      "IK3*AK4*5**8~",
      "IK4*2*725*6*66 NON NUMERIC~",
      "IK5*R*5~",
      "AK9*R*1*1*0~",
    ]);
    expect(serializeEdi(ack)).toContain("ST*999*0001*005010X231A1~");
  });

  it("uses the control-number store: two acknowledgements never share an ISA13", async () => {
    const controlNumbers = createMemoryControlNumberStore();
    const document = read("aaronhuggins__node-x12__850.edi");
    const first = await acknowledgeX12(document.interchanges[0]!, { clock, controlNumbers });
    const second = await acknowledgeX12(document.interchanges[0]!, { clock, controlNumbers });
    expect(first.interchanges[0]!.controlNumber).not.toBe(second.interchanges[0]!.controlNumber);
  });
});

describe.skipIf(!corpus)("CONTRL for EDIFACT", () => {
  it("reports NAD, QTY, PRI and UNS errors with UCM / UCS / UCD", async () => {
    const document = read("xlate__staedi__invoic_d97b_bad.edi");
    const contrl = await acknowledgeEdifact(document.interchanges[0]!, { clock });
    expect(bodyLines(contrl)).toEqual([
      "UCI+00000000000778+005435656:1+006415160:1+7'",
      "UCM+00000000000117+INVOIC:D:97B:UN+4'",
      "UCS+5'",
      "UCD+39+1'",
      "UCS+10'",
      "UCD+37+1:2'",
      "UCS+13'",
      "UCD+37+1:2'",
      "UCS+21+35'",
    ]);
    const text = serializeEdi(contrl);
    expect(text).toContain("UNB+UNOA:3+006415160:1+005435656:1+260105:1230+1'");
    expect(text).toContain("UNH+1+CONTRL:D:3:UN'");
    expect(parseEdi(text).issues).toEqual([]);
  });

  it("acknowledges a clean interchange with action 7 and refuses the wrong standard", async () => {
    const document = read("bots-edi__bots-plugins__invoic01.edi");
    const contrl = await acknowledgeEdifact(document.interchanges[0]!, { clock });
    expect(bodyLines(contrl)).toEqual([
      "UCI+4+8712345678910:14+8712345678920:14+7'",
      "UCM+111424+INVOIC:D:96A:UN:EAN008+7'",
      "UCM+111425+INVOIC:D:96A:UN:EAN008+7'",
    ]);
    await expect(acknowledgeX12(document.interchanges[0]!)).rejects.toThrow(ValidationError);
    await expect(acknowledgeEdifact(read("xlate__staedi__simple997.edi").interchanges[0]!)).rejects.toThrow(
      ValidationError,
    );
  });
});

describe("acknowledgement tracking", () => {
  it("lists outbound groups whose 997 never came, and settles those acknowledged", async () => {
    let now = Date.parse("2026-01-05T12:00:00Z");
    const tracker = createAcknowledgementTracker({ timeoutMs: 60 * 60 * 1000, clock: () => now });
    const controlNumbers = createMemoryControlNumberStore();
    const outbound = await buildX12Interchange(
      {
        sender: { qualifier: "ZZ", id: "US" },
        receiver: { qualifier: "ZZ", id: "THEM" },
        controlNumbers,
        clock,
      },
      [
        {
          functionalId: "SH",
          version: "004010",
          transactions: [{ type: "856", segments: [["BSN", "00", "SHIP-1", "20260105", "1200"]] }],
        },
        {
          functionalId: "IN",
          version: "004010",
          transactions: [{ type: "810", segments: [["BIG", "20260105", "INV-1"]] }],
        },
      ],
    );
    expect(tracker.sent("THEM", outbound).map((entry) => [entry.functionalId, entry.controlNumber])).toEqual([
      ["SH", "1"],
      ["IN", "2"],
    ]);
    // the partner acknowledges the ship notice only
    const received = parseEdi(serializeEdi(outbound));
    received.interchanges[0]!.groups.splice(1, 1);
    const ack = await acknowledgeX12(received.interchanges[0]!, { clock });
    const settled = tracker.received("THEM", parseEdi(serializeEdi(ack)));
    expect(settled.map((entry) => [entry.functionalId, entry.status])).toEqual([["SH", "A"]]);
    expect(tracker.overdue()).toEqual([]);
    now += 61 * 60 * 1000;
    expect(tracker.overdue().map((entry) => entry.functionalId)).toEqual(["IN"]);
    expect(tracker.pending()).toHaveLength(1);
  });
});
