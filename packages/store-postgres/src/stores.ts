import type {
  DeadLetterStore,
  ExceptionQueueStore,
  FlowStore,
  IdempotencyStore,
  InboxStore,
  RetryClock,
} from "@distro/core";
import { createPostgresCheckpointStore, type PostgresCheckpointStore } from "./checkpoint-store";
import { createPostgresControlNumberStore, type PostgresControlNumberStore } from "./control-number-store";
import { type CrossReferenceStore, createPostgresCrossReferenceStore } from "./cross-reference-store";
import { createPostgresDeadLetterStore } from "./dead-letter-store";
import { createPostgresExceptionQueueStore } from "./exception-queue-store";
import { createPostgresFlowStore } from "./flow-store";
import { createPostgresIdempotencyStore } from "./idempotency-store";
import { createPostgresInboxStore } from "./inbox-store";
import { migrate, type SchemaOptions } from "./migrations";
import { createPostgresOutbox, type PostgresOutbox } from "./outbox-store";
import type { SqlDatabase } from "./sql";

/** Settings of {@link createPostgresStores}. */
export interface PostgresStoresSettings extends SchemaOptions {
  /** The database: `connectPostgres(url)` or `await openPglite(folder)`. */
  db: SqlDatabase;
  /** The clock, in epoch milliseconds. */
  clock?: RetryClock;
  /** Skip running migrations (when a deploy step runs them). */
  skipMigrations?: boolean;
}

/** Every durable store of the package, on one database. */
export interface PostgresStores {
  /** The database they share. */
  db: SqlDatabase;
  /** Idempotency records. */
  idempotency: IdempotencyStore;
  /** The consumer inbox. */
  inbox: InboxStore;
  /** The transactional outbox. */
  outbox: PostgresOutbox;
  /** Dead letters. */
  deadLetters: DeadLetterStore;
  /** Process manager state. */
  flows: FlowStore;
  /** Sync job checkpoints. */
  checkpoints: PostgresCheckpointStore;
  /** Identifier cross-references. */
  crossReferences: CrossReferenceStore;
  /** EDI control numbers. */
  controlNumbers: PostgresControlNumberStore;
  /** Exception queues for people (items routed from dead letters and flow holds). */
  exceptions: ExceptionQueueStore;
}

/**
 * Migrates the schema (once, even when many processes start together) and returns the
 * stores on one database.
 *
 * @param settings - the database, schema and clock
 * @returns the stores
 * @example
 * ```ts
 * const stores = await createPostgresStores({ db: connectPostgres(process.env.DISTRO_PG_URL!) });
 * const bus = createBus({ inbox: stores.inbox, deadLetters: stores.deadLetters });
 * ```
 */
export async function createPostgresStores(settings: PostgresStoresSettings): Promise<PostgresStores> {
  if (!settings.skipMigrations) await migrate(settings.db, settings);
  const shared = {
    db: settings.db,
    ...(settings.schema ? { schema: settings.schema } : {}),
    ...(settings.clock ? { clock: settings.clock } : {}),
  };
  return {
    db: settings.db,
    idempotency: createPostgresIdempotencyStore(shared),
    inbox: createPostgresInboxStore(shared),
    outbox: createPostgresOutbox(shared),
    deadLetters: createPostgresDeadLetterStore(shared),
    flows: createPostgresFlowStore(shared),
    checkpoints: createPostgresCheckpointStore(shared),
    crossReferences: createPostgresCrossReferenceStore(shared),
    controlNumbers: createPostgresControlNumberStore(shared),
    exceptions: createPostgresExceptionQueueStore(shared),
  };
}
