import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { isDistroError, ValidationError, type ValidationIssue } from "@distro/core";
import { parse } from "csv-parse";

/** A CSV layout: the header row names the columns. */
export interface CsvLayout {
  kind: "csv";
  /** The columns every file must have in its header row. */
  columns: readonly string[];
  /** Field delimiter (default `,`). */
  delimiter?: string;
}

/** A fixed-width layout: each field at a 1-based start position with a length. */
export interface FixedWidthLayout {
  kind: "fixed-width";
  /** The fields, e.g. `{ name: "sku", start: 1, length: 20 }`. */
  fields: readonly { name: string; start: number; length: number }[];
}

/** How files are laid out. */
export type FileLayout = CsvLayout | FixedWidthLayout;

/** Remembers which file contents were processed (by SHA-256), so no file is processed twice. */
export interface ProcessedFileLedger {
  /** Whether a content hash was processed. */
  has(hash: string): Promise<boolean>;
  /** Records a processed content hash. */
  add(hash: string, fileName: string): Promise<void>;
}

/** Settings of {@link createErpFiles}. */
export interface ErpFilesSettings {
  /** Where the ERP drops extracts to import. */
  inbox: string;
  /** Where processed files are moved. */
  archive: string;
  /** Where rejected files are moved, each with a `<name>.reason.json`. */
  errors: string;
  /** Where exports for the ERP are written (atomically). */
  outbox: string;
  /** The layout of the files. */
  layout: FileLayout;
  /** Which file names to take from the inbox (default: every file not starting with `.`). */
  accept?: (fileName: string) => boolean;
  /** Processed-content ledger (default: a JSON file `.distro-processed.json` in the archive folder). */
  ledger?: ProcessedFileLedger;
  /** Clock in epoch milliseconds (for reason files). */
  clock?: () => number;
}

/** A row of a file: the values by field name, with its 1-based line number. */
export interface FileRow {
  /** The values by column / field name. */
  values: Record<string, string>;
  /** The line (CSV record) number, 1-based, counting the header. */
  line: number;
}

/** What happened to one inbox file. */
export type FileImportOutcome =
  | { file: string; outcome: "processed"; rows: number }
  | { file: string; outcome: "duplicate" }
  | { file: string; outcome: "rejected"; reason: string; issues: ValidationIssue[] };

/** The files adapter. */
export interface ErpFiles {
  /** Imports every waiting inbox file: validates it whole, then hands its rows to the handler, then archives it. */
  importFiles(handler: (row: FileRow, file: string) => Promise<void> | void): Promise<FileImportOutcome[]>;
  /** Writes an export atomically (temporary file, flush, rename): readers see the whole file or none. */
  writeFile(fileName: string, rows: readonly Record<string, string>[]): Promise<string>;
}

function fileLedger(folder: string): ProcessedFileLedger {
  const path = join(folder, ".distro-processed.json");
  const load = async (): Promise<Record<string, string>> => {
    try {
      return JSON.parse(await readFile(path, "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return {
    has: async (hash) => hash in (await load()),
    add: async (hash, fileName) => {
      const entries = await load();
      entries[hash] = fileName;
      await atomicWrite(path, JSON.stringify(entries, null, 2));
    },
  };
}

async function atomicWrite(path: string, content: string): Promise<void> {
  const temporary = join(path, "..", `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temporary, "wx");
    await handle.writeFile(content, "utf8");
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function* readRows(path: string, file: string, layout: FileLayout): AsyncGenerator<FileRow> {
  if (layout.kind === "csv") {
    const parser = createReadStream(path).pipe(
      parse({
        delimiter: layout.delimiter ?? ",",
        columns: true,
        trim: false,
        skip_empty_lines: true,
        relax_column_count: false,
        info: true,
      }),
    );
    let first = true;
    try {
      for await (const record of parser as AsyncIterable<{
        record: Record<string, string>;
        info: { lines: number };
      }>) {
        if (first) {
          const missing = layout.columns.filter((column) => !(column in record.record));
          if (missing.length > 0) {
            throw new ValidationError(`${file}: header lacks ${missing.join(", ")}`, [
              { code: "missing_column", path: [file, 1], message: `Missing column(s) ${missing.join(", ")}` },
            ]);
          }
          first = false;
        }
        yield { values: record.record, line: record.info.lines };
      }
    } catch (error) {
      if (isDistroError(error)) throw error;
      const line = (error as { lines?: number }).lines;
      const code = (error as { code?: string }).code ?? "CSV_ERROR";
      throw new ValidationError(
        `${file}: malformed CSV at line ${line ?? "?"}: ${(error as Error).message}`,
        [{ code, path: [file, line ?? 0], message: (error as Error).message }],
      );
    }
    return;
  }
  const width = Math.max(...layout.fields.map((field) => field.start - 1 + field.length));
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === "") continue;
    if (text.length < width) {
      throw new ValidationError(`${file}: line ${number} is ${text.length} characters, expected ${width}`, [
        {
          code: "short_line",
          path: [file, number],
          message: `Expected ${width} characters, got ${text.length}`,
        },
      ]);
    }
    const values: Record<string, string> = {};
    for (const field of layout.fields)
      values[field.name] = text.slice(field.start - 1, field.start - 1 + field.length).trim();
    yield { values, line: number };
  }
}

function render(layout: FileLayout, rows: readonly Record<string, string>[]): string {
  if (layout.kind === "csv") {
    const delimiter = layout.delimiter ?? ",";
    const quote = (value: string) =>
      /[",\r\n]/.test(value) || value.includes(delimiter) ? `"${value.replaceAll('"', '""')}"` : value;
    return (
      [
        layout.columns.join(delimiter),
        ...rows.map((row) => layout.columns.map((column) => quote(row[column] ?? "")).join(delimiter)),
      ].join("\r\n") + "\r\n"
    );
  }
  return rows
    .map((row, index) =>
      layout.fields
        .map((field) => {
          const value = row[field.name] ?? "";
          if (value.length > field.length) {
            throw new ValidationError(
              `Row ${index + 1}: ${field.name} is longer than ${field.length} characters`,
              [
                {
                  code: "too_long",
                  path: [index, field.name],
                  message: `At most ${field.length} characters`,
                },
              ],
            );
          }
          return value.padEnd(field.length, " ");
        })
        .join(""),
    )
    .join("\n")
    .concat("\n");
}

/**
 * Creates the files adapter for legacy ERP imports and extracts in folders. Import: each
 * inbox file is claimed by a rename (two workers never take the same file), read as a
 * stream (csv-parse, or fixed-width lines), validated whole before any row is handed on,
 * then moved to the archive; a malformed line or a failing handler moves it to the error
 * folder with a `<name>.reason.json` naming the file, line and problem. A file whose
 * content was processed before is archived as a duplicate and never processed twice.
 * Export: written to a temporary file, flushed and renamed, so a half-written file is
 * never seen.
 *
 * @param settings - folders and layout
 * @returns the adapter
 * @example
 * ```ts
 * import { createErpFiles } from "@distro/connectors-erp/files";
 *
 * const files = createErpFiles({
 *   inbox: "/data/erp/out", archive: "/data/erp/archive", errors: "/data/erp/errors", outbox: "/data/erp/in",
 *   layout: { kind: "csv", columns: ["sku", "location", "quantity"] },
 * });
 * await files.importFiles(async (row) => console.log(row.values.sku));
 * ```
 */
export function createErpFiles(settings: ErpFilesSettings): ErpFiles {
  const ledger = settings.ledger ?? fileLedger(settings.archive);
  const clock = settings.clock ?? Date.now;
  const accept = settings.accept ?? ((name: string) => !name.startsWith("."));
  const processing = join(settings.inbox, ".processing");

  const reject = async (claimed: string, file: string, error: unknown): Promise<FileImportOutcome> => {
    const issues = isDistroError(error) && "issues" in error ? (error as ValidationError).issues : [];
    const reason = error instanceof Error ? error.message : String(error);
    await mkdir(settings.errors, { recursive: true });
    await atomicWrite(
      join(settings.errors, `${file}.reason.json`),
      JSON.stringify({ file, reason, issues, at: new Date(clock()).toISOString() }, null, 2),
    );
    await rename(claimed, join(settings.errors, file));
    return { file, outcome: "rejected", reason, issues };
  };

  return {
    async importFiles(handler) {
      await mkdir(processing, { recursive: true });
      await mkdir(settings.archive, { recursive: true });
      const names = (await readdir(settings.inbox, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && accept(entry.name))
        .map((entry) => entry.name)
        .sort();
      const outcomes: FileImportOutcome[] = [];
      for (const file of names) {
        const claimed = join(processing, file);
        try {
          await rename(join(settings.inbox, file), claimed);
        } catch {
          continue; // another worker claimed it
        }
        const hash = await sha256(claimed);
        if (await ledger.has(hash)) {
          await rename(claimed, join(settings.archive, `${file}.duplicate-${hash.slice(0, 12)}`));
          outcomes.push({ file, outcome: "duplicate" });
          continue;
        }
        try {
          let count = 0;
          for await (const row of readRows(claimed, file, settings.layout)) {
            void row;
            count += 1;
          }
          for await (const row of readRows(claimed, file, settings.layout)) await handler(row, file);
          await ledger.add(hash, file);
          await rename(claimed, join(settings.archive, file));
          outcomes.push({ file, outcome: "processed", rows: count });
        } catch (error) {
          outcomes.push(await reject(claimed, file, error));
        }
      }
      return outcomes;
    },

    async writeFile(fileName, rows) {
      if (fileName.includes("/") || fileName.includes("\\") || fileName.startsWith(".")) {
        throw new ValidationError("Export file names are plain names", [
          { code: "invalid_name", path: ["fileName"], message: fileName },
        ]);
      }
      await mkdir(settings.outbox, { recursive: true });
      const target = join(settings.outbox, fileName);
      await atomicWrite(target, render(settings.layout, rows));
      await stat(target);
      return target;
    },
  };
}
