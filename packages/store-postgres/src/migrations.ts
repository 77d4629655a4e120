import type { SqlDatabase } from "./sql";

/** Options naming where the stores' tables live. */
export interface SchemaOptions {
  /** The PostgreSQL schema of the tables (default `public`); created when missing. */
  schema?: string;
}

/**
 * Quotes an identifier for SQL (a schema or table name), doubling embedded quotes.
 *
 * @param name - the identifier
 * @returns the quoted identifier
 * @example
 * ```ts
 * quoteIdentifier("distro"); // "\"distro\""
 * ```
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One versioned migration. */
interface Migration {
  version: number;
  name: string;
  statements: (schema: string) => string[];
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "reliable processing: idempotency, inbox, outbox, dead letters",
    statements: (s) => [
      `CREATE TABLE ${s}.distro_idempotency (
        key text PRIMARY KEY,
        fingerprint text,
        status text NOT NULL,
        claim_token text NOT NULL,
        result jsonb,
        error jsonb,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        locked_until bigint,
        expires_at bigint NOT NULL
      )`,
      `CREATE INDEX distro_idempotency_expires ON ${s}.distro_idempotency (expires_at)`,
      `CREATE TABLE ${s}.distro_inbox (
        subscriber text NOT NULL,
        message_key text NOT NULL,
        token text NOT NULL,
        outcome text,
        until bigint NOT NULL,
        PRIMARY KEY (subscriber, message_key)
      )`,
      `CREATE TABLE ${s}.distro_outbox (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        subject text,
        event jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        created_at bigint NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        available_at bigint NOT NULL,
        sent_at bigint,
        last_error jsonb
      )`,
      `CREATE INDEX distro_outbox_pending ON ${s}.distro_outbox (status, available_at, seq)`,
      `CREATE TABLE ${s}.distro_dead_letters (
        id text PRIMARY KEY,
        subscriber text NOT NULL,
        message text NOT NULL,
        event_id text,
        type text,
        source text,
        subject text,
        correlation_id text,
        error jsonb NOT NULL,
        error_code text NOT NULL,
        issues jsonb,
        attempts integer NOT NULL,
        first_failed_at bigint NOT NULL,
        last_failed_at bigint NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        replays jsonb NOT NULL DEFAULT '[]',
        discarded jsonb
      )`,
      `CREATE INDEX distro_dead_letters_listing ON ${s}.distro_dead_letters (status, last_failed_at)`,
    ],
  },
  {
    version: 2,
    name: "sync checkpoints, flow state, cross-references, EDI control numbers",
    statements: (s) => [
      `CREATE TABLE ${s}.distro_checkpoints (job_id text PRIMARY KEY, checkpoint jsonb NOT NULL, updated_at bigint NOT NULL)`,
      `CREATE TABLE ${s}.distro_flows (
        id text PRIMARY KEY,
        flow text NOT NULL,
        correlation_id text NOT NULL,
        business_key text,
        status text NOT NULL,
        wait_key text,
        wait_types text[],
        revision integer NOT NULL,
        instance jsonb NOT NULL
      )`,
      `CREATE INDEX distro_flows_waiting ON ${s}.distro_flows (wait_key) WHERE status = 'waiting'`,
      `CREATE INDEX distro_flows_status ON ${s}.distro_flows (status)`,
      `CREATE INDEX distro_flows_correlation ON ${s}.distro_flows (correlation_id)`,
      `CREATE TABLE ${s}.distro_flow_events (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        type text NOT NULL,
        key text NOT NULL,
        data jsonb
      )`,
      `CREATE INDEX distro_flow_events_key ON ${s}.distro_flow_events (key, type)`,
      `CREATE TABLE ${s}.distro_cross_references (
        entity text NOT NULL,
        system text NOT NULL,
        external_id text NOT NULL,
        canonical_id text NOT NULL,
        PRIMARY KEY (entity, system, external_id)
      )`,
      `CREATE INDEX distro_cross_references_canonical ON ${s}.distro_cross_references (entity, canonical_id)`,
      `CREATE TABLE ${s}.distro_control_numbers (partner text NOT NULL, kind text NOT NULL, last_value bigint NOT NULL, PRIMARY KEY (partner, kind))`,
    ],
  },
  {
    version: 3,
    name: "exception queues for people",
    statements: (s) => [
      `CREATE TABLE ${s}.distro_exceptions (
        id text PRIMARY KEY,
        source_ref text NOT NULL,
        kind text NOT NULL,
        queue text NOT NULL,
        priority_rank smallint NOT NULL,
        status text NOT NULL,
        assignee text,
        error_code text,
        partner text,
        correlation_id text,
        due_at bigint,
        occurred_at bigint NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        document text NOT NULL
      )`,
      `CREATE INDEX distro_exceptions_queue ON ${s}.distro_exceptions (queue, status, priority_rank, occurred_at)`,
      `CREATE INDEX distro_exceptions_open ON ${s}.distro_exceptions (status, priority_rank, occurred_at) WHERE status <> 'resolved'`,
    ],
  },
];

/**
 * The newest migration version this package knows.
 *
 * @example
 * ```ts
 * const { rows } = await db.query("SELECT max(version) AS version FROM distro_migrations");
 * const upToDate = Number(rows[0]?.version) === LATEST_SCHEMA_VERSION;
 * ```
 */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the schema up to date. Runs each migration once, in order, inside one
 * transaction holding a transaction-scoped advisory lock, so several processes that
 * start together migrate once and the others wait, then find nothing to do.
 *
 * @param db - the database
 * @param options - the schema (default `public`)
 * @returns the versions applied by this call
 * @example
 * ```ts
 * await migrate(db, { schema: "distro" });
 * ```
 */
export async function migrate(db: SqlDatabase, options: SchemaOptions = {}): Promise<number[]> {
  const schemaName = options.schema ?? "public";
  const schema = quoteIdentifier(schemaName);
  return db.transaction(async (transaction) => {
    await transaction.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `distro-migrations:${schemaName}`,
    ]);
    await transaction.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await transaction.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.distro_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await transaction.query<{ version: number }>(
      `SELECT version FROM ${schema}.distro_migrations`,
    );
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements(schema)) await transaction.query(statement);
      await transaction.query(`INSERT INTO ${schema}.distro_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
