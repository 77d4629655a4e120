import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./retry-after";

const NOW = Date.UTC(1994, 10, 6, 8, 49, 7); // Sun, 06 Nov 1994 08:49:07 GMT

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter("0", NOW)).toBe(0);
    expect(parseRetryAfter("  7 ", NOW)).toBe(7_000);
    expect(parseRetryAfter("007", NOW)).toBe(7_000);
  });

  it("reads the three HTTP-date forms RFC 9110 makes recipients accept", () => {
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Sun Nov  6 08:49:37 1994", NOW)).toBe(30_000);
    expect(parseRetryAfter("Sun Nov 16 08:49:37 1994", NOW)).toBe(10 * 86_400_000 + 30_000);
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", new Date(NOW))).toBe(30_000);
  });

  it("reads a two-digit year more than 50 years ahead as the most recent past one", () => {
    const now = Date.UTC(2026, 0, 1);
    // 2075 is 49 years ahead: kept. 2077 is more than 50 ahead: means 1977, in the past.
    expect(parseRetryAfter("Tuesday, 01-Jan-75 00:00:00 GMT", now)).toBe(Date.UTC(2075, 0, 1) - now);
    expect(parseRetryAfter("Saturday, 01-Jan-77 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("Thursday, 01-Jan-26 00:00:10 GMT", now)).toBe(10_000);
  });

  it("treats a date in the past as now", () => {
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", NOW)).toBe(0);
  });

  it("gives undefined for absent and invalid values, never a throw", () => {
    for (const value of [
      undefined,
      null,
      "",
      "   ",
      "-5",
      "1.5",
      "1e3",
      "soon",
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 25:49:37 GMT",
      "Sun, 06 Xyz 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 PST",
      "2026-11-30T00:00:00Z",
    ]) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", Number.NaN)).toBeUndefined();
  });

  it("round-trips any whole number of seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), NOW)).toBe(seconds * 1000);
      }),
    );
  });

  it("gives the exact distance to any future IMF-fixdate (as toUTCString writes it)", () => {
    fc.assert(
      fc.property(
        // Up to year 9999: an HTTP-date has a four-digit year.
        fc.integer({ min: 0, max: 240_000_000_000 }),
        fc.integer({ min: 0, max: 400_000_000 }),
        (nowSeconds, aheadSeconds) => {
          const now = nowSeconds * 1000;
          const at = now + aheadSeconds * 1000;
          expect(parseRetryAfter(new Date(at).toUTCString(), now)).toBe(aheadSeconds * 1000);
        },
      ),
    );
  });

  it("never returns a negative or non-finite wait for any text", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 4_000_000_000_000 }), (text, now) => {
        const result = parseRetryAfter(text, now);
        if (result !== undefined) {
          expect(Number.isFinite(result)).toBe(true);
          expect(result).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});
