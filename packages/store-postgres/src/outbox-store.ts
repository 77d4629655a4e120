import { randomUUID } from "node:crypto";
import {
  type CloudEvent,
  type OutboxRecord,
  type OutboxStore,
  parseEvent,
  type SerializedError,
} from "@distro/core";
import type { PostgresStoreSettings } from "./idempotency-store";
import { runAgainIfConnectionLost } from "./lost-connection";
import { quoteIdentifier } from "./migrations";
import { fromJson, toNumber, toOptionalNumber } from "./rows";
import type { SqlExecutor } from "./sql";

/** The PostgreSQL outbox: record events inside your own transaction; relays publish them. */
export interface PostgresOutbox extends OutboxStore {
  /**
   * Records events to publish, inside the caller's transaction (pass the transaction's
   * executor), so they commit or roll back with the state change.
   */
  add(transaction: SqlExecutor, events: readonly CloudEvent[]): Promise<void>;
}

interface OutboxRow {
  id: string;
  event: unknown;
  status: "pending" | "sent";
  created_at: unknown;
  attempts: number;
  available_at: unknown;
  sent_at: unknown;
  last_error: unknown;
}

function toRecord(row: OutboxRow): OutboxRecord {
  const record: OutboxRecord = {
    id: row.id,
    event: fromJson<CloudEvent>(row.event),
    status: row.status,
    createdAt: toNumber(row.created_at),
    attempts: Number(row.attempts),
    availableAt: toNumber(row.available_at),
  };
  const sentAt = toOptionalNumber(row.sent_at);
  if (sentAt !== undefined) record.sentAt = sentAt;
  if (row.last_error !== null && row.last_error !== undefined)
    record.lastError = fromJson<SerializedError>(row.last_error);
  return record;
}

/**
 * The transactional outbox on PostgreSQL or PGlite. Events are recorded in the same
 * transaction as the state change (`add(transaction, events)`); any number of relays in
 * any number of processes claim them with `FOR UPDATE SKIP LOCKED` and a lease, so in
 * normal operation no event is published by two relays, and a relay that dies leaves
 * its records to be claimed again when the lease ends (at least once). Records of one
 * subject are handed out in order.
 *
 * @param settings - database, schema and clock
 * @returns the outbox
 * @example
 * ```ts
 * const outbox = createPostgresOutbox({ db });
 * await db.transaction(async (transaction) => {
 *   await transaction.query("UPDATE orders SET status = 'booked' WHERE id = $1", [orderId]);
 *   await outbox.add(transaction, [createEvent({ type: "order.booked", source: "/erp", subject: orderId })]);
 * });
 * const relay = createOutboxRelay({ outbox, publish: (event) => bus.publish(event) });
 * ```
 */
export function createPostgresOutbox(settings: PostgresStoreSettings): PostgresOutbox {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_outbox`;
  const clock = settings.clock ?? Date;
  const db = settings.db;

  return {
    async add(transaction, events) {
      const now = clock.now();
      for (const event of events) {
        parseEvent(event);
        await transaction.query(
          `INSERT INTO ${table} (id, subject, event, created_at, available_at) VALUES ($1, $2, $3::jsonb, $4, $4)`,
          [randomUUID(), event.subject ?? null, JSON.stringify(event), now],
        );
      }
    },

    async claimPending(limit, leaseMs) {
      const now = clock.now();
      const { rows } = await db.query<OutboxRow>(
        `WITH candidates AS (
           SELECT o.seq FROM ${table} o
           WHERE o.status = 'pending' AND o.available_at <= $1
             AND (o.subject IS NULL OR NOT EXISTS (
               SELECT 1 FROM ${table} earlier
               WHERE earlier.subject = o.subject AND earlier.status = 'pending' AND earlier.seq < o.seq AND earlier.available_at > $1))
           ORDER BY o.seq
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${table} t SET available_at = $3 FROM candidates WHERE t.seq = candidates.seq
         RETURNING t.*, t.seq`,
        [now, limit, now + leaseMs],
      );
      return rows
        .sort(
          (a, b) =>
            toNumber((a as unknown as { seq: unknown }).seq) -
            toNumber((b as unknown as { seq: unknown }).seq),
        )
        .map(toRecord);
    },

    async markSent(ids) {
      if (ids.length === 0) return;
      const now = clock.now();
      // Safe to run twice (only pending records change): one lost connection does not
      // leave a published record pending, to be published again when its lease ends.
      await runAgainIfConnectionLost(() =>
        db.query(
          `UPDATE ${table} SET status = 'sent', sent_at = $2 WHERE id = ANY($1::text[]) AND status = 'pending'`,
          [[...ids], now],
        ),
      );
    },

    async markFailed(id, error, retryAt) {
      await db.query(
        `UPDATE ${table} SET attempts = attempts + 1, last_error = $2::jsonb, available_at = $3 WHERE id = $1 AND status = 'pending'`,
        [id, JSON.stringify(error), retryAt],
      );
    },

    async release(ids) {
      if (ids.length === 0) return;
      const now = clock.now();
      await runAgainIfConnectionLost(() =>
        db.query(`UPDATE ${table} SET available_at = $2 WHERE id = ANY($1::text[]) AND status = 'pending'`, [
          [...ids],
          now,
        ]),
      );
    },

    async list(status) {
      const { rows } = await db.query<OutboxRow>(`SELECT * FROM ${table} WHERE status = $1 ORDER BY seq`, [
        status,
      ]);
      return rows.map(toRecord);
    },
  };
}
