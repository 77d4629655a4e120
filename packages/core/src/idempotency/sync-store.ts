import type { SerializedError } from "../errors/index";
import type { IdempotencyClaim, IdempotencyStore } from "./store";

/**
 * The synchronous side of a store that keeps its records in this process (the memory
 * store). `idempotent` uses it, when a store has one, to claim and complete without a
 * promise per step; it answers exactly as the store's async methods do.
 *
 * @internal
 */
export interface SyncIdempotencyOperations {
  /** As `IdempotencyStore.claim`; a `claimed` record is the store's own (read it, do not keep it). */
  claim(
    key: string,
    fingerprint: string | undefined,
    inProgressExpiryMs: number,
    retentionMs: number,
  ): IdempotencyClaim;
  /** As `IdempotencyStore.complete`. */
  complete(key: string, claimToken: string, result: unknown, retentionMs: number): boolean;
  /** As `IdempotencyStore.fail`. */
  fail(key: string, claimToken: string, error: SerializedError, retentionMs: number): boolean;
  /** As `IdempotencyStore.release`. */
  release(key: string, claimToken: string): boolean;
}

/** @internal The property a store's synchronous operations are found under. */
export const syncOperations: unique symbol = Symbol("distro.idempotency.sync");

/**
 * The synchronous operations of a store, when it has them.
 *
 * @internal
 */
export function syncOperationsOf(store: IdempotencyStore): SyncIdempotencyOperations | undefined {
  return (store as { [syncOperations]?: SyncIdempotencyOperations })[syncOperations];
}
