import { DecimalSchema, ValidationError } from "@distro/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createManualClock } from "../clock/index";
import { type Checkpoint, type CheckpointStore, createMemoryCheckpointStore } from "./checkpoint-store";
import { createMemoryRecordHashStore } from "./record-hash-store";
import { createSyncJob, type SyncPage, type SyncPageRequest } from "./sync-job";

const StockSchema = z.object({ sku: z.string().min(1), onHand: DecimalSchema, version: z.number().int() });
type Stock = z.infer<typeof StockSchema>;

/** An upstream whose records carry a version; pages hold `pageSize` records after the cursor. */
function source(records: () => unknown[], pageSize: number) {
  return async function* pages(request: SyncPageRequest): AsyncGenerator<SyncPage> {
    const after = request.cursor === undefined ? 0 : Number(request.cursor);
    const pending = records()
      .filter((record) => Number((record as Stock).version) > after || request.mode === "full")
      .sort((a, b) => (a as Stock).version - (b as Stock).version);
    for (let start = 0; start < pending.length; start += pageSize) {
      const page = pending.slice(start, start + pageSize);
      yield { records: page, cursor: String((page[page.length - 1] as Stock).version) };
    }
  };
}

function stock(sku: string, onHand: string, version: number): Stock {
  return { sku, onHand, version };
}

describe("incremental sync job", () => {
  it("writes in batches, commits the checkpoint after writes, and skips unchanged records", async () => {
    let records: Stock[] = [stock("A", "1", 1), stock("B", "2", 2), stock("C", "3", 3), stock("D", "4", 4)];
    const written: Stock[][] = [];
    const checkpoints = createMemoryCheckpointStore();
    const job = createSyncJob({
      id: "stock",
      pages: source(() => records, 3),
      schema: StockSchema,
      keyOf: (record) => record.sku,
      write: async (batch) => void written.push(batch),
      contentOf: ({ version: _version, ...content }) => content,
      batchSize: 2,
      checkpoints,
    });
    const first = await job.run();
    expect(first).toMatchObject({
      status: "completed",
      pages: 2,
      read: 4,
      written: 4,
      unchanged: 0,
      cursor: "4",
    });
    expect(written.map((batch) => batch.map((record) => record.sku))).toEqual([
      ["A", "B"],
      ["C", "D"],
    ]);
    expect(await checkpoints.load("stock")).toMatchObject({ cursor: "4", complete: true });

    expect((await job.run()).written).toBe(0);

    records = [...records, stock("B", "7", 5), { ...records[2]!, version: 6 }];
    const third = await job.run();
    expect(third).toMatchObject({ read: 2, written: 1, unchanged: 1, cursor: "6" });
    expect(written.at(-1)).toEqual([stock("B", "7", 5)]);
  });

  it("resends nothing whose content hash is unchanged, unless asked", async () => {
    const records = [stock("A", "1", 1)];
    const writes: string[] = [];
    const job = createSyncJob({
      id: "same",
      pages: source(() => records, 10),
      schema: StockSchema,
      keyOf: (record) => record.sku,
      write: async (batch) => void writes.push(...batch.map((record) => record.sku)),
      checkpoints: createMemoryCheckpointStore(),
    });
    await job.run();
    expect((await job.run({ mode: "full" })).unchanged).toBe(1);
    expect((await job.run({ mode: "full", resendUnchanged: true })).written).toBe(1);
    expect(writes).toEqual(["A", "A"]);
  });

  it("resumes after a crash at any write, never leaving the checkpoint ahead of written data", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 12 }),
        async (count, pageSize, batchSize, crashAt) => {
          const records = Array.from({ length: count }, (_, index) =>
            stock(`S${index}`, String(index), index + 1),
          );
          const sink = new Map<string, Stock>();
          const inner = createMemoryCheckpointStore();
          const checkpoints: CheckpointStore = {
            load: (jobId) => inner.load(jobId),
            delete: (jobId) => inner.delete(jobId),
            async save(checkpoint: Checkpoint) {
              const upTo = checkpoint.cursor === undefined ? 0 : Number(checkpoint.cursor);
              for (const record of records) {
                if (record.version <= upTo) expect(sink.has(record.sku)).toBe(true);
              }
              await inner.save(checkpoint);
            },
          };
          const hashes = createMemoryRecordHashStore();
          let writes = 0;
          const make = (crashing: boolean) =>
            createSyncJob({
              id: "crashy",
              pages: source(() => records, pageSize),
              schema: StockSchema,
              keyOf: (record) => record.sku,
              batchSize,
              checkpoints,
              hashes,
              write: async (batch) => {
                writes++;
                if (crashing && writes === crashAt) throw new Error("process killed");
                for (const record of batch) sink.set(record.sku, record);
              },
            });
          const crashed = await make(true)
            .run()
            .then(() => false)
            .catch(() => true);
          const resumed = await make(false).run();
          expect(resumed.resumed).toBe(crashed);
          expect(resumed.status).toBe("completed");
          expect([...sink.keys()].sort()).toEqual(records.map((record) => record.sku).sort());
          expect(await inner.load("crashy")).toMatchObject({ cursor: String(count), complete: true });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("detects deletions in a full refresh, even one resumed after a crash", async () => {
    let records = [stock("A", "1", 1), stock("B", "1", 2), stock("C", "1", 3), stock("D", "1", 4)];
    const removed: string[] = [];
    const hashes = createMemoryRecordHashStore();
    const checkpoints = createMemoryCheckpointStore();
    let crashNext = false;
    const job = createSyncJob({
      id: "catalog",
      pages: source(() => records, 1),
      schema: StockSchema,
      keyOf: (record) => record.sku,
      batchSize: 1,
      checkpoints,
      hashes,
      write: async (batch) => {
        if (crashNext && batch[0]?.sku === "C") throw new Error("crash");
      },
      remove: async (keys) => void removed.push(...keys),
    });
    await job.run({ mode: "full" });
    records = [stock("A", "2", 1), stock("C", "2", 3), stock("D", "1", 4)];
    crashNext = true;
    await expect(job.run({ mode: "full" })).rejects.toThrow("crash");
    expect(removed).toEqual([]);
    crashNext = false;
    const resumed = await job.run();
    expect(resumed).toMatchObject({ mode: "full", resumed: true, deleted: 1, status: "completed" });
    expect(removed).toEqual(["B"]);
  });

  it("skips invalid records with their position, or stops cleanly before their page", async () => {
    const records: unknown[] = [
      stock("A", "1", 1),
      stock("B", "2", 2),
      { sku: "", onHand: "1.2.3", version: 3 },
      stock("D", "4", 4),
    ];
    const written: string[] = [];
    const make = (onInvalidRecord: "skip" | "stop", id: string) =>
      createSyncJob({
        id,
        pages: source(() => records, 2),
        schema: StockSchema,
        keyOf: (record) => record.sku,
        write: async (batch) => void written.push(...batch.map((record) => record.sku)),
        checkpoints: createMemoryCheckpointStore(),
        onInvalidRecord,
      });
    const skipped = await make("skip", "skip").run();
    expect(skipped).toMatchObject({ status: "completed", invalid: 1, written: 3, cursor: "4" });
    expect(skipped.issues[0]).toMatchObject({ code: "invalid_record", page: 2, index: 0, cursor: "4" });
    expect(skipped.issues[0]?.issues?.map((issue) => issue.path)).toEqual([
      ["pages", 2, "records", 0, "sku"],
      ["pages", 2, "records", 0, "onHand"],
    ]);

    written.length = 0;
    const stopped = await make("stop", "stop").run();
    expect(stopped).toMatchObject({ status: "stopped", written: 2, cursor: "2" });
    expect(stopped.error).toBeInstanceOf(ValidationError);
    expect(written).toEqual(["A", "B"]);
  });

  it("reports a cursor that goes backwards and never moves the checkpoint back", async () => {
    const pages: SyncPage[] = [
      { records: [stock("A", "1", 10)], cursor: "10" },
      { records: [stock("B", "1", 5)], cursor: "5" },
      { records: [stock("C", "1", 11)], cursor: "11" },
    ];
    const make = (onCursorRegression: "stop" | "continue") => {
      const checkpoints = createMemoryCheckpointStore();
      const job = createSyncJob({
        id: "regress",
        pages: async function* () {
          yield* pages;
        },
        schema: StockSchema,
        keyOf: (record) => record.sku,
        write: async () => undefined,
        checkpoints,
        onCursorRegression,
      });
      return { job, checkpoints };
    };
    const stopping = make("stop");
    const stopped = await stopping.job.run();
    expect(stopped).toMatchObject({ status: "stopped", cursor: "10", written: 1 });
    expect(stopped.issues[0]).toMatchObject({
      code: "cursor_regression",
      page: 2,
      cursor: "5",
      previousCursor: "10",
    });
    expect((await stopping.checkpoints.load("regress"))?.cursor).toBe("10");

    const continuing = make("continue");
    const continued = await continuing.job.run();
    expect(continued).toMatchObject({ status: "completed", cursor: "11", written: 3 });
  });

  it("stops cleanly on a malformed page", async () => {
    const job = createSyncJob({
      id: "bad-page",
      pages: async function* () {
        yield { records: [stock("A", "1", 1)], cursor: "1" };
        yield { records: "oops", cursor: 2 } as unknown as SyncPage;
      },
      schema: StockSchema,
      keyOf: (record) => record.sku,
      write: async () => undefined,
      checkpoints: createMemoryCheckpointStore(),
    });
    const report = await job.run();
    expect(report).toMatchObject({ status: "stopped", cursor: "1", written: 1 });
    expect(report.issues[0]?.code).toBe("invalid_page");
  });

  it("measures lag from the source's change times", async () => {
    const clock = createManualClock(100_000);
    const job = createSyncJob({
      id: "lag",
      clock,
      pages: async function* () {
        yield { records: [stock("A", "1", 1)], cursor: "1", sourceTime: 95_000 };
      },
      schema: StockSchema,
      keyOf: (record) => record.sku,
      write: async () => undefined,
      checkpoints: createMemoryCheckpointStore(),
    });
    expect((await job.run()).lagMs).toBe(5000);
    expect(job.lastReport()?.lagMs).toBe(5000);
  });
});
