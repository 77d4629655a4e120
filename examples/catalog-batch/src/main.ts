/**
 * CSV catalog → validated canonical items and prices → shop, with a rejects report.
 *
 * A supplier or PIM export arrives as CSV. Every row is mapped to core's canonical `Item`
 * and `Price` and validated (decimal-string prices, GTIN check digits, required SKUs);
 * good rows are published to Shopify in batches, bad rows are collected with their row
 * number, the field that failed and why, and written to a rejects report.
 *
 * Run it: `pnpm start`. Copy the folder and change the settings below to use real systems.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createShopify, type ShopifyChannel } from "@distro/connectors-ecommerce/shopify";
import {
  formatPath,
  type Item,
  ItemSchema,
  isDistroError,
  type Price,
  PriceSchema,
  ValidationError,
} from "@distro/core";
import { type CsvRowIssue, loadCsv, type RecordSchema } from "@distro/sync";
import { createShopifySimulator, type ShopifySimulator } from "@distro/testkit/shopify";

// ---------------------------------------------------------------------------------------
// Settings: the only part to change for real systems (see README.md).
// ---------------------------------------------------------------------------------------

/** What the example runs with. */
export interface CatalogBatchSettings {
  /** Where the generated CSV and the rejects report go (default: a new temp folder). */
  folder?: string;
  /** How many good rows the generated catalog has (four bad rows are added; at least 11). */
  goodRows: number;
  /** The shop currency; prices in other currencies are not list prices. */
  currency: string;
  /** Rows validated and published per batch. */
  batchSize: number;
  /** Print progress (the test runs it silently). */
  log: (line: string) => void;
}

export const defaultSettings: CatalogBatchSettings = {
  goodRows: 24,
  currency: "USD",
  batchSize: 10,
  log: (line) => console.log(line),
};

/** The columns of the catalog file. */
export const CATALOG_COLUMNS = ["sku", "name", "uom", "price", "currency", "gtin", "category", "description"];

// ---------------------------------------------------------------------------------------
// Step 1: the input. A generated file here; in production, the file your supplier sends.
// ---------------------------------------------------------------------------------------

/** Appends the GS1 check digit to 12 digits (a valid GTIN-13). */
function withCheckDigit(digits: string): string {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    const digit = Number(digits[digits.length - 1 - index]);
    sum += index % 2 === 0 ? digit * 3 : digit;
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The deliberately bad rows, by the row number they get in the file (1 = first data row). */
export const BAD_ROWS = {
  floatPrice: 4,
  missingSku: 9,
  badGtin: 15,
  subCentPrice: 12,
} as const;

/**
 * Writes a catalog CSV with `goodRows` valid rows and four bad ones: a price written as a
 * float (`1e-2`), a row without a SKU and a GTIN whose check digit is wrong (all refused by
 * validation), and a sub-cent unit price (`0.0125`, valid in the ERP, but Shopify prices
 * in cents: refused at publishing).
 */
export async function generateCatalog(path: string, goodRows: number): Promise<void> {
  const total = goodRows + Object.keys(BAD_ROWS).length;
  const lines = [CATALOG_COLUMNS.join(",")];
  let good = 0;
  for (let row = 1; row <= total; row++) {
    const number = String(row).padStart(4, "0");
    const gtin = withCheckDigit(`400638133${number.slice(1)}`);
    const cents = 100 + ((row * 379) % 9900);
    const fields: Record<string, string> = {
      sku: `CAT-${number}`,
      name: `Hex bolt M${6 + (row % 10)} x ${20 + row} mm, zinc plated`,
      uom: "EA",
      price: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
      currency: "USD",
      gtin,
      category: row % 2 === 0 ? "Fasteners" : "Bearings",
      description: `Box "${row}", per DIN 933`,
    };
    if (row === BAD_ROWS.floatPrice) fields.price = "1e-2";
    else if (row === BAD_ROWS.missingSku) fields.sku = "";
    else if (row === BAD_ROWS.badGtin) fields.gtin = `${gtin.slice(0, 12)}${(Number(gtin[12]) + 1) % 10}`;
    else if (row === BAD_ROWS.subCentPrice) fields.price = "0.0125";
    else good++;
    lines.push(CATALOG_COLUMNS.map((column) => csvField(fields[column] ?? "")).join(","));
  }
  if (good !== goodRows) throw new RangeError(`Generated ${good} good rows, expected ${goodRows}`);
  await writeFile(path, `${lines.join("\n")}\n`, "utf8");
}

// ---------------------------------------------------------------------------------------
// Step 2: the mapping. One CSV row → one canonical Item and its list Price.
// ---------------------------------------------------------------------------------------

/** One validated catalog row. */
export interface CatalogEntry {
  item: Item;
  price: Price;
}

/** Maps a CSV row to the canonical shapes (validated next, by `catalogEntrySchema`). */
export function toCatalogEntry(row: Record<string, string>): unknown {
  const sku = row.sku?.trim() ?? "";
  const uom = row.uom?.trim() || "EA";
  const currency = row.currency?.trim() || defaultSettings.currency;
  const gtin = row.gtin?.trim();
  return {
    item: {
      id: sku,
      sku,
      name: row.name?.trim() ?? "",
      ...(row.description?.trim() ? { description: row.description.trim() } : {}),
      ...(gtin ? { gtin } : {}),
      baseUom: uom,
      categories: row.category?.trim() ? [row.category.trim()] : [],
      schemaVersion: 1,
      refs: { catalog: sku },
      ext: {},
    },
    price: {
      id: `list/${sku}`,
      sku,
      uom,
      currency,
      breaks: [{ minQuantity: "1", unitPrice: { amount: row.price?.trim() ?? "", currency } }],
      per: "1",
      schemaVersion: 1,
      refs: {},
      ext: {},
    },
  };
}

/**
 * Validates an entry with core's `ItemSchema` and `PriceSchema`; every issue's path starts
 * with `item` or `price`, so a reject names the canonical field that failed.
 */
export const catalogEntrySchema: RecordSchema<CatalogEntry> = {
  safeParse(input) {
    const entry = (input ?? {}) as { item?: unknown; price?: unknown };
    const item = ItemSchema.safeParse(entry.item);
    const price = PriceSchema.safeParse(entry.price);
    if (item.success && price.success) return { success: true, data: { item: item.data, price: price.data } };
    const issues = [
      ...(item.success
        ? []
        : item.error.issues.map((issue) => ({ ...issue, path: ["item", ...issue.path] }))),
      ...(price.success
        ? []
        : price.error.issues.map((issue) => ({ ...issue, path: ["price", ...issue.path] }))),
    ];
    // The ids and the price's SKU are copies of the SKU column: when the SKU itself is
    // bad, report it once, not once per copy.
    const skuIssues = issues.filter((issue) => formatPath(pathOf(issue)) === "item.sku");
    const derived = new Set(["item.id", "item.refs.catalog", "price.id", "price.sku"]);
    const reported =
      skuIssues.length > 0
        ? issues.filter((issue) => !derived.has(formatPath(pathOf(issue)))).filter(firstPerPath())
        : issues;
    return { success: false, error: { issues: reported } };
  },
};

function pathOf(issue: { path: readonly PropertyKey[] }): (string | number)[] {
  return issue.path.map((part) => (typeof part === "number" ? part : String(part)));
}

/** Keeps the first issue of each path (an empty SKU breaks two rules of the same field). */
function firstPerPath() {
  const seen = new Set<string>();
  return (issue: { path: readonly PropertyKey[] }) => {
    const key = formatPath(pathOf(issue));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

/** The CSV column a canonical path came from (for the rejects report). */
export function columnOf(path: readonly (string | number)[]): string {
  const [root, field] = path;
  if (root === "price")
    return field === "sku" ? "sku" : field === "currency" ? "currency" : field === "uom" ? "uom" : "price";
  switch (field) {
    case "sku":
    case "id":
      return "sku";
    case "baseUom":
      return "uom";
    case "categories":
      return "category";
    case "name":
    case "gtin":
    case "description":
      return field;
    default:
      return "";
  }
}

// ---------------------------------------------------------------------------------------
// Step 3: the shop.
// ---------------------------------------------------------------------------------------

/** The shop (a simulator here) and its connector. */
export interface Shop {
  simulator: ShopifySimulator;
  channel: ShopifyChannel;
  close(): Promise<void>;
}

/** Starts the Shopify simulator and connects to it. */
export async function connectShop(settings: CatalogBatchSettings): Promise<Shop> {
  const simulator = await createShopifySimulator();
  const channel = createShopify({
    shop: simulator.shopDomain,
    baseUrl: simulator.url,
    accessToken: simulator.accessToken,
    currency: settings.currency,
  });
  return { simulator, channel, close: () => simulator.close() };
}

// ---------------------------------------------------------------------------------------
// Step 4: load, validate and publish in batches; collect every reject.
// ---------------------------------------------------------------------------------------

/** One line of the rejects report. */
export interface Reject {
  /** The data row (1 = the first row after the header); undefined when only the SKU is known. */
  row?: number;
  sku?: string;
  /** The CSV column, when the failing field maps to one. */
  column: string;
  /** The canonical field path, e.g. `price.breaks[0].unitPrice.amount`. */
  path: string;
  code: string;
  message: string;
  /** `validation` (the row is not a valid item) or `publish` (the shop refused it). */
  stage: "validation" | "publish";
}

/** Counts for the summary. */
export interface CatalogSummary {
  rowsRead: number;
  accepted: number;
  rejected: number;
  published: number;
}

/**
 * Publishes one batch. The connector validates the whole batch before sending anything;
 * if it refuses some entries (e.g. a price Shopify cannot hold), those become rejects and
 * the rest is published.
 */
async function publishBatch(shop: Shop, batch: CatalogEntry[], rejects: Reject[]): Promise<number> {
  try {
    const { published } = await shop.channel.publishCatalog(
      batch.map((entry) => entry.item),
      batch.map((entry) => entry.price),
    );
    return published;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const refused = new Set<number>();
    for (const issue of error.issues) {
      const [list, index, ...rest] = issue.path;
      if ((list !== "items" && list !== "prices") || typeof index !== "number") throw error;
      refused.add(index);
      rejects.push({
        sku: batch[index]?.item.sku,
        column: columnOf([list === "items" ? "item" : "price", ...rest]),
        path: formatPath([list === "items" ? "item" : "price", ...rest]),
        code: issue.code,
        message: issue.message,
        stage: "publish",
      });
    }
    const rest = batch.filter((_, index) => !refused.has(index));
    return rest.length === 0 ? 0 : publishBatch(shop, rest, rejects);
  }
}

/** Reads the file, validates every row, publishes the good ones and collects the bad ones. */
export async function loadAndPublish(
  file: string,
  shop: Shop,
  settings: CatalogBatchSettings,
): Promise<{ summary: CatalogSummary; rejects: Reject[] }> {
  const rejects: Reject[] = [];
  let published = 0;
  const report = await loadCsv<CatalogEntry>({
    input: createReadStream(file),
    schema: catalogEntrySchema,
    toRecord: toCatalogEntry,
    keyOf: (entry) => entry.item.sku,
    batchSize: settings.batchSize,
    csv: { trim: true },
    write: async (batch) => {
      published += await publishBatch(shop, batch, rejects);
    },
  });
  const validationRejects = report.issues.map(
    (issue: CsvRowIssue): Reject => ({
      row: issue.row,
      column: columnOf(issue.path),
      path: formatPath(issue.path),
      code: issue.code,
      message: issue.message,
      stage: "validation",
    }),
  );
  rejects.unshift(...validationRejects);
  const rejectedRows = new Set(validationRejects.map((reject) => reject.row)).size;
  const publishRejectedSkus = new Set(
    rejects.filter((reject) => reject.stage === "publish").map((r) => r.sku),
  ).size;
  return {
    summary: {
      rowsRead: report.rows,
      accepted: report.valid - publishRejectedSkus,
      rejected: rejectedRows + publishRejectedSkus,
      published,
    },
    rejects,
  };
}

// ---------------------------------------------------------------------------------------
// Step 5: the rejects report, as CSV (opens in a spreadsheet for whoever fixes the file).
// ---------------------------------------------------------------------------------------

/** Writes the rejects report and returns its path. */
export async function writeRejectsReport(folder: string, rejects: Reject[]): Promise<string> {
  const path = join(folder, "rejects.csv");
  const columns = ["row", "sku", "column", "path", "code", "message", "stage"] as const;
  const lines = [columns.join(",")];
  for (const reject of rejects) {
    lines.push(columns.map((column) => csvField(String(reject[column] ?? ""))).join(","));
  }
  await writeFile(path, `${lines.join("\n")}\n`, "utf8");
  return path;
}

// ---------------------------------------------------------------------------------------
// The whole story.
// ---------------------------------------------------------------------------------------

/** Everything the example did, for printing and for the test. */
export interface CatalogBatchResult {
  catalogFile: string;
  rejectsFile: string;
  summary: CatalogSummary;
  rejects: Reject[];
  /** The shop's products after the load: SKU → price and barcode. */
  shopProducts: Map<string, { price: string; barcode: string | null; title: string }>;
}

/** Runs the example end to end and returns what happened. */
export async function runCatalogBatch(
  settings: CatalogBatchSettings = defaultSettings,
): Promise<CatalogBatchResult> {
  const log = settings.log;
  const folder = settings.folder ?? (await mkdtemp(join(tmpdir(), "distro-catalog-")));
  const catalogFile = join(folder, "catalog.csv");
  await generateCatalog(catalogFile, settings.goodRows);
  log(`Catalog: ${catalogFile}`);

  const shop = await connectShop(settings);
  try {
    const { summary, rejects } = await loadAndPublish(catalogFile, shop, settings);
    const rejectsFile = await writeRejectsReport(folder, rejects);

    log(`Rejects report: ${rejectsFile}`);
    for (const reject of rejects) {
      const where = reject.row === undefined ? `sku ${reject.sku}` : `row ${reject.row}`;
      log(`  ${where} ${reject.column ? `[${reject.column}] ` : ""}${reject.path}: ${reject.message}`);
    }
    log("Summary");
    log(`  rows read  ${summary.rowsRead}`);
    log(`  accepted   ${summary.accepted}`);
    log(`  rejected   ${summary.rejected}`);
    log(`  published  ${summary.published}`);

    const shopProducts = new Map<string, { price: string; barcode: string | null; title: string }>();
    for (const product of shop.simulator.products()) {
      for (const variant of product.variants) {
        shopProducts.set(variant.sku, {
          price: variant.price,
          barcode: variant.barcode,
          title: product.title,
        });
      }
    }
    return { catalogFile, rejectsFile, summary, rejects, shopProducts };
  } finally {
    await shop.close();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  runCatalogBatch().then(
    (result) => {
      if (result.summary.published !== result.summary.accepted) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(isDistroError(error) ? `${error.code}: ${error.message}` : error);
      process.exitCode = 1;
    },
  );
}
