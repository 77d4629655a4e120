import { isDistroError, UpstreamError, ValidationError } from "@distro/core";
import { LRUCache } from "lru-cache";
import { type Clock, systemClock } from "../clock/index";
import {
  createPolicyRegistry,
  decideServe,
  type FlowContext,
  type PolicyRegistry,
  type ReadPriority,
  type SyncPolicy,
} from "../policy/index";
import type { SecondTierCache, SecondTierEntry } from "./second-tier";

/** What the loader is told about the read it serves. */
export interface CacheLoadContext {
  /** The key being loaded. */
  key: string;
  /** `interactive` when a caller waits, `batch` for a background refresh of a batch flow. */
  priority: ReadPriority;
  /** True for a stale-while-revalidate refresh nobody waits for. */
  background: boolean;
  /** The policy the value will be cached under. */
  policy: Readonly<SyncPolicy>;
}

/**
 * Loads one value from the upstream. Returns `undefined` (or throws distro's
 * `NotFoundError`) when the record does not exist; that answer is cached for the
 * policy's `notFoundForMs`.
 */
export type CacheLoader<V> = (key: string, context: CacheLoadContext) => Promise<V | undefined>;

/** What a batch loader is told: the keys' shared priority and whether anyone waits. */
export interface CacheBatchContext {
  /** `interactive` when any key of the batch has a caller waiting on it with that priority. */
  priority: ReadPriority;
  /** True when every key of the batch is a background refresh. */
  background: boolean;
}

/** Loads many keys in one upstream call; keys absent from the map do not exist. */
export type CacheBatchLoader<V> = (keys: string[], context: CacheBatchContext) => Promise<Map<string, V>>;

/** How a read was answered. */
export type CacheOutcome = "hit" | "stale" | "miss" | "coalesced" | "negative-hit";

/** The inspectable record of one read: what was served, from where, and why. */
export interface CacheDecision {
  /** The key read. */
  key: string;
  /** The entity of the cache. */
  entity: string;
  /** The policy applied. */
  policy: string;
  /** Why that policy applied (entity default, SKU velocity…). */
  policyReason: string;
  /** How the read was answered. */
  outcome: CacheOutcome;
  /** Where the value came from. */
  source: "memory" | "second-tier" | "upstream";
  /** The served value's age in ms (0 for a fresh load). */
  ageMs: number;
  /** Why it was served this way, in words. */
  reason: string;
  /** True when a background refresh was started or joined. */
  revalidating: boolean;
}

/** A read's value and the decision behind it. */
export interface CacheRead<V> {
  /** The value, or undefined when the record does not exist. */
  value: V | undefined;
  /** False when the upstream said the record does not exist. */
  found: boolean;
  /** Why it was served as it was. */
  decision: CacheDecision;
}

/** Options of one read. */
export interface CacheReadOptions {
  /** More facts for the policy classifiers (SKU, velocity…). */
  context?: Omit<FlowContext, "entity" | "key">;
  /** Overrides the policy's priority for this read's upstream call. */
  priority?: ReadPriority;
}

/** Counters of a cache. */
export interface CacheMetrics {
  /** Reads served fresh (memory or second tier). */
  hits: number;
  /** Reads served stale within the bound (a refresh was started or joined). */
  stale: number;
  /** Reads that waited for the upstream. */
  misses: number;
  /** Reads that joined another read's in-flight load instead of calling the upstream. */
  coalesced: number;
  /** Reads answered "not found" from memory. */
  negativeHits: number;
  /** Reads found in the second tier. */
  secondTierHits: number;
  /** Upstream loads started. */
  loads: number;
  /** Upstream loads that failed. */
  loadErrors: number;
  /** Entries in memory now. */
  entries: number;
  /** Estimated bytes in memory now. */
  bytes: number;
}

/** An event that may invalidate entries: any CloudEvents-shaped object. */
export interface InvalidationEvent {
  /** The event type, e.g. `inventory.changed`. */
  type: string;
  /** The subject, often the record's key. */
  subject?: string;
  /** The payload. */
  data?: unknown;
}

/** What an event invalidates: keys, or every key under a prefix. */
export type InvalidationTarget = string | string[] | { prefix: string } | undefined;

/** Anything with `subscribe(type, handler)`: the core Bus, an EventEmitter wrapper, a test double. */
export interface EventSubscriber {
  /** Registers `handler` for events of `type`; may return an unsubscribe function or a promise. */
  subscribe(type: string, handler: (event: InvalidationEvent) => unknown): unknown;
}

/** Settings of {@link createReadThroughCache}. */
export interface ReadThroughCacheSettings<V> {
  /** The entity the cache holds (`price`, `inventory`…): picks its policy. */
  entity: string;
  /** Loads one value from the upstream (give this or `loadMany`). */
  load?: CacheLoader<V>;
  /**
   * Loads many keys in one upstream call (give this or `load`). Misses arriving within
   * `batchWindowMs` are sent together, up to `maxBatchSize` keys per call: one ERP call
   * instead of hundreds. Keys missing from the returned map are "not found".
   */
  loadMany?: CacheBatchLoader<V>;
  /** How long misses gather before a `loadMany` call (default 10 ms). */
  batchWindowMs?: number;
  /** The most keys in one `loadMany` call (default 100). */
  maxBatchSize?: number;
  /** The policy registry (default: the domain defaults). */
  policies?: PolicyRegistry;
  /** A fixed policy for every key, instead of asking the registry. */
  policy?: SyncPolicy;
  /** The most entries kept in memory (default 10,000). */
  maxEntries?: number;
  /** The most estimated bytes kept in memory (default 64 MiB). */
  maxBytes?: number;
  /** Estimates an entry's size in bytes (default: twice its JSON length plus the key). */
  sizeOf?: (value: V, key: string) => number;
  /** A shared tier behind the memory tier. */
  secondTier?: SecondTierCache;
  /** Event type → what it invalidates; `"subject"` drops the key named by `event.subject`. */
  invalidateOn?: Record<string, "subject" | ((event: InvalidationEvent) => InvalidationTarget)>;
  /** Time source. */
  clock?: Clock;
}

/** A read-through cache whose staleness is set by policy. */
export interface ReadThroughCache<V> {
  /**
   * Reads `key`, serving from cache when its policy allows, and says why.
   * @throws the loader's error (a `DistroError`) when nothing servable is cached
   */
  read(key: string, options?: CacheReadOptions): Promise<CacheRead<V>>;
  /** Reads `key` and returns only the value. */
  get(key: string, options?: CacheReadOptions): Promise<V | undefined>;
  /** How a read of `key` would be served now, without serving it. */
  explain(
    key: string,
    options?: CacheReadOptions,
  ): Omit<CacheDecision, "outcome" | "source"> & {
    action: "fresh" | "stale-revalidate" | "fetch";
  };
  /** Stores a value known to be current (e.g. from an event carrying it). */
  set(key: string, value: V): Promise<void>;
  /** Drops one key from every tier. */
  invalidate(key: string): Promise<void>;
  /** Drops every key under `prefix` from every tier. */
  invalidatePrefix(prefix: string): Promise<void>;
  /** Applies the invalidation rule for the event's type; returns how many keys or prefixes it dropped. */
  handleEvent(event: InvalidationEvent): Promise<number>;
  /** Subscribes {@link ReadThroughCache.handleEvent} to every configured event type on `bus`. */
  subscribeTo(bus: EventSubscriber): void;
  /** Counters. */
  metrics(): CacheMetrics;
}

interface Entry<V> {
  value: V | undefined;
  found: boolean;
  storedAt: number;
  fromSecondTier?: boolean;
}

interface Flight<V> {
  promise: Promise<Entry<V>>;
  discarded: boolean;
}

function toDistroError(error: unknown, key: string): unknown {
  if (isDistroError(error)) return error;
  return new UpstreamError(`Loading ${key} failed`, { status: 0, cause: error });
}

function isNotFound(error: unknown): boolean {
  return isDistroError(error) && error.code === "NOT_FOUND";
}

/**
 * A read-through cache on lru-cache. Each key's policy (from the registry, per entity
 * and per SKU velocity) sets how long a value is served fresh, and the hard bound past
 * which it is never served; in between the value is served and refreshed in the
 * background (stale-while-revalidate). Many concurrent misses of one key make one
 * upstream call (single flight). "Not found" is cached for the policy's
 * `notFoundForMs`. Memory is bounded by entries and by bytes. Keys are invalidated one by
 * one, by prefix, or by events (`inventory.changed` drops the entry). Every read returns
 * its {@link CacheDecision}: why it was served from cache, or not.
 *
 * @param settings - entity, loader, policies, bounds, second tier, invalidation rules, clock
 * @returns the cache
 * @example
 * ```ts
 * import { createReadThroughCache } from "@distro/sync";
 *
 * const inventory = createReadThroughCache({
 *   entity: "inventory",
 *   load: (sku) => erp.inventory(sku),
 *   invalidateOn: { "inventory.changed": "subject" },
 * });
 * const { value, decision } = await inventory.read("BOLT-M8");
 * decision.reason; // e.g. "age 1200 ms < fresh 3600000 ms of policy inventory.slow"
 * await inventory.handleEvent({ type: "inventory.changed", subject: "BOLT-M8" }); // dropped
 * ```
 */
export function createReadThroughCache<V>(settings: ReadThroughCacheSettings<V>): ReadThroughCache<V> {
  const clock = settings.clock ?? systemClock;
  const registry = settings.policies ?? createPolicyRegistry();
  const fixedPolicy = settings.policy;
  const sizeOf =
    settings.sizeOf ??
    ((value: V | undefined, key: string) =>
      key.length * 2 + (value === undefined ? 8 : JSON.stringify(value).length * 2));
  const memory = new LRUCache<string, Entry<V>>({
    max: settings.maxEntries ?? 10_000,
    maxSize: settings.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (entry, key) => Math.max(1, Math.ceil(sizeOf(entry.value as V, key))),
  });
  const flights = new Map<string, Flight<V>>();
  if (!settings.load && !settings.loadMany) {
    throw new ValidationError("A read-through cache needs a loader", [
      { code: "missing_loader", path: ["load"], message: "Give load or loadMany" },
    ]);
  }
  const batchWindowMs = settings.batchWindowMs ?? 10;
  const maxBatchSize = Math.max(1, settings.maxBatchSize ?? 100);
  interface Waiting {
    key: string;
    context: CacheLoadContext;
    resolve: (value: V | undefined) => void;
    reject: (error: unknown) => void;
  }
  let gathering: Waiting[] = [];
  let gatherGeneration = 0;
  let gatherScheduled = false;
  const sendBatch = () => {
    gatherGeneration++;
    gatherScheduled = false;
    const batch = gathering;
    gathering = [];
    if (batch.length === 0) return;
    const context: CacheBatchContext = {
      priority: batch.some((item) => item.context.priority === "interactive") ? "interactive" : "batch",
      background: batch.every((item) => item.context.background),
    };
    settings.loadMany!(
      batch.map((item) => item.key),
      context,
    ).then(
      (values) => {
        for (const item of batch) item.resolve(values.get(item.key));
      },
      (error) => {
        for (const item of batch) item.reject(error);
      },
    );
  };
  const loadOne = (key: string, context: CacheLoadContext): Promise<V | undefined> => {
    if (settings.load) return settings.load(key, context);
    return new Promise((resolve, reject) => {
      gathering.push({ key, context, resolve, reject });
      if (gathering.length >= maxBatchSize) sendBatch();
      else if (!gatherScheduled) {
        gatherScheduled = true;
        const generation = gatherGeneration;
        void clock.sleep(batchWindowMs).then(() => {
          if (generation === gatherGeneration) sendBatch();
        });
      }
    });
  };
  const metrics = {
    hits: 0,
    stale: 0,
    misses: 0,
    coalesced: 0,
    negativeHits: 0,
    secondTierHits: 0,
    loads: 0,
    loadErrors: 0,
  };

  const fixedResolution = fixedPolicy && {
    policy: fixedPolicy,
    reason: `fixed policy of this ${settings.entity} cache`,
  };
  const resolve = (key: string, options: CacheReadOptions | undefined) => {
    if (fixedResolution) return fixedResolution;
    const context = options?.context;
    return registry.resolve(
      context === undefined ? { entity: settings.entity, key } : { ...context, entity: settings.entity, key },
    );
  };

  const store = async (key: string, entry: Entry<V>, policy: Readonly<SyncPolicy>) => {
    const keepFor = entry.found ? policy.maxStalenessMs : policy.notFoundForMs;
    if (keepFor <= 0) return;
    memory.set(key, entry);
    if (settings.secondTier) {
      const shared: SecondTierEntry = { value: entry.value, found: entry.found, storedAt: entry.storedAt };
      await settings.secondTier.set(key, shared, keepFor);
    }
  };

  const startLoad = (
    key: string,
    policy: Readonly<SyncPolicy>,
    priority: ReadPriority,
    background: boolean,
    checkSecondTier: boolean,
  ): Flight<V> => {
    const flight: Flight<V> = { promise: Promise.resolve(undefined as never), discarded: false };
    flight.promise = (async (): Promise<Entry<V>> => {
      try {
        if (checkSecondTier && settings.secondTier) {
          const shared = await settings.secondTier.get(key);
          if (shared) {
            const age = clock.now() - shared.storedAt;
            const bound = shared.found ? policy.maxStalenessMs : policy.notFoundForMs;
            if (age < bound) {
              const entry: Entry<V> = {
                value: shared.value as V,
                found: shared.found,
                storedAt: shared.storedAt,
              };
              if (!flight.discarded) memory.set(key, entry);
              metrics.secondTierHits++;
              return { ...entry, fromSecondTier: true };
            }
          }
        }
        metrics.loads++;
        let entry: Entry<V>;
        try {
          const value = await loadOne(key, { key, priority, background, policy });
          entry = { value, found: value !== undefined, storedAt: clock.now() };
        } catch (error) {
          if (!isNotFound(error)) throw error;
          entry = { value: undefined, found: false, storedAt: clock.now() };
        }
        if (!flight.discarded) await store(key, entry, policy);
        return entry;
      } catch (error) {
        metrics.loadErrors++;
        throw toDistroError(error, key);
      } finally {
        if (flights.get(key) === flight) flights.delete(key);
      }
    })();
    flights.set(key, flight);
    return flight;
  };

  const describe = (key: string, options: CacheReadOptions | undefined) => {
    const resolution = resolve(key, options);
    const entry = memory.get(key);
    const ageMs = entry ? clock.now() - entry.storedAt : undefined;
    let verdict = decideServe(resolution.policy, ageMs);
    if (entry && !entry.found) {
      verdict =
        ageMs! < resolution.policy.notFoundForMs
          ? {
              action: "fresh",
              reason: `not found ${Math.round(ageMs!)} ms ago, remembered for ${resolution.policy.notFoundForMs} ms`,
            }
          : { action: "fetch", reason: "remembered not-found expired" };
    }
    return { resolution, entry, ageMs, verdict };
  };

  // Built field by field into one shape: an object spread here costs more than the whole
  // cached read.
  const decisionOf = (
    key: string,
    resolution: { policy: Readonly<SyncPolicy>; reason: string },
    outcome: CacheOutcome,
    source: CacheDecision["source"],
    ageMs: number,
    reason: string,
    revalidating: boolean,
  ): CacheDecision => ({
    key,
    entity: settings.entity,
    policy: resolution.policy.name,
    policyReason: resolution.reason,
    outcome,
    source,
    ageMs,
    reason,
    revalidating,
  });

  /** A read that waits for the upstream (or the second tier), or joins a load in flight. */
  const readThrough = async (
    key: string,
    options: CacheReadOptions | undefined,
    { resolution, verdict }: ReturnType<typeof describe>,
  ): Promise<CacheRead<V>> => {
    const policy = resolution.policy;
    const priority = options?.priority ?? policy.priority;
    const existing = flights.get(key);
    const flight = existing ?? startLoad(key, policy, priority, false, true);
    if (existing) metrics.coalesced++;
    try {
      const loaded = await flight.promise;
      const loadedAge = Math.max(0, clock.now() - loaded.storedAt);
      const fromShared = loaded.fromSecondTier === true;
      if (!existing && !fromShared) metrics.misses++;
      return {
        value: loaded.value,
        found: loaded.found,
        decision: decisionOf(
          key,
          resolution,
          existing ? "coalesced" : fromShared ? "hit" : "miss",
          fromShared ? "second-tier" : "upstream",
          loadedAge,
          existing ? `${verdict.reason}; joined a load already in flight` : verdict.reason,
          false,
        ),
      };
    } catch (error) {
      // The upstream failed: a value still within its bound may be served if the policy allows.
      const fallback = memory.get(key);
      if (fallback?.found && policy.serveStaleOnError) {
        const fallbackAge = clock.now() - fallback.storedAt;
        if (fallbackAge < policy.maxStalenessMs) {
          metrics.stale++;
          return {
            value: fallback.value,
            found: true,
            decision: decisionOf(
              key,
              resolution,
              "stale",
              "memory",
              fallbackAge,
              `upstream failed (${error instanceof Error ? error.message : String(error)}); age ${Math.round(fallbackAge)} ms within bound ${policy.maxStalenessMs} ms`,
              false,
            ),
          };
        }
      }
      throw error;
    }
  };

  const cache: ReadThroughCache<V> = {
    // Not async: a read served from memory (fresh, stale or "not found") settles without
    // an async function's frame and state machine, which cost more than the lookup.
    read(key, options) {
      let described: ReturnType<typeof describe>;
      try {
        described = describe(key, options);
      } catch (error) {
        return Promise.reject(error);
      }
      const { resolution, entry, ageMs, verdict } = described;
      const policy = resolution.policy;
      const priority = options?.priority ?? policy.priority;
      if (entry && verdict.action === "fresh") {
        if (entry.found) metrics.hits++;
        else metrics.negativeHits++;
        return Promise.resolve<CacheRead<V>>({
          value: entry.value,
          found: entry.found,
          decision: decisionOf(
            key,
            resolution,
            entry.found ? "hit" : "negative-hit",
            "memory",
            ageMs!,
            verdict.reason,
            false,
          ),
        });
      }
      if (entry && verdict.action === "stale-revalidate") {
        metrics.stale++;
        const joined = flights.has(key);
        if (!joined) {
          startLoad(key, policy, priority, true, false).promise.catch(() => {
            // Counted in loadErrors; the value stays servable until its bound.
          });
        }
        return Promise.resolve<CacheRead<V>>({
          value: entry.value,
          found: entry.found,
          decision: decisionOf(key, resolution, "stale", "memory", ageMs!, verdict.reason, true),
        });
      }
      return readThrough(key, options, described);
    },
    async get(key, options) {
      return (await cache.read(key, options)).value;
    },
    explain(key, options) {
      const { resolution, ageMs, verdict } = describe(key, options);
      return {
        key,
        entity: settings.entity,
        policy: resolution.policy.name,
        policyReason: resolution.reason,
        ageMs: ageMs ?? 0,
        reason: verdict.reason,
        revalidating: flights.has(key),
        action: verdict.action,
      };
    },
    async set(key, value) {
      const { policy } = resolve(key, undefined);
      const flight = flights.get(key);
      if (flight) {
        flight.discarded = true;
        flights.delete(key);
      }
      await store(key, { value, found: value !== undefined, storedAt: clock.now() }, policy);
    },
    async invalidate(key) {
      memory.delete(key);
      const flight = flights.get(key);
      if (flight) {
        flight.discarded = true;
        flights.delete(key);
      }
      await settings.secondTier?.delete(key);
    },
    async invalidatePrefix(prefix) {
      for (const key of [...memory.keys()]) if (key.startsWith(prefix)) memory.delete(key);
      for (const [key, flight] of [...flights]) {
        if (!key.startsWith(prefix)) continue;
        flight.discarded = true;
        flights.delete(key);
      }
      await settings.secondTier?.deletePrefix(prefix);
    },
    async handleEvent(event) {
      const rule = settings.invalidateOn?.[event.type];
      if (rule === undefined) return 0;
      const target = rule === "subject" ? event.subject : rule(event);
      if (target === undefined) return 0;
      if (typeof target === "string") {
        await cache.invalidate(target);
        return 1;
      }
      if (Array.isArray(target)) {
        for (const key of target) await cache.invalidate(key);
        return target.length;
      }
      await cache.invalidatePrefix(target.prefix);
      return 1;
    },
    subscribeTo(bus) {
      for (const type of Object.keys(settings.invalidateOn ?? {})) {
        bus.subscribe(type, (event) => cache.handleEvent(event));
      }
    },
    metrics: () => ({ ...metrics, entries: memory.size, bytes: memory.calculatedSize }),
  };
  return cache;
}
