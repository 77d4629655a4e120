import {
  EXCEPTION_PRIORITY_RANK,
  type ExceptionFilter,
  type ExceptionItem,
  type ExceptionQueueStats,
  type ExceptionQueueStore,
  exceptionItemId,
  exceptionResolvedError,
  exceptionStatusesOf,
  exceptionStoreFullError,
  NotFoundError,
  openExceptionItem,
} from "@distro/core";
import { quoteIdentifier, type SchemaOptions } from "./migrations";
import { decodeText, encodeOptional, encodeText, toNumber } from "./rows";
import type { SqlDatabase, SqlExecutor } from "./sql";

/**
 * Settings of {@link createPostgresExceptionQueueStore}.
 *
 * @example
 * ```ts
 * const exceptions = createPostgresExceptionQueueStore({ db, schema: "distro", maxItems: 1_000_000 });
 * ```
 */
export interface PostgresExceptionQueueStoreSettings extends SchemaOptions {
  /** The database (transactions are needed for assign and resolve). */
  db: SqlDatabase;
  /** At most this many items; `add` then refuses with `EXCEPTION_STORE_FULL` (default: no bound). */
  maxItems?: number;
}

interface ExceptionRow {
  id: string;
  document: string;
  created?: boolean;
}

/**
 * The stored document is JSON in a `text` column: `JSON.stringify` escapes U+0000 and
 * `text` keeps the escape as written, where `jsonb` would refuse it.
 */
function toItem(row: ExceptionRow): ExceptionItem {
  return JSON.parse(row.document) as ExceptionItem;
}

/**
 * The exception queue store on PostgreSQL or PGlite: one row per item, idempotent by
 * source reference (the primary key is derived from it), the filterable fields in
 * columns and the whole item as a JSON document. `assign` and `resolve` lock the row, so
 * two people resolving at once resolve it once.
 *
 * @param settings - database, schema and size bound
 * @returns the store
 * @example
 * ```ts
 * import { createPostgresExceptionQueueStore, migrate, openPglite } from "@distro/store-postgres";
 *
 * const db = await openPglite("./.data/distro");
 * await migrate(db);
 * const exceptions = createPostgresExceptionQueueStore({ db });
 * const creditDesk = await exceptions.list({ queue: "credit-desk" });
 * ```
 */
export function createPostgresExceptionQueueStore(
  settings: PostgresExceptionQueueStoreSettings,
): ExceptionQueueStore {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_exceptions`;
  const db = settings.db;

  const read = async (executor: SqlExecutor, id: string, lock = false) => {
    const { rows } = await executor.query<ExceptionRow>(
      `SELECT id, document FROM ${table} WHERE id = $1${lock ? " FOR UPDATE" : ""}`,
      [id],
    );
    return rows[0];
  };

  const change = (id: string, update: (item: ExceptionItem) => void) =>
    db.transaction(async (transaction) => {
      const row = await read(transaction, id, true);
      if (!row) throw new NotFoundError(`No exception ${id}`, { details: { id } });
      const item = toItem(row);
      if (item.status === "resolved") throw exceptionResolvedError(item);
      update(item);
      await transaction.query(
        `UPDATE ${table} SET status = $2, assignee = $3, updated_at = $4, document = $5 WHERE id = $1`,
        [id, item.status, encodeOptional(item.assignee), item.updatedAt, JSON.stringify(item)],
      );
      return item;
    });

  return {
    async add(input, at) {
      const id = exceptionItemId(input.sourceRef);
      if (settings.maxItems !== undefined) {
        // Only a bounded store reads first: an existing item never counts against the bound.
        const existing = await read(db, id);
        if (existing) return { created: false, item: toItem(existing) };
        const { rows } = await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${table}`);
        if (toNumber(rows[0]?.n ?? 0) >= settings.maxItems) throw exceptionStoreFullError(settings.maxItems);
      }
      const item = openExceptionItem(input, at);
      const { rows } = await db.query<ExceptionRow>(
        `INSERT INTO ${table} (id, source_ref, kind, queue, priority_rank, status, error_code, partner, correlation_id, due_at, occurred_at, created_at, updated_at, document)
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $11, $12)
         ON CONFLICT (id) DO NOTHING
         RETURNING id, document`,
        [
          id,
          encodeText(input.sourceRef),
          input.kind,
          encodeText(input.queue),
          EXCEPTION_PRIORITY_RANK[input.priority],
          encodeOptional(input.errorCode),
          encodeOptional(input.reference.partner),
          encodeOptional(input.reference.correlationId),
          input.dueAt ?? null,
          input.occurredAt,
          at,
          JSON.stringify(item),
        ],
      );
      if (rows[0]) return { created: true, item: toItem(rows[0]) };
      // Added before (or by another writer at the same moment): the stored item, unchanged.
      return { created: false, item: toItem((await read(db, id))!) };
    },

    async get(id) {
      const row = await read(db, id);
      return row ? toItem(row) : undefined;
    },

    async list(filter: ExceptionFilter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const where = (sql: string, value: unknown) => {
        params.push(value);
        conditions.push(sql.replace("?", `$${params.length}`));
      };
      where("status = ANY(?::text[])", exceptionStatusesOf(filter));
      if (filter.queue !== undefined) where("queue = ?", encodeText(filter.queue));
      if (filter.assignee !== undefined) where("assignee = ?", encodeText(filter.assignee));
      if (filter.kind !== undefined) where("kind = ?", filter.kind);
      if (filter.errorCode !== undefined) where("error_code = ?", encodeText(filter.errorCode));
      if (filter.partner !== undefined) where("partner = ?", encodeText(filter.partner));
      if (filter.correlationId !== undefined) where("correlation_id = ?", encodeText(filter.correlationId));
      params.push(filter.limit ?? 1_000);
      const { rows } = await db.query<ExceptionRow>(
        `SELECT id, document FROM ${table} WHERE ${conditions.join(" AND ")}
         ORDER BY priority_rank, occurred_at, id COLLATE "C" LIMIT $${params.length}`,
        params,
      );
      return rows.map(toItem);
    },

    assign: (id, assignee, at) =>
      change(id, (item) => {
        item.status = "assigned";
        item.assignee = assignee;
        item.updatedAt = at;
      }),

    resolve: (id, resolution) =>
      change(id, (item) => {
        item.status = "resolved";
        item.resolution = structuredClone(resolution);
        item.updatedAt = resolution.at;
      }),

    async stats(now) {
      const { rows } = await db.query<{
        queue: string;
        open: unknown;
        assigned: unknown;
        overdue: unknown;
        oldest: unknown;
      }>(
        `SELECT queue,
                count(*) FILTER (WHERE status = 'open') AS open,
                count(*) FILTER (WHERE status = 'assigned') AS assigned,
                count(*) FILTER (WHERE due_at < $1) AS overdue,
                min(occurred_at) AS oldest
           FROM ${table}
          WHERE status <> 'resolved'
          GROUP BY queue
          ORDER BY queue COLLATE "C"`,
        [now],
      );
      return rows.map((row): ExceptionQueueStats => {
        const stats: ExceptionQueueStats = {
          queue: decodeText(row.queue),
          open: toNumber(row.open),
          assigned: toNumber(row.assigned),
          overdue: toNumber(row.overdue),
        };
        if (row.oldest !== null && row.oldest !== undefined) stats.oldestOccurredAt = toNumber(row.oldest);
        return stats;
      });
    },
  };
}
