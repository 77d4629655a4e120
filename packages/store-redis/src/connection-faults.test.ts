import { idempotent } from "@distro/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisIdempotencyStore } from "./idempotency-store";
import { createRedisInboxStore } from "./inbox-store";
import { ownRedisSkipReason, startOwnRedis } from "./own-redis.test-helper";
import { startRedisProxy } from "./redis-proxy.test-helper";

describe.skipIf(ownRedisSkipReason !== undefined)("Redis replies lost after the command ran", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A client through a proxy that can lose a reply, to a redis-server of the test's own. */
  const open = async () => {
    const server = await startOwnRedis({ appendOnly: false });
    cleanups.push(() => server.close());
    const proxy = await startRedisProxy(server.url);
    cleanups.push(() => proxy.close());
    // ioredis reconnects and sends the commands still waiting for a reply again.
    const redis = new Redis(proxy.url, { retryStrategy: () => 20 });
    redis.on("error", () => undefined);
    cleanups.push(() => redis.disconnect());
    return { proxy, redis };
  };

  it("an idempotent operation whose claim reply is lost still claims (the resent claim finds its own token) and runs once", async () => {
    const { proxy, redis } = await open();
    const store = createRedisIdempotencyStore({ redis, keyPrefix: "lost-reply:" });
    const bookings: string[] = [];
    const options = {
      store,
      key: "SO-1001",
      scope: { system: "shopify", operation: "book-order" },
      inProgressExpiryMs: 60_000,
      retentionMs: 86_400_000,
    };
    const book = async () => {
      bookings.push("SO-1001");
      return { erpOrder: "ERP-77" };
    };
    // Load the scripts first (EVALSHA answers NOSCRIPT once, which runs nothing).
    await idempotent(async () => "warm", { ...options, key: "SO-0" });
    const lost = proxy.loseNextReply("SO-1001");
    // Not IdempotencyInProgressError for 60 s behind a claim this very caller made.
    await expect(idempotent(book, options)).resolves.toEqual({ erpOrder: "ERP-77" });
    await lost;
    await expect(idempotent(book, options)).resolves.toEqual({ erpOrder: "ERP-77" });
    expect(bookings).toEqual(["SO-1001"]);
  });

  it("an inbox begin whose reply is lost still acquires the message instead of finding it busy behind its own lease", async () => {
    const { proxy, redis } = await open();
    const inbox = createRedisInboxStore({ redis, keyPrefix: "lost-reply:" });
    await inbox.begin("erp-booking", "/shop\u0000evt-0", 60_000);
    const lost = proxy.loseNextReply("evt-1");
    const begin = await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000);
    await lost;
    expect(begin.status).toBe("acquired");
    const token = (begin as { token: string }).token;
    expect(await inbox.complete("erp-booking", "/shop\u0000evt-1", token, "handled")).toBe(true);
    expect(await inbox.begin("erp-booking", "/shop\u0000evt-1", 60_000)).toEqual({
      status: "done",
      outcome: "handled",
    });
  });
});
