import { randomUUID } from "node:crypto";
import type { SerializedError } from "../errors/index";
import type { RetryClock } from "../retry/index";
import { BoundedMap } from "./bounded-map";
import { type SyncIdempotencyOperations, syncOperations } from "./sync-store";

/** Where a key stands: running, done with a result, or done with a stored failure. */
export type IdempotencyStatus = "in_progress" | "completed" | "failed";

/** What an {@link IdempotencyStore} keeps for one scoped key. */
export interface IdempotencyRecord<T = unknown> {
  /** The scoped key (see {@link scopedIdempotencyKey}). */
  key: string;
  /** The payload fingerprint the key was first used with, when one was given. */
  fingerprint: string | undefined;
  /** Running, completed, or failed with a stored (permanent) failure. */
  status: IdempotencyStatus;
  /** The token of the current claim; only its holder may complete, fail or release. */
  claimToken: string;
  /** The stored result, when completed. */
  result?: T;
  /** The stored failure, when failed. */
  error?: SerializedError;
  /** When the record was claimed, epoch milliseconds. */
  createdAt: number;
  /** When the record last changed, epoch milliseconds. */
  updatedAt: number;
  /** While in progress: when the claim expires and the key may be reclaimed. */
  lockedUntil: number | undefined;
  /** When the record is forgotten and the key may run again. */
  expiresAt: number;
}

/** A request to claim a key. */
export interface IdempotencyClaimRequest {
  /** The scoped key. */
  key: string;
  /** The payload fingerprint, when one is checked. */
  fingerprint: string | undefined;
  /** How long the claim holds before a crashed or hung run can be taken over. */
  inProgressExpiryMs: number;
  /** How long the record is kept once the key is claimed (renewed on completion). */
  retentionMs: number;
}

/**
 * The answer to a claim: either this caller now holds the key (`claimed`), or a live
 * record already exists (`existing`), whatever its status or fingerprint.
 */
export type IdempotencyClaim<T = unknown> =
  | { outcome: "claimed"; record: IdempotencyRecord<T> }
  | { outcome: "existing"; record: IdempotencyRecord<T> };

/**
 * The port every idempotency store implements (memory here; PostgreSQL and Redis in
 * their own packages). All methods are async; `claim` is atomic: of any number of
 * concurrent claims of one free key, exactly one gets `claimed`.
 *
 * Rules every store follows (checked by `describeIdempotencyStoreConformance`):
 * - a record whose `expiresAt` has passed does not exist;
 * - an `in_progress` record whose `lockedUntil` has passed may be claimed again, but
 *   only with the same fingerprint (a different one sees the record as `existing`);
 * - `complete`, `fail` and `release` act only for the holder of `claimToken`.
 *
 * @example
 * ```ts
 * import { createMemoryIdempotencyStore } from "@distro/core";
 *
 * const store = createMemoryIdempotencyStore();
 * const claim = await store.claim({ key: "k", fingerprint: undefined, inProgressExpiryMs: 30_000, retentionMs: 86_400_000 });
 * if (claim.outcome === "claimed") await store.complete("k", claim.record.claimToken, { ok: true }, 86_400_000);
 * ```
 */
export interface IdempotencyStore {
  /**
   * Claims a key atomically.
   *
   * @param request - key, fingerprint, in-progress expiry and retention
   * @returns `claimed` with the new record, or `existing` with the live one
   */
  claim(request: IdempotencyClaimRequest): Promise<IdempotencyClaim>;
  /**
   * Stores the result of the claimed run.
   *
   * @param key - the scoped key
   * @param claimToken - the token from the claim
   * @param result - a JSON-safe result
   * @param retentionMs - how long to keep it from now
   * @returns false when the claim was lost (expired and taken over), true when stored
   */
  complete(key: string, claimToken: string, result: unknown, retentionMs: number): Promise<boolean>;
  /**
   * Stores a permanent failure as the outcome of the claimed run.
   *
   * @param key - the scoped key
   * @param claimToken - the token from the claim
   * @param error - the serialised failure
   * @param retentionMs - how long to keep it from now
   * @returns false when the claim was lost, true when stored
   */
  fail(key: string, claimToken: string, error: SerializedError, retentionMs: number): Promise<boolean>;
  /**
   * Gives the key up so a retry can run (after a failure that is not stored).
   *
   * @param key - the scoped key
   * @param claimToken - the token from the claim
   * @returns false when the claim was lost, true when released
   */
  release(key: string, claimToken: string): Promise<boolean>;
  /**
   * Reads a live record.
   *
   * @param key - the scoped key
   * @returns the record, or undefined when there is none or it has expired
   */
  get(key: string): Promise<IdempotencyRecord | undefined>;
}

/** Settings of {@link createMemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** The time source (defaults to `Date`). */
  clock?: RetryClock;
  /** At most this many records are kept; the oldest are dropped first (default 100,000). */
  maxRecords?: number;
}

function copy<T>(value: T): T {
  return typeof value === "object" && value !== null ? structuredClone(value) : value;
}

function copyRecord(record: IdempotencyRecord): IdempotencyRecord {
  const out = { ...record };
  if (record.result !== undefined) out.result = copy(record.result);
  if (record.error !== undefined) out.error = copy(record.error);
  return out;
}

/**
 * The in-memory {@link IdempotencyStore}: correct within one process, bounded in size.
 * Results are copied on the way in and out, as a durable store would serialise them.
 *
 * @param options - clock and size bound
 * @returns a store
 * @example
 * ```ts
 * import { createMemoryIdempotencyStore, idempotent } from "@distro/core";
 *
 * const store = createMemoryIdempotencyStore({ maxRecords: 10_000 });
 * const orderNumber = await idempotent(async () => "SO-1", {
 *   store,
 *   key: "1001",
 *   scope: { system: "shopify", operation: "book-order" },
 * });
 * ```
 */
export function createMemoryIdempotencyStore(options: MemoryIdempotencyStoreOptions = {}): IdempotencyStore {
  const clock = options.clock ?? Date;
  const maxRecords = options.maxRecords ?? 100_000;
  const records = new BoundedMap<IdempotencyRecord>(maxRecords);
  const tokenPrefix = randomUUID();
  let serial = 0;

  const live = (key: string, now: number): IdempotencyRecord | undefined => {
    const record = records.get(key);
    if (record === undefined) return undefined;
    if (record.expiresAt <= now) {
      records.delete(key);
      return undefined;
    }
    return record;
  };

  const held = (key: string, claimToken: string, now: number): IdempotencyRecord | undefined => {
    const record = live(key, now);
    if (record === undefined || record.status !== "in_progress" || record.claimToken !== claimToken) {
      return undefined;
    }
    return record;
  };

  const finish = (
    key: string,
    claimToken: string,
    retentionMs: number,
    status: "completed" | "failed",
    outcome: unknown,
  ): boolean => {
    const now = clock.now();
    const record = held(key, claimToken, now);
    if (record === undefined) return false;
    record.status = status;
    if (status === "completed") record.result = copy(outcome);
    else record.error = copy(outcome as SerializedError);
    record.updatedAt = now;
    record.lockedUntil = undefined;
    record.expiresAt = now + retentionMs;
    return true;
  };

  // One Map read per claim, and one write when the key is taken: a free key is added,
  // an expired or reclaimable record is replaced where it stands.
  const sync: SyncIdempotencyOperations = {
    claim(key, fingerprint, inProgressExpiryMs, retentionMs) {
      const now = clock.now();
      const existing = records.get(key);
      if (
        existing !== undefined &&
        existing.expiresAt > now &&
        !(
          existing.status === "in_progress" &&
          (existing.lockedUntil ?? 0) <= now &&
          existing.fingerprint === fingerprint
        )
      ) {
        return copyRecord(existing);
      }
      const record: IdempotencyRecord = {
        key,
        fingerprint,
        status: "in_progress",
        claimToken: `${tokenPrefix}:${++serial}`,
        createdAt: now,
        updatedAt: now,
        lockedUntil: now + inProgressExpiryMs,
        expiresAt: now + Math.max(retentionMs, inProgressExpiryMs),
      };
      if (existing === undefined) records.add(key, record);
      else records.replace(key, record);
      return record.claimToken;
    },
    complete(key, claimToken, result, retentionMs) {
      return finish(key, claimToken, retentionMs, "completed", result);
    },
    fail(key, claimToken, error, retentionMs) {
      return finish(key, claimToken, retentionMs, "failed", error);
    },
    release(key, claimToken) {
      if (held(key, claimToken, clock.now()) === undefined) return false;
      records.delete(key);
      return true;
    },
  };

  const store: IdempotencyStore & { [syncOperations]: SyncIdempotencyOperations } = {
    [syncOperations]: sync,
    async claim(request) {
      const claim = sync.claim(
        request.key,
        request.fingerprint,
        request.inProgressExpiryMs,
        request.retentionMs,
      );
      if (typeof claim !== "string") return { outcome: "existing", record: claim };
      return { outcome: "claimed", record: { ...records.get(request.key)! } };
    },
    async complete(key, claimToken, result, retentionMs) {
      return sync.complete(key, claimToken, result, retentionMs);
    },
    async fail(key, claimToken, error, retentionMs) {
      return sync.fail(key, claimToken, error, retentionMs);
    },
    async release(key, claimToken) {
      return sync.release(key, claimToken);
    },
    async get(key) {
      const record = live(key, clock.now());
      return record === undefined ? undefined : copyRecord(record);
    },
  };
  return store;
}
