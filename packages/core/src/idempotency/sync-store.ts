import type { SerializedError } from "../errors/index";
import type { IdempotencyRecord, IdempotencyStore } from "./store";

/**
 * The synchronous side of a store that keeps its records in this process (the memory
 * store). `idempotent` uses it, when a store has one, to claim and complete without a
 * promise per step; it answers exactly as the store's async methods do.
 *
 * @internal
 */
export interface SyncIdempotencyOperations {
  /**
   * As `IdempotencyStore.claim`, without the wrapping: the claim token when this caller
   * now holds the key, a copy of the live record otherwise.
   */
  claim(
    key: string,
    fingerprint: string | undefined,
    inProgressExpiryMs: number,
    retentionMs: number,
  ): string | IdempotencyRecord;
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
