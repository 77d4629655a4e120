import {
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterStore,
  DistroError,
  deadLetterId,
  NotFoundError,
  type SerializedError,
  type ValidationIssue,
} from "@distro/core";
import type { PostgresStoreSettings } from "./idempotency-store";
import { quoteIdentifier } from "./migrations";
import { decodeText, encodeOptional, encodeText, fromJson, toNumber } from "./rows";
import type { SqlExecutor } from "./sql";

/** Settings of {@link createPostgresDeadLetterStore}. */
export interface PostgresDeadLetterStoreSettings extends Omit<PostgresStoreSettings, "clock"> {
  /** At most this many entries are kept; `add` then refuses with `DEAD_LETTER_STORE_FULL` (default 1,000,000). */
  maxEntries?: number;
}

interface DeadLetterRow {
  id: string;
  subscriber: string;
  message: string;
  event_id: string | null;
  type: string | null;
  source: string | null;
  subject: string | null;
  correlation_id: string | null;
  error: unknown;
  issues: unknown;
  attempts: number;
  first_failed_at: unknown;
  last_failed_at: unknown;
  status: DeadLetterEntry["status"];
  replays: unknown;
  discarded: unknown;
}

function toEntry(row: DeadLetterRow): DeadLetterEntry {
  const entry: DeadLetterEntry = {
    id: row.id,
    subscriber: decodeText(row.subscriber),
    message: decodeText(row.message),
    error: fromJson<SerializedError>(row.error),
    attempts: Number(row.attempts),
    firstFailedAt: toNumber(row.first_failed_at),
    lastFailedAt: toNumber(row.last_failed_at),
    status: row.status,
    replays: fromJson<{ eventId: string; at: number }[]>(row.replays),
  };
  if (row.event_id !== null) entry.eventId = decodeText(row.event_id);
  if (row.type !== null) entry.type = decodeText(row.type);
  if (row.source !== null) entry.source = decodeText(row.source);
  if (row.subject !== null) entry.subject = decodeText(row.subject);
  if (row.correlation_id !== null) entry.correlationId = decodeText(row.correlation_id);
  if (row.issues !== null && row.issues !== undefined) entry.issues = fromJson<ValidationIssue[]>(row.issues);
  if (row.discarded !== null && row.discarded !== undefined) entry.discarded = fromJson(row.discarded);
  return entry;
}

/**
 * The dead-letter store on PostgreSQL or PGlite: every message a consumer gave up on,
 * untouched, with its error chain, until an operator replays or discards it. `add` is
 * idempotent by the entry's stable id; listing filters in SQL.
 *
 * @param settings - database, schema and size bound
 * @returns the store
 * @example
 * ```ts
 * const deadLetters = createPostgresDeadLetterStore({ db });
 * const failed = await deadLetters.list({ errorCode: "VALIDATION_FAILED" });
 * ```
 */
export function createPostgresDeadLetterStore(settings: PostgresDeadLetterStoreSettings): DeadLetterStore {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_dead_letters`;
  const maxEntries = settings.maxEntries ?? 1_000_000;
  const db = settings.db;

  const read = async (executor: SqlExecutor, id: string, lock = false) => {
    const { rows } = await executor.query<DeadLetterRow>(
      `SELECT * FROM ${table} WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
      [id],
    );
    return rows[0];
  };

  const transition = async (id: string, change: (entry: DeadLetterEntry) => void, executor: SqlExecutor) => {
    const row = await read(executor, id, true);
    if (!row) throw new NotFoundError(`No dead letter ${id}`, { details: { id } });
    const entry = toEntry(row);
    if (entry.status !== "pending") {
      throw new DistroError("DEAD_LETTER_NOT_PENDING", `Dead letter ${id} is already ${entry.status}`, {
        details: { id, status: entry.status },
      });
    }
    change(entry);
    await executor.query(
      `UPDATE ${table} SET status = $2, replays = $3::jsonb, discarded = $4::jsonb WHERE id = $1`,
      [
        id,
        entry.status,
        JSON.stringify(entry.replays),
        entry.discarded === undefined ? null : JSON.stringify(entry.discarded),
      ],
    );
    return entry;
  };

  const inTransaction = <T>(fn: (executor: SqlExecutor) => Promise<T>): Promise<T> =>
    "transaction" in db && typeof (db as { transaction?: unknown }).transaction === "function"
      ? (
          db as unknown as { transaction: (work: (executor: SqlExecutor) => Promise<T>) => Promise<T> }
        ).transaction(fn)
      : fn(db);

  return {
    async add(input) {
      const id = deadLetterId(input);
      const existing = await read(db, id);
      if (existing) return toEntry(existing);
      const { rows: count } = await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${table}`);
      if (toNumber(count[0]?.n ?? 0) >= maxEntries) {
        throw new DistroError("DEAD_LETTER_STORE_FULL", `The dead-letter store holds ${maxEntries} entries`, {
          retryable: true,
          details: { maxEntries },
        });
      }
      await db.query(
        `INSERT INTO ${table} (id, subscriber, message, event_id, type, source, subject, correlation_id, error, error_code, issues, attempts, first_failed_at, last_failed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11::jsonb, $12, $13, $14)
         ON CONFLICT (id) DO NOTHING`,
        [
          id,
          encodeText(input.subscriber),
          encodeText(input.message),
          encodeOptional(input.eventId),
          encodeOptional(input.type),
          encodeOptional(input.source),
          encodeOptional(input.subject),
          encodeOptional(input.correlationId),
          JSON.stringify(input.error),
          input.error.code,
          input.issues === undefined ? null : JSON.stringify(input.issues),
          input.attempts,
          input.firstFailedAt,
          input.lastFailedAt,
        ],
      );
      return toEntry((await read(db, id))!);
    },

    async get(id) {
      const row = await read(db, id);
      return row ? toEntry(row) : undefined;
    },

    async list(filter: DeadLetterFilter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        conditions.push(sql.replace("?", `$${params.length}`));
      };
      const status = filter.status ?? "pending";
      if (status !== "all") add("status = ?", status);
      if (filter.type !== undefined) add("type = ?", encodeText(filter.type));
      if (filter.source !== undefined) add("source = ?", encodeText(filter.source));
      if (filter.subscriber !== undefined) add("subscriber = ?", encodeText(filter.subscriber));
      if (filter.errorCode !== undefined) add("error_code = ?", filter.errorCode);
      if (filter.from !== undefined) add("last_failed_at >= ?", filter.from);
      if (filter.to !== undefined) add("last_failed_at < ?", filter.to);
      params.push(filter.limit ?? 1_000);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
      const { rows } = await db.query<DeadLetterRow>(
        `SELECT * FROM ${table} ${where} ORDER BY last_failed_at, id LIMIT $${params.length}`,
        params,
      );
      return rows.map(toEntry);
    },

    markReplayed: (id, eventId, at) =>
      inTransaction((executor) =>
        transition(
          id,
          (entry) => {
            entry.status = "replayed";
            entry.replays.push({ eventId, at });
          },
          executor,
        ),
      ),

    discard: (id, reason, at) =>
      inTransaction((executor) =>
        transition(
          id,
          (entry) => {
            entry.status = "discarded";
            entry.discarded = { reason, at };
          },
          executor,
        ),
      ),
  };
}
