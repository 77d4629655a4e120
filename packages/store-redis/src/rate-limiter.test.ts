import { createManualClock } from "@distro/core/testing";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createRedisRateLimiter } from "./rate-limiter";
import { openTestRedis, redisService } from "./test-redis.test-helper";

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

describe("Redis rate limiter settings", () => {
  it("refuses a bad limit, window or key with a ValidationError naming each", () => {
    let caught: unknown;
    try {
      // The client is never used: the settings are refused first.
      createRedisRateLimiter({ redis: undefined as never, key: "", limit: 0, intervalMs: 1.5 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [
        expect.objectContaining({ path: ["limit"] }),
        expect.objectContaining({ path: ["intervalMs"] }),
        expect.objectContaining({ path: ["key"] }),
      ],
    });
  });
});

describe.skipIf(!redisService.url)("Redis rate limiter", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  const client = () => {
    const opened = openTestRedis();
    cleanups.push(opened.cleanup);
    return opened;
  };

  it("4 workers sharing one key never start more than the limit in any window (Redis clock)", async () => {
    const { prefix, redis } = client();
    const limit = 5;
    const intervalMs = 100;
    const workers = Array.from({ length: 4 }, () =>
      createRedisRateLimiter({ redis: client().redis, keyPrefix: prefix, key: "erp", limit, intervalMs }),
    );
    // acquire() answers the Redis server time of each start it was granted: the test checks
    // the very timestamps the script counted, from all 4 workers together.
    const starts = await Promise.all(
      workers.flatMap((worker) => Array.from({ length: 10 }, () => worker.acquire())),
    );
    expect(starts).toHaveLength(40);
    expect(busiestWindow(starts, intervalMs)).toBeLessThanOrEqual(limit);
    // 40 starts at 5 per window need at least 8 windows: the limit was shared, not per worker.
    const sorted = [...starts].sort((left, right) => left - right);
    expect(sorted[39]! - sorted[0]!).toBeGreaterThanOrEqual(7 * intervalMs);
    expect(workers.some((worker) => worker.stats().waits > 0)).toBe(true);
    expect(await redis.zcard(`${prefix}{erp}`)).toBeLessThanOrEqual(limit);
  });

  it("schedule() spreads 4 workers' tasks over the windows the shared limit needs", async () => {
    const { prefix, redis } = client();
    const limit = 4;
    const intervalMs = 80;
    const workers = Array.from({ length: 4 }, () =>
      createRedisRateLimiter({ redis: client().redis, keyPrefix: prefix, key: "wms", limit, intervalMs }),
    );
    const starts: number[] = [];
    await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: 6 }, () =>
          worker.schedule(async () => {
            // The task itself asks Redis for the time it runs at; a start is always after its grant.
            const [seconds, micros] = await redis.time();
            starts.push(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
          }),
        ),
      ),
    );
    expect(starts).toHaveLength(24);
    // 24 starts at 4 per 80 ms cannot all fit in less than 5 full windows.
    const sorted = [...starts].sort((left, right) => left - right);
    expect(sorted[sorted.length - 1]! - sorted[0]!).toBeGreaterThanOrEqual(5 * intervalMs - intervalMs);
  });

  it("property: for any bursts over 4 workers, no window holds more than the limit", async () => {
    const { prefix } = client();
    const redisClients = Array.from({ length: 4 }, () => client().redis);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 10, max: 500 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 4, maxLength: 4 }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (limit, intervalMs, bursts) => {
          const clock = createManualClock();
          const starts: number[] = [];
          const key = `burst-${++run}`;
          const workers = redisClients.map((redis) =>
            createRedisRateLimiter({
              redis,
              keyPrefix: prefix,
              key,
              limit,
              intervalMs,
              clock,
              sleep: async (milliseconds) => clock.advance(milliseconds),
            }),
          );
          for (const burst of bursts) {
            await Promise.all(
              burst.flatMap((size, worker) =>
                Array.from({ length: size }, () => workers[worker]!.acquire().then((at) => starts.push(at))),
              ),
            );
            clock.advance(intervalMs / 2);
          }
          expect(starts).toHaveLength(bursts.flat().reduce((sum, size) => sum + size, 0));
          expect(busiestWindow(starts, intervalMs)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("starts a worker's waiting tasks by priority, and `run` puts interactive ahead of batch", async () => {
    const { redis, prefix } = client();
    const clock = createManualClock();
    const limiter = createRedisRateLimiter({
      redis,
      keyPrefix: prefix,
      key: "erp",
      limit: 1,
      intervalMs: 1000,
      clock,
      sleep: async (milliseconds) => clock.advance(milliseconds),
    });
    const order: string[] = [];
    const first = limiter.run(async () => order.push("first"));
    const batch = limiter.run(async () => order.push("batch"), { priority: "batch" });
    const interactive = limiter.run(async () => order.push("interactive"), { priority: "interactive" });
    const urgent = limiter.schedule(async () => order.push("urgent"), { priority: 50 });
    await Promise.all([first, batch, interactive, urgent]);
    // All four wait for the first grant; then the highest priority goes first, ties in arrival order.
    expect(order).toEqual(["urgent", "interactive", "first", "batch"]);
  });

  it("passes a task's failure to its caller and keeps serving the others", async () => {
    const { redis, prefix } = client();
    const limiter = createRedisRateLimiter({ redis, keyPrefix: prefix, key: "erp", limit: 10 });
    const failing = limiter.schedule(async () => {
      throw new Error("ERP answered 500");
    });
    await expect(failing).rejects.toThrow("ERP answered 500");
    await expect(limiter.schedule(async () => "ok")).resolves.toBe("ok");
  });

  it("fails waiting tasks with the client's error when Redis cannot be reached, instead of hanging", async () => {
    const { redis, prefix } = client();
    const broken = redis.duplicate({ maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    const limiter = createRedisRateLimiter({ redis: broken, keyPrefix: prefix, key: "erp", limit: 10 });
    await expect(limiter.schedule(async () => "never")).rejects.toThrow();
    broken.disconnect();
  });
});
