import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDistroError } from "../errors/distro-error";
import { ValidationError } from "../errors/validation-error";
import { type CloudEvent, parseEvent } from "./cloud-event";
import { createEvent } from "./create-event";
import {
  CLOUD_EVENTS_BATCH_JSON,
  CLOUD_EVENTS_JSON,
  decodeHeaderValue,
  encodeHeaderValue,
  fromBinaryHttp,
  fromHttp,
  fromStructured,
  fromStructuredBatch,
  toBinaryHttp,
  toStructured,
  toStructuredBatch,
} from "./http-binding";

const BASE = { specversion: "1.0", source: "/mycontext", type: "com.example.someevent" } as const;

function issuePaths(run: () => unknown): unknown[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((entry) => entry.path);
  }
  throw new Error("expected a ValidationError");
}

describe("header value percent-encoding", () => {
  it("encodes the spec's example", () => {
    expect(encodeHeaderValue("Euro \u20AC \u{1F600}")).toBe("Euro%20%E2%82%AC%20%F0%9F%98%80");
  });

  it("encodes space, double-quote, percent and controls, and nothing else printable", () => {
    expect(encodeHeaderValue('a "b" 100%\t\u007f')).toBe("a%20%22b%22%20100%25%09%7F");
    expect(encodeHeaderValue("/erp/bc?x=1&y=[2]")).toBe("/erp/bc?x=1&y=[2]");
    expect(encodeHeaderValue("caf\u00e9")).toBe("caf%C3%A9");
  });

  it("decodes lower-case escapes, unnecessary escapes, quoted strings and surrounding whitespace", () => {
    expect(decodeHeaderValue("  Euro%20%e2%82%ac  ")).toBe("Euro \u20AC");
    expect(decodeHeaderValue("%41%42C")).toBe("ABC");
    expect(decodeHeaderValue('"quoted \\"value\\" here"')).toBe('quoted "value" here');
    expect(decodeHeaderValue('"100%25"')).toBe("100%");
  });

  it("decodes raw UTF-8 bytes that arrived unencoded", () => {
    expect(decodeHeaderValue("caf\u00c3\u00a9")).toBe("caf\u00e9");
  });

  it.each([
    ["an overlong encoding", "%C0%A0"],
    ["a truncated sequence", "%E2%82"],
    ["an encoded surrogate", "%ED%A0%80"],
    ["a malformed escape", "100%"],
    ["a non-hex escape", "%G0"],
    ["a broken quoted string", '"a"b"'],
  ])("rejects %s", (_name, value) => {
    expect(issuePaths(() => decodeHeaderValue(value, "subject"))).toEqual([["subject"]]);
  });

  it("round-trips any string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (value) => {
        const encoded = encodeHeaderValue(value);
        expect(encoded).toMatch(/^[\x21-\x7e]*$/);
        expect(decodeHeaderValue(encoded)).toBe(value);
      }),
    );
  });
});

describe("binary mode", () => {
  it("writes the spec's JSON example", () => {
    const { headers, body } = toBinaryHttp(
      parseEvent({
        ...BASE,
        id: "C234-1234-1234",
        time: "2018-04-05T17:31:00Z",
        comexampleextension1: "value",
        comexampleothervalue: 5,
        datacontenttype: "application/json",
        data: { appinfoA: "abc", appinfoB: 123, appinfoC: true },
      }),
    );
    expect(Object.fromEntries(headers)).toEqual({
      "ce-specversion": "1.0",
      "ce-type": "com.example.someevent",
      "ce-source": "/mycontext",
      "ce-id": "C234-1234-1234",
      "ce-time": "2018-04-05T17:31:00Z",
      "ce-comexampleextension1": "value",
      "ce-comexampleothervalue": "5",
      "content-type": "application/json",
    });
    expect(JSON.parse(body as string)).toEqual({ appinfoA: "abc", appinfoB: 123, appinfoC: true });
  });

  it("writes a JSON string payload quoted and XML as is", () => {
    expect(toBinaryHttp(parseEvent({ ...BASE, id: "D", data: "I'm just a string" })).body).toBe(
      '"I\'m just a string"',
    );
    const xml = toBinaryHttp(
      parseEvent({ ...BASE, id: "B", datacontenttype: "application/xml", data: '<much wow="xml"/>' }),
    );
    expect(xml.body).toBe('<much wow="xml"/>');
    expect(xml.headers.get("content-type")).toBe("application/xml");
  });

  it("refuses non-string data for a non-JSON content type", () => {
    expect(
      issuePaths(() =>
        toBinaryHttp(parseEvent({ ...BASE, id: "X", datacontenttype: "text/plain", data: {} })),
      ),
    ).toEqual([["data"]]);
  });

  it("reads headers case-insensitively and parses the body by content type", () => {
    const headers = new Headers({
      "CE-SpecVersion": "1.0",
      "Ce-Type": "com.example.someevent",
      "ce-source": "/mycontext",
      "ce-id": "A234",
      "ce-subject": "Euro%20%E2%82%AC",
      "content-type": "application/json; charset=utf-8",
      "x-unrelated": "kept out",
    });
    expect(fromBinaryHttp(headers, '{"a":1}')).toEqual({
      ...BASE,
      id: "A234",
      subject: "Euro \u20AC",
      datacontenttype: "application/json; charset=utf-8",
      data: { a: 1 },
    });
  });

  it("keeps text as text and other media types as bytes", () => {
    const headers = (contentType: string) =>
      new Headers({
        "ce-specversion": "1.0",
        "ce-type": "t",
        "ce-source": "/s",
        "ce-id": "1",
        "content-type": contentType,
      });
    const bytes = new Uint8Array([0, 1, 254, 255]);
    expect(fromBinaryHttp(headers("application/vnd.apache.thrift.binary"), bytes).data).toEqual(bytes);
    expect(fromBinaryHttp(headers("text/plain"), new TextEncoder().encode("hé")).data).toBe("hé");
    expect(fromBinaryHttp(headers("application/xml"), "<x/>").data).toBe("<x/>");
    expect(fromBinaryHttp(headers("application/json"), "")).not.toHaveProperty("data");
  });

  it("names what is wrong", () => {
    const valid = { "ce-specversion": "1.0", "ce-type": "t", "ce-source": "/s", "ce-id": "1" };
    expect(issuePaths(() => fromBinaryHttp(new Headers({ ...valid, "ce-id": "" }), null))).toEqual([["id"]]);
    expect(
      issuePaths(() => fromBinaryHttp(new Headers({ "ce-type": "t", "ce-source": "/s" }), null)),
    ).toEqual([["specversion"], ["id"]]);
    expect(
      issuePaths(() => fromBinaryHttp(new Headers({ ...valid, "ce-datacontenttype": "text/plain" }), null)),
    ).toEqual([["datacontenttype"]]);
    expect(issuePaths(() => fromBinaryHttp(new Headers({ ...valid, "ce-bad_name": "x" }), null))).toEqual([
      ["bad_name"],
    ]);
    expect(issuePaths(() => fromBinaryHttp(new Headers({ ...valid, "ce-subject": "%C0%A0" }), null))).toEqual(
      [["subject"]],
    );
    expect(issuePaths(() => fromBinaryHttp(new Headers({ ...valid, "ce-subject": "a%0Ab" }), null))).toEqual([
      ["subject"],
    ]);
    expect(
      issuePaths(() =>
        fromBinaryHttp(new Headers({ ...valid, "content-type": "application/json" }), "{not json"),
      ),
    ).toEqual([["data"]]);
    expect(
      issuePaths(() =>
        fromBinaryHttp(new Headers({ ...valid, "content-type": "text/plain" }), new Uint8Array([0xff])),
      ),
    ).toEqual([["data"]]);
  });
});

describe("structured mode", () => {
  it("writes the JSON format with its media type and base64 for bytes", () => {
    const event = parseEvent({
      ...BASE,
      id: "1",
      datacontenttype: "application/octet-stream",
      data_base64: "AAEC",
    });
    const { headers, body } = toStructured(event);
    expect(headers.get("content-type")).toBe("application/cloudevents+json; charset=utf-8");
    expect(JSON.parse(body as string)).toEqual({
      ...BASE,
      id: "1",
      datacontenttype: "application/octet-stream",
      data_base64: "AAEC",
    });
    expect(fromStructured(body, headers)).toEqual(event);
  });

  it("refuses a wrong content type, an empty body and non-JSON", () => {
    expect(
      issuePaths(() => fromStructured("{}", new Headers({ "content-type": "application/json" }))),
    ).toEqual([["content-type"]]);
    expect(issuePaths(() => fromStructured(""))).toEqual([[]]);
    expect(issuePaths(() => fromStructured("{oops"))).toEqual([[]]);
    expect(issuePaths(() => fromStructured('{"specversion":"1.0"}'))).toEqual([["id"], ["source"], ["type"]]);
  });

  it("fromHttp picks the mode from the content type and refuses batches", () => {
    const event = createEvent({ type: "t", source: "/s", data: { a: 1 } });
    const structured = toStructured(event);
    const binary = toBinaryHttp(event);
    expect(fromHttp(structured.headers, structured.body)).toEqual(event);
    expect(fromHttp(binary.headers, binary.body)).toEqual(event);
    expect(
      issuePaths(() => fromHttp(new Headers({ "content-type": "application/cloudevents-batch+json" }), "[]")),
    ).toEqual([["content-type"]]);
  });
});

describe("batch format", () => {
  it("writes and reads a batch, binary data included, and allows an empty one", () => {
    const events = [
      createEvent({
        type: "inventory.changed",
        source: "/wms/leeds",
        data: { sku: "BOLT-M8", available: "120" },
      }),
      createEvent({
        type: "label.printed",
        source: "/wms/leeds",
        datacontenttype: "application/pdf",
        data: new Uint8Array([37, 80]),
      }),
    ];
    const { headers, body } = toStructuredBatch(events);
    expect(headers.get("content-type")).toBe("application/cloudevents-batch+json; charset=utf-8");
    expect(JSON.parse(body as string)[1]).toMatchObject({ data_base64: "JVA=" });
    expect(fromStructuredBatch(body, headers)).toEqual(events);
    expect(fromStructuredBatch("[]")).toEqual([]);
  });

  it("reports the problems of every event, each path starting with its index", () => {
    const valid = { specversion: "1.0", id: "1", source: "/s", type: "t" };
    const body = JSON.stringify([
      valid,
      { ...valid, source: "bad source" },
      valid,
      { ...valid, id: "", time: "x" },
    ]);
    expect(issuePaths(() => fromStructuredBatch(body))).toEqual([
      [1, "source"],
      [3, "id"],
      [3, "time"],
    ]);
    expect(issuePaths(() => fromStructuredBatch(JSON.stringify(valid)))).toEqual([[]]);
    expect(
      issuePaths(() => fromStructuredBatch("[]", new Headers({ "content-type": CLOUD_EVENTS_JSON }))),
    ).toEqual([["content-type"]]);
    expect(
      issuePaths(() => toStructuredBatch([parseEvent({ ...valid, datacontenttype: "text/plain", data: 5 })])),
    ).toEqual([[0, "data"]]);
  });

  it("fromHttp points batches to fromStructuredBatch", () => {
    expect(
      issuePaths(() => fromHttp(new Headers({ "content-type": CLOUD_EVENTS_BATCH_JSON }), "[]")),
    ).toEqual([["content-type"]]);
  });
});

const stringValue = fc
  .string({ minLength: 1, unit: "grapheme" })
  .filter((value) => !/[\p{Cc}\p{Noncharacter_Code_Point}]/u.test(value));
const arbitraryEvent: fc.Arbitrary<CloudEvent> = fc
  .record(
    {
      id: stringValue,
      source: fc.webUrl(),
      type: stringValue,
      subject: stringValue,
      time: fc
        .date({ min: new Date("1970-01-01"), max: new Date("9999-12-31"), noInvalidDate: true })
        .map((date) => date.toISOString()),
      correlationid: stringValue,
      tenant: stringValue,
      data: fc.jsonValue(),
    },
    { requiredKeys: ["id", "source", "type"] },
  )
  .map((fields) => parseEvent({ specversion: "1.0", ...fields }));

describe("round trips (property)", () => {
  it("structured mode gives back the same event", () => {
    fc.assert(
      fc.property(arbitraryEvent, (event) => {
        const { headers, body } = toStructured(event);
        expect(fromStructured(body, headers)).toEqual(JSON.parse(JSON.stringify(event)));
      }),
      { numRuns: 200 },
    );
  });

  it("binary mode gives back the same event", () => {
    fc.assert(
      fc.property(arbitraryEvent, (event) => {
        const { headers, body } = toBinaryHttp(event);
        const expected = JSON.parse(JSON.stringify(event));
        if (event.data !== undefined) expected.datacontenttype = "application/json";
        expect(fromBinaryHttp(headers, body)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("arbitrary structured bodies give an event or a DistroError, nothing else", () => {
    const body = fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.uint8Array(),
      fc
        .dictionary(
          fc.constantFrom("specversion", "id", "source", "type", "data_base64", "time"),
          fc.jsonValue(),
        )
        .map((value) => JSON.stringify({ specversion: "1.0", id: "1", source: "/s", type: "t", ...value })),
    );
    fc.assert(
      fc.property(body, (candidate) => {
        try {
          fromStructured(candidate);
        } catch (error) {
          expect(isDistroError(error)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("arbitrary headers and bodies give an event or a DistroError, nothing else", () => {
    const headerName = fc.constantFrom(
      "ce-id",
      "ce-source",
      "ce-type",
      "ce-specversion",
      "ce-time",
      "ce-x",
      "content-type",
    );
    const headerValue = fc.string({ unit: fc.constantFrom(...'ab%C0A9fF/:1.0 "\\') });
    fc.assert(
      fc.property(
        fc.dictionary(headerName, headerValue),
        fc.oneof(fc.string(), fc.uint8Array()),
        (fields, body) => {
          try {
            fromHttp(new Headers(fields), body);
          } catch (error) {
            expect(isDistroError(error)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("over a real HTTP server", () => {
  const received: { headers: Headers; body: Uint8Array }[] = [];
  const server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    received.push({ headers, body: new Uint8Array(Buffer.concat(chunks)) });
    response.statusCode = 202;
    response.end();
  });
  let url = "";

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("delivers an event in both modes with non-ASCII attributes intact", async () => {
    const event = createEvent({
      type: "com.distro.order.submitted",
      source: "/shop/acme",
      subject: 'Bestellung Müller "GmbH" 100%',
      data: { orderNumber: "1001", total: { amount: "0.0125", currency: "USD" } },
      extensions: { tenant: "acme" },
    });
    for (const message of [toBinaryHttp(event), toStructured(event)]) {
      const response = await fetch(url, { method: "POST", headers: message.headers, body: message.body });
      expect(response.status).toBe(202);
    }
    expect(received).toHaveLength(2);
    for (const { headers, body } of received) {
      expect(fromHttp(headers, body)).toEqual(event);
    }
  });
});
