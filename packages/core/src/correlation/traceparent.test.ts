import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  childTraceparent,
  formatTraceparent,
  isValidTraceparent,
  parseTraceparent,
  type Traceparent,
} from "./traceparent";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });
const nonZeroHex = (length: number) => hex(length).filter((value) => /[1-9a-f]/.test(value));

const validTraceparent: fc.Arbitrary<Traceparent> = fc
  .record({
    version: hex(2).filter((value) => value !== "ff"),
    traceId: nonZeroHex(32),
    parentId: nonZeroHex(16),
    flags: hex(2),
  })
  .map((parts) => ({ ...parts, sampled: (Number.parseInt(parts.flags, 16) & 1) === 1 }));

describe("parseTraceparent", () => {
  it("parses the spec's example", () => {
    expect(parseTraceparent(VALID)).toEqual({
      version: "00",
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: "01",
      sampled: true,
    });
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)?.sampled).toBe(false);
  });

  it("reads sampled from bit 0 only", () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-09`)?.sampled).toBe(true);
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-02`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-02`)?.flags).toBe("02");
  });

  it.each([
    ["missing", undefined],
    ["null", null],
    ["empty", ""],
    ["version ff", `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${PARENT_ID}-01`],
    ["all-zero parent id", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
    ["uppercase trace id", `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ["uppercase version", `0A-${TRACE_ID}-${PARENT_ID}-01`],
    ["uppercase flags", `00-${TRACE_ID}-${PARENT_ID}-0A`],
    ["uppercase parent id", `00-${TRACE_ID}-00F067AA0BA902B7-01`],
    ["version 00 with trailing data", `${VALID}-extra`],
    ["version 00 with trailing dash", `${VALID}-`],
    ["short trace id", `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ["long trace id", `00-${TRACE_ID}0-${PARENT_ID}-01`],
    ["short parent id", `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
    ["one-digit flags", `00-${TRACE_ID}-${PARENT_ID}-1`],
    ["non-hex flags", `00-${TRACE_ID}-${PARENT_ID}-0g`],
    ["wrong separator", `00_${TRACE_ID}-${PARENT_ID}-01`],
    ["two headers joined", `${VALID}, ${VALID}`],
    ["non-hex version", `0x-${TRACE_ID}-${PARENT_ID}-01`],
    ["higher version, data without a dash", `01-${TRACE_ID}-${PARENT_ID}-01x`],
    ["higher version, too short", `01-${TRACE_ID}-${PARENT_ID}-1`],
    ["higher version, all-zero trace id", `01-${"0".repeat(32)}-${PARENT_ID}-01-more`],
  ])("rejects %s", (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it("parses a higher version by its first four fields", () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`)).toEqual({
      version: "cc",
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      flags: "01",
      sampled: true,
    });
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-00`)?.version).toBe("01");
  });

  it("ignores optional whitespace around the value", () => {
    expect(parseTraceparent(` \t${VALID} `)?.traceId).toBe(TRACE_ID);
  });

  it("round-trips every valid value (property)", () => {
    fc.assert(
      fc.property(validTraceparent, (value) => {
        const header = formatTraceparent(value);
        expect(header).toHaveLength(55);
        expect(parseTraceparent(header)).toEqual(value);
      }),
    );
  });

  it("never throws on arbitrary input and accepts only well-formed values (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(..."0123456789abcdefF-") })),
        (input) => {
          const parsed = parseTraceparent(input);
          if (parsed !== undefined) {
            expect(parsed.traceId).toMatch(/^[0-9a-f]{32}$/);
            expect(parsed.traceId).not.toMatch(/^0+$/);
            expect(parsed.parentId).toMatch(/^[0-9a-f]{16}$/);
            expect(parsed.version).not.toBe("ff");
          }
        },
      ),
    );
  });
});

describe("formatTraceparent", () => {
  it("lets sampled decide bit 0 and keeps the others", () => {
    const base = { version: "00", traceId: TRACE_ID, parentId: PARENT_ID };
    expect(formatTraceparent({ ...base, flags: "02", sampled: true })).toBe(`00-${TRACE_ID}-${PARENT_ID}-03`);
    expect(formatTraceparent({ ...base, flags: "01", sampled: false })).toBe(
      `00-${TRACE_ID}-${PARENT_ID}-00`,
    );
  });
});

describe("childTraceparent", () => {
  it("keeps the trace id and sampled flag with a new span id", () => {
    const parent = parseTraceparent(VALID)!;
    const child = childTraceparent(parent);
    expect(child.traceId).toBe(TRACE_ID);
    expect(child.parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.parentId).not.toBe(PARENT_ID);
    expect(child.sampled).toBe(true);
    expect(parseTraceparent(formatTraceparent(child))).toEqual(child);
    expect(childTraceparent(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)).sampled).toBe(false);
  });

  it("answers a higher version with version 00", () => {
    const parent = parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-future`)!;
    expect(childTraceparent(parent).version).toBe("00");
  });

  it("starts a new sampled trace without a parent", () => {
    const root = childTraceparent();
    expect(formatTraceparent(root)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(childTraceparent().traceId).not.toBe(root.traceId);
  });

  it("uses injected randomness exactly", () => {
    let next = 0;
    const random = (length: number) => Uint8Array.from({ length }, () => ++next);
    const root = childTraceparent(undefined, random);
    expect(root.parentId).toBe("0102030405060708");
    expect(root.traceId).toBe("090a0b0c0d0e0f101112131415161718");
  });

  it("never produces an all-zero id, even from a source of zeros", () => {
    const zeros = (length: number) => new Uint8Array(length);
    const root = childTraceparent(undefined, zeros);
    expect(parseTraceparent(formatTraceparent(root))).toEqual(root);
  });
});

describe("isValidTraceparent", () => {
  it("agrees with parseTraceparent, also when asked twice", () => {
    for (const value of [VALID, VALID, `ff-${TRACE_ID}-${PARENT_ID}-01`, VALID, 55, undefined]) {
      expect(isValidTraceparent(value)).toBe(
        typeof value === "string" && parseTraceparent(value) !== undefined,
      );
    }
  });
});
