import type { Readable } from "node:stream";
import { DistroError, type ValidationIssue } from "@distro/core";
import { type CsvError, type Options as CsvOptions, parse } from "csv-parse";
import { contentHash, createMemoryRecordHashStore, type RecordHashStore } from "./content-hash";
import { type RecordSchema, toValidationIssues } from "./record-schema";

/** A bad CSV row: where it is and what is wrong. */
export interface CsvRowIssue {
  /** The data row number (1-based, header excluded). */
  row: number;
  /** The line in the file where a malformed row ends (1-based), as csv-parse reports it. */
  line?: number;
  /** `malformed_row` for CSV syntax, else the schema's issue code. */
  code: string;
  /** The field path inside the record (empty for a malformed row). */
  path: (string | number)[];
  /** A sentence for people. */
  message: string;
}

/** The CSV dialect options passed to csv-parse. */
export interface CsvDialect {
  /** Field delimiter (default `,`). */
  delimiter?: string;
  /** Quote character (default `"`). */
  quote?: string;
  /** Escape character inside quotes (default `"`). */
  escape?: string;
  /** Trim spaces around fields (default false). */
  trim?: boolean;
  /** Accept quotes inside unquoted fields (default false). */
  relaxQuotes?: boolean;
}

/** Settings of {@link loadCsv}. */
export interface CsvLoadSettings<T> {
  /** The file as a stream (e.g. `createReadStream(path)`) or any async iterable of chunks. */
  input: Readable | AsyncIterable<string | Uint8Array>;
  /** Validates each row to the canonical model (e.g. core's `ItemSchema`). */
  schema: RecordSchema<T>;
  /** Turns a row (header → cell) into the shape the schema expects (default: the row as is). */
  toRecord?: (row: Record<string, string>) => unknown;
  /** The record's key, for change and deletion detection. */
  keyOf: (record: T) => string;
  /** Receives each batch of new or changed records (default: nothing is written, only diffed). */
  write?: (batch: T[]) => Promise<void>;
  /** Records per batch (default 1000). */
  batchSize?: number;
  /** Content hashes of the previous load, to diff against (default: empty, every row is new). */
  hashes?: RecordHashStore;
  /** The id under which `hashes` are kept (default `csv`). */
  jobId?: string;
  /** Report keys from the previous load that this file no longer has, and forget them. */
  detectDeletions?: boolean;
  /** Row issues kept in the report (default 1000); the rest are counted. */
  maxIssues?: number;
  /** The CSV dialect (default: comma, double quote, BOM stripped, empty lines skipped). */
  csv?: CsvDialect;
}

/** What a CSV load did. */
export interface CsvLoadReport {
  /** Data rows seen, bad ones included. */
  rows: number;
  /** Rows that passed validation. */
  valid: number;
  /** Rows rejected (malformed or invalid). */
  invalid: number;
  /** Valid rows whose key was not in the previous load. */
  added: number;
  /** Valid rows whose content hash changed. */
  changed: number;
  /** Valid rows whose content hash did not change (not written). */
  unchanged: number;
  /** Keys of the previous load missing from this file (with `detectDeletions`). */
  deleted: string[];
  /** Records handed to `write`. */
  written: number;
  /** Bad rows, with row number, line and issue (at most `maxIssues`). */
  issues: CsvRowIssue[];
  /** Issues not kept because `maxIssues` was reached. */
  issuesDropped: number;
}

/**
 * Loads a CSV file as a stream: each row is parsed (csv-parse, header row = column
 * names), validated to the canonical model, hashed and diffed against the previous load;
 * new and changed records are written in batches. A malformed or invalid row is collected
 * with its row number, line and issue and never stops the load. Memory stays bounded
 * whatever the file size: one batch, the kept issues, and one hash per key for the diff.
 *
 * @param settings - input, schema, mapping, target, diff state
 * @returns what was loaded, changed, rejected and deleted
 * @example
 * ```ts
 * import { createReadStream } from "node:fs";
 * import { ItemSchema } from "@distro/core";
 * import { loadCsv } from "@distro/sync";
 *
 * const report = await loadCsv({
 *   input: createReadStream("items.csv"),
 *   schema: ItemSchema,
 *   toRecord: (row) => ({ id: row.sku, sku: row.sku, name: row.name, baseUom: row.uom }),
 *   keyOf: (item) => item.sku,
 *   write: (items) => catalog.upsert(items),
 * });
 * report.issues; // [{ row: 17, line: 18, code: "too_small", path: ["name"], message: "..." }]
 * ```
 */
export async function loadCsv<T>(settings: CsvLoadSettings<T>): Promise<CsvLoadReport> {
  const hashes = settings.hashes ?? createMemoryRecordHashStore();
  const jobId = settings.jobId ?? "csv";
  const batchSize = Math.max(1, settings.batchSize ?? 1000);
  const maxIssues = settings.maxIssues ?? 1000;
  const runId = `load:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  const report: CsvLoadReport = {
    rows: 0,
    valid: 0,
    invalid: 0,
    added: 0,
    changed: 0,
    unchanged: 0,
    deleted: [],
    written: 0,
    issues: [],
    issuesDropped: 0,
  };
  const addIssue = (found: CsvRowIssue) => {
    if (report.issues.length < maxIssues) report.issues.push(found);
    else report.issuesDropped++;
  };
  // Rows are numbered without csv-parse's per-record info (it costs as much as parsing):
  // a malformed row is skipped while parsing, ahead of the rows still being consumed, so
  // each skip is queued with the number of good records parsed before it.
  const skips: { before: number; line: number | undefined; message: string }[] = [];
  let consumed = 0;
  let skipped = 0;
  const dialect = settings.csv ?? {};
  const options: CsvOptions = {
    delimiter: dialect.delimiter ?? ",",
    quote: dialect.quote ?? '"',
    escape: dialect.escape ?? '"',
    trim: dialect.trim ?? false,
    relax_quotes: dialect.relaxQuotes ?? false,
    bom: true,
    skip_empty_lines: true,
    columns: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      skips.push({
        before: typeof error?.records === "number" ? error.records : consumed,
        line: typeof error?.lines === "number" ? error.lines : undefined,
        message: error?.message ?? "Malformed CSV row",
      });
      return undefined;
    },
  };
  const parser = parse(options);
  const takeSkips = (upTo: number) => {
    while (skips.length > 0 && skips[0]!.before <= upTo) {
      const skip = skips.shift()!;
      skipped++;
      report.rows++;
      report.invalid++;
      addIssue({
        row: skip.before + skipped,
        ...(skip.line === undefined ? {} : { line: skip.line }),
        code: "malformed_row",
        path: [],
        message: skip.message,
      });
    }
  };

  let batch: { record: T; key: string; hash: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const taken = batch;
    batch = [];
    const known = await hashes.getMany(
      jobId,
      taken.map((item) => item.key),
    );
    const toWrite: T[] = [];
    for (const item of taken) {
      const previous = known.get(item.key);
      if (previous === undefined) report.added++;
      else if (previous === item.hash) {
        report.unchanged++;
        continue;
      } else report.changed++;
      toWrite.push(item.record);
    }
    if (toWrite.length > 0 && settings.write) {
      await settings.write(toWrite);
      report.written += toWrite.length;
    }
    await hashes.setMany(
      jobId,
      taken.map((item) => ({ key: item.key, hash: item.hash, seenRun: runId })),
    );
  };

  const source = settings.input;
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (!parser.write(chunk)) await new Promise((resolve) => parser.once("drain", resolve));
      }
      parser.end();
    } catch (error) {
      parser.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();

  const toRecord = settings.toRecord ?? ((row: Record<string, string>) => row);
  // Only the parser's own failures are caught here; toRecord, write and the stores throw through.
  let parseFailure: unknown;
  const rows = (async function* () {
    try {
      for await (const cells of parser as AsyncIterable<Record<string, string>>) yield cells;
    } catch (error) {
      parseFailure = error;
    }
  })();
  for await (const cells of rows) {
    takeSkips(consumed);
    consumed++;
    report.rows++;
    const row = consumed + skipped;
    const result = settings.schema.safeParse(toRecord(cells));
    if (!result.success) {
      report.invalid++;
      for (const found of toValidationIssues(result.error.issues) as ValidationIssue[]) {
        addIssue({ row, code: found.code, path: found.path, message: found.message });
      }
      continue;
    }
    report.valid++;
    batch.push({ record: result.data, key: settings.keyOf(result.data), hash: contentHash(result.data) });
    if (batch.length >= batchSize) await flush();
  }
  takeSkips(Number.POSITIVE_INFINITY);
  if (parseFailure !== undefined) {
    const csvError = parseFailure as Partial<CsvError>;
    if (typeof csvError.code !== "string" || !csvError.code.startsWith("CSV_")) {
      throw new DistroError("SOURCE_READ_FAILED", "Reading the CSV input failed", {
        cause: parseFailure,
        retryable: true,
      });
    }
    // A syntax error csv-parse cannot skip past (an unclosed quote at the end of the file).
    report.rows++;
    report.invalid++;
    addIssue({
      row: consumed + skipped + 1,
      ...(typeof csvError.lines === "number" ? { line: csvError.lines } : {}),
      code: "malformed_row",
      path: [],
      message: csvError.message ?? String(parseFailure),
    });
  }
  await feed;
  await flush();

  // Malformed rows are reported while parsing, ahead of rows still in flight: order by row.
  report.issues.sort((a, b) => a.row - b.row);
  if (settings.detectDeletions) {
    const gone: string[] = [];
    for await (const key of hashes.unseen(jobId, runId)) gone.push(key);
    await hashes.deleteMany(jobId, gone);
    report.deleted = gone;
  }
  return report;
}
