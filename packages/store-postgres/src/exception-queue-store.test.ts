import { randomUUID } from "node:crypto";
import { createExceptionFeed, createExceptionRouter } from "@distro/core";
import { describeExceptionQueueStoreConformance, serviceUrl } from "@distro/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDeadLetterStore } from "./dead-letter-store";
import { createPostgresExceptionQueueStore } from "./exception-queue-store";
import { migrate } from "./migrations";
import { connectPostgres, openPglite, type SqlDatabase } from "./sql";

const postgres = serviceUrl("postgres");

function suites(engine: string, open: () => Promise<SqlDatabase>) {
  let database: Promise<SqlDatabase> | undefined;
  const db = () => (database ??= open());
  const fresh = async () => {
    const schema = `x_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    await migrate(await db(), { schema });
    return { db: await db(), schema };
  };
  beforeAll(async () => {
    await db();
  }, 120_000);
  afterAll(async () => {
    if (database) await (await database).close();
  });

  describeExceptionQueueStoreConformance(engine, async () =>
    createPostgresExceptionQueueStore(await fresh()),
  );

  it(`${engine}: two stores on one table (two processes) add the same reference once`, async () => {
    const settings = await fresh();
    const first = createPostgresExceptionQueueStore(settings);
    const second = createPostgresExceptionQueueStore(settings);
    const input = {
      sourceRef: "dead-letter:abc",
      kind: "dead-letter" as const,
      queue: "edi-support",
      priority: "high" as const,
      summary: "EDI_REJECTED",
      reference: { deadLetterId: "abc" },
      occurredAt: 1,
    };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? first : second).add(input, index)),
    );
    expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(await second.list({ status: "all" })).toHaveLength(1);
  });

  it(`${engine}: a bounded store refuses a new item when full (retryable), never an existing one`, async () => {
    const store = createPostgresExceptionQueueStore({ ...(await fresh()), maxItems: 2 });
    const input = (sourceRef: string) => ({
      sourceRef,
      kind: "other" as const,
      queue: "q",
      priority: "low" as const,
      summary: sourceRef,
      reference: {},
      occurredAt: 1,
    });
    await store.add(input("a"), 1);
    await store.add(input("b"), 1);
    await expect(store.add(input("c"), 1)).rejects.toMatchObject({
      code: "EXCEPTION_STORE_FULL",
      retryable: true,
    });
    expect((await store.add(input("a"), 2)).created).toBe(false);
  });

  it(`${engine}: the feed routes PostgreSQL dead letters into PostgreSQL exception queues once`, async () => {
    const settings = await fresh();
    const deadLetters = createPostgresDeadLetterStore(settings);
    const store = createPostgresExceptionQueueStore(settings);
    const router = createExceptionRouter({
      rules: [{ name: "erp", match: { errorCode: "erp.*" }, queue: "erp-support", slaMs: 60_000 }],
    });
    for (const index of [1, 2, 3])
      await deadLetters.add({
        subscriber: "erp-booking",
        message: `{"id":"e${index}","email":"jane@example.com"}`,
        eventId: `e${index}`,
        source: "/shop",
        type: "order.submitted",
        error: {
          name: "DistroError",
          code: index === 3 ? "VALIDATION_FAILED" : "erp.down",
          message: "ERP refused jane@example.com",
          retryable: false,
        },
        attempts: 3,
        firstFailedAt: 1_000 * index,
        lastFailedAt: 1_000 * index + 5,
      });
    const feed = createExceptionFeed({ router, store, deadLetters, pageSize: 2 });
    const report = await feed.poll();
    expect(report.created.map((item) => [item.queue, item.dueAt])).toEqual([
      ["erp-support", 61_000],
      ["erp-support", 62_000],
      ["unrouted", undefined],
    ]);
    expect(report.cursor).toBe(3_005);
    expect((await createExceptionFeed({ router, store, deadLetters }).poll()).created).toEqual([]);
    const stored = await store.list({ status: "all" });
    expect(stored).toHaveLength(3);
    expect(JSON.stringify(stored)).not.toContain("jane@example.com");
  });
}

describe("PGlite (embedded)", () => {
  suites("pglite", () => openPglite());
});

describe.skipIf(!postgres.url)(`PostgreSQL (${postgres.skipReason ?? "DISTRO_PG_URL"})`, () => {
  suites("postgres", async () => connectPostgres(postgres.url!));
});
