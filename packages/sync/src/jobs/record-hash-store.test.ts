import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentHash } from "./content-hash";
import { createMemoryRecordHashStore } from "./record-hash-store";

async function unseenOf(store: ReturnType<typeof createMemoryRecordHashStore>, jobId: string, runId: string) {
  const keys: string[] = [];
  for await (const key of store.unseen(jobId, runId)) keys.push(key);
  return keys.sort();
}

describe("in-memory record hash store", () => {
  it("returns every hash as stored, packed or not, and finds records a run did not see", async () => {
    const store = createMemoryRecordHashStore();
    const packed = contentHash({ sku: "A" });
    await store.setMany("job", [
      { key: "A", hash: packed, seenRun: "r1" },
      { key: "B", hash: "h1", seenRun: "r1" },
      { key: "C", hash: contentHash({ sku: "C" }), seenRun: "r1" },
      { key: "D", hash: "ABCDEF0123456789", seenRun: "r1" },
    ]);
    await store.setMany("job", [
      { key: "A", hash: "changed", seenRun: "r2" },
      { key: "B", hash: packed, seenRun: "r2" },
      { key: "D", hash: "ABCDEF0123456789", seenRun: "r2" },
    ]);
    const found = await store.getMany("job", ["A", "B", "C", "D", "E"]);
    expect(Object.fromEntries(found)).toEqual({
      A: "changed",
      B: packed,
      C: contentHash({ sku: "C" }),
      D: "ABCDEF0123456789",
    });
    expect(await unseenOf(store, "job", "r2")).toEqual(["C"]);
    await store.deleteMany("job", ["C"]);
    expect((await store.getMany("job", ["C"])).size).toBe(0);
    expect((await store.getMany("other-job", ["A"])).size).toBe(0);
  });

  it("keeps keys exactly: any UTF-16, lone surrogates and very long keys included", async () => {
    const store = createMemoryRecordHashStore();
    const keys = ["", "é", "\ud83d\ude00", "\ud800", "x".repeat(20_000), "SKU-1", "SKU-1 "];
    await store.setMany(
      "job",
      keys.map((key, index) => ({ key, hash: contentHash(index), seenRun: "r1" })),
    );
    const found = await store.getMany("job", keys);
    for (const [index, key] of keys.entries()) expect(found.get(key)).toBe(contentHash(index));
    expect(await unseenOf(store, "job", "r2")).toEqual([...keys].sort());
  });

  it("compacts a table that deletions left full of holes, keeping every live record", async () => {
    const store = createMemoryRecordHashStore();
    let live: string[] = [];
    for (let round = 0; round < 6; round++) {
      const added = Array.from({ length: 1500 }, (_, index) => `R${round}-${index}`);
      await store.setMany(
        "job",
        added.map((key) => ({ key, hash: contentHash(key), seenRun: `run${round}` })),
      );
      live.push(...added);
      const doomed = live.filter((_, index) => index % 10 !== 0);
      await store.deleteMany("job", doomed);
      live = live.filter((_, index) => index % 10 === 0);
    }
    const found = await store.getMany("job", live);
    expect(found.size).toBe(live.length);
    for (const key of live) expect(found.get(key)).toBe(contentHash(key));
    expect(await unseenOf(store, "job", "none")).toEqual([...live].sort());
  });

  it("behaves as a map of key to (hash, run) through growth, deletions and compaction (property)", async () => {
    const key = fc.integer({ min: 0, max: 3000 }).map((number) => `K${number}`);
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        keys: fc.array(key, { maxLength: 400 }),
        run: fc.constantFrom("r1", "r2", "r3"),
        custom: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("delete" as const), keys: fc.array(key, { maxLength: 800 }) }),
      fc.record({ kind: fc.constant("unseen" as const), run: fc.constantFrom("r1", "r2", "r3", "r4") }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 30 }), async (operations) => {
        const store = createMemoryRecordHashStore();
        const model = new Map<string, { hash: string; run: string }>();
        let version = 0;
        for (const step of operations) {
          if (step.kind === "set") {
            const entries = step.keys.map((name) => {
              version++;
              const hash = step.custom ? `v${version}` : contentHash(version);
              return { key: name, hash, seenRun: step.run };
            });
            await store.setMany("job", entries);
            for (const entry of entries) model.set(entry.key, { hash: entry.hash, run: entry.seenRun });
          } else if (step.kind === "delete") {
            await store.deleteMany("job", step.keys);
            for (const name of step.keys) model.delete(name);
          } else {
            const expected = [...model].filter(([, entry]) => entry.run !== step.run).map(([name]) => name);
            expect(await unseenOf(store, "job", step.run)).toEqual(expected.sort());
          }
        }
        const all = Array.from({ length: 3001 }, (_, number) => `K${number}`);
        const found = await store.getMany("job", all);
        expect(found.size).toBe(model.size);
        for (const [name, entry] of model) expect(found.get(name)).toBe(entry.hash);
      }),
      { numRuns: 40 },
    );
  });
});
