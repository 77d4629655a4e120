import {
  ConflictError,
  type FlowEvent,
  type FlowFilter,
  type FlowInstance,
  type FlowStore,
} from "@distro/core";
import type { PostgresStoreSettings } from "./idempotency-store";
import { quoteIdentifier } from "./migrations";
import { fromJson } from "./rows";

/**
 * The process manager's flow state on PostgreSQL or PGlite: one row per instance (the
 * instance as `jsonb`, with its status, wait key and revision in columns for look-ups),
 * saved with an optimistic revision check so two processes never both advance one
 * instance; events kept for flows that wait later, deduplicated by id.
 *
 * @param settings - database and schema
 * @returns the store
 * @example
 * ```ts
 * const manager = createProcessManager({ store: createPostgresFlowStore({ db }) });
 * ```
 */
export function createPostgresFlowStore(settings: Omit<PostgresStoreSettings, "clock">): FlowStore {
  const schema = quoteIdentifier(settings.schema ?? "public");
  const flows = `${schema}.distro_flows`;
  const events = `${schema}.distro_flow_events`;
  const db = settings.db;
  const columns = (instance: FlowInstance) => [
    instance.id,
    instance.flow,
    instance.correlationId,
    instance.businessKey ?? null,
    instance.status,
    instance.waiting?.key ?? null,
    instance.waiting?.eventTypes ?? null,
    instance.revision,
    JSON.stringify(instance),
  ];
  const toInstance = <Input>(row: { instance: unknown }) => fromJson<FlowInstance<Input>>(row.instance);

  return {
    async create(instance) {
      const { rows } = await db.query<{ instance: unknown; inserted: boolean }>(
        `WITH inserted AS (
           INSERT INTO ${flows} (id, flow, correlation_id, business_key, status, wait_key, wait_types, revision, instance)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT (id) DO NOTHING RETURNING instance)
         SELECT instance, true AS inserted FROM inserted
         UNION ALL SELECT instance, false AS inserted FROM ${flows} WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`,
        columns(instance),
      );
      const row =
        rows[0] ??
        (await db.query<{ instance: unknown }>(`SELECT instance FROM ${flows} WHERE id = $1`, [instance.id]))
          .rows[0]!;
      return { created: (row as { inserted?: boolean }).inserted === true, instance: toInstance(row) };
    },

    async get(id) {
      const { rows } = await db.query<{ instance: unknown }>(`SELECT instance FROM ${flows} WHERE id = $1`, [
        id,
      ]);
      return rows[0] ? toInstance(rows[0]) : undefined;
    },

    async save(instance) {
      const values = columns(instance);
      const { rowCount } = await db.query(
        `UPDATE ${flows} SET flow = $2, correlation_id = $3, business_key = $4, status = $5, wait_key = $6, wait_types = $7, revision = $8, instance = $9::jsonb
         WHERE id = $1 AND revision = $8 - 1`,
        values,
      );
      if (rowCount === 0) {
        throw new ConflictError(`Flow ${instance.id} changed since it was read`, {
          details: { id: instance.id, expected: instance.revision - 1 },
        });
      }
    },

    async findWaiting(eventType, key) {
      const { rows } = await db.query<{ instance: unknown }>(
        `SELECT instance FROM ${flows} WHERE status = 'waiting' AND wait_key = $1 AND $2 = ANY(wait_types) ORDER BY id`,
        [key, eventType],
      );
      return rows.map((row) => toInstance(row));
    },

    async bufferEvent(event: FlowEvent) {
      const { rowCount } = await db.query(
        `INSERT INTO ${events} (id, type, key, data) VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (id) DO NOTHING`,
        [event.id, event.type, event.key, JSON.stringify({ value: event.data })],
      );
      return rowCount > 0;
    },

    async findEvent(eventTypes, key) {
      const { rows } = await db.query<{ id: string; type: string; key: string; data: unknown }>(
        `SELECT id, type, key, data FROM ${events} WHERE key = $1 AND type = ANY($2::text[]) ORDER BY seq LIMIT 1`,
        [key, eventTypes],
      );
      const row = rows[0];
      if (!row) return undefined;
      return { id: row.id, type: row.type, key: row.key, data: fromJson<{ value: unknown }>(row.data).value };
    },

    async list(filter: FlowFilter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        conditions.push(sql.replace("?", `$${params.length}`));
      };
      if (filter.flow) add("flow = ?", filter.flow);
      if (filter.status) add("status = ANY(?::text[])", filter.status);
      if (filter.correlationId) add("correlation_id = ?", filter.correlationId);
      if (filter.businessKey) add("business_key = ?", filter.businessKey);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
      const { rows } = await db.query<{ instance: unknown }>(
        `SELECT instance FROM ${flows} ${where} ORDER BY id`,
        params,
      );
      return rows.map((row) => toInstance(row));
    },
  };
}
