import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isDistroError } from "../errors/distro-error";
import { ValidationError } from "../errors/validation-error";
import { parseEvent } from "./cloud-event";

const MINIMAL = { specversion: "1.0", id: "evt-1", source: "/shop/acme", type: "com.distro.order.submitted" };

function issuesOf(input: unknown): { code: string; path: (string | number)[] }[] {
  try {
    parseEvent(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map(({ code, path }) => ({ code, path }));
  }
  throw new Error("expected parseEvent to throw");
}

describe("parseEvent", () => {
  it("accepts the spec's JSON-format example with extensions and null attributes", () => {
    const event = parseEvent({
      specversion: "1.0",
      type: "com.example.someevent",
      source: "/mycontext",
      subject: null,
      id: "C234-1234-1234",
      time: "2018-04-05T17:31:00Z",
      comexampleextension1: "value",
      comexampleothervalue: 5,
      unsetextension: null,
      datacontenttype: "application/json",
      data: { appinfoA: "abc", appinfoB: 123, appinfoC: true },
    });
    expect(event).toEqual({
      specversion: "1.0",
      type: "com.example.someevent",
      source: "/mycontext",
      id: "C234-1234-1234",
      time: "2018-04-05T17:31:00Z",
      comexampleextension1: "value",
      comexampleothervalue: 5,
      datacontenttype: "application/json",
      data: { appinfoA: "abc", appinfoB: 123, appinfoC: true },
    });
    expect("subject" in event).toBe(false);
    expect("unsetextension" in event).toBe(false);
  });

  it("returns a copy and never changes its input", () => {
    const input = { ...MINIMAL, data: { a: 1 } };
    const snapshot = structuredClone(input);
    const event = parseEvent(input);
    expect(event).not.toBe(input);
    expect(input).toEqual(snapshot);
  });

  it("keeps an explicit null payload distinct from no data", () => {
    expect(parseEvent({ ...MINIMAL, data: null })).toHaveProperty("data", null);
    expect(parseEvent(MINIMAL)).not.toHaveProperty("data");
  });

  it.each(["id", "source", "specversion", "type"])("names the missing required attribute %s", (name) => {
    const input: Record<string, unknown> = { ...MINIMAL };
    delete input[name];
    expect(issuesOf(input)).toEqual([{ code: "required", path: [name] }]);
  });

  it("reports every problem at once, each naming its attribute", () => {
    expect(
      issuesOf({
        specversion: "0.3",
        id: "",
        source: "not a uri",
        type: 7,
        time: "yesterday",
        dataschema: "/relative",
        datacontenttype: "json",
        subject: "",
        "Bad-Name": "x",
        nested: { a: 1 },
        big: 2 ** 31,
        fraction: 1.5,
      }),
    ).toEqual([
      { code: "unsupported_specversion", path: ["specversion"] },
      { code: "too_small", path: ["id"] },
      { code: "invalid_uri_reference", path: ["source"] },
      { code: "invalid_type", path: ["type"] },
      { code: "invalid_media_type", path: ["datacontenttype"] },
      { code: "invalid_uri", path: ["dataschema"] },
      { code: "too_small", path: ["subject"] },
      { code: "invalid_timestamp", path: ["time"] },
      { code: "invalid_attribute_name", path: ["Bad-Name"] },
      { code: "invalid_type", path: ["nested"] },
      { code: "invalid_type", path: ["big"] },
      { code: "invalid_type", path: ["fraction"] },
    ]);
  });

  it("rejects control characters in strings", () => {
    expect(issuesOf({ ...MINIMAL, id: "a\nb" })).toEqual([{ code: "invalid_string", path: ["id"] }]);
    expect(issuesOf({ ...MINIMAL, tenant: "a\u0000" })).toEqual([
      { code: "invalid_string", path: ["tenant"] },
    ]);
  });

  it("rejects anything that is not an object", () => {
    for (const input of [null, undefined, 1, "event", [MINIMAL]]) {
      expect(issuesOf(input)).toEqual([{ code: "invalid_type", path: [] }]);
    }
  });

  it("decodes data_base64 to bytes and refuses it beside data", () => {
    const event = parseEvent({
      ...MINIMAL,
      datacontenttype: "application/octet-stream",
      data_base64: "AAEC/w==",
    });
    expect(event.data).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(issuesOf({ ...MINIMAL, data: "x", data_base64: "AA==" })).toEqual([
      { code: "conflict", path: ["data_base64"] },
    ]);
    expect(issuesOf({ ...MINIMAL, data_base64: "not base64!" })).toEqual([
      { code: "invalid_base64", path: ["data_base64"] },
    ]);
  });

  it("checks the correlation extensions and ignores an invalid traceparent as W3C says", () => {
    expect(issuesOf({ ...MINIMAL, correlationid: "" })).toEqual([
      { code: "invalid_type", path: ["correlationid"] },
    ]);
    expect(issuesOf({ ...MINIMAL, causationid: true })).toEqual([
      { code: "invalid_type", path: ["causationid"] },
    ]);
    expect(issuesOf({ ...MINIMAL, traceparent: 1 })).toEqual([
      { code: "invalid_type", path: ["traceparent"] },
    ]);
    const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(parseEvent({ ...MINIMAL, traceparent: valid }).traceparent).toBe(valid);
    const ignored = parseEvent({ ...MINIMAL, traceparent: `ff-${valid.slice(3)}` });
    expect(ignored).not.toHaveProperty("traceparent");
  });

  it("turns a throwing getter or proxy into a ValidationError", () => {
    const hostile = Object.defineProperty({ ...MINIMAL }, "ext", {
      enumerable: true,
      get() {
        throw new TypeError("no access");
      },
    });
    expect(issuesOf(hostile)).toEqual([{ code: "unreadable", path: [] }]);
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new TypeError("trap");
        },
      },
    );
    expect(issuesOf(proxy)).toEqual([{ code: "unreadable", path: [] }]);
  });

  it("keeps messages short for huge values", () => {
    try {
      parseEvent({ ...MINIMAL, specversion: "x".repeat(100_000) });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues[0]?.message.length).toBeLessThan(200);
    }
  });

  it("ignores inherited properties", () => {
    const input = Object.create({ inherited: "x" }) as Record<string, unknown>;
    Object.assign(input, MINIMAL);
    expect(parseEvent(input)).toEqual(MINIMAL);
  });

  it("checks data with a zod schema, issues under data", () => {
    const schema = z.object({ orderNumber: z.string(), lines: z.array(z.object({ sku: z.string() })) });
    const ok = parseEvent(
      { ...MINIMAL, data: { orderNumber: "1001", lines: [{ sku: "A" }] } },
      { data: schema },
    );
    expect(ok.data.orderNumber).toBe("1001");
    try {
      parseEvent({ ...MINIMAL, data: { orderNumber: "1001", lines: [{ sku: 1 }] } }, { data: schema });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues.map((entry) => entry.path)).toEqual([
        ["data", "lines", 0, "sku"],
      ]);
    }
  });

  it("checks data with a function, prefixing its issue paths and wrapping raw errors", () => {
    const parser = (data: unknown) => {
      if (typeof data !== "string") {
        throw new ValidationError("bad", [
          { code: "invalid_type", path: ["value"], message: "string expected" },
        ]);
      }
      return data.toUpperCase();
    };
    expect(parseEvent({ ...MINIMAL, data: "abc" }, { data: parser }).data).toBe("ABC");
    expect(() => parseEvent({ ...MINIMAL, data: 1 }, { data: parser })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ["data", "value"] })] }),
    );
    const raw = () => {
      throw new TypeError("boom");
    };
    expect(() => parseEvent({ ...MINIMAL, data: 1 }, { data: raw })).toThrow(
      expect.objectContaining({
        code: "VALIDATION_FAILED",
        issues: [expect.objectContaining({ path: ["data"] })],
      }),
    );
  });

  it("throws nothing but a DistroError for arbitrary JSON (property)", () => {
    const attribute = fc.constantFrom(
      "id",
      "source",
      "specversion",
      "type",
      "time",
      "subject",
      "dataschema",
      "datacontenttype",
      "data",
      "data_base64",
      "correlationid",
      "traceparent",
      "ext1",
      "Bad",
    );
    const arbitraryEvent = fc.dictionary(fc.oneof(attribute, fc.string()), fc.jsonValue());
    const nearlyValid = fc
      .record({
        ...Object.fromEntries(Object.entries(MINIMAL).map(([key, value]) => [key, fc.constant(value)])),
      })
      .chain((base) => fc.dictionary(attribute, fc.jsonValue()).map((extra) => ({ ...base, ...extra })));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), arbitraryEvent, nearlyValid), (input) => {
        try {
          const event = parseEvent(input);
          expect(event.specversion).toBe("1.0");
          expect(typeof event.id).toBe("string");
        } catch (error) {
          expect(isDistroError(error)).toBe(true);
          expect((error as ValidationError).issues.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
