import { describe, expect, it } from "vitest";
import { describeIdempotencyStoreConformance } from "../testing/idempotency-store-conformance";
import { canonicalJson, fingerprintPayload } from "./fingerprint";
import { idempotent } from "./idempotent";
import { scopedIdempotencyKey } from "./key";
import { createMemoryIdempotencyStore } from "./store";

describeIdempotencyStoreConformance("memory", ({ clock }) => createMemoryIdempotencyStore({ clock }));

describe("canonical fingerprints", () => {
  it("ignores key order at every depth and drops undefined properties", () => {
    expect(canonicalJson({ b: { d: 1, c: [2, { f: 1, e: 2 }] }, a: undefined })).toBe(
      '{"b":{"c":[2,{"e":2,"f":1}],"d":1}}',
    );
    expect(fingerprintPayload({ a: 1, b: "2" })).toBe(fingerprintPayload({ b: "2", a: 1 }));
    expect(fingerprintPayload({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintPayload({ a: "1" })).not.toBe(fingerprintPayload({ a: 1 }));
  });

  it("refuses values that are not JSON-safe with a ValidationError naming the path", () => {
    const cyclic: Record<string, unknown> = { lines: [{}] };
    (cyclic.lines as Record<string, unknown>[])[0]!.parent = cyclic;
    expect(() => fingerprintPayload(cyclic)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    try {
      fingerprintPayload({ total: 10n });
    } catch (error) {
      expect((error as { issues: { path: unknown[] }[] }).issues[0]!.path).toEqual(["total"]);
    }
    expect(() => fingerprintPayload({ total: 10n })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("scoped keys", () => {
  it("encodes each part so a separator cannot forge another scope", () => {
    expect(scopedIdempotencyKey({ tenant: "acme", system: "shopify", operation: "book-order" }, "1001")).toBe(
      "acme/shopify/book-order/1001",
    );
    expect(scopedIdempotencyKey({ system: "a/b", operation: "c" }, "d")).not.toBe(
      scopedIdempotencyKey({ system: "a", operation: "b/c" }, "d"),
    );
  });

  it("refuses an empty key or scope with issues that name the field", async () => {
    const store = createMemoryIdempotencyStore();
    const run = idempotent(async () => 1, {
      store,
      key: "",
      scope: { system: "", operation: "book" },
      inProgressExpiryMs: 1_000,
      retentionMs: 1_000,
    });
    await expect(run).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [
        expect.objectContaining({ path: ["key"] }),
        expect.objectContaining({ path: ["scope", "system"] }),
      ],
    });
  });
});

describe("memory idempotency store", () => {
  it("stays within its size bound, dropping the oldest records", async () => {
    const store = createMemoryIdempotencyStore({ maxRecords: 3 });
    for (const key of ["a", "b", "c", "d"]) {
      const claim = await store.claim({
        key,
        fingerprint: undefined,
        inProgressExpiryMs: 10,
        retentionMs: 10_000,
      });
      await store.complete(key, claim.record.claimToken, key, 10_000);
    }
    expect(await store.get("a")).toBeUndefined();
    expect((await store.get("d"))?.result).toBe("d");
  });
});
