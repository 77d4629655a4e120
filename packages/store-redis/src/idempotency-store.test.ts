import { describeIdempotencyStoreConformance } from "@distro/core/testing";
import { afterAll, describe } from "vitest";
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
