import { randomUUID } from "node:crypto";
import { ValidationError } from "@distro/core";
import type { Redis } from "ioredis";
import type { RedisClock } from "./idempotency-store";
import { defineScript, runScript } from "./script";

/** Settings of {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** The ioredis client (the caller owns it). */
  redis: Redis;
  /** The upstream's name; every worker limiting that upstream uses the same one (e.g. `erp`). */
  key: string;
  /** At most this many starts in any window of `intervalMs`, across all workers. */
  limit: number;
  /** The window (default 1,000 ms). */
  intervalMs?: number;
  /** Prefix of the Redis key (default `distro:rate:`). */
  keyPrefix?: string;
  /**
   * The time source. By default the Redis server's clock (`TIME` inside the script), so
   * workers with skewed clocks still share one window; inject one for tests.
   */
  clock?: RedisClock;
  /** How to wait before asking again (defaults to `setTimeout`; tests pass one that moves a manual clock). */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** Options of one {@link RedisRateLimiter.schedule}. */
export interface RedisScheduleOptions {
  /** Higher starts first among this worker's waiting tasks (default 0). */
  priority?: number;
}

/** Options of one {@link RedisRateLimiter.run}: `interactive` (10) ahead of `batch` (0), or a number. */
export interface RedisRunOptions {
  /** `interactive`, `batch`, or a number (higher first). */
  priority?: "interactive" | "batch" | number;
}

/** Counters of one worker's limiter. */
export interface RedisRateLimiterStats {
  /** Tasks waiting in this worker. */
  queued: number;
  /** Tasks this worker started. */
  started: number;
  /** Times the shared window was full and this worker waited. */
  waits: number;
}

/** One worker's handle on a rate limit shared through Redis. */
export interface RedisRateLimiter {
  /**
   * Runs `task` once the shared window has room; waiting tasks of this worker start by priority.
   * Fits the structural `limiter` setting of the connectors.
   *
   * @param task - the call to the upstream
   * @param options - priority
   * @returns what `task` returns
   * @throws whatever `task` throws; the Redis client's error when Redis cannot be reached
   */
  schedule<T>(task: () => Promise<T>, options?: RedisScheduleOptions): Promise<T>;
  /**
   * The same as {@link RedisRateLimiter.schedule} with the priorities of `@distro/sync`'s `UpstreamLimiter.run`.
   *
   * @param task - the call to the upstream
   * @param options - `interactive`, `batch` or a number
   * @returns what `task` returns
   */
  run<T>(task: () => Promise<T>, options?: RedisRunOptions): Promise<T>;
  /**
   * Waits for one start in the shared window and takes it.
   *
   * @returns the time of the start (ms, on the limiter's clock)
   */
  acquire(): Promise<number>;
  /**
   * Counters of this worker.
   *
   * @returns the counters
   */
  stats(): RedisRateLimiterStats;
}

// A sliding-window log: one sorted set of start times. A start is granted only when fewer
// than `limit` starts lie in (now - interval, now]; else it answers how long to wait.
const ACQUIRE = defineScript(`
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
else
  now = tonumber(ARGV[3])
end
-- The script's time never goes back: a caller whose clock lags (or a request that waited
-- in the network) counts as arriving at the latest time seen, so no entry removed for a
-- later time is missing from an earlier window.
local latest = tonumber(redis.call('GET', KEYS[2]))
if latest and latest > now then now = latest end
-- The clock key never expires, so its absence means Redis has no record of this limit: its
-- first use, or Redis lost its data (a restart without persistence, a failover to a replica
-- that had not caught up). Starts of the last interval may then be missing from the log, so
-- the window counts as full for one interval: placeholders that leave it like real starts.
if not latest then
  redis.call('DEL', key)
  for index = 1, limit do redis.call('ZADD', key, now, 'unknown:' .. index) end
  redis.call('PEXPIRE', key, math.max(interval * 2, 60000))
end
redis.call('SET', KEYS[2], tostring(now))
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - interval)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  -- Garbage collection only, in real time: generous, since an injected clock may run apart from it.
  redis.call('PEXPIRE', key, math.max(interval * 2, 60000))
  return {1, now}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + interval - now)}
`);

interface Waiting {
  priority: number;
  sequence: number;
  start: () => void;
  fail: (error: unknown) => void;
}

/**
 * A rate limit that N worker processes share through Redis, so together they stay within
 * one upstream's limit (e.g. 50 calls per second to the ERP, whatever the number of
 * workers). Each start is granted by one atomic Lua script over a sliding-window log:
 * no window of `intervalMs` ever holds more than `limit` starts across all workers. A
 * worker whose request is refused waits exactly until the oldest start leaves the window.
 * When Redis has no record of the limit (its first use, or Redis lost its data in a
 * restart without persistence) the window counts as full for one interval, so the starts
 * Redis forgot cannot be repeated on top of the ones it remembers.
 *
 * @param options - client, key, limit, window, clock
 * @returns the worker's limiter
 * @throws ValidationError when `limit` or `intervalMs` is not a positive integer, or `key` is empty
 * @example
 * ```ts
 * import { createRedisRateLimiter } from "@distro/store-redis";
 * import { Redis } from "ioredis";
 *
 * const erpLimit = createRedisRateLimiter({ redis: new Redis(process.env.REDIS_URL!), key: "erp", limit: 50 });
 * const order = await erpLimit.schedule(() => fetch("https://erp.example/orders/1").then((response) => response.json()));
 * ```
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const intervalMs = options.intervalMs ?? 1000;
  const issues = [];
  if (!Number.isInteger(options.limit) || options.limit < 1) {
    issues.push({ code: "too_small", path: ["limit"], message: "limit must be a positive integer" });
  }
  if (!Number.isInteger(intervalMs) || intervalMs < 1) {
    issues.push({
      code: "too_small",
      path: ["intervalMs"],
      message: "intervalMs must be a positive integer",
    });
  }
  if (typeof options.key !== "string" || options.key === "") {
    issues.push({ code: "too_small", path: ["key"], message: "key must be a non-empty string" });
  }
  if (issues.length > 0) throw new ValidationError("Invalid Redis rate limiter settings", issues);
  const { redis, limit } = options;
  // A hash tag keeps the log and its clock in one slot, so the script also runs on Redis Cluster.
  const redisKey = `${options.keyPrefix ?? "distro:rate:"}{${options.key}}`;
  const sleep =
    options.sleep ??
    ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const member = randomUUID();
  const waiting: Waiting[] = [];
  const counters = { started: 0, waits: 0 };
  let serial = 0;
  let pumping = false;

  const acquire = async (): Promise<number> => {
    for (;;) {
      const now = options.clock === undefined ? "" : Math.floor(options.clock.now());
      const [granted, value] = (await runScript(
        redis,
        ACQUIRE,
        [redisKey, `${redisKey}:clock`],
        [limit, intervalMs, now, `${member}:${++serial}`],
      )) as [number, number];
      if (granted === 1) return value;
      counters.waits += 1;
      await sleep(value);
    }
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiting.length > 0) {
        await acquire();
        waiting.sort((left, right) => right.priority - left.priority || left.sequence - right.sequence);
        const next = waiting.shift()!;
        counters.started += 1;
        next.start();
      }
    } catch (error) {
      // Redis could not be asked: every waiting task fails with that error instead of hanging.
      for (const entry of waiting.splice(0)) entry.fail(error);
    } finally {
      pumping = false;
    }
  };

  const schedule = <T>(task: () => Promise<T>, scheduleOptions?: RedisScheduleOptions): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push({
        priority: scheduleOptions?.priority ?? 0,
        sequence: ++serial,
        start: () => {
          Promise.resolve().then(task).then(resolve, reject);
        },
        fail: reject,
      });
      void pump();
    });

  return {
    schedule,
    run(task, runOptions) {
      const priority = runOptions?.priority;
      return schedule(task, {
        priority:
          priority === "interactive" ? 10 : priority === "batch" || priority === undefined ? 0 : priority,
      });
    },
    acquire,
    stats: () => ({ queued: waiting.length, ...counters }),
  };
}
