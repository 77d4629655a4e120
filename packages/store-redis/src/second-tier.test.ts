import { waitUntil } from "@distro/core/testing";
import { createReadThroughCache, defaultPolicies, type SecondTierCache, type SyncPolicy } from "@distro/sync";
import { afterEach, describe, expect, it } from "vitest";
import { connectRedisSecondTier, REDIS_CACHE_INVALIDATED, redisInvalidationTarget } from "./second-tier";
import { openTestRedis, redisService } from "./test-redis.test-helper";

const policy: SyncPolicy = {
  ...defaultPolicies.price!,
  name: "test.price",
  freshForMs: 60_000,
  maxStalenessMs: 120_000,
  notFoundForMs: 60_000,
};

describe.skipIf(!redisService.url)("Redis second cache tier", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** One "process": its own client, tier and read-through cache, sharing the test's prefix. */
  const process = async (prefix: string, loads: string[], prices: Map<string, string>) => {
    const { redis, cleanup } = openTestRedis();
    const tier = await connectRedisSecondTier({ redis, keyPrefix: prefix });
    cleanups.push(async () => {
      await tier.close();
      await cleanup();
    });
    const secondTier: SecondTierCache = tier;
    const cache = createReadThroughCache<string>({
      entity: "price",
      policy,
      secondTier,
      load: async (key) => {
        loads.push(key);
        return prices.get(key);
      },
      invalidateOn: { [REDIS_CACHE_INVALIDATED]: redisInvalidationTarget },
    });
    cache.subscribeTo(tier.invalidations);
    return { cache, tier };
  };

  it("stores entries with a TTL and reads them back, JSON-safe; a garbled value is a miss", async () => {
    const { redis, prefix, cleanup } = openTestRedis();
    cleanups.push(cleanup);
    const tier = await connectRedisSecondTier({ redis, keyPrefix: prefix });
    cleanups.push(() => tier.close());
    await tier.set(
      "C1:BOLT",
      { value: { amount: "0.0125", currency: "USD" }, found: true, storedAt: 5 },
      60_000,
    );
    await tier.set("C1:GONE", { value: null, found: false, storedAt: 6 }, 60_000);
    expect(await tier.get("C1:BOLT")).toEqual({
      value: { amount: "0.0125", currency: "USD" },
      found: true,
      storedAt: 5,
    });
    expect(await tier.get("C1:GONE")).toEqual({ value: null, found: false, storedAt: 6 });
    expect(await tier.get("C1:NUT")).toBeUndefined();
    const ttl = await redis.pttl(`${prefix}C1:BOLT`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await redis.set(`${prefix}garbled`, "{not json");
    expect(await tier.get("garbled")).toBeUndefined();
    expect(await redis.exists(`${prefix}garbled`)).toBe(0);
    await tier.set("short", { value: 1, found: true, storedAt: 0 }, 1);
    await waitUntil(async () => (await redis.exists(`${prefix}short`)) === 0);
    expect(await tier.get("short")).toBeUndefined();
  });

  it("shares loads: a second process reads the first one's load from Redis, not from the upstream", async () => {
    const { prefix, cleanup } = openTestRedis();
    cleanups.push(cleanup);
    const prices = new Map([["C1:BOLT", "0.0125"]]);
    const loadsA: string[] = [];
    const loadsB: string[] = [];
    const a = await process(prefix, loadsA, prices);
    const b = await process(prefix, loadsB, prices);
    expect(await a.cache.get("C1:BOLT")).toBe("0.0125");
    expect(await b.cache.get("C1:BOLT")).toBe("0.0125");
    expect(loadsA).toEqual(["C1:BOLT"]);
    expect(loadsB).toEqual([]);
    expect(b.cache.metrics().secondTierHits).toBe(1);
  });

  it("an invalidation in one process makes the other process's first tier drop the key", async () => {
    const { prefix, cleanup } = openTestRedis();
    cleanups.push(cleanup);
    const prices = new Map([
      ["C1:BOLT", "0.0125"],
      ["C1:NUT", "0.0300"],
    ]);
    const loadsA: string[] = [];
    const loadsB: string[] = [];
    const a = await process(prefix, loadsA, prices);
    const b = await process(prefix, loadsB, prices);
    expect(await a.cache.get("C1:BOLT")).toBe("0.0125");
    expect(await b.cache.get("C1:BOLT")).toBe("0.0125");
    expect(await b.cache.get("C1:NUT")).toBe("0.0300");
    prices.set("C1:BOLT", "0.0130");
    await a.cache.invalidate("C1:BOLT");
    // B held the old price in memory; the pub/sub message makes it drop it and load again.
    await waitUntil(async () => (await b.cache.get("C1:BOLT")) === "0.0130");
    expect(loadsB).toEqual(["C1:NUT", "C1:BOLT"]);
    // The untouched key is still served from B's memory.
    expect(await b.cache.get("C1:NUT")).toBe("0.0300");
    expect(loadsB).toEqual(["C1:NUT", "C1:BOLT"]);
  });

  it("a prefix invalidation reaches the other process, and nothing echoes back", async () => {
    const { redis, prefix, cleanup } = openTestRedis();
    cleanups.push(cleanup);
    const prices = new Map([
      ["C1:BOLT", "1.00"],
      ["C1:NUT", "2.00"],
      ["C2:BOLT", "3.00"],
    ]);
    const loadsA: string[] = [];
    const loadsB: string[] = [];
    const a = await process(prefix, loadsA, prices);
    const b = await process(prefix, loadsB, prices);
    for (const key of prices.keys()) await b.cache.get(key);
    expect(loadsB).toHaveLength(3);
    const published: string[] = [];
    const spy = redis.duplicate();
    cleanups.push(async () => {
      spy.disconnect();
    });
    spy.on("message", (_channel: string, text: string) => published.push(text));
    await spy.subscribe(`${prefix}invalidations`);
    prices.set("C1:BOLT", "1.10");
    prices.set("C1:NUT", "2.20");
    await a.cache.invalidatePrefix("C1:");
    expect(await redis.exists(`${prefix}C1:BOLT`, `${prefix}C1:NUT`)).toBe(0);
    expect(await redis.exists(`${prefix}C2:BOLT`)).toBe(1);
    await waitUntil(async () => (await b.cache.get("C1:BOLT")) === "1.10");
    expect(await b.cache.get("C1:NUT")).toBe("2.20");
    expect(await b.cache.get("C2:BOLT")).toBe("3.00");
    expect(loadsB.slice(3).sort()).toEqual(["C1:BOLT", "C1:NUT"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Only A's announcement: B applied it without deleting or announcing again.
    expect(published.map((text) => JSON.parse(text).prefix)).toEqual(["C1:"]);
  });

  it("treats glob characters in a prefix literally", async () => {
    const { redis, prefix, cleanup } = openTestRedis();
    cleanups.push(cleanup);
    const tier = await connectRedisSecondTier({ redis, keyPrefix: prefix });
    cleanups.push(() => tier.close());
    await tier.set("a*[1]", { value: 1, found: true, storedAt: 0 }, 60_000);
    await tier.set("ab", { value: 2, found: true, storedAt: 0 }, 60_000);
    await tier.deletePrefix("a*");
    expect(await tier.get("a*[1]")).toBeUndefined();
    expect(await tier.get("ab")).toEqual({ value: 2, found: true, storedAt: 0 });
  });

  it("after its listening connection drops and returns, a process drops its whole first tier", async () => {
    const { prefix, cleanup } = openTestRedis();
    cleanups.push(cleanup);
    const prices = new Map([["C1:BOLT", "1.00"]]);
    const loads: string[] = [];
    const b = await process(prefix, loads, prices);
    const events: unknown[] = [];
    b.tier.invalidations.subscribe(REDIS_CACHE_INVALIDATED, (event) => events.push(event));
    await b.cache.get("C1:BOLT");
    const admin = openTestRedis();
    cleanups.push(admin.cleanup);
    const clients = (await admin.redis.client("LIST")) as string;
    const listener = clients.split("\n").find((line) => line.includes(` name=${prefix}listener `));
    expect(listener).toBeDefined();
    const id = /id=(\d+)/.exec(listener!)![1]!;
    await admin.redis.client("KILL", "ID", id);
    await waitUntil(() => events.length === 1, { timeoutMs: 10_000 });
    expect(events).toEqual([{ type: REDIS_CACHE_INVALIDATED, data: { prefix: "" } }]);
    prices.set("C1:BOLT", "1.50");
    // The key is still in Redis (nobody deleted it), so it comes back from the second tier.
    expect(await b.cache.get("C1:BOLT")).toBe("1.00");
    expect(b.cache.metrics().secondTierHits).toBe(1);
  });
});
