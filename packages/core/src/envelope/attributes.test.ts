import { describe, expect, it } from "vitest";
import {
  isAbsoluteUri,
  isCloudEventString,
  isJsonMediaType,
  isMediaType,
  isRfc3339,
  isUriReference,
  isValidAttributeName,
} from "./attributes";

describe("attribute names", () => {
  it.each(["id", "correlationid", "traceparent", "comexampleextension1", "0abc"])("accepts %s", (name) => {
    expect(isValidAttributeName(name)).toBe(true);
  });
  it.each(["", "correlationId", "correlation_id", "correlation-id", "ä", "data base64"])(
    "rejects %j",
    (name) => {
      expect(isValidAttributeName(name)).toBe(false);
    },
  );
});

describe("CloudEvents strings", () => {
  it("accepts Unicode text and rejects control characters, noncharacters and lone surrogates", () => {
    expect(isCloudEventString("Grüße 😀")).toBe(true);
    expect(isCloudEventString("")).toBe(true);
    expect(isCloudEventString("a\u0000b")).toBe(false);
    expect(isCloudEventString("a\u0085b")).toBe(false);
    expect(isCloudEventString("a\uFFFEb")).toBe(false);
    expect(isCloudEventString("a\uFDD0b")).toBe(false);
    expect(isCloudEventString("a\uD800b")).toBe(false);
    expect(isCloudEventString(42)).toBe(false);
  });
});

describe("URI-reference", () => {
  it.each([
    "/erp/business-central",
    "https://shop.example/orders?status=open#top",
    "urn:distro:shop:acme",
    "mailto:ops@example.com",
    "relative/path",
    "./a:b",
    "//authority/path",
    "?query",
    "#fragment",
    "https://[::1]:8080/x",
    "a%20b",
  ])("accepts %s", (value) => {
    expect(isUriReference(value)).toBe(true);
  });
  it.each([
    "",
    "has space",
    "bad%2",
    "a#b#c",
    "1http://x",
    ":nothing",
    "ü",
    "<tag>",
    'quote"',
    "back\\slash",
  ])("rejects %j", (value) => {
    expect(isUriReference(value)).toBe(false);
  });
});

describe("absolute URI", () => {
  it("needs a scheme and no fragment", () => {
    expect(isAbsoluteUri("https://distro.dev/schemas/order.json")).toBe(true);
    expect(isAbsoluteUri("urn:distro:contract:order.submitted:1")).toBe(true);
    expect(isAbsoluteUri("/schemas/order.json")).toBe(false);
    expect(isAbsoluteUri("https://distro.dev/schema.json#/defs/order")).toBe(false);
    expect(isAbsoluteUri("https:")).toBe(false);
  });
});

describe("RFC 3339 timestamps", () => {
  it.each([
    "2026-11-30T00:43:11Z",
    "2026-11-30T00:43:11.123456789Z",
    "2026-11-30t00:43:11z",
    "2026-11-30T01:43:11+01:00",
    "2028-02-29T00:00:00-05:30",
    "2016-12-31T23:59:60Z",
  ])("accepts %s", (value) => {
    expect(isRfc3339(value)).toBe(true);
  });
  it.each([
    "2026-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-11-30T24:00:00Z",
    "2026-11-30T00:60:00Z",
    "2026-11-30T00:00:61Z",
    "2026-11-30T00:00:00",
    "2026-11-30 00:00:00Z",
    "2026-11-30T00:00:00+0100",
    "2026-11-30T00:00:00+24:00",
    "2026-11-30",
    "1700000000",
  ])("rejects %s", (value) => {
    expect(isRfc3339(value)).toBe(false);
  });
  it("rejects non-strings", () => {
    expect(isRfc3339(new Date())).toBe(false);
  });
});

describe("media types", () => {
  it("accepts type/subtype with parameters and detects JSON", () => {
    expect(isMediaType("application/json; charset=utf-8")).toBe(true);
    expect(isMediaType("application/vnd.distro.order+json")).toBe(true);
    expect(isMediaType("json")).toBe(false);
    expect(isMediaType("text/ plain")).toBe(false);
    expect(isJsonMediaType("application/json")).toBe(true);
    expect(isJsonMediaType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonMediaType("application/cloudevents+json")).toBe(true);
    expect(isJsonMediaType("text/xml")).toBe(false);
    expect(isJsonMediaType("application/jsonx")).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });
});
