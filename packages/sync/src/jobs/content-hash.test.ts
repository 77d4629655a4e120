import { describe, expect, it } from "vitest";
import { contentHash, createMemoryRecordHashStore, stableStringify } from "./content-hash";

describe("content hash", () => {
  it("ignores key order and undefined properties, and sees every content change", () => {
    expect(stableStringify({ b: [1, { d: "x", c: null }], a: "q", z: undefined })).toBe(
      '{"a":"q","b":[1,{"c":null,"d":"x"}]}',
    );
    expect(contentHash({ sku: "A", qty: "1" })).toBe(contentHash({ qty: "1", sku: "A" }));
    expect(contentHash({ sku: "A", qty: "1" })).not.toBe(contentHash({ sku: "A", qty: "1.0" }));
    expect(contentHash({ sku: "A" })).toMatch(/^[A-Za-z0-9_-]{27}$/);
  });
});

describe("in-memory record hash store", () => {
  it("returns every hash as stored, packed or not, and finds records a run did not see", async () => {
    const store = createMemoryRecordHashStore();
    const packed = contentHash({ sku: "A" });
    await store.setMany("job", [
      { key: "A", hash: packed, seenRun: "r1" },
      { key: "B", hash: "h1", seenRun: "r1" },
      { key: "C", hash: contentHash({ sku: "C" }), seenRun: "r1" },
    ]);
    await store.setMany("job", [
      { key: "A", hash: "changed", seenRun: "r2" },
      { key: "B", hash: packed, seenRun: "r2" },
    ]);
    const found = await store.getMany("job", ["A", "B", "C", "D"]);
    expect(Object.fromEntries(found)).toEqual({ A: "changed", B: packed, C: contentHash({ sku: "C" }) });
    const unseen: string[] = [];
    for await (const key of store.unseen("job", "r2")) unseen.push(key);
    expect(unseen).toEqual(["C"]);
    await store.deleteMany("job", ["C"]);
    expect((await store.getMany("job", ["C"])).size).toBe(0);
    expect((await store.getMany("other-job", ["A"])).size).toBe(0);
  });

  it("grows past its first allocation", async () => {
    const store = createMemoryRecordHashStore();
    const entries = Array.from({ length: 3000 }, (_, index) => ({
      key: `K${index}`,
      hash: contentHash({ index }),
      seenRun: "r",
    }));
    await store.setMany("job", entries);
    const found = await store.getMany("job", ["K0", "K2999"]);
    expect(found.get("K0")).toBe(contentHash({ index: 0 }));
    expect(found.get("K2999")).toBe(contentHash({ index: 2999 }));
  });
});
