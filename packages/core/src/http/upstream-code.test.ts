import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyExcerpt, redactSecrets, redactUrl } from "./redact";
import { extractUpstreamCode } from "./upstream-code";

describe("extractUpstreamCode", () => {
  it("reads the code from each platform's error shape", () => {
    const cases: [unknown, string | undefined][] = [
      // OData v4 (Business Central)
      [
        { error: { code: "Internal_EntityWithSameKeyExists", message: "The record already exists." } },
        "Internal_EntityWithSameKeyExists",
      ],
      // Salesforce REST
      [
        [
          {
            message: "Required fields are missing: [Name]",
            errorCode: "REQUIRED_FIELD_MISSING",
            fields: ["Name"],
          },
        ],
        "REQUIRED_FIELD_MISSING",
      ],
      // Shopify REST: a message, a list, fields; Shopify GraphQL: extensions.code
      [
        { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" },
        "[API] Invalid API key or access token (unrecognized login or wrong password)",
      ],
      [{ errors: ["Inventory item does not exist"] }, "Inventory item does not exist"],
      [{ errors: { line_items: ["is invalid"] } }, "line_items: is invalid"],
      [{ errors: [{ message: "Throttled", extensions: { code: "THROTTLED" } }] }, "THROTTLED"],
      // HubSpot
      [{ status: "error", message: "Contact already exists", category: "CONFLICT" }, "CONFLICT"],
      [
        { status: "error", category: "VALIDATION_ERROR", subCategory: "INVALID_EMAIL" },
        "VALIDATION_ERROR/INVALID_EMAIL",
      ],
      // OAuth 2.0 (RFC 6749 section 5.2)
      [{ error: "invalid_grant", error_description: "expired" }, "invalid_grant"],
      // Google-style
      [{ error: { code: 403, status: "PERMISSION_DENIED" } }, "PERMISSION_DENIED"],
      // Generic
      [{ errorCode: "E42" }, "E42"],
      [{ error_code: "E43" }, "E43"],
      [{ code: "E44" }, "E44"],
      [{ message: "no code here" }, undefined],
      [[], undefined],
      [{ errors: {} }, undefined],
      [null, undefined],
    ];
    for (const [body, code] of cases) {
      expect(extractUpstreamCode(JSON.stringify(body))).toBe(code);
      expect(extractUpstreamCode(body)).toBe(code);
    }
  });

  it("gives undefined for text that is not JSON and never throws", () => {
    expect(extractUpstreamCode("<html>Bad gateway</html>")).toBeUndefined();
    expect(extractUpstreamCode('{"error": {"code": ')).toBeUndefined();
    expect(extractUpstreamCode("")).toBeUndefined();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue()), (body) => {
        const code = extractUpstreamCode(body);
        if (code !== undefined) {
          expect(typeof code).toBe("string");
          expect(code.length).toBeLessThanOrEqual(200);
        }
      }),
    );
  });
});

describe("redaction", () => {
  it("blanks credentials in JSON, form and XML text and in auth headers", () => {
    expect(redactSecrets('{"access_token":"abc.def","refresh_token": "r1","user":"bob"}')).toBe(
      '{"access_token":"[REDACTED]","refresh_token": "[REDACTED]","user":"bob"}',
    );
    expect(redactSecrets("grant_type=client_credentials&client_secret=xyz&scope=api")).toBe(
      "grant_type=client_credentials&client_secret=[REDACTED]&scope=api",
    );
    expect(redactSecrets("Authorization: Bearer abc.def-ghi_jkl~=")).toBe("Authorization: Bearer [REDACTED]");
    expect(redactSecrets("<sf:password>hunter2</sf:password>")).toBe("<sf:password>[REDACTED]</sf:password>");
  });

  it("masks personal data too: e-mail addresses and card numbers", () => {
    const excerpt = bodyExcerpt(
      '{"error":{"code":"DuplicateContact","message":"jane.doe@acme.example already exists, card 4111 1111 1111 1111 declined"}}',
    );
    expect(excerpt).not.toContain("jane.doe@acme.example");
    expect(excerpt).not.toContain("4111 1111 1111 1111");
    expect(excerpt).toContain("DuplicateContact");
  });

  it("never lets a bearer token or access_token value through the excerpt", () => {
    const tokenArb = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{8,64}$/);
    fc.assert(
      fc.property(
        tokenArb,
        fc.string(),
        fc.string(),
        fc.constantFrom("bearer", "json", "form"),
        (token, before, after, shape) => {
          const leak =
            shape === "bearer"
              ? `Bearer ${token}`
              : shape === "json"
                ? `{"access_token":"${token}"}`
                : `access_token=${token}`;
          // The surrounding text holds no token characters, so only a leak could contain the token.
          const plain = (text: string) => text.replace(/[A-Za-z0-9\-._~+/]/g, " ");
          const excerpt = bodyExcerpt(`${plain(before)} ${leak} ${plain(after)}`) ?? "";
          expect(excerpt).not.toContain(token);
        },
      ),
    );
  });

  it("cuts the excerpt at 2 KB on a character boundary", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 3_000 }), (text) => {
        const excerpt = bodyExcerpt(text);
        if (text.length === 0) {
          expect(excerpt).toBeUndefined();
          return;
        }
        const bytes = new TextEncoder().encode(excerpt);
        expect(bytes.length).toBeLessThanOrEqual(2048);
        if (!text.includes("\uFFFD")) expect(excerpt).not.toContain("\uFFFD");
      }),
    );
  });

  it("keeps URLs free of user info and credential query values", () => {
    expect(
      redactUrl("https://user:pw@erp.example.com/items?api_key=k&page=2&X-Amz-Signature=s&sessionToken=t"),
    ).toBe(
      "https://erp.example.com/items?page=2&api_key=REDACTED&X-Amz-Signature=REDACTED&sessionToken=REDACTED",
    );
  });
});
