import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { guardRedis } from "./redis-error";

/** What the Redis tier keeps for one key (the shape of `@distro/sync`'s `SecondTierEntry`). */
export interface RedisSecondTierEntry {
  /** The cached value (absent for a remembered "not found"). */
  value: unknown;
  /** False for a remembered "not found". */
  found: boolean;
  /** When the value was loaded from the upstream, in ms on the cache's clock. */
  storedAt: number;
}

/** The event the tier emits when another process invalidated a key or a prefix. */
export interface RedisInvalidationEvent {
  /** Always {@link REDIS_CACHE_INVALIDATED}. */
  type: string;
  /** The invalidated key (absent for a prefix). */
  subject?: string;
  /** `{ prefix }` when every key under a prefix was invalidated. */
  data?: { prefix: string };
}

/** Settings of {@link connectRedisSecondTier}. */
export interface RedisSecondTierOptions {
  /** The ioredis client for reads and writes (the caller owns it). A duplicate of it listens for invalidations. */
  redis: Redis;
  /** Prefix of every Redis key of this tier; give each cache (entity) its own (default `distro:cache:`). */
  keyPrefix?: string;
  /** The pub/sub channel of invalidations (default `<keyPrefix>invalidations`). */
  channel?: string;
}

/** A second cache tier on Redis, with invalidations from the other processes. */
export interface RedisSecondTier {
  /**
   * Reads an entry.
   *
   * @param key - the cache key
   * @returns the entry, or undefined when absent or expired
   */
  get(key: string): Promise<RedisSecondTierEntry | undefined>;
  /**
   * Stores an entry with a Redis expiry.
   *
   * @param key - the cache key
   * @param entry - the entry (JSON-safe)
   * @param ttlMs - how long Redis keeps it
   * @returns when stored
   */
  set(key: string, entry: RedisSecondTierEntry, ttlMs: number): Promise<void>;
  /**
   * Deletes a key and tells every other process to drop it from its first tier.
   *
   * @param key - the cache key
   * @returns when deleted and announced
   */
  delete(key: string): Promise<void>;
  /**
   * Deletes every key under a prefix (SCAN, in batches) and tells the other processes.
   *
   * @param prefix - the key prefix ("" for all keys of this tier)
   * @returns when deleted and announced
   */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Where invalidations by other processes arrive, shaped for `ReadThroughCache.subscribeTo`:
   * events of type {@link REDIS_CACHE_INVALIDATED}. After the listening connection was lost
   * and comes back, it emits one `{ prefix: "" }` event, since invalidations sent meanwhile
   * were missed.
   */
  readonly invalidations: {
    /**
     * Registers a handler.
     *
     * @param type - the event type ({@link REDIS_CACHE_INVALIDATED})
     * @param handler - called for each invalidation from another process
     * @returns a function that removes the handler
     */
    subscribe(type: string, handler: (event: RedisInvalidationEvent) => unknown): () => void;
  };
  /**
   * Stops listening (the reads-and-writes client stays open: the caller owns it).
   *
   * @returns when stopped
   */
  close(): Promise<void>;
}

/**
 * The event type of invalidations received from other processes.
 *
 * @example
 * ```ts
 * import { REDIS_CACHE_INVALIDATED, redisInvalidationTarget } from "@distro/store-redis";
 * const invalidateOn = { [REDIS_CACHE_INVALIDATED]: redisInvalidationTarget };
 * ```
 */
export const REDIS_CACHE_INVALIDATED = "distro.cache.invalidated";

/**
 * Maps an invalidation event to what the read-through cache drops: the key, or the prefix.
 * Use it as the `invalidateOn` rule of {@link REDIS_CACHE_INVALIDATED}.
 *
 * @param event - an invalidation event from {@link RedisSecondTier.invalidations}
 * @returns the key or `{ prefix }`
 * @example
 * ```ts
 * import { REDIS_CACHE_INVALIDATED, redisInvalidationTarget } from "@distro/store-redis";
 * const invalidateOn = { [REDIS_CACHE_INVALIDATED]: redisInvalidationTarget };
 * ```
 */
export function redisInvalidationTarget(event: {
  subject?: string;
  data?: unknown;
}): string | { prefix: string } | undefined {
  const data = event.data as { prefix?: unknown } | undefined;
  if (typeof data?.prefix === "string") return { prefix: data.prefix };
  return event.subject;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

interface Announcement {
  origin: string;
  key?: string;
  prefix?: string;
}

/**
 * Connects the second cache tier of `@distro/sync`'s read-through cache to Redis, shared
 * by every process: entries are JSON strings with a Redis expiry (`SET … PX`), and a
 * process that invalidates a key (or a prefix) deletes it from Redis and publishes the
 * fact on a pub/sub channel, so every other process's first (in-memory) tier drops it
 * too. Invalidations applied from another process are not deleted or announced again
 * (no echo between processes).
 *
 * @param options - client, key prefix and channel
 * @returns the tier, once it listens for invalidations
 * @example
 * ```ts
 * import { createReadThroughCache } from "@distro/sync";
 * import { REDIS_CACHE_INVALIDATED, connectRedisSecondTier, redisInvalidationTarget } from "@distro/store-redis";
 * import { Redis } from "ioredis";
 *
 * const secondTier = await connectRedisSecondTier({ redis: new Redis(process.env.REDIS_URL!), keyPrefix: "prices:" });
 * const prices = createReadThroughCache({
 *   entity: "price",
 *   load: async (key) => ({ amount: "12.50", key }),
 *   secondTier,
 *   invalidateOn: { [REDIS_CACHE_INVALIDATED]: redisInvalidationTarget },
 * });
 * prices.subscribeTo(secondTier.invalidations);
 * ```
 */
export async function connectRedisSecondTier(options: RedisSecondTierOptions): Promise<RedisSecondTier> {
  const { redis } = options;
  const prefix = options.keyPrefix ?? "distro:cache:";
  const channel = options.channel ?? `${prefix}invalidations`;
  const origin = randomUUID();
  const handlers = new Set<(event: RedisInvalidationEvent) => unknown>();
  // Named after the tier, so an operator sees in `CLIENT LIST` which connection listens for what.
  const listener = redis.duplicate({
    connectionName: `${prefix}listener`.replace(/[^A-Za-z0-9:_.-]/g, "_"),
  });
  let applyingRemote = false;
  let lostConnection = false;

  const emit = (event: RedisInvalidationEvent) => {
    applyingRemote = true;
    try {
      for (const handler of handlers) {
        try {
          const outcome = handler(event);
          if (outcome instanceof Promise) outcome.catch(() => undefined);
        } catch {
          // A failing handler must not stop the others; the entry still expires by its TTL.
        }
      }
    } finally {
      applyingRemote = false;
    }
  };

  listener.on("message", (from: string, text: string) => {
    if (from !== channel) return;
    let announcement: Announcement;
    try {
      announcement = JSON.parse(text) as Announcement;
    } catch {
      return;
    }
    if (announcement.origin === origin) return;
    if (typeof announcement.prefix === "string") {
      emit({ type: REDIS_CACHE_INVALIDATED, data: { prefix: announcement.prefix } });
    } else if (typeof announcement.key === "string") {
      emit({ type: REDIS_CACHE_INVALIDATED, subject: announcement.key });
    }
  });
  listener.on("close", () => {
    lostConnection = true;
  });
  listener.on("ready", () => {
    if (!lostConnection) return;
    lostConnection = false;
    emit({ type: REDIS_CACHE_INVALIDATED, data: { prefix: "" } });
  });
  listener.on("error", () => undefined);
  await listener.subscribe(channel);

  const announce = (announcement: Omit<Announcement, "origin">) =>
    redis.publish(channel, JSON.stringify({ origin, ...announcement }));

  return {
    get: (key) =>
      guardRedis(async () => {
        const text = await redis.get(`${prefix}${key}`);
        if (text === null) return undefined;
        try {
          return JSON.parse(text) as RedisSecondTierEntry;
        } catch {
          // Not written by this tier (or cut short): a miss, and the value is loaded again.
          await redis.del(`${prefix}${key}`);
          return undefined;
        }
      }),
    set: (key, entry, ttlMs) =>
      guardRedis(async () => {
        await redis.set(`${prefix}${key}`, JSON.stringify(entry), "PX", Math.max(1, Math.ceil(ttlMs)));
      }),
    delete: (key) =>
      guardRedis(async () => {
        if (applyingRemote) return;
        await redis.del(`${prefix}${key}`);
        await announce({ key });
      }),
    deletePrefix: (keys) =>
      guardRedis(async () => {
        if (applyingRemote) return;
        const pattern = `${escapeGlob(`${prefix}${keys}`)}*`;
        let cursor = "0";
        do {
          const [next, found] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
          cursor = next;
          if (found.length > 0) await redis.unlink(...found);
        } while (cursor !== "0");
        await announce({ prefix: keys });
      }),
    invalidations: {
      subscribe(type, handler) {
        if (type !== REDIS_CACHE_INVALIDATED) return () => undefined;
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    },
    async close() {
      handlers.clear();
      listener.disconnect();
    },
  };
}
