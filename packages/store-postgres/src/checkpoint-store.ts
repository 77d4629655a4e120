import type { PostgresStoreSettings } from "./idempotency-store";
import { quoteIdentifier } from "./migrations";
import { fromJson } from "./rows";

/** A sync job's checkpoint as stored: any JSON object with the job's id. */
export interface StoredCheckpoint {
  /** The job the checkpoint belongs to. */
  jobId: string;
}

/** The checkpoint store port of `@distro/sync`, for any checkpoint shape. */
export interface PostgresCheckpointStore<
  Checkpoint extends StoredCheckpoint = StoredCheckpoint & Record<string, unknown>,
> {
  /** The job's checkpoint, or undefined if it never ran. */
  load(jobId: string): Promise<Checkpoint | undefined>;
  /** Replaces the job's checkpoint. */
  save(checkpoint: Checkpoint): Promise<void>;
  /** Forgets the job's checkpoint. */
  delete(jobId: string): Promise<void>;
}

/**
 * Sync job checkpoints on PostgreSQL or PGlite: a job that crashes resumes from the
 * last checkpoint it committed, in whichever process runs it next. Implements the
 * `CheckpointStore` port of `@distro/sync`.
 *
 * @param settings - database, schema and clock
 * @returns the store
 * @example
 * ```ts
 * const job = createSyncJob({ id: "items", checkpoints: createPostgresCheckpointStore({ db }), ... });
 * ```
 */
export function createPostgresCheckpointStore<
  Checkpoint extends StoredCheckpoint = StoredCheckpoint & Record<string, unknown>,
>(settings: PostgresStoreSettings): PostgresCheckpointStore<Checkpoint> {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_checkpoints`;
  const clock = settings.clock ?? Date;
  const db = settings.db;
  return {
    async load(jobId) {
      const { rows } = await db.query<{ checkpoint: unknown }>(
        `SELECT checkpoint FROM ${table} WHERE job_id = $1`,
        [jobId],
      );
      return rows[0] ? fromJson<Checkpoint>(rows[0].checkpoint) : undefined;
    },
    async save(checkpoint) {
      await db.query(
        `INSERT INTO ${table} (job_id, checkpoint, updated_at) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (job_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at`,
        [checkpoint.jobId, JSON.stringify(checkpoint), clock.now()],
      );
    },
    async delete(jobId) {
      await db.query(`DELETE FROM ${table} WHERE job_id = $1`, [jobId]);
    },
  };
}
