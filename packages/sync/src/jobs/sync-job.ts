import { type DistroError, ValidationError, type ValidationIssue } from "@distro/core";
import { type Clock, systemClock } from "../clock/index";
import type { CheckpointStore } from "./checkpoint-store";
import { contentHash } from "./content-hash";
import { createMemoryRecordHashStore, type RecordHashEntry, type RecordHashStore } from "./record-hash-store";
import { type RecordSchema, toValidationIssues } from "./record-schema";

/** One page from the source: its raw records and the cursor after it. */
export interface SyncPage {
  /** The raw records, validated by the job's schema. */
  records: readonly unknown[];
  /** The source position after this page; the checkpoint moves here once the page is written. */
  cursor: string;
  /** The newest change time (ms) in the page, for lag metrics. */
  sourceTime?: number;
}

/** Where a job's pages start. */
export interface SyncPageRequest {
  /** Resume after this cursor (undefined: from the beginning). */
  cursor: string | undefined;
  /** `full`: everything; `incremental`: changes after `cursor`. */
  mode: "incremental" | "full";
}

/** A problem the job met, with its position. */
export interface SyncIssue {
  /** `invalid_record`, `invalid_page` or `cursor_regression`. */
  code: "invalid_record" | "invalid_page" | "cursor_regression";
  /** The page number in this run (1-based). */
  page: number;
  /** The record's index in its page, for record issues. */
  index?: number;
  /** The page's cursor. */
  cursor?: string;
  /** The cursor before it, for regressions. */
  previousCursor?: string;
  /** Field-level issues, for invalid records. */
  issues?: ValidationIssue[];
  /** A sentence for people. */
  message: string;
}

/** What one run did. */
export interface SyncRunReport {
  /** The job. */
  jobId: string;
  /** The run (kept across a crash for a full refresh). */
  runId: string;
  /** Incremental or full. */
  mode: "incremental" | "full";
  /** True when the run continued a crashed or stopped one. */
  resumed: boolean;
  /** `completed`, or `stopped` on bad input by configuration. */
  status: "completed" | "stopped";
  /** Pages read. */
  pages: number;
  /** Records read. */
  read: number;
  /** Records written (new or changed). */
  written: number;
  /** Records skipped because their content hash had not changed. */
  unchanged: number;
  /** Records rejected by the schema. */
  invalid: number;
  /** Records deleted because a full refresh no longer saw them. */
  deleted: number;
  /** The committed cursor at the end. */
  cursor: string | undefined;
  /** How far behind the source the committed data is (ms), when the source gives change times. */
  lagMs: number | undefined;
  /** Problems met, with positions (at most `maxIssues`). */
  issues: SyncIssue[];
  /** Issues not kept because `maxIssues` was reached. */
  issuesDropped: number;
  /** Why the run stopped, when it did. */
  error?: DistroError;
}

/** Settings of {@link createSyncJob}. */
export interface SyncJobSettings<T> {
  /** A stable job id: the checkpoint's key. */
  id: string;
  /** Pages the source from a cursor (an async generator). */
  pages: (request: SyncPageRequest) => AsyncIterable<SyncPage>;
  /** Validates each record to the canonical model (e.g. core's `ItemSchema`). */
  schema: RecordSchema<T>;
  /** The record's key. */
  keyOf: (record: T) => string;
  /** What the content hash covers (default the whole record); leave out change stamps such as `updatedAt`. */
  contentOf?: (record: T) => unknown;
  /** Writes a batch to the target; must be idempotent (a crash can resend the last batch). */
  write: (batch: T[]) => Promise<void>;
  /** Deletes records a full refresh no longer saw; without it, deletions are only counted. */
  remove?: (keys: string[]) => Promise<void>;
  /** Records per write (default 500). */
  batchSize?: number;
  /** Where the checkpoint lives. */
  checkpoints: CheckpointStore;
  /** Where content hashes live (default: in memory, per job instance). */
  hashes?: RecordHashStore;
  /** Orders cursors; default: numeric when both are digits, else string order (ISO timestamps). */
  compareCursors?: (a: string, b: string) => number;
  /** On an invalid record: skip it and go on, or stop cleanly before its page (default `skip`). */
  onInvalidRecord?: "skip" | "stop";
  /** On a cursor that goes backwards: stop cleanly, or go on without moving the checkpoint back (default `stop`). */
  onCursorRegression?: "stop" | "continue";
  /** Issues kept in the report (default 1000). */
  maxIssues?: number;
  /** Time source. */
  clock?: Clock;
}

/** Options of one run. */
export interface SyncRunOptions {
  /** `full` re-reads everything and detects deletions (default `incremental`). */
  mode?: "incremental" | "full";
  /** Write every record even when its content hash is unchanged. */
  resendUnchanged?: boolean;
}

/** An incremental sync job. */
export interface SyncJob {
  /**
   * Runs from the checkpoint (or resumes a crashed run) to the end of the source.
   * @throws the write / source error when the target or source fails (the checkpoint stays at the last written page)
   */
  run(options?: SyncRunOptions): Promise<SyncRunReport>;
  /** The report of the last finished run. */
  lastReport(): SyncRunReport | undefined;
}

/**
 * The default cursor order: numbers when both cursors are digits, otherwise string order
 * (which is time order for ISO 8601 UTC timestamps).
 *
 * @param a - a cursor
 * @param b - another cursor
 * @returns negative, zero or positive
 * @example
 * ```ts
 * import { compareCursors } from "@distro/sync";
 *
 * compareCursors("9", "10"); // negative
 * compareCursors("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"); // positive
 * ```
 */
export function compareCursors(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const difference = BigInt(a) - BigInt(b);
    return difference < 0n ? -1 : difference > 0n ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

interface PendingPage {
  cursor: string | undefined;
  sourceTime: number | undefined;
  waiting: number;
  seen: RecordHashEntry[];
}

interface Buffered<T> {
  record: T;
  entry: RecordHashEntry;
  page: PendingPage;
}

/**
 * An incremental sync job: pages the source with an async generator from the last
 * checkpoint, validates every record to the canonical model, skips records whose content
 * hash has not changed, writes the rest in batches, and commits the checkpoint only after
 * every record up to it is written, so a crash at any point resumes where it stopped and
 * loses nothing. A full refresh re-reads everything and detects deletions (records it did
 * not see), even across a crash. An invalid record, a malformed page or a cursor that goes
 * backwards is reported with its position; the job goes on or stops cleanly as configured.
 *
 * @param settings - source, schema, target, stores and bad-input handling
 * @returns the job
 * @example
 * ```ts
 * import { ItemSchema } from "@distro/core";
 * import { createMemoryCheckpointStore, createSyncJob } from "@distro/sync";
 *
 * const job = createSyncJob({
 *   id: "erp-items",
 *   schema: ItemSchema,
 *   keyOf: (item) => item.sku,
 *   pages: async function* ({ cursor }) {
 *     for await (const page of erp.itemsChangedSince(cursor)) {
 *       yield { records: page.items, cursor: page.nextCursor };
 *     }
 *   },
 *   write: (items) => shop.upsertItems(items),
 *   checkpoints: createMemoryCheckpointStore(),
 * });
 * const report = await job.run();
 * ```
 */
export function createSyncJob<T>(settings: SyncJobSettings<T>): SyncJob {
  const clock = settings.clock ?? systemClock;
  const hashes = settings.hashes ?? createMemoryRecordHashStore();
  const batchSize = Math.max(1, settings.batchSize ?? 500);
  const compare = settings.compareCursors ?? compareCursors;
  const maxIssues = settings.maxIssues ?? 1000;
  const contentOf = settings.contentOf ?? ((record: T) => record);
  let runSequence = 0;
  let last: SyncRunReport | undefined;

  return {
    lastReport: () => last,
    async run(options = {}) {
      const previous = await settings.checkpoints.load(settings.id);
      const resumed =
        previous !== undefined &&
        !previous.complete &&
        (options.mode === undefined || options.mode === previous.mode);
      const mode = resumed ? previous.mode : (options.mode ?? "incremental");
      const runId = resumed ? previous.runId : `${settings.id}:${Math.floor(clock.now())}:${++runSequence}`;
      const startCursor = mode === "full" && !resumed ? undefined : previous?.cursor;
      let committed = startCursor;
      let sourceTime = previous?.sourceTime;
      const report: SyncRunReport = {
        jobId: settings.id,
        runId,
        mode,
        resumed,
        status: "completed",
        pages: 0,
        read: 0,
        written: 0,
        unchanged: 0,
        invalid: 0,
        deleted: 0,
        cursor: startCursor,
        lagMs: undefined,
        issues: [],
        issuesDropped: 0,
      };
      const issue = (found: SyncIssue) => {
        if (report.issues.length < maxIssues) report.issues.push(found);
        else report.issuesDropped++;
      };
      const save = (complete: boolean) =>
        settings.checkpoints.save({
          jobId: settings.id,
          cursor: committed,
          runId,
          mode,
          complete,
          ...(sourceTime === undefined ? {} : { sourceTime }),
          updatedAt: clock.now(),
        });
      await save(false);

      const buffer: Buffered<T>[] = [];
      const pending: PendingPage[] = [];
      const flush = async (count: number) => {
        const taken = buffer.splice(0, count);
        if (taken.length === 0) return;
        await settings.write(taken.map((item) => item.record));
        report.written += taken.length;
        await hashes.setMany(
          settings.id,
          taken.map((item) => item.entry),
        );
        for (const item of taken) item.page.waiting--;
      };
      const commitWritten = async () => {
        let moved = false;
        while (pending.length > 0 && pending[0]!.waiting === 0) {
          const page = pending.shift()!;
          if (page.seen.length > 0) await hashes.setMany(settings.id, page.seen);
          committed = page.cursor;
          if (page.sourceTime !== undefined)
            sourceTime = Math.max(sourceTime ?? page.sourceTime, page.sourceTime);
          moved = true;
        }
        if (moved) await save(false);
      };
      const stop = (error: DistroError) => {
        report.status = "stopped";
        report.error = error;
      };

      let lastCursor = startCursor;
      for await (const page of settings.pages({ cursor: startCursor, mode })) {
        report.pages++;
        const number = report.pages;
        if (
          typeof page !== "object" ||
          page === null ||
          !Array.isArray(page.records) ||
          typeof page.cursor !== "string"
        ) {
          const message = `Page ${number} is malformed: expected { records: [], cursor: string }`;
          issue({ code: "invalid_page", page: number, message });
          stop(new ValidationError(message, [{ code: "invalid_page", path: ["pages", number], message }]));
          break;
        }
        let effectiveCursor: string | undefined = page.cursor;
        if (lastCursor !== undefined && compare(page.cursor, lastCursor) < 0) {
          const message = `Cursor went backwards on page ${number}: ${page.cursor} after ${lastCursor}`;
          issue({
            code: "cursor_regression",
            page: number,
            cursor: page.cursor,
            previousCursor: lastCursor,
            message,
          });
          if ((settings.onCursorRegression ?? "stop") === "stop") {
            stop(
              new ValidationError(message, [
                { code: "cursor_regression", path: ["pages", number, "cursor"], message },
              ]),
            );
            break;
          }
          effectiveCursor = lastCursor;
        }
        const valid: T[] = [];
        let stopHere: ValidationError | undefined;
        page.records.forEach((raw, index) => {
          if (stopHere) return;
          report.read++;
          const parsed = settings.schema.safeParse(raw);
          if (parsed.success) {
            valid.push(parsed.data);
            return;
          }
          report.invalid++;
          const issues = toValidationIssues(parsed.error.issues).map((found) => ({
            ...found,
            path: ["pages", number, "records", index, ...found.path],
          }));
          const message = `Record ${index} of page ${number} is invalid`;
          issue({ code: "invalid_record", page: number, index, cursor: page.cursor, issues, message });
          if ((settings.onInvalidRecord ?? "skip") === "stop")
            stopHere = new ValidationError(message, issues);
        });
        if (stopHere) {
          stop(stopHere);
          break;
        }
        const entry: PendingPage = {
          cursor: effectiveCursor,
          sourceTime: page.sourceTime,
          waiting: 0,
          seen: [],
        };
        const keys = valid.map((record) => settings.keyOf(record));
        const known = await hashes.getMany(settings.id, keys);
        valid.forEach((record, index) => {
          const key = keys[index]!;
          const hash = contentHash(contentOf(record));
          const hashEntry = { key, hash, seenRun: runId };
          if (!options.resendUnchanged && known.get(key) === hash) {
            report.unchanged++;
            entry.seen.push(hashEntry);
            return;
          }
          entry.waiting++;
          buffer.push({ record, entry: hashEntry, page: entry });
        });
        pending.push(entry);
        lastCursor = effectiveCursor;
        while (buffer.length >= batchSize) await flush(batchSize);
        await commitWritten();
      }
      // Everything read before a clean stop is valid and written too.
      while (buffer.length > 0) await flush(batchSize);
      await commitWritten();

      if (report.status === "completed" && mode === "full") {
        let doomed: string[] = [];
        const drop = async () => {
          if (doomed.length === 0) return;
          if (settings.remove) await settings.remove(doomed);
          await hashes.deleteMany(settings.id, doomed);
          report.deleted += doomed.length;
          doomed = [];
        };
        const unseen: string[] = [];
        for await (const key of hashes.unseen(settings.id, runId)) unseen.push(key);
        for (const key of unseen) {
          doomed.push(key);
          if (doomed.length >= batchSize) await drop();
        }
        await drop();
      }
      await save(report.status === "completed");
      report.cursor = committed;
      report.lagMs = sourceTime === undefined ? undefined : Math.max(0, clock.now() - sourceTime);
      last = report;
      return report;
    },
  };
}
