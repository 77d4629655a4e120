import { randomUUID } from "node:crypto";
import type { CloudEvent } from "@distro/core";
import {
  describeDeadLetterStoreConformance,
  describeFlowStoreConformance,
  describeIdempotencyStoreConformance,
  describeInboxStoreConformance,
  describeOutboxConformance,
  serviceUrl,
} from "@distro/core/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { createPostgresDeadLetterStore } from "./dead-letter-store";
import { extraStores } from "./extra-stores.test-helper";
import { createPostgresFlowStore } from "./flow-store";
import { createPostgresIdempotencyStore } from "./idempotency-store";
import { createPostgresInboxStore } from "./inbox-store";
import { migrate } from "./migrations";
import { createPostgresOutbox } from "./outbox-store";
import { connectPostgres, openPglite, type SqlDatabase } from "./sql";

const postgres = serviceUrl("postgres");

/** Runs every core conformance suite against one engine, each store in a schema of its own. */
function suites(engine: string, open: () => Promise<SqlDatabase>) {
  let database: Promise<SqlDatabase> | undefined;
  const db = () => (database ??= open());
  const fresh = async () => {
    const schema = `t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    await migrate(await db(), { schema });
    return { db: await db(), schema };
  };
  beforeAll(async () => {
    await db();
  }, 120_000);
  afterAll(async () => {
    if (database) await (await database).close();
  });

  describeIdempotencyStoreConformance(engine, async ({ clock }) =>
    createPostgresIdempotencyStore({ ...(await fresh()), clock }),
  );
  describeInboxStoreConformance(engine, async ({ clock }) =>
    createPostgresInboxStore({ ...(await fresh()), clock }),
  );
  describeDeadLetterStoreConformance(engine, async () => createPostgresDeadLetterStore(await fresh()));
  describeFlowStoreConformance(engine, async () => createPostgresFlowStore(await fresh()));
  extraStores(engine, fresh);
  describeOutboxConformance(engine, async ({ clock }) => {
    const { db: database, schema } = await fresh();
    const outbox = createPostgresOutbox({ db: database, schema, clock });
    const state = `"${schema}".distro_checkpoints`;
    return {
      outbox,
      record: (events: CloudEvent[]) =>
        database.transaction(async (transaction) => {
          await transaction.query(
            `INSERT INTO ${state} (job_id, checkpoint, updated_at) VALUES ($1, '{}'::jsonb, 0)`,
            [randomUUID()],
          );
          await outbox.add(transaction, events);
        }),
      recordAndFail: async (events: CloudEvent[]) => {
        await database
          .transaction(async (transaction) => {
            await outbox.add(transaction, events);
            throw new Error("the state change failed");
          })
          .catch(() => undefined);
      },
    };
  });
}

describe("PGlite (embedded)", () => {
  suites("pglite", () => openPglite());
});

describe.skipIf(!postgres.url)(`PostgreSQL (${postgres.skipReason ?? "DISTRO_PG_URL"})`, () => {
  suites("postgres", async () => connectPostgres(postgres.url!));
});
