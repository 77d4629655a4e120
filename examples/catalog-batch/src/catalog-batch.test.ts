import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BAD_ROWS, defaultSettings, runCatalogBatch } from "./main";

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

describe("catalog-batch example", () => {
  it("publishes the valid rows and reports each bad row with its row, field and reason", async () => {
    const folder = await mkdtemp(join(tmpdir(), "catalog-batch-test-"));
    folders.push(folder);
    const result = await runCatalogBatch({
      ...defaultSettings,
      folder,
      goodRows: 12,
      batchSize: 5,
      log: () => {},
    });

    expect(result.summary).toEqual({ rowsRead: 16, accepted: 12, rejected: 4, published: 12 });

    const byRow = (row: number) => result.rejects.filter((reject) => reject.row === row);
    expect(byRow(BAD_ROWS.floatPrice)).toEqual([
      expect.objectContaining({
        column: "price",
        path: "price.breaks[0].unitPrice.amount",
        stage: "validation",
      }),
    ]);
    expect(byRow(BAD_ROWS.missingSku)).toEqual([
      expect.objectContaining({ column: "sku", path: "item.sku", code: "too_small", stage: "validation" }),
    ]);
    expect(byRow(BAD_ROWS.badGtin)).toEqual([
      expect.objectContaining({
        column: "gtin",
        path: "item.gtin",
        message: "GTIN check digit does not match",
      }),
    ]);

    // A sub-cent unit price is a valid canonical price, but Shopify holds cents: the
    // connector refuses it, and only it; the rest of its batch is published.
    const subCent = `CAT-${String(BAD_ROWS.subCentPrice).padStart(4, "0")}`;
    expect(result.rejects.filter((reject) => reject.stage === "publish")).toEqual([
      expect.objectContaining({
        sku: subCent,
        column: "price",
        path: "price.breaks[0].unitPrice.amount",
        code: "precision_loss",
      }),
    ]);

    // The shop has exactly the good rows, with their decimal prices and barcodes.
    expect(result.shopProducts.size).toBe(12);
    expect(result.shopProducts.has("CAT-0004")).toBe(false);
    expect(result.shopProducts.has("CAT-0015")).toBe(false);
    expect(result.shopProducts.has(subCent)).toBe(false);
    const first = result.shopProducts.get("CAT-0001");
    expect(first?.price).toBe("4.79");
    expect(first?.barcode).toMatch(/^\d{13}$/);

    // The rejects report on disk lists the same rejects.
    const report = (await readFile(result.rejectsFile, "utf8")).trim().split("\n");
    expect(report[0]).toBe("row,sku,column,path,code,message,stage");
    expect(report).toHaveLength(1 + result.rejects.length);
    expect(
      report.some((line) =>
        line.startsWith(`${BAD_ROWS.floatPrice},,price,price.breaks[0].unitPrice.amount,`),
      ),
    ).toBe(true);
  });
});
