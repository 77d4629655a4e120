import { Readable } from "node:stream";
import { type Item, ItemSchema } from "@distro/core";
import { describe, expect, it, vi } from "vitest";
import { loadCsv } from "./csv-load";
import { createMemoryRecordHashStore } from "./record-hash-store";

const toItem = (row: Record<string, string>) => ({
  id: row.sku,
  sku: row.sku,
  name: row.name,
  baseUom: row.uom,
  ...(row.gtin ? { gtin: row.gtin } : {}),
  ...(row.list_price ? { listPrice: { amount: row.list_price, currency: row.currency } } : {}),
});

const HEADER = "sku,name,uom,gtin,list_price,currency\n";

describe("CSV batch load", () => {
  it("validates each row to the canonical Item, collecting bad rows with row number and issue without stopping", async () => {
    const csv =
      HEADER +
      "BOLT-M8,Hex bolt M8,EA,4006381333931,0.0125,USD\n" +
      'NUT-M8,"Hex nut, M8",EA,,0.004,USD\n' +
      "WASHER,Washer,EA,4006381333932,0.01,USD\n" +
      "BROKEN,only,three\n" +
      "SCREW,,EA,,abc,USD\n" +
      "PIN,Split pin,EA,,0.02,USD\n";
    const batches: Item[][] = [];
    const report = await loadCsv({
      input: Readable.from([csv]),
      schema: ItemSchema,
      toRecord: toItem,
      keyOf: (item) => item.sku,
      write: async (batch) => void batches.push(batch),
      batchSize: 2,
    });
    expect(report).toMatchObject({ rows: 6, valid: 3, invalid: 3, added: 3, written: 3 });
    expect(batches.map((batch) => batch.map((item) => item.sku))).toEqual([["BOLT-M8", "NUT-M8"], ["PIN"]]);
    expect(batches[0]?.[1]?.listPrice).toEqual({ amount: "0.004", currency: "USD" });
    const byRow = report.issues.map((issue) => [issue.row, issue.line, issue.code, issue.path.join(".")]);
    expect(byRow).toEqual([
      [3, undefined, "custom", "gtin"],
      [4, 5, "malformed_row", ""],
      [5, undefined, "too_small", "name"],
      [5, undefined, "custom", "listPrice.amount"],
    ]);
    expect(report.issues[1]?.message).toBe("Row has 3 cells where the header has 6 columns");
  });

  it("diffs against the previous load: unchanged rows are not rewritten, changes and deletions are reported", async () => {
    const hashes = createMemoryRecordHashStore();
    const load = (csv: string, write: (items: Item[]) => Promise<void>) =>
      loadCsv({
        input: Readable.from([csv]),
        schema: ItemSchema,
        toRecord: toItem,
        keyOf: (item) => item.sku,
        write,
        hashes,
        jobId: "catalog",
        detectDeletions: true,
      });
    await load(
      `${HEADER}A,Alpha,EA,,1.00,USD\nB,Beta,EA,,2.00,USD\nC,Gamma,EA,,3.00,USD\n`,
      async () => undefined,
    );
    const rewritten: string[] = [];
    const second = await load(
      `${HEADER}A,Alpha,EA,,1.00,USD\nC,Gamma,EA,,3.50,USD\nD,Delta,EA,,4.00,USD\n`,
      async (items) => {
        rewritten.push(...items.map((item) => item.sku));
      },
    );
    expect(second).toMatchObject({ unchanged: 1, changed: 1, added: 1, deleted: ["B"] });
    expect(rewritten).toEqual(["C", "D"]);
  });

  it("streams any size in bounded memory: batches never exceed their size and issues are capped", async () => {
    const rows = 30_000;
    async function* generate() {
      yield HEADER;
      for (let start = 0; start < rows; start += 1000) {
        let chunk = "";
        for (let index = start; index < start + 1000; index++) {
          chunk +=
            index % 10 === 0 ? `BAD-${index},,EA,,x,USD\n` : `SKU-${index},Item ${index},EA,,1.25,USD\n`;
        }
        yield chunk;
      }
    }
    let largestBatch = 0;
    const report = await loadCsv({
      input: generate(),
      schema: ItemSchema,
      toRecord: toItem,
      keyOf: (item) => item.sku,
      write: async (batch) => {
        largestBatch = Math.max(largestBatch, batch.length);
      },
      batchSize: 500,
      maxIssues: 25,
    });
    expect(report.rows).toBe(rows);
    expect(report.invalid).toBe(rows / 10);
    expect(report.issues).toHaveLength(25);
    expect(report.issues.length + report.issuesDropped).toBe((rows / 10) * 2);
    expect(largestBatch).toBe(500);
  });

  it("reports an unclosed quote at the end of the file as a malformed row", async () => {
    const report = await loadCsv({
      input: Readable.from([`${HEADER}A,Alpha,EA,,1.00,USD\nB,"Beta,EA,,2.00,USD\n`]),
      schema: ItemSchema,
      toRecord: toItem,
      keyOf: (item) => item.sku,
    });
    expect(report).toMatchObject({ valid: 1, invalid: 1 });
    expect(report.issues[0]).toMatchObject({ row: 2, code: "malformed_row" });
  });

  it("keys each row by the header like csv-parse's columns option: a repeated name keeps its last cell, __proto__ is a plain column", async () => {
    const rows: Record<string, string>[] = [];
    const report = await loadCsv({
      input: Readable.from(["sku,__proto__,name,name\nA,polluted,first,last\n"]),
      schema: {
        safeParse: (input: unknown) => ({ success: true as const, data: input as Record<string, string> }),
      },
      toRecord: (row) => {
        rows.push(row);
        return row;
      },
      keyOf: (row) => row.sku!,
    });
    expect(report).toMatchObject({ rows: 1, valid: 1 });
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(Object.entries(rows[0]!)).toEqual([
      ["sku", "A"],
      ["__proto__", "polluted"],
      ["name", "last"],
    ]);
  });

  it("lets the target's own failure through unchanged, and stops reading the input", async () => {
    const failure = new Error("catalog down");
    let closed = false;
    async function* endless() {
      try {
        yield HEADER;
        for (let index = 0; ; index++) yield `A${index},Alpha,EA,,1.00,USD\n`.repeat(50);
      } finally {
        closed = true;
      }
    }
    await expect(
      loadCsv({
        input: endless(),
        schema: ItemSchema,
        toRecord: toItem,
        keyOf: (item) => item.sku,
        write: async () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
    await vi.waitFor(() => expect(closed).toBe(true));
  });

  it("turns a failing input stream into a typed error", async () => {
    async function* failing() {
      yield HEADER;
      throw new Error("disk gone");
    }
    await expect(
      loadCsv({ input: failing(), schema: ItemSchema, toRecord: toItem, keyOf: (item) => item.sku }),
    ).rejects.toMatchObject({ code: "SOURCE_READ_FAILED" });
  });
});
