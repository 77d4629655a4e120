import { serializeError } from "../errors/index";
import type { RetryClock } from "../retry/index";
import { IdempotencyInProgressError, IdempotencyKeyReuseError, IdempotentFailureError } from "./errors";
import { fingerprintPayload } from "./fingerprint";
import { type IdempotencyScope, scopedIdempotencyKey } from "./key";
import type { IdempotencyRecord, IdempotencyStore } from "./store";
import { type SyncIdempotencyOperations, syncOperationsOf } from "./sync-store";

/** Settings of {@link beginIdempotent} and {@link idempotent}. */
export interface IdempotencyOptions {
  /** Where claims and results are kept. */
  store: IdempotencyStore;
  /** The caller's key: an order id, a webhook delivery id, an EDI control number. */
  key: string;
  /** Tenant, system and operation the key is unique within. */
  scope: IdempotencyScope;
  /**
   * The request payload. When given, its fingerprint is stored with the key, and a later
   * use of the key with a different payload fails with {@link IdempotencyKeyReuseError}.
   * It is fingerprinted before anything runs.
   */
  fingerprint?: unknown;
  /** How long a claim holds before a crashed or hung run can be taken over. */
  inProgressExpiryMs: number;
  /** How long a completed (or stored failed) record is kept. */
  retentionMs: number;
  /**
   * When a duplicate finds the key in progress, wait up to this long for the first run
   * to finish and return its result (default 0: fail at once with
   * {@link IdempotencyInProgressError}).
   */
  waitForInFlightMs?: number;
  /** How often to look again while waiting (default 50 ms). */
  pollIntervalMs?: number;
  /**
   * Which failures are stored as the key's outcome (replayed to later duplicates)
   * instead of releasing the key for a retry. Default: none are stored.
   */
  storeFailures?: (error: unknown) => boolean;
  /** The time source (defaults to `Date`). */
  clock?: RetryClock;
  /** How to wait between looks (defaults to a timer). */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** The holder of a claimed key: finish it with exactly one of the three methods. */
export interface IdempotencyClaimHandle {
  /** The scoped key. */
  readonly key: string;
  /** The payload fingerprint, when one was given. */
  readonly fingerprint: string | undefined;
  /**
   * Stores the result.
   *
   * @param result - a JSON-safe result
   * @returns false when the claim expired and was taken over before this call
   */
  complete(result: unknown): Promise<boolean>;
  /**
   * Stores a permanent failure as the key's outcome.
   *
   * @param error - what failed
   * @returns false when the claim was lost
   */
  fail(error: unknown): Promise<boolean>;
  /**
   * Releases the key so a retry can run.
   *
   * @returns false when the claim was lost
   */
  release(): Promise<boolean>;
}

/** The outcome of {@link beginIdempotent}: run now, or the stored result of an earlier run. */
export type IdempotencyBegin<T> =
  | { outcome: "run"; handle: IdempotencyClaimHandle }
  | { outcome: "completed"; result: T; record: IdempotencyRecord<T> };

class ClaimHandle implements IdempotencyClaimHandle {
  constructor(
    private readonly store: IdempotencyStore,
    readonly key: string,
    readonly fingerprint: string | undefined,
    private readonly claimToken: string,
    private readonly retentionMs: number,
  ) {}

  complete(result: unknown): Promise<boolean> {
    return this.store.complete(this.key, this.claimToken, result, this.retentionMs);
  }

  fail(error: unknown): Promise<boolean> {
    return this.store.fail(this.key, this.claimToken, serializeError(error), this.retentionMs);
  }

  release(): Promise<boolean> {
    return this.store.release(this.key, this.claimToken);
  }
}

/** One settled promise for the many runs whose `fn` returns nothing (handlers, mostly). */
const resolvedUndefined: Promise<undefined> = Promise.resolve(undefined);

const defaultSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * The lower-level idempotency API: computes the scoped key and the fingerprint, then
 * claims the key. Either the caller now holds it (`run`; finish with `complete`,
 * `fail` or `release`), or an earlier run completed (`completed` with its result).
 *
 * @param options - store, key, scope, fingerprint payload and timings
 * @returns `run` with a handle, or `completed` with the stored result
 * @throws IdempotencyKeyReuseError when the key was used with a different payload
 * @throws IdempotencyInProgressError when another run holds the key (after waiting, if asked)
 * @throws IdempotentFailureError when the key's stored outcome is a permanent failure
 * @throws ValidationError when the key or scope is empty, or the payload not JSON-safe
 * @example
 * ```ts
 * import { beginIdempotent, createMemoryIdempotencyStore } from "@distro/core";
 *
 * const begin = await beginIdempotent<string>({
 *   store: createMemoryIdempotencyStore(),
 *   key: "1001",
 *   scope: { system: "shopify", operation: "book-order" },
 *   inProgressExpiryMs: 30_000,
 *   retentionMs: 86_400_000,
 * });
 * if (begin.outcome === "run") await begin.handle.complete("SO-1");
 * ```
 */
export function beginIdempotent<T = unknown>(options: IdempotencyOptions): Promise<IdempotencyBegin<T>> {
  try {
    const key = scopedIdempotencyKey(options.scope, options.key);
    const fingerprint =
      options.fingerprint === undefined ? undefined : fingerprintPayload(options.fingerprint);
    return claimScoped<T>(options, key, fingerprint);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * What an existing record means for a new run: its stored result, or undefined while it
 * is in progress.
 *
 * @throws IdempotencyKeyReuseError, IdempotentFailureError
 */
function settled<T>(
  key: string,
  fingerprint: string | undefined,
  record: IdempotencyRecord,
): IdempotencyBegin<T> | undefined {
  if (fingerprint !== undefined && record.fingerprint !== undefined && record.fingerprint !== fingerprint) {
    throw new IdempotencyKeyReuseError(key, record);
  }
  if (record.status === "completed") {
    return { outcome: "completed", result: record.result as T, record: record as IdempotencyRecord<T> };
  }
  if (record.status === "failed") {
    throw new IdempotentFailureError(key, record.error ?? serializeError(undefined));
  }
  return undefined;
}

/** Claims an already scoped and fingerprinted key, waiting for an in-flight run if asked. */
async function claimScoped<T>(
  options: IdempotencyOptions,
  key: string,
  fingerprint: string | undefined,
): Promise<IdempotencyBegin<T>> {
  const { store, inProgressExpiryMs, retentionMs } = options;
  const clock = options.clock ?? Date;
  const sleep = options.sleep ?? defaultSleep;
  const waitMs = Math.max(0, options.waitForInFlightMs ?? 0);
  const pollMs = Math.max(1, options.pollIntervalMs ?? 50);
  const deadline = clock.now() + waitMs;
  const maxPolls = Math.ceil(waitMs / pollMs);

  for (let poll = 0; ; poll++) {
    const claim = await store.claim({ key, fingerprint, inProgressExpiryMs, retentionMs });
    const record = claim.record;
    if (claim.outcome === "claimed") {
      return {
        outcome: "run",
        handle: new ClaimHandle(store, key, fingerprint, record.claimToken, retentionMs),
      };
    }
    const done = settled<T>(key, fingerprint, record);
    if (done !== undefined) return done;
    const retryAfterMs = Math.max(0, (record.lockedUntil ?? clock.now()) - clock.now());
    if (poll >= maxPolls || clock.now() >= deadline) {
      throw new IdempotencyInProgressError(key, retryAfterMs);
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - clock.now())));
  }
}

/**
 * Gives a claim back after `fn` failed: stores the failure when `storeFailures` says so,
 * releases the key otherwise. The caller sees fn's own error; if giving the claim back
 * fails too, the claim still ends at its in-progress expiry, so that failure is attached
 * to fn's error, not thrown.
 */
function giveBack(options: IdempotencyOptions, error: unknown, store: (stored: boolean) => unknown): unknown {
  try {
    return store(options.storeFailures?.(error) === true);
  } catch (storeError) {
    attachStoreError(error, storeError);
    return undefined;
  }
}

function attachStoreError(error: unknown, storeError: unknown): void {
  if (typeof error === "object" && error !== null && !("idempotencyStoreError" in error)) {
    Object.defineProperty(error, "idempotencyStoreError", { value: storeError, enumerable: false });
  }
}

/** `idempotent` through a store's async port, from a begun claim. */
async function runBegun<T>(
  fn: () => T | Promise<T>,
  options: IdempotencyOptions,
  begun: Promise<IdempotencyBegin<T>>,
): Promise<T> {
  const begin = await begun;
  if (begin.outcome === "completed") return begin.result;
  const handle = begin.handle;
  let result: T;
  try {
    const value = fn();
    result = value instanceof Promise ? await value : (value as T);
  } catch (error) {
    const givenBack = giveBack(options, error, (stored) => (stored ? handle.fail(error) : handle.release()));
    try {
      await givenBack;
    } catch (storeError) {
      attachStoreError(error, storeError);
    }
    throw error;
  }
  await handle.complete(result);
  return result;
}

/** Gives a synchronous store's claim back after `fn` failed (see {@link giveBack}), then rethrows. */
function failSync(
  options: IdempotencyOptions,
  sync: SyncIdempotencyOperations,
  key: string,
  claimToken: string,
  error: unknown,
): never {
  try {
    if (options.storeFailures?.(error) === true) {
      sync.fail(key, claimToken, serializeError(error), options.retentionMs);
    } else {
      sync.release(key, claimToken);
    }
  } catch (storeError) {
    attachStoreError(error, storeError);
  }
  throw error;
}

/**
 * `idempotent` through a store's synchronous operations: claim, run and complete with no
 * promise of its own unless `fn` returns one (and no closure either, on that path).
 */
function runSync<T>(
  fn: () => T | Promise<T>,
  options: IdempotencyOptions,
  sync: SyncIdempotencyOperations,
  key: string,
  claimToken: string,
): Promise<T> {
  let value: T | Promise<T>;
  try {
    value = fn();
  } catch (error) {
    return failSync(options, sync, key, claimToken, error);
  }
  if (value instanceof Promise) {
    return value.then(
      (result: T) => {
        sync.complete(key, claimToken, result, options.retentionMs);
        return result;
      },
      (error: unknown) => failSync(options, sync, key, claimToken, error),
    );
  }
  sync.complete(key, claimToken, value, options.retentionMs);
  return value === undefined ? (resolvedUndefined as Promise<T>) : Promise.resolve(value);
}

/**
 * Runs `fn` at most once per scoped key: a repeated key returns the stored result
 * without running `fn`; a duplicate during the run is refused (or waits, if asked); a
 * failure releases the key for a retry unless `storeFailures` says it is permanent.
 * The key and the payload fingerprint are computed before `fn` runs.
 *
 * @param fn - the side effect, returning a JSON-safe result
 * @param options - store, key, scope, fingerprint payload and timings
 * @returns the result of this run, or of the earlier one
 * @throws IdempotencyKeyReuseError when the key was used with a different payload
 * @throws IdempotencyInProgressError when another run holds the key
 * @throws IdempotentFailureError when the key's stored outcome is a permanent failure
 * @throws whatever `fn` throws, after releasing (or storing) the claim
 * @example
 * ```ts
 * import { createMemoryIdempotencyStore, idempotent } from "@distro/core";
 *
 * const store = createMemoryIdempotencyStore();
 * const order = { id: "1001", lines: [{ sku: "M8-BOLT", quantity: "300" }] };
 * const bookOrder = async () => "SO-1";
 * const orderNumber = await idempotent(bookOrder, {
 *   store,
 *   key: order.id,
 *   scope: { tenant: "acme", system: "shopify", operation: "book-order" },
 *   fingerprint: order,
 *   inProgressExpiryMs: 30_000,
 *   retentionMs: 7 * 86_400_000,
 * });
 * ```
 */
export function idempotent<T>(fn: () => T | Promise<T>, options: IdempotencyOptions): Promise<T> {
  const sync = syncOperationsOf(options.store);
  if (sync === undefined) return runBegun(fn, options, beginIdempotent<T>(options));
  try {
    const key = scopedIdempotencyKey(options.scope, options.key);
    const fingerprint =
      options.fingerprint === undefined ? undefined : fingerprintPayload(options.fingerprint);
    const claim = sync.claim(key, fingerprint, options.inProgressExpiryMs, options.retentionMs);
    if (typeof claim === "string") return runSync(fn, options, sync, key, claim);
    const done = settled<T>(key, fingerprint, claim);
    if (done?.outcome === "completed") return Promise.resolve(done.result);
    // In progress: refuse, or wait for the first run, as the async path does.
    return runBegun(fn, options, claimScoped<T>(options, key, fingerprint));
  } catch (error) {
    return Promise.reject(error);
  }
}
