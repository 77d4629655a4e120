import { type Clock, systemClock } from "../clock/index";

/** What a second cache tier keeps for one key. Values must survive JSON. */
export interface SecondTierEntry {
  /** The cached value (absent for a remembered "not found"). */
  value: unknown;
  /** False for a remembered "not found". */
  found: boolean;
  /** When the value was loaded from the upstream, in ms on the cache's clock. */
  storedAt: number;
}

/**
 * The port of a cache tier shared across processes (Redis, later). The read-through
 * cache asks it on a local miss and writes every load to it.
 */
export interface SecondTierCache {
  /** The entry for `key`, or undefined. */
  get(key: string): Promise<SecondTierEntry | undefined>;
  /** Stores `entry` for at most `ttlMs`. */
  set(key: string, entry: SecondTierEntry, ttlMs: number): Promise<void>;
  /** Drops one key. */
  delete(key: string): Promise<void>;
  /** Drops every key that starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}

/** Settings of {@link createMemorySecondTier}. */
export interface MemorySecondTierSettings {
  /** Time source for expiry. */
  clock?: Clock;
  /** The most entries kept; the oldest written go first (default 100,000). */
  maxEntries?: number;
}

/**
 * An in-process {@link SecondTierCache}: the reference implementation of the port, for
 * tests and for several caches in one process sharing loads. Entries are copied through
 * JSON so nobody shares object references, as with a networked tier.
 *
 * @param settings - clock and size bound
 * @returns the tier
 * @example
 * ```ts
 * import { createMemorySecondTier, createReadThroughCache } from "@distro/sync";
 *
 * const shared = createMemorySecondTier();
 * const prices = createReadThroughCache({ entity: "price", load: loadPrice, secondTier: shared });
 * ```
 */
export function createMemorySecondTier(settings: MemorySecondTierSettings = {}): SecondTierCache {
  const clock = settings.clock ?? systemClock;
  const maxEntries = settings.maxEntries ?? 100_000;
  const entries = new Map<string, { json: string; expiresAt: number }>();
  return {
    async get(key) {
      const stored = entries.get(key);
      if (!stored) return undefined;
      if (clock.now() >= stored.expiresAt) {
        entries.delete(key);
        return undefined;
      }
      return JSON.parse(stored.json) as SecondTierEntry;
    },
    async set(key, entry, ttlMs) {
      entries.delete(key);
      entries.set(key, { json: JSON.stringify(entry), expiresAt: clock.now() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    async delete(key) {
      entries.delete(key);
    },
    async deletePrefix(prefix) {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    },
  };
}
