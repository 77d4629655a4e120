import { randomUUID } from "node:crypto";
import type { InboxOutcome, InboxStore } from "@distro/core";
import type { Redis } from "ioredis";
import type { RedisClock } from "./idempotency-store";
import { guardRedis } from "./redis-error";
import { defineScript, runScript } from "./script";

/** Settings of {@link createRedisInboxStore}. */
export interface RedisInboxStoreOptions {
  /** The ioredis client (the caller owns it). */
  redis: Redis;
  /** Prefix of every Redis key this store writes (default `distro:inbox:`). */
  keyPrefix?: string;
  /** How long a finished message is remembered (default 7 days). */
  retentionMs?: number;
  /** The time source for leases (defaults to `Date`), passed into the scripts. */
  clock?: RedisClock;
}

// One hash per subscriber and message: token, outcome ("" while running), until.
const BEGIN = defineScript(`
local key = KEYS[1]
local now = tonumber(ARGV[1])
local heldUntil = tonumber(redis.call('HGET', key, 'until'))
if heldUntil and heldUntil > now then
  local outcome = redis.call('HGET', key, 'outcome')
  if outcome ~= '' then return {'done', outcome} end
  -- The same begin sent again (its reply was lost, the client resent it): the lease is its own.
  if redis.call('HGET', key, 'token') == ARGV[3] then return {'acquired', ARGV[3]} end
  return {'busy', tostring(heldUntil - now)}
end
local leaseMs = tonumber(ARGV[2])
redis.call('HSET', key, 'token', ARGV[3], 'outcome', '', 'until', tostring(now + leaseMs))
redis.call('PEXPIRE', key, math.max(1, leaseMs))
return {'acquired', ARGV[3]}
`);

const SETTLE = defineScript(`
local key = KEYS[1]
local now = tonumber(ARGV[1])
local heldUntil = tonumber(redis.call('HGET', key, 'until'))
if not heldUntil or heldUntil <= now or redis.call('HGET', key, 'outcome') ~= '' or redis.call('HGET', key, 'token') ~= ARGV[2] then
  return 0
end
if ARGV[3] == 'release' then
  redis.call('DEL', key)
  return 1
end
local retentionMs = tonumber(ARGV[4])
redis.call('HSET', key, 'outcome', ARGV[3], 'until', tostring(now + retentionMs))
redis.call('PEXPIRE', key, math.max(1, retentionMs))
return 1
`);

/**
 * core's `InboxStore` on Redis, shared by every worker process of a subscription: `begin`
 * is one atomic Lua script, so of concurrent begins of one message exactly one acquires
 * it; a holder that never finishes loses the message when its lease runs out; finished
 * messages are remembered for `retentionMs` (a Redis expiry), so a redelivered or
 * duplicated message is recognised across processes.
 *
 * @param options - client, key prefix, retention and clock
 * @returns the inbox store
 * @example
 * ```ts
 * import { createBus, createMemoryTransport } from "@distro/core";
 * import { createRedisInboxStore } from "@distro/store-redis";
 * import { Redis } from "ioredis";
 *
 * const inbox = createRedisInboxStore({ redis: new Redis(process.env.REDIS_URL!) });
 * const bus = createBus({ transport: createMemoryTransport(), inbox });
 * ```
 */
export function createRedisInboxStore(options: RedisInboxStoreOptions): InboxStore {
  const { redis } = options;
  const prefix = options.keyPrefix ?? "distro:inbox:";
  const retentionMs = Math.max(1, Math.floor(options.retentionMs ?? 7 * 86_400_000));
  const clock = options.clock ?? Date;
  const tokenPrefix = randomUUID();
  let serial = 0;
  // The subscriber's length goes first, so no subscriber and message key pair collides with another.
  const redisKey = (subscriber: string, messageKey: string) =>
    `${prefix}${subscriber.length}:${subscriber}:${messageKey}`;
  const settle = async (subscriber: string, messageKey: string, token: string, outcome: string) =>
    (await runScript(
      redis,
      SETTLE,
      [redisKey(subscriber, messageKey)],
      [clock.now(), token, outcome, retentionMs],
    )) === 1;

  return {
    async begin(subscriber, messageKey, leaseMs) {
      const token = `${tokenPrefix}:${++serial}`;
      const [status, value] = (await runScript(
        redis,
        BEGIN,
        [redisKey(subscriber, messageKey)],
        [clock.now(), Math.max(1, Math.floor(leaseMs)), token],
      )) as [string, string];
      if (status === "acquired") return { status, token: value };
      if (status === "done") return { status, outcome: value as InboxOutcome };
      return { status: "busy", retryAfterMs: Number(value) };
    },
    complete(subscriber, messageKey, token, outcome) {
      return settle(subscriber, messageKey, token, outcome);
    },
    release(subscriber, messageKey, token) {
      return settle(subscriber, messageKey, token, "release");
    },
    async forget(subscriber, messageKey) {
      await guardRedis(() => redis.del(redisKey(subscriber, messageKey)));
    },
  };
}
