import { idempotent } from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import { createReadThroughCache, defaultPolicies, type SyncPolicy } from "@distro/sync";
import { Redis, type RedisOptions } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisIdempotencyStore } from "./idempotency-store";
import { createRedisInboxStore } from "./inbox-store";
import { type OwnRedis, ownRedisSkipReason, startOwnRedis } from "./own-redis.test-helper";
import { createRedisRateLimiter } from "./rate-limiter";
import {
  connectRedisSecondTier,
  REDIS_CACHE_INVALIDATED,
  type RedisInvalidationEvent,
  redisInvalidationTarget,
} from "./second-tier";

if (ownRedisSkipReason !== undefined) {
  if (process.env.DISTRO_REQUIRE_SERVICES === "1") throw new Error(ownRedisSkipReason);
  console.warn(`[distro] ${ownRedisSkipReason}`);
}

const retryableRedisError = { code: "REDIS_ERROR", retryable: true };

/** The largest number of starts in any window of `intervalMs` (half-open, as the limiter counts). */
function busiestWindow(starts: readonly number[], intervalMs: number): number {
  const sorted = [...starts].sort((left, right) => left - right);
  let busiest = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= intervalMs) first += 1;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

describe.skipIf(ownRedisSkipReason !== undefined)("Redis restarts (a redis-server of the test's own)", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const own = async (appendOnly: boolean) => {
    const server = await startOwnRedis({ appendOnly });
    cleanups.push(() => server.close());
    return server;
  };
  /**
   * A client that reconnects every 20 ms. `failFast` gives up on a command after one failed
   * reconnection; otherwise commands wait in the client's queue until Redis is back.
   */
  const client = (server: OwnRedis, failFast: boolean) => {
    const options: RedisOptions = {
      maxRetriesPerRequest: failFast ? 1 : null,
      retryStrategy: () => 20,
    };
    const redis = new Redis(server.url, options);
    redis.on("error", () => undefined);
    cleanups.push(() => redis.disconnect());
    return redis;
  };
  const restart = async (server: OwnRedis) => {
    await server.kill();
    await server.start();
  };

  const bookOrder = (store: ReturnType<typeof createRedisIdempotencyStore>, bookings: string[]) =>
    idempotent(
      async () => {
        bookings.push("SO-1001");
        return { erpOrder: "ERP-77" };
      },
      {
        store,
        key: "SO-1001",
        scope: { system: "shopify", operation: "book-order" },
        inProgressExpiryMs: 30_000,
        retentionMs: 86_400_000,
      },
    );

  it("calls during the outage fail with a retryable REDIS_ERROR (fail-fast client) or wait for Redis to return (queueing client)", async () => {
    const server = await own(false);
    const failFast = createRedisIdempotencyStore({ redis: client(server, true) });
    const queueing = createRedisIdempotencyStore({ redis: client(server, false) });
    const inbox = createRedisInboxStore({ redis: client(server, true) });
    const bookings: string[] = [];
    expect(await bookOrder(failFast, bookings)).toEqual({ erpOrder: "ERP-77" });

    await server.kill();
    await expect(bookOrder(failFast, bookings)).rejects.toMatchObject(retryableRedisError);
    await expect(inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000)).rejects.toMatchObject(
      retryableRedisError,
    );
    // The queueing client holds its command until Redis is back, then answers it.
    const waiting = queueing.claim({
      key: "shopify:book-order:SO-2002",
      fingerprint: undefined,
      inProgressExpiryMs: 30_000,
      retentionMs: 86_400_000,
    });
    await server.start();
    expect((await waiting).outcome).toBe("claimed");
    // Work resumes on both clients.
    expect((await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000)).status).toBe("acquired");
    expect(bookings).toEqual(["SO-1001"]);
  });

  it("without persistence a restart forgets idempotency and inbox records: the operation would run again", async () => {
    // This is why the README asks for AOF (or the PostgreSQL stores) where a restart must
    // not forget: the test states the loss rather than hide it.
    const server = await own(false);
    const redis = client(server, false);
    const store = createRedisIdempotencyStore({ redis });
    const inbox = createRedisInboxStore({ redis });
    const bookings: string[] = [];
    await bookOrder(store, bookings);
    const begin = await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000);
    await inbox.complete("erp-booking", "/shop\u0000evt-1", (begin as { token: string }).token, "handled");
    await restart(server);
    await bookOrder(store, bookings);
    expect(bookings).toEqual(["SO-1001", "SO-1001"]);
    expect((await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000)).status).toBe("acquired");
  });

  it("with an append-only file (appendfsync always) idempotency and inbox records survive a kill: the operation runs once", async () => {
    const server = await own(true);
    const redis = client(server, false);
    const store = createRedisIdempotencyStore({ redis });
    const inbox = createRedisInboxStore({ redis });
    const bookings: string[] = [];
    await bookOrder(store, bookings);
    const begin = await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000);
    await inbox.complete("erp-booking", "/shop\u0000evt-1", (begin as { token: string }).token, "handled");
    await restart(server);
    expect(await bookOrder(store, bookings)).toEqual({ erpOrder: "ERP-77" });
    expect(bookings).toEqual(["SO-1001"]);
    expect(await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000)).toEqual({
      status: "done",
      outcome: "handled",
    });
  });

  it("the rate limiter never over-admits across a restart that lost its window, and fails waiting tasks with a retryable error meanwhile", async () => {
    const server = await own(false);
    const limit = 5;
    const intervalMs = 400;
    const workers = [client(server, true), client(server, true)].map((redis) =>
      createRedisRateLimiter({ redis, key: "erp", limit, intervalMs }),
    );
    const starts: number[] = [];
    const take = async (count: number) => {
      await Promise.all(
        Array.from({ length: count }, (_, index) =>
          workers[index % 2]!.acquire().then((at) => starts.push(at)),
        ),
      );
    };
    await take(limit);
    await server.kill();
    await expect(workers[0]!.schedule(async () => "never")).rejects.toMatchObject(retryableRedisError);
    await server.start();
    // Redis forgot the starts of the last window: without a guard, these 5 would start at once,
    // 10 in one window.
    await take(limit);
    expect(starts).toHaveLength(2 * limit);
    expect(busiestWindow(starts, intervalMs)).toBeLessThanOrEqual(limit);
  });

  it("the cache tier re-subscribes after a restart: an invalidation sent afterwards reaches the other process", async () => {
    const server = await own(false);
    const policy: SyncPolicy = { ...defaultPolicies.price!, name: "test.price", freshForMs: 60_000 };
    const process = async () => {
      const tier = await connectRedisSecondTier({ redis: client(server, false), keyPrefix: "prices:" });
      cleanups.push(() => tier.close());
      const loads: string[] = [];
      const received: RedisInvalidationEvent[] = [];
      tier.invalidations.subscribe(REDIS_CACHE_INVALIDATED, (event) => received.push(event));
      const cache = createReadThroughCache<string>({
        entity: "price",
        policy,
        secondTier: tier,
        load: async (key) => {
          loads.push(key);
          return "0.0125";
        },
        invalidateOn: { [REDIS_CACHE_INVALIDATED]: redisInvalidationTarget },
      });
      cache.subscribeTo(tier.invalidations);
      return { cache, loads, received };
    };
    const a = await process();
    const b = await process();
    const listeners = client(server, false);

    await restart(server);
    // Invalidations sent while a listener was away are missed: each process drops its whole
    // memory tier when its listener is back.
    await waitUntil(() => b.received.some((event) => event.data?.prefix === ""), {
      timeoutMs: 10_000,
      description: "B's listener to come back",
    });
    await waitUntil(async () => Number((await listeners.pubsub("NUMSUB", "prices:invalidations"))[1]) === 2, {
      timeoutMs: 10_000,
      description: "both listeners to subscribe again",
    });
    await b.cache.get("C1:BOLT");
    await b.cache.get("C1:BOLT");
    expect(b.loads).toEqual(["C1:BOLT"]);

    await a.cache.invalidate("C1:BOLT");
    await waitUntil(() => b.received.some((event) => event.subject === "C1:BOLT"), {
      description: "A's invalidation to reach B",
    });
    await b.cache.get("C1:BOLT");
    expect(b.loads).toEqual(["C1:BOLT", "C1:BOLT"]);
  });
});
