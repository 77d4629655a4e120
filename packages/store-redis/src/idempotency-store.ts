import { randomUUID } from "node:crypto";
import type {
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStatus,
  IdempotencyStore,
  SerializedError,
} from "@distro/core";
import type { Redis } from "ioredis";
import { defineScript, runScript } from "./script";

/** A time source: epoch milliseconds. */
export interface RedisClock {
  /**
   * The current time.
   *
   * @returns epoch milliseconds
   */
  now(): number;
}

/** Settings of {@link createRedisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /** The ioredis client (the caller owns it and closes it). */
  redis: Redis;
  /** Prefix of every Redis key this store writes (default `distro:idempotency:`). */
  keyPrefix?: string;
  /**
   * The time source for claims and expiry (defaults to `Date`). Its `now()` is passed to
   * the Lua scripts, so every worker must run on a synchronised clock (NTP): a claim
   * expires when the claiming worker's clock says so.
   */
  clock?: RedisClock;
}

// A record is one hash: scalars only, so Lua never decodes (and never rounds) results.
// fingerprint is "-" when absent and "=" + fingerprint when given; lockedUntil is "" when none.
const LIVE = `
local function live(key, now)
  local expiresAt = redis.call('HGET', key, 'expiresAt')
  if not expiresAt then return false end
  if tonumber(expiresAt) <= now then
    redis.call('DEL', key)
    return false
  end
  return true
end
`;

const CLAIM = defineScript(`${LIVE}
local key = KEYS[1]
local now = tonumber(ARGV[1])
local fingerprint = ARGV[2]
local inProgressMs = tonumber(ARGV[3])
local retentionMs = tonumber(ARGV[4])
if live(key, now) then
  local status = redis.call('HGET', key, 'status')
  local lockedUntil = tonumber(redis.call('HGET', key, 'lockedUntil')) or 0
  local current = redis.call('HGET', key, 'fingerprint')
  if not (status == 'in_progress' and lockedUntil <= now and current == fingerprint) then
    return {0, redis.call('HGETALL', key)}
  end
  redis.call('DEL', key)
end
local keepMs = math.max(retentionMs, inProgressMs)
redis.call('HSET', key, 'fingerprint', fingerprint, 'status', 'in_progress', 'claimToken', ARGV[5],
  'createdAt', ARGV[1], 'updatedAt', ARGV[1], 'lockedUntil', tostring(now + inProgressMs),
  'expiresAt', tostring(now + keepMs))
redis.call('PEXPIRE', key, math.max(1, keepMs))
return {1, redis.call('HGETALL', key)}
`);

const SETTLE = defineScript(`${LIVE}
local key = KEYS[1]
local now = tonumber(ARGV[1])
if not live(key, now) then return 0 end
if redis.call('HGET', key, 'status') ~= 'in_progress' or redis.call('HGET', key, 'claimToken') ~= ARGV[2] then
  return 0
end
if ARGV[3] == 'release' then
  redis.call('DEL', key)
  return 1
end
local retentionMs = tonumber(ARGV[5])
redis.call('HSET', key, 'status', ARGV[3], 'updatedAt', ARGV[1], 'lockedUntil', '', 'expiresAt', tostring(now + retentionMs))
if ARGV[3] == 'completed' then
  if ARGV[4] == '' then redis.call('HDEL', key, 'result') else redis.call('HSET', key, 'result', ARGV[4]) end
else
  redis.call('HSET', key, 'error', ARGV[4])
end
redis.call('PEXPIRE', key, math.max(1, retentionMs))
return 1
`);

const GET = defineScript(`${LIVE}
if not live(KEYS[1], tonumber(ARGV[1])) then return {} end
return redis.call('HGETALL', KEYS[1])
`);

function encodeFingerprint(fingerprint: string | undefined): string {
  return fingerprint === undefined ? "-" : `=${fingerprint}`;
}

function toRecord(key: string, flat: unknown): IdempotencyRecord | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined;
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < flat.length; index += 2) {
    fields.set(String(flat[index]), String(flat[index + 1]));
  }
  const fingerprint = fields.get("fingerprint") ?? "-";
  const lockedUntil = fields.get("lockedUntil") ?? "";
  const record: IdempotencyRecord = {
    key,
    fingerprint: fingerprint.startsWith("=") ? fingerprint.slice(1) : undefined,
    status: fields.get("status") as IdempotencyStatus,
    claimToken: fields.get("claimToken") ?? "",
    createdAt: Number(fields.get("createdAt")),
    updatedAt: Number(fields.get("updatedAt")),
    lockedUntil: lockedUntil === "" ? undefined : Number(lockedUntil),
    expiresAt: Number(fields.get("expiresAt")),
  };
  const result = fields.get("result");
  if (result !== undefined) record.result = JSON.parse(result);
  const error = fields.get("error");
  if (error !== undefined) record.error = JSON.parse(error) as SerializedError;
  return record;
}

/**
 * An `IdempotencyStore` (the core port) on Redis, shared by every worker process. Each claim,
 * completion and release is one Lua script (one round trip, atomic on the server): of
 * any number of concurrent claims of a free key exactly one wins; an in-progress claim
 * whose expiry has passed (its worker crashed or hung) is taken over by the next claim
 * with the same fingerprint, and the old holder's `complete` then returns false. Records
 * are hashes with a Redis expiry equal to their retention, so Redis forgets them by
 * itself; results are stored as JSON text and never decoded on the server.
 *
 * @param options - client, key prefix and clock
 * @returns the store
 * @example
 * ```ts
 * import { idempotent } from "@distro/core";
 * import { createRedisIdempotencyStore } from "@distro/store-redis";
 * import { Redis } from "ioredis";
 *
 * const store = createRedisIdempotencyStore({ redis: new Redis(process.env.REDIS_URL!) });
 * const orderNumber = await idempotent(async () => "SO-1", {
 *   store,
 *   key: "1001",
 *   scope: { system: "shopify", operation: "book-order" },
 * });
 * ```
 */
export function createRedisIdempotencyStore(options: RedisIdempotencyStoreOptions): IdempotencyStore {
  const { redis } = options;
  const prefix = options.keyPrefix ?? "distro:idempotency:";
  const clock = options.clock ?? Date;
  const tokenPrefix = randomUUID();
  let serial = 0;
  const redisKey = (key: string) => `${prefix}${key}`;

  const settle = async (
    key: string,
    claimToken: string,
    outcome: string,
    value: string,
    retentionMs: number,
  ) =>
    (await runScript(
      redis,
      SETTLE,
      [redisKey(key)],
      [clock.now(), claimToken, outcome, value, retentionMs],
    )) === 1;

  return {
    async claim(request): Promise<IdempotencyClaim> {
      const token = `${tokenPrefix}:${++serial}`;
      const answer = (await runScript(
        redis,
        CLAIM,
        [redisKey(request.key)],
        [
          clock.now(),
          encodeFingerprint(request.fingerprint),
          Math.max(0, Math.floor(request.inProgressExpiryMs)),
          Math.max(0, Math.floor(request.retentionMs)),
          token,
        ],
      )) as [number, unknown];
      const record = toRecord(request.key, answer[1])!;
      // ioredis sends a command again after a reconnect when its reply never came: a first
      // run that did claim is then found under this call's own token.
      const claimed = answer[0] === 1 || record.claimToken === token;
      return claimed ? { outcome: "claimed", record } : { outcome: "existing", record };
    },
    complete(key, claimToken, result, retentionMs) {
      const json = result === undefined ? "" : JSON.stringify(result);
      return settle(key, claimToken, "completed", json, Math.max(1, Math.floor(retentionMs)));
    },
    fail(key, claimToken, error, retentionMs) {
      return settle(key, claimToken, "failed", JSON.stringify(error), Math.max(1, Math.floor(retentionMs)));
    },
    release(key, claimToken) {
      return settle(key, claimToken, "release", "", 0);
    },
    async get(key) {
      return toRecord(key, await runScript(redis, GET, [redisKey(key)], [clock.now()]));
    },
  };
}
