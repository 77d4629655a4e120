import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors/validation-error";
import { createRedactor, redact, redactText } from "./redact";

describe("redact", () => {
  it("masks sensitive keys by default, whatever their spelling", () => {
    expect(
      redact({
        password: "hunter2",
        client_secret: "s",
        Authorization: "Bearer abc",
        "X-Api-Key": "k",
        apiKey: "k",
        accessToken: "t",
        refresh_token: "r",
        cardNumber: "4111111111111111",
        pan: "4111111111111111",
        cvv: "123",
        email: "jane@example.com",
        customerEmail: "jane@example.com",
        phone: "+44 113 496 0000",
        billingPhone: 441134960000,
        shopifyAccessToken: "shpat_x",
        line1: "1 Main Street",
        sku: "BOLT-M8",
        company: "Acme Fasteners",
        quantity: "12.5",
      }),
    ).toEqual({
      password: "[REDACTED]",
      client_secret: "[REDACTED]",
      Authorization: "[REDACTED]",
      "X-Api-Key": "[REDACTED]",
      apiKey: "[REDACTED]",
      accessToken: "[REDACTED]",
      refresh_token: "[REDACTED]",
      cardNumber: "[REDACTED]",
      pan: "[REDACTED]",
      cvv: "[REDACTED]",
      email: "[REDACTED]",
      customerEmail: "[REDACTED]",
      phone: "[REDACTED]",
      billingPhone: "[REDACTED]",
      shopifyAccessToken: "[REDACTED]",
      line1: "[REDACTED]",
      sku: "BOLT-M8",
      company: "Acme Fasteners",
      quantity: "12.5",
    });
  });

  it("masks a whole sensitive subtree, deep inside arrays and objects, and keeps null as null", () => {
    expect(
      redact({
        order: { lines: [{ sku: "A", note: "ok" }], contacts: [{ name: "Jane", email: "j@x.io" }] },
        authorization: { scheme: "Bearer", credentials: "abc" },
        token: null,
      }),
    ).toEqual({
      order: { lines: [{ sku: "A", note: "ok" }], contacts: [{ name: "Jane", email: "[REDACTED]" }] },
      authorization: "[REDACTED]",
      token: null,
    });
  });

  it("masks by field path, with wildcards, and allows paths to be kept", () => {
    const value = {
      customer: { name: "Jane Roe", contacts: [{ name: "Jo" }, { name: "Al" }], taxId: "GB123" },
      shipTo: { name: "Warehouse 3", email: "dock@example.com" },
    };
    expect(
      redact(value, {
        paths: ["customer.name", "customer.contacts[*].name", "**.taxId"],
        allowPaths: ["shipTo.email"],
      }),
    ).toEqual({
      customer: {
        name: "[REDACTED]",
        contacts: [{ name: "[REDACTED]" }, { name: "[REDACTED]" }],
        taxId: "[REDACTED]",
      },
      shipTo: { name: "Warehouse 3", email: "dock@example.com" },
    });
    expect(redact({ lines: [{ note: "a" }, { note: "b" }] }, { paths: ["lines.1.note"] })).toEqual({
      lines: [{ note: "a" }, { note: "[REDACTED]" }],
    });
  });

  it("takes extra keys and patterns, can drop the defaults, and accepts a mask function", () => {
    expect(
      redact(
        { dob: "1990-01-01", myPin: "1234", email: "a@b.co" },
        { keys: ["DOB", /pin$/i], defaultKeys: false, scanStrings: false },
      ),
    ).toEqual({
      dob: "[REDACTED]",
      myPin: "[REDACTED]",
      email: "a@b.co",
    });
    const lastFour = (value: unknown) => `****${String(value).slice(-4)}`;
    expect(redact({ payment: { cardNumber: "4111111111111111" } }, { mask: lastFour })).toEqual({
      payment: { cardNumber: "****1111" },
    });
  });

  it("scans free text for e-mails, card numbers, bearer tokens and credential parameters", () => {
    expect(redactText("Customer jane.roe+b2b@example.co.uk paid with 4111 1111 1111 1111")).toBe(
      "Customer [REDACTED] paid with [REDACTED]",
    );
    expect(redactText("Authorization: Bearer eyJhbGciOi.x-y_z")).toBe("Authorization: Bearer [REDACTED]");
    expect(redactText("GET https://erp.example/items?page=2&access_token=abc123&x=1")).toBe(
      "GET https://erp.example/items?page=2&access_token=[REDACTED]&x=1",
    );
    expect(redactText("card 5555-5555-5555-4444 declined")).toBe("card [REDACTED] declined");
  });

  it("leaves GTINs, SSCCs, order numbers and non-Luhn digit runs alone", () => {
    const text = "GTIN 00012345600012 SSCC 001234560000000018 order 4111111111111112 qty 12";
    expect(redactText(text)).toBe(text);
    expect(redact({ gtin: "4006381333931" })).toEqual({ gtin: "4006381333931" });
  });

  it("handles cycles, errors, dates, bytes, maps, sets, functions and throwing getters", () => {
    const node: Record<string, unknown> = { name: "root" };
    node["self"] = node;
    node["list"] = [node];
    const withGetter = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("no");
      },
    });
    const error = new ValidationError("bad email jane@example.com", [
      { code: "x", path: ["email"], message: "m" },
    ]);
    expect(
      redact({
        node,
        error,
        when: new Date("2026-11-30T00:00:00Z"),
        bytes: new Uint8Array(3),
        map: new Map([
          ["password", "p"],
          ["sku", "A"],
        ]),
        set: new Set(["x"]),
        fn: () => 1,
        withGetter,
        big: 10n,
      }),
    ).toEqual({
      node: { name: "root", self: "[Circular]", list: ["[Circular]"] },
      error: expect.objectContaining({
        name: "ValidationError",
        code: "VALIDATION_FAILED",
        message: "bad email [REDACTED]",
      }),
      when: "2026-11-30T00:00:00.000Z",
      bytes: "[Binary 3 bytes]",
      map: { password: "[REDACTED]", sku: "A" },
      set: ["x"],
      fn: "[Function]",
      withGetter: { boom: "[Unreadable]" },
      big: 10n,
    });
  });

  it("copies shared (non-cyclic) references and truncates very deep values", () => {
    const shared = { sku: "A" };
    expect(redact({ a: shared, b: shared })).toEqual({ a: { sku: "A" }, b: { sku: "A" } });
    let deep: Record<string, unknown> = { end: true };
    for (let level = 0; level < 100; level++) deep = { next: deep };
    const out = JSON.stringify(redact(deep, { maxDepth: 5 }));
    expect(out).toBe('{"next":{"next":{"next":{"next":{"next":"[Truncated]"}}}}}');
  });

  it("never mutates its input and always produces JSON-serialisable output (property)", () => {
    const redactor = createRedactor({ paths: ["**.name"] });
    const keys = fc.constantFrom("password", "email", "name", "sku", "lines", "token", "note", "data");
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue(),
        fc.dictionary(keys, tie("node")),
        fc.array(tie("node"), { maxLength: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        const before = JSON.stringify(value);
        const out = redactor(value);
        expect(JSON.stringify(value)).toBe(before);
        const text = JSON.stringify(out) ?? "";
        expect(text).not.toMatch(/"(password|email|name|token)":"(?!\[REDACTED\])/);
      }),
      { numRuns: 100 },
    );
  });
});
