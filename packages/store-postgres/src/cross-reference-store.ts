import type { PostgresStoreSettings } from "./idempotency-store";
import { quoteIdentifier } from "./migrations";

/** The identifier cross-reference: which canonical record an id in each system is. */
export interface CrossReferenceStore {
  /** Links a system's id to a canonical id (idempotent; a conflicting link is refused with false). */
  link(entity: string, system: string, externalId: string, canonicalId: string): Promise<boolean>;
  /** The canonical id of a system's id. */
  resolve(entity: string, system: string, externalId: string): Promise<string | undefined>;
  /** Every system's id of a canonical record (`{ erp: "10000", shopify: "gid://…" }`). */
  refs(entity: string, canonicalId: string): Promise<Record<string, string>>;
}

/**
 * The identifier cross-reference on PostgreSQL or PGlite: maps each system's id of a
 * record (ERP customer number, Shopify GID, Salesforce Id) to its canonical id, so
 * every process resolves them the same way.
 *
 * @param settings - database and schema
 * @returns the store
 * @example
 * ```ts
 * const xref = createPostgresCrossReferenceStore({ db });
 * await xref.link("customer", "shopify", "gid://shopify/Customer/7", "C-100");
 * await xref.resolve("customer", "shopify", "gid://shopify/Customer/7"); // "C-100"
 * ```
 */
export function createPostgresCrossReferenceStore(
  settings: Omit<PostgresStoreSettings, "clock">,
): CrossReferenceStore {
  const table = `${quoteIdentifier(settings.schema ?? "public")}.distro_cross_references`;
  const db = settings.db;
  return {
    async link(entity, system, externalId, canonicalId) {
      await db.query(
        `INSERT INTO ${table} (entity, system, external_id, canonical_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [entity, system, externalId, canonicalId],
      );
      return (await this.resolve(entity, system, externalId)) === canonicalId;
    },
    async resolve(entity, system, externalId) {
      const { rows } = await db.query<{ canonical_id: string }>(
        `SELECT canonical_id FROM ${table} WHERE entity = $1 AND system = $2 AND external_id = $3`,
        [entity, system, externalId],
      );
      return rows[0]?.canonical_id;
    },
    async refs(entity, canonicalId) {
      const { rows } = await db.query<{ system: string; external_id: string }>(
        `SELECT system, external_id FROM ${table} WHERE entity = $1 AND canonical_id = $2 ORDER BY system`,
        [entity, canonicalId],
      );
      return Object.fromEntries(rows.map((row) => [row.system, row.external_id]));
    },
  };
}
