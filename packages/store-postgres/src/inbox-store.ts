import type { InboxBegin, InboxStore } from "@distro/core";
import type { PostgresStoreSettings } from "./idempotency-store";
import { runAgainIfConnectionLost, settleAgainIfConnectionLost } from "./lost-connection";
import { quoteIdentifier } from "./migrations";
import { encodeText, toNumber } from "./rows";

/** Settings of {@link createPostgresInboxStore}. */
export interface PostgresInboxStoreSettings extends PostgresStoreSettings {
  /** Finished messages are forgotten after this long (default 7 days). */
  retentionMs?: number;
}

/**
 * The consumer inbox on PostgreSQL or PGlite: `begin` is one atomic upsert that takes
 * the message only when nobody holds a live lease on it and it is not finished, so many
 * consumer processes never handle one message at the same time.
 *
 * @param settings - database, schema, clock and retention
 * @returns the inbox
 * @example
 * ```ts
 * const bus = createBus({ inbox: createPostgresInboxStore({ db }) });
 * ```
 */
export function createPostgresInboxStore(settings: PostgresInboxStoreSettings): InboxStore {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_inbox`;
  const clock = settings.clock ?? Date;
  const retentionMs = settings.retentionMs ?? 7 * 86_400_000;
  const db = settings.db;
  const read = async (subscriber: string, messageKey: string) => {
    const { rows } = await db.query<{ token: string; outcome: string | null }>(
      `SELECT token, outcome FROM ${table} WHERE subscriber = $1 AND message_key = $2`,
      [encodeText(subscriber), encodeText(messageKey)],
    );
    return rows[0];
  };

  return {
    async begin(subscriber, messageKey, leaseMs): Promise<InboxBegin> {
      for (;;) {
        const now = clock.now();
        const token = crypto.randomUUID();
        // Run again with the same token when the reply was lost: a first run that committed
        // is then found below as this caller's own lease.
        const { rows } = await runAgainIfConnectionLost(() =>
          db.query<{ token: string }>(
            `INSERT INTO ${table} AS t (subscriber, message_key, token, outcome, until) VALUES ($1, $2, $3, NULL, $5)
           ON CONFLICT (subscriber, message_key) DO UPDATE SET token = EXCLUDED.token, outcome = NULL, until = EXCLUDED.until
           WHERE t.until <= $4
           RETURNING t.token`,
            [encodeText(subscriber), encodeText(messageKey), token, now, now + leaseMs],
          ),
        );
        if (rows[0]?.token === token) return { status: "acquired", token };
        const { rows: current } = await db.query<{
          token: string;
          outcome: "handled" | "dead_lettered" | null;
          until: unknown;
        }>(`SELECT token, outcome, until FROM ${table} WHERE subscriber = $1 AND message_key = $2`, [
          encodeText(subscriber),
          encodeText(messageKey),
        ]);
        const row = current[0];
        if (!row) continue;
        if (row.token === token && row.outcome === null) return { status: "acquired", token };
        const until = toNumber(row.until);
        if (until <= now) continue;
        if (row.outcome) return { status: "done", outcome: row.outcome };
        return { status: "busy", retryAfterMs: until - now };
      }
    },

    async complete(subscriber, messageKey, token, outcome) {
      const now = clock.now();
      return settleAgainIfConnectionLost(
        async () => {
          const { rowCount } = await db.query(
            `UPDATE ${table} SET outcome = $4, until = $6
         WHERE subscriber = $1 AND message_key = $2 AND token = $3 AND outcome IS NULL AND until > $5`,
            [encodeText(subscriber), encodeText(messageKey), token, outcome, now, now + retentionMs],
          );
          return rowCount > 0;
        },
        async () => {
          const row = await read(subscriber, messageKey);
          return row !== undefined && row.token === token && row.outcome === outcome;
        },
      );
    },

    async release(subscriber, messageKey, token) {
      const now = clock.now();
      return settleAgainIfConnectionLost(
        async () => {
          const { rowCount } = await db.query(
            `DELETE FROM ${table} WHERE subscriber = $1 AND message_key = $2 AND token = $3 AND outcome IS NULL AND until > $4`,
            [encodeText(subscriber), encodeText(messageKey), token, now],
          );
          return rowCount > 0;
        },
        async () => (await read(subscriber, messageKey)) === undefined,
      );
    },

    async forget(subscriber, messageKey) {
      await db.query(`DELETE FROM ${table} WHERE subscriber = $1 AND message_key = $2`, [
        encodeText(subscriber),
        encodeText(messageKey),
      ]);
    },
  };
}
