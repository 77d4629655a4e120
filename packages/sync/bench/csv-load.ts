/**
 * Benchmark 2: catalog load. A generated CSV of canonical items is parsed with csv-parse
 * alone (the baseline: rows as objects keyed by the header, the rows loadCsv hands to
 * `toRecord`, read with `for await`), then loaded by `loadCsv`: parsed, validated to core's
 * `ItemSchema`, content-hashed and diffed against a hash store, in batches. The info line
 * also gives csv-parse's arrays read synchronously, a stricter baseline with no row objects.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ItemSchema } from "@distro/core";
import { parse } from "csv-parse";
import { createMemoryRecordHashStore, loadCsv } from "../src/index";

const UOMS = ["EA", "BX", "PK", "CS"];

async function generate(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write("sku,name,uom,list_price,currency,category\n");
  let chunk = "";
  for (let index = 0; index < rows; index++) {
    const cents = 1 + ((index * 7919) % 99_999);
    // Three rows in 1,000 are bad: an empty name, a price that is not a decimal, and a
    // malformed row (an unquoted comma adds a column).
    const name = index % 1000 === 7 ? "" : `Fastener ${index} zinc plated`;
    const price =
      index % 1000 === 501 ? '"12,50"' : `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
    const extra = index % 1000 === 999 ? ",oops" : "";
    chunk += `SKU-${index},${name},${UOMS[index % 4]},${price},USD,cat-${index % 97}${extra}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
}

/**
 * Runs the catalog load benchmark and prints its `bench:` line.
 *
 * @param smoke - 10,000 rows instead of 1,000,000
 */
export async function benchCsvLoad(smoke: boolean): Promise<void> {
  const rows = smoke ? 10_000 : 1_000_000;
  const path = join(tmpdir(), `distro-sync-bench-${process.pid}.csv`);
  await generate(path, rows);
  try {
    // Each side is timed in wall-clock seconds and in CPU seconds of this process (user +
    // system, GC threads included). The bench line uses CPU seconds, so that other work on
    // a shared machine does not skew one side more than the other; wall-clock is printed too.
    const cpuSeconds = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1e6;
    };
    let bareStarted = performance.now();
    let cpuStarted = process.cpuUsage();
    let bareRows = 0;
    for await (const _row of createReadStream(path).pipe(
      parse({ columns: true, skip_records_with_error: true }),
    ))
      bareRows++;
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    const bareCpuSeconds = cpuSeconds(cpuStarted);

    // A stricter baseline, for the info line: csv-parse giving arrays (no row objects),
    // read synchronously from the stream as loadCsv reads it.
    cpuStarted = process.cpuUsage();
    let arrayRows = 0;
    const arrays = createReadStream(path).pipe(parse({ skip_records_with_error: true }));
    await new Promise<void>((resolve, reject) => {
      arrays.on("readable", () => {
        while (arrays.read() !== null) arrayRows++;
      });
      arrays.on("end", resolve);
      arrays.on("error", reject);
    });
    const arraysCpuSeconds = cpuSeconds(cpuStarted);

    const hashes = createMemoryRecordHashStore();
    let written = 0;
    bareStarted = performance.now();
    cpuStarted = process.cpuUsage();
    const report = await loadCsv({
      input: createReadStream(path),
      schema: ItemSchema,
      toRecord: (row) => ({
        id: row.sku,
        sku: row.sku,
        name: row.name,
        baseUom: row.uom,
        categories: [row.category],
        listPrice: { amount: row.list_price, currency: row.currency },
      }),
      keyOf: (item) => item.sku,
      hashes,
      jobId: "catalog",
      batchSize: 1000,
      write: async (batch) => {
        written += batch.length;
      },
    });
    const loadSeconds = (performance.now() - bareStarted) / 1000;
    const loadCpuSeconds = cpuSeconds(cpuStarted);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    if (report.rows !== rows) throw new Error(`Row count mismatch: loaded ${report.rows} of ${rows}`);
    // Both sides are measured on the same file: rows in the file per CPU second.
    const rowsPerSecond = Math.round(rows / loadCpuSeconds);
    const bareRowsPerSecond = Math.round(rows / bareCpuSeconds);
    console.log(
      `info: sync-csv-load ${report.rows} rows: ${report.valid} valid, ${report.invalid} rejected ` +
        `(${report.issues.length} kept with row and issue, first: row ${report.issues[0]?.row} ` +
        `${report.issues[0]?.path.join(".")} ${report.issues[0]?.code}), ${report.added} new, ${written} written; csv-parse alone gave ${bareRows} records; ` +
        `wall-clock: loadCsv ${Math.round(rows / loadSeconds)} rows/s, csv-parse ${Math.round(rows / bareSeconds)} rows/s; ` +
        `csv-parse giving arrays (${arrayRows - 1} records), read synchronously: ${Math.round(rows / arraysCpuSeconds)} rows/s, ` +
        `ratio ${(rows / loadCpuSeconds / (rows / arraysCpuSeconds)).toFixed(2)} against it`,
    );
    console.log(
      `bench: sync-csv-load rows_per_s=${rowsPerSecond} bare_csv_parse_rows_per_s=${bareRowsPerSecond} ` +
        `ratio=${(rowsPerSecond / bareRowsPerSecond).toFixed(2)} peak_rss_mb=${Math.round(peakRssMb)}`,
    );
  } finally {
    await rm(path, { force: true });
  }
}
