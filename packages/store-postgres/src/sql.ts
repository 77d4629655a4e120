import { DistroError, isNetworkError } from "@distro/core";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/** The result of one SQL statement. */
export interface SqlResult<Row> {
  /** The rows returned. */
  rows: Row[];
  /** How many rows the statement changed (or returned, for SELECT). */
  rowCount: number;
}

/** Something that runs SQL: a database or a transaction. Parameters are `$1`, `$2`... */
export interface SqlExecutor {
  /** Runs one statement. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
}

/**
 * A PostgreSQL database as the stores use it: PostgreSQL through `pg`, or PGlite
 * (PostgreSQL in WASM, persisted to a folder) as the embedded default. The same SQL runs
 * on both.
 */
export interface SqlDatabase extends SqlExecutor {
  /** `postgres` (a server through `pg`) or `pglite` (embedded). */
  readonly engine: "postgres" | "pglite";
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: (transaction: SqlExecutor) => Promise<T>): Promise<T>;
  /** Closes the connections (or the embedded database). */
  close(): Promise<void>;
}

/** PostgreSQL error codes after which the same statement may succeed. */
const RETRYABLE_SQLSTATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08003",
  "08006",
  "08001",
  "08004",
]);

/**
 * Wraps a driver error as a `DistroError` (`DATABASE_ERROR`), retryable for lost
 * connections, deadlocks and serialization failures, with the SQLSTATE in `details`.
 *
 * @param error - what the driver threw
 * @returns the typed error
 * @example
 * ```ts
 * try { await pool.query("select 1"); } catch (error) { throw databaseError(error); }
 * ```
 */
export function databaseError(error: unknown): DistroError {
  if (error instanceof DistroError) return error;
  const sqlState = (error as { code?: unknown }).code;
  const retryable =
    (typeof sqlState === "string" && RETRYABLE_SQLSTATES.has(sqlState)) ||
    isNetworkError(error) ||
    /Connection terminated|connection is closed|Client has encountered a connection error/i.test(
      String((error as Error)?.message),
    );
  return new DistroError("DATABASE_ERROR", `Database error: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    retryable,
    details: typeof sqlState === "string" ? { sqlState } : {},
  });
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw databaseError(error);
  }
}

/**
 * Opens a PostgreSQL server database through a `pg` connection pool.
 *
 * @param connection - a connection string (`postgres://user@host:5432/db`) or a `pg.Pool` you own
 * @param options - pool size when a connection string is given
 * @returns the database
 * @example
 * ```ts
 * const db = connectPostgres(process.env.DISTRO_PG_URL!);
 * const stores = await createPostgresStores({ db });
 * ```
 */
export function connectPostgres(connection: string | pg.Pool, options: { max?: number } = {}): SqlDatabase {
  const owned = typeof connection === "string";
  const pool = owned ? new pg.Pool({ connectionString: connection, max: options.max ?? 10 }) : connection;
  // An idle client that loses its connection must not crash the process.
  pool.on("error", () => {});
  const run = async <Row>(executor: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) => {
    const result = await executor.query(text, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
  };
  return {
    engine: "postgres",
    query: (text, params) => guarded(() => run(pool, text, params)),
    async transaction(fn) {
      const client = await guarded(() => pool.connect());
      // While checked out, the pool no longer listens for this client's errors: a backend
      // terminated between two statements (failover, idle timeout, pg_terminate_backend)
      // would otherwise be an unhandled 'error' event that ends the process. The next
      // statement then fails, and the client is discarded instead of going back to the pool.
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on("error", onError);
      try {
        await guarded(() => client.query("BEGIN"));
        const result = await fn({ query: (text, params) => guarded(() => run(client, text, params)) });
        await guarded(() => client.query("COMMIT"));
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw databaseError(error);
      } finally {
        client.removeListener("error", onError);
        client.release(broken);
      }
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

/**
 * Opens an embedded PGlite database: PostgreSQL in WASM, persisted to `dataDir` (or in
 * memory when absent). One process owns a PGlite folder at a time.
 *
 * @param dataDir - a folder to persist to, or undefined for memory
 * @returns the database
 * @example
 * ```ts
 * const db = await openPglite("./.data/distro");
 * const stores = await createPostgresStores({ db });
 * ```
 */
export async function openPglite(dataDir?: string): Promise<SqlDatabase> {
  const database = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await guarded(() => database.waitReady);
  const toResult = <Row>(result: { rows: unknown[]; affectedRows?: number }) => ({
    rows: result.rows as Row[],
    rowCount: result.affectedRows ?? result.rows.length,
  });
  return {
    engine: "pglite",
    query: (text, params) =>
      guarded(async () => toResult(await database.query(text, params as unknown[] | undefined))),
    transaction: (fn) =>
      guarded(() =>
        database.transaction((transaction) =>
          fn({
            query: async (text, params) =>
              toResult(await transaction.query(text, params as unknown[] | undefined)),
          }),
        ),
      ),
    close: () => guarded(() => database.close()),
  };
}
