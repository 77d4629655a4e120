import { DistroError } from "@distro/core";
import type { PostgresStoreSettings } from "./idempotency-store";
import { quoteIdentifier } from "./migrations";
import { toNumber } from "./rows";

/** Settings of {@link createPostgresControlNumberStore}. */
export interface PostgresControlNumberStoreSettings extends Omit<PostgresStoreSettings, "clock"> {
  /** The first number handed out per partner and kind (default 1). */
  start?: number;
  /** The largest number (default 999,999,999, the nine digits of ISA13). */
  max?: number;
}

/** EDI control numbers per partner and kind (the `ControlNumberStore` port of `@distro/connectors-edi`). */
export interface PostgresControlNumberStore {
  /**
   * Reserves the next control number.
   *
   * @param partner - the trading partner's key (e.g. `ZZ:ACME`)
   * @param kind - interchange, group or transaction
   * @returns a number never handed out before for this partner and kind
   */
  next(partner: string, kind: string): Promise<number>;
}

/**
 * EDI control numbers on PostgreSQL or PGlite: one atomic upsert per number, so any
 * number of processes never hand out the same interchange, group or transaction
 * control number twice for one partner. Implements the `ControlNumberStore` port of
 * `@distro/connectors-edi`.
 *
 * @param settings - database, schema, first and largest number
 * @returns the store
 * @example
 * ```ts
 * const controlNumbers = createPostgresControlNumberStore({ db });
 * await controlNumbers.next("ZZ:ACME", "interchange"); // 1, then 2...
 * ```
 */
export function createPostgresControlNumberStore(
  settings: PostgresControlNumberStoreSettings,
): PostgresControlNumberStore {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_control_numbers`;
  const start = settings.start ?? 1;
  const max = settings.max ?? 999_999_999;
  const db = settings.db;
  return {
    async next(partner, kind) {
      const { rows } = await db.query<{ last_value: unknown }>(
        `INSERT INTO ${table} AS t (partner, kind, last_value) VALUES ($1, $2, $3)
         ON CONFLICT (partner, kind) DO UPDATE SET last_value = t.last_value + 1
         WHERE t.last_value < $4
         RETURNING last_value`,
        [partner, kind, start, max],
      );
      if (!rows[0]) {
        throw new DistroError(
          "CONTROL_NUMBERS_EXHAUSTED",
          `Control numbers for ${partner} ${kind} reached ${max}`,
          {
            details: { partner, kind, max },
          },
        );
      }
      return toNumber(rows[0].last_value);
    },
  };
}
