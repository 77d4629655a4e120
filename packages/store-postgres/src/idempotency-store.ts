import { randomUUID } from "node:crypto";
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
  RetryClock,
  SerializedError,
} from "@distro/core";
import { runAgainIfConnectionLost, settleAgainIfConnectionLost } from "./lost-connection";
import { quoteIdentifier, type SchemaOptions } from "./migrations";
import { boxJson, decodeText, encodeText, fromJson, toNumber, toOptionalNumber, unboxJson } from "./rows";
import type { SqlExecutor } from "./sql";

/** Settings shared by the PostgreSQL stores. */
export interface PostgresStoreSettings extends SchemaOptions {
  /** The database (or a transaction). */
  db: SqlExecutor;
  /** The clock, in epoch milliseconds (injectable for tests). */
  clock?: RetryClock;
}

interface IdempotencyRow {
  claimed?: boolean;
  key: string;
  fingerprint: string | null;
  status: IdempotencyRecord["status"];
  claim_token: string;
  result: unknown;
  error: unknown;
  created_at: unknown;
  updated_at: unknown;
  locked_until: unknown;
  expires_at: unknown;
}

function toRecord(row: IdempotencyRow): IdempotencyRecord {
  const record: IdempotencyRecord = {
    key: decodeText(row.key),
    fingerprint: row.fingerprint ?? undefined,
    status: row.status,
    claimToken: row.claim_token,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    lockedUntil: toOptionalNumber(row.locked_until),
    expiresAt: toNumber(row.expires_at),
  };
  if (row.status === "completed") record.result = unboxJson(row.result);
  if (row.error !== null && row.error !== undefined) record.error = fromJson<SerializedError>(row.error);
  return record;
}

/**
 * The idempotency store on PostgreSQL or PGlite. A claim of a new key is one round trip
 * (`INSERT … ON CONFLICT DO UPDATE … WHERE` the old record expired or its in-progress
 * claim ran out), atomic across every process sharing the database.
 *
 * @param settings - database, schema and clock
 * @returns the store
 * @example
 * ```ts
 * const store = createPostgresIdempotencyStore({ db });
 * await idempotent(() => erp.submitOrder(order, { idempotencyKey: key }), { store, key, scope, inProgressExpiryMs: 30_000, retentionMs: 86_400_000 });
 * ```
 */
export function createPostgresIdempotencyStore(settings: PostgresStoreSettings): IdempotencyStore {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_idempotency`;
  const clock = settings.clock ?? Date;
  const db = settings.db;
  const tokenPrefix = randomUUID();
  let serial = 0;

  const claimSql = `
    WITH attempt AS (
      INSERT INTO ${table} AS t (key, fingerprint, status, claim_token, created_at, updated_at, locked_until, expires_at)
      VALUES ($1, $2, 'in_progress', $3, $4, $4, $5, $6)
      ON CONFLICT (key) DO UPDATE SET
        fingerprint = EXCLUDED.fingerprint, status = 'in_progress', claim_token = EXCLUDED.claim_token,
        result = NULL, error = NULL, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
        locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at
      WHERE t.expires_at <= $4
         OR (t.status = 'in_progress' AND t.locked_until <= $4 AND t.fingerprint IS NOT DISTINCT FROM EXCLUDED.fingerprint)
      RETURNING t.*
    )
    SELECT true AS claimed, attempt.* FROM attempt
    UNION ALL
    SELECT false AS claimed, existing.* FROM ${table} existing
    WHERE existing.key = $1 AND existing.expires_at > $4 AND NOT EXISTS (SELECT 1 FROM attempt)`;

  /**
   * Whether the first run of a settle, whose reply was lost, did the work: the record
   * carries `status` under this token (or, for a release, is gone).
   */
  const settledBy = async (key: string, claimToken: string, status: string | undefined) => {
    const { rows } = await db.query<{ status: string; claim_token: string }>(
      `SELECT status, claim_token FROM ${table} WHERE key = $1`,
      [encodeText(key)],
    );
    const row = rows[0];
    if (status === undefined) return row === undefined;
    return row !== undefined && row.claim_token === claimToken && row.status === status;
  };

  return {
    async claim(request): Promise<IdempotencyClaim> {
      const now = clock.now();
      const token = `${tokenPrefix}:${++serial}`;
      const params = [
        encodeText(request.key),
        request.fingerprint ?? null,
        token,
        now,
        now + request.inProgressExpiryMs,
        now + Math.max(request.retentionMs, request.inProgressExpiryMs),
      ];
      for (let attempt = 0; attempt < 5; attempt++) {
        // A claim whose reply was lost may have committed: the same statement, with the
        // same token, run again on a fresh connection finds this caller's own claim.
        const { rows } = await runAgainIfConnectionLost(() => db.query<IdempotencyRow>(claimSql, params));
        const row = rows[0];
        if (row) {
          const claimed = row.claimed === true || row.claim_token === token;
          return { outcome: claimed ? "claimed" : "existing", record: toRecord(row) };
        }
        // A concurrent claim committed after this statement's snapshot: read it.
        const { rows: current } = await db.query<IdempotencyRow>(
          `SELECT * FROM ${table} WHERE key = $1 AND expires_at > $2`,
          [encodeText(request.key), now],
        );
        if (current[0]) return { outcome: "existing", record: toRecord(current[0]) };
      }
      const { rows } = await db.query<IdempotencyRow>(`SELECT * FROM ${table} WHERE key = $1`, [
        encodeText(request.key),
      ]);
      return { outcome: "existing", record: toRecord(rows[0]!) };
    },

    async complete(key, claimToken, result, retentionMs) {
      const now = clock.now();
      return settleAgainIfConnectionLost(
        async () => {
          const { rowCount } = await db.query(
            `UPDATE ${table} SET status = 'completed', result = $3::jsonb, updated_at = $4, locked_until = NULL, expires_at = $5
         WHERE key = $1 AND claim_token = $2 AND status = 'in_progress' AND expires_at > $4`,
            [encodeText(key), claimToken, boxJson(result), now, now + retentionMs],
          );
          return rowCount > 0;
        },
        () => settledBy(key, claimToken, "completed"),
      );
    },

    async fail(key, claimToken, error, retentionMs) {
      const now = clock.now();
      return settleAgainIfConnectionLost(
        async () => {
          const { rowCount } = await db.query(
            `UPDATE ${table} SET status = 'failed', error = $3::jsonb, updated_at = $4, locked_until = NULL, expires_at = $5
         WHERE key = $1 AND claim_token = $2 AND status = 'in_progress' AND expires_at > $4`,
            [encodeText(key), claimToken, JSON.stringify(error), now, now + retentionMs],
          );
          return rowCount > 0;
        },
        () => settledBy(key, claimToken, "failed"),
      );
    },

    async release(key, claimToken) {
      const now = clock.now();
      return settleAgainIfConnectionLost(
        async () => {
          const { rowCount } = await db.query(
            `DELETE FROM ${table} WHERE key = $1 AND claim_token = $2 AND status = 'in_progress' AND expires_at > $3`,
            [encodeText(key), claimToken, now],
          );
          return rowCount > 0;
        },
        () => settledBy(key, claimToken, undefined),
      );
    },

    async get(key) {
      const { rows } = await db.query<IdempotencyRow>(
        `SELECT * FROM ${table} WHERE key = $1 AND expires_at > $2`,
        [encodeText(key), clock.now()],
      );
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
  };
}
