import { describeInboxStoreConformance } from "@distro/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisInboxStore } from "./inbox-store";
import { openTestRedis, redisService } from "./test-redis.test-helper";

describe.skipIf(!redisService.url)("Redis inbox store", () => {
  const opened: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of opened) await cleanup();
  });
  const open = () => {
    const test = openTestRedis();
    opened.push(test.cleanup);
    return test;
  };
  describeInboxStoreConformance("redis", ({ clock }) => {
    const { redis, prefix } = open();
    return createRedisInboxStore({ redis, keyPrefix: prefix, clock });
  });

  it("keeps subscriber and message key apart, and remembers outcomes only for the retention", async () => {
    const { redis, prefix } = open();
    const inbox = createRedisInboxStore({ redis, keyPrefix: prefix, retentionMs: 60_000 });
    const first = await inbox.begin("a:b", "c", 60_000);
    const second = await inbox.begin("a", "b:c", 60_000);
    expect(first.status).toBe("acquired");
    expect(second.status).toBe("acquired");
    if (first.status !== "acquired") return;
    expect(await inbox.complete("a:b", "c", first.token, "handled")).toBe(true);
    const ttl = await redis.pttl(`${prefix}3:a:b:c`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
