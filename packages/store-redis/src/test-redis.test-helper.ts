import { randomUUID } from "node:crypto";
import { serviceUrl } from "@distro/core/testing";
import { Redis } from "ioredis";

/** The Redis URL for the tests, or the reason they skip. */
export const redisService = serviceUrl("redis");

/** A client and a random key prefix for one test; `cleanup` deletes every key under the prefix and quits. */
export function openTestRedis(): { redis: Redis; prefix: string; cleanup: () => Promise<void> } {
  const redis = new Redis(redisService.url!, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const prefix = `distro-test:${randomUUID().slice(0, 12)}:`;
  return {
    redis,
    prefix,
    async cleanup() {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== "0");
      redis.disconnect();
    },
  };
}
