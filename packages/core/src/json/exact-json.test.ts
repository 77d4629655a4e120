import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonExact, quoteUnsafeIntegers } from "./exact-json";

describe("exact JSON", () => {
  it("keeps integers beyond 2^53 as strings and leaves everything else alone", () => {
    expect(parseJsonExact('{"id":9007199254740993,"n":1,"f":1.5,"e":1e30,"s":"9007199254740993"}')).toEqual({
      id: "9007199254740993",
      n: 1,
      f: 1.5,
      e: 1e30,
      s: "9007199254740993",
    });
    expect(quoteUnsafeIntegers('["a\\"9007199254740993", -9007199254740993]')).toBe(
      '["a\\"9007199254740993", "-9007199254740993"]',
    );
    expect(() => parseJsonExact("{")).toThrow(SyntaxError);
  });

  it("property: any big integer id round-trips digit for digit", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }), (id) => {
        expect(parseJsonExact(`{"order":{"id":${id}}}`)).toEqual({ order: { id: id.toString() } });
      }),
    );
  });
});
