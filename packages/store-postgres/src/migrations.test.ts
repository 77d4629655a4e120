import { randomUUID } from "node:crypto";
import { serviceUrl } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, migrate } from "./migrations";
import { connectPostgres } from "./sql";

const postgres = serviceUrl("postgres");

describe.skipIf(!postgres.url)(`migrations on PostgreSQL (${postgres.skipReason ?? "DISTRO_PG_URL"})`, () => {
  it("run once when several processes start together: one applies them, the others find nothing to do", async () => {
    const schema = `m_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    // One pool per "process", each with its own connection, all migrating at once.
    const databases = Array.from({ length: 5 }, () => connectPostgres(postgres.url!, { max: 1 }));
    try {
      const applied = await Promise.all(databases.map((db) => migrate(db, { schema })));
      const versions = Array.from({ length: LATEST_SCHEMA_VERSION }, (_, index) => index + 1);
      expect(applied.filter((list) => list.length > 0)).toEqual([versions]);
      const { rows } = await databases[0]!.query<{ version: number }>(
        `SELECT version FROM "${schema}".distro_migrations ORDER BY version`,
      );
      expect(rows.map((row) => Number(row.version))).toEqual(versions);
      expect(await migrate(databases[1]!, { schema })).toEqual([]);
    } finally {
      await databases[0]!.query(`DROP SCHEMA "${schema}" CASCADE`);
      await Promise.all(databases.map((db) => db.close()));
    }
  });
});
