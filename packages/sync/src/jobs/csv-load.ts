import type { Readable } from "node:stream";
import { DistroError, type ValidationIssue } from "@distro/core";
import { type CsvError, type Options as CsvOptions, type Parser, parse } from "csv-parse";
import { contentHash } from "./content-hash";
import { createMemoryRecordHashStore, type RecordHashEntry, type RecordHashStore } from "./record-hash-store";
import { type RecordSchema, toValidationIssues } from "./record-schema";

/**
 * The parser's records, a chunk at a time: every record already parsed is read
 * synchronously, so a row costs no promise of its own (an async iterator of the stream
 * awaits once per record). Reading stops while the caller awaits, which back-pressures
 * the parser and the input.
 */
async function* parsedChunks(parser: Parser): AsyncGenerator<string[][]> {
  let ended = false;
  let failure: unknown;
  let failed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (error: unknown) => {
    failed = true;
    failure = error;
    notify();
  };
  parser.on("readable", notify);
  parser.on("end", onEnd);
  parser.on("error", onError);
  try {
    for (;;) {
      const chunk: string[][] = [];
      for (let record = parser.read(); record !== null; record = parser.read()) chunk.push(record);
      if (chunk.length > 0) yield chunk;
      else if (failed) throw failure;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    parser.off("readable", notify);
    parser.off("end", onEnd);
    parser.off("error", onError);
  }
}

/**
 * Turns a row's cells into an object keyed by the header, as csv-parse's `columns: true`
 * does (a repeated name keeps its last cell) but with plain stores instead of one
 * `Object.defineProperty` per cell, which costs more than the parse. A `__proto__`
 * column is defined as an own property, never as the prototype.
 */
function rowBuilder(names: readonly string[]): (cells: readonly string[]) => Record<string, string> {
  if (names.includes("__proto__")) {
    return (cells) => {
      const row: Record<string, string> = {};
      for (let index = 0; index < names.length; index++) {
        Object.defineProperty(row, names[index]!, {
          value: cells[index],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return row;
    };
  }
  return (cells) => {
    const row: Record<string, string> = {};
    for (let index = 0; index < names.length; index++) row[names[index]!] = cells[index]!;
    return row;
  };
}

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
  const skips: { before: number; line: number | undefined; message: string; cells?: number }[] = [];
  let header: readonly string[] | undefined;
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
    // Rows come as arrays (the header is the first); rowBuilder makes the objects. A row
    // whose cell count differs from the header's is malformed and skipped.
    columns: false,
    relax_column_count: false,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      skips.push({
        // csv-parse counts the header among its records.
        before: typeof error?.records === "number" ? Math.max(0, error.records - 1) : consumed,
        line: typeof error?.lines === "number" ? error.lines : undefined,
        message: error?.message ?? "Malformed CSV row",
        ...(error?.code === "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH" && Array.isArray(error.record)
          ? { cells: error.record.length }
          : {}),
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
        message:
          skip.cells !== undefined && header !== undefined
            ? `Row has ${skip.cells} cells where the header has ${header.length} columns`
            : skip.message,
      });
    }
  };

  // The batch as parallel arrays: no wrapper object per row.
  let records: T[] = [];
  let keys: string[] = [];
  let rowHashes: string[] = [];
  const flush = async () => {
    if (records.length === 0) return;
    const taken = { records, keys, hashes: rowHashes };
    records = [];
    keys = [];
    rowHashes = [];
    const known = await hashes.getMany(jobId, taken.keys);
    const toWrite: T[] = [];
    const entries: RecordHashEntry[] = new Array(taken.keys.length);
    for (let index = 0; index < taken.keys.length; index++) {
      const key = taken.keys[index]!;
      const hash = taken.hashes[index]!;
      entries[index] = { key, hash, seenRun: runId };
      const previous = known.get(key);
      if (previous === undefined) report.added++;
      else if (previous === hash) {
        report.unchanged++;
        continue;
      } else report.changed++;
      toWrite.push(taken.records[index]!);
    }
    if (toWrite.length > 0 && settings.write) {
      await settings.write(toWrite);
      report.written += toWrite.length;
    }
    await hashes.setMany(jobId, entries);
  };

  const source = settings.input;
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off("drain", done);
        parser.off("close", done);
        resolve();
      };
      parser.on("drain", done);
      parser.on("close", done);
    });
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (parser.destroyed) break; // the load failed: stop reading (this closes the input)
        if (!parser.write(chunk)) await drained();
      }
      if (!parser.destroyed) parser.end();
    } catch (error) {
      parser.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();

  const toRecord = settings.toRecord ?? ((row: Record<string, string>) => row);
  const { schema, keyOf } = settings;
  // Only the parser's own failures are caught here; toRecord, write and the stores throw through.
  let parseFailure: unknown;
  const chunks = (async function* () {
    try {
      yield* parsedChunks(parser);
    } catch (error) {
      parseFailure = error;
    }
  })();
  let buildRow: ((cells: readonly string[]) => Record<string, string>) | undefined;
  try {
    for await (const chunk of chunks) {
      for (const cells of chunk) {
        if (buildRow === undefined) {
          header = cells;
          buildRow = rowBuilder(cells);
          continue;
        }
        takeSkips(consumed);
        consumed++;
        report.rows++;
        const row = consumed + skipped;
        const result = schema.safeParse(toRecord(buildRow(cells)));
        if (!result.success) {
          report.invalid++;
          for (const found of toValidationIssues(result.error.issues) as ValidationIssue[]) {
            addIssue({ row, code: found.code, path: found.path, message: found.message });
          }
          continue;
        }
        report.valid++;
        records.push(result.data);
        keys.push(keyOf(result.data));
        rowHashes.push(contentHash(result.data));
        if (records.length >= batchSize) await flush();
      }
    }
  } catch (error) {
    // toRecord, keyOf, write or the store failed: stop the parser (the feed then stops
    // reading and closes the input) and rethrow.
    parser.destroy();
    throw error;
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
