import { describeIdempotencyStoreConformance } from "@distro/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisIdempotencyStore } from "./idempotency-store";
import { openTestRedis, redisService } from "./test-redis.test-helper";

describe.skipIf(!redisService.url)("Redis idempotency store", () => {
  const opened: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of opened) await cleanup();
  });
  describeIdempotencyStoreConformance("redis", ({ clock }) => {
    const { redis, prefix, cleanup } = openTestRedis();
    opened.push(cleanup);
    return createRedisIdempotencyStore({ redis, keyPrefix: prefix, clock });
  });
});

describe.skipIf(!redisService.url)("Redis idempotency store across a dropped connection", () => {
  it("keeps claims and results when Redis drops the client's connection, and resumes", async () => {
    const { redis, prefix, cleanup } = openTestRedis();
    const admin = openTestRedis();
    try {
      const name = `${prefix}store`.replace(/[^A-Za-z0-9:_.-]/g, "_");
      await redis.client("SETNAME", name);
      const store = createRedisIdempotencyStore({ redis, keyPrefix: prefix });
      const request = {
        key: "order-1001",
        fingerprint: "f1",
        inProgressExpiryMs: 30_000,
        retentionMs: 60_000,
      };
      const claim = await store.claim(request);
      expect(claim.outcome).toBe("claimed");
      const clients = (await admin.redis.client("LIST")) as string;
      const line = clients.split("\n").find((entry) => entry.includes(` name=${name} `));
      await admin.redis.client("KILL", "ID", /id=(\d+)/.exec(line!)![1]!);
      // The client reconnects by itself; the claim is still held, the duplicate still refused.
      const duplicate = await store.claim(request);
      expect(duplicate.outcome).toBe("existing");
      expect(
        await store.complete("order-1001", claim.record.claimToken, { orderNumber: "SO-1" }, 60_000),
      ).toBe(true);
      expect((await store.get("order-1001"))?.result).toEqual({ orderNumber: "SO-1" });
    } finally {
      await admin.cleanup();
      await cleanup();
    }
  });
});
