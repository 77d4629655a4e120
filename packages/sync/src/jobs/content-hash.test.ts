import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentHash, stableStringify } from "./content-hash";

describe("content hash", () => {
  it("ignores key order and undefined properties, and sees every content change", () => {
    expect(stableStringify({ b: [1, { d: "x", c: null }], a: "q", z: undefined })).toBe(
      '{"a":"q","b":[1,{"c":null,"d":"x"}]}',
    );
    expect(contentHash({ sku: "A", qty: "1" })).toBe(contentHash({ qty: "1", sku: "A" }));
    expect(contentHash({ sku: "A", qty: "1", gone: undefined })).toBe(contentHash({ qty: "1", sku: "A" }));
    expect(contentHash({ sku: "A", qty: "1" })).not.toBe(contentHash({ sku: "A", qty: "1.0" }));
    expect(contentHash({ sku: "A" })).toMatch(/^[0-9a-f]{16}$/);
    // Field boundaries, types, structure and which key holds which value all count.
    const distinct = [
      ["ab", "c"],
      ["a", "bc"],
      { a: 1, b: 2 },
      { a: 2, b: 1 },
      { a: "1" },
      { a: 1 },
      { a: [] },
      { a: {} },
      { a: null },
      { a: true },
      { a: false },
      { ab: "" },
      { a: "b" },
      { a: { b: 1 } },
      { a: { b: 1 }, c: 1 },
      [1, [2]],
      [[1], 2],
      "",
      "\u0000",
    ].map(contentHash);
    expect(new Set(distinct).size).toBe(distinct.length);
  });

  it("hashes what JSON would write: equal JSON, equal hash", () => {
    expect(contentHash({ at: new Date(0) })).toBe(contentHash({ at: "1970-01-01T00:00:00.000Z" }));
    expect(contentHash([undefined, Number.NaN])).toBe(contentHash([null, null]));
    expect(contentHash(-0)).toBe(contentHash(0));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reordered = JSON.parse(JSON.stringify(value), (_key, field) =>
          field !== null && typeof field === "object" && !Array.isArray(field)
            ? Object.fromEntries(Object.entries(field).reverse())
            : field,
        );
        expect(contentHash(reordered)).toBe(contentHash(value));
      }),
    );
  });

  it("gives different hashes to different JSON (no collision among many generated values)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.jsonValue(), { selector: stableStringify, maxLength: 200 }), (values) => {
        expect(new Set(values.map(contentHash)).size).toBe(values.length);
      }),
    );
  });
});
