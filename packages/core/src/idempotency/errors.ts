import { DistroError, type DistroErrorOptions } from "../errors/index";
import type { IdempotencyRecord } from "./store";

/**
 * The same idempotency key arrived with a different payload than the one it was first
 * used with. Never retryable: the caller reused a key for a different request. The
 * existing record is attached so the caller can see what the key already stands for.
 *
 * @example
 * ```ts
 * import { type IdempotencyKeyReuseError, isDistroError } from "@distro/core";
 *
 * try {
 *   // await idempotent(...)
 * } catch (error) {
 *   if (isDistroError(error) && error.code === "IDEMPOTENCY_KEY_REUSED") {
 *     console.log((error as IdempotencyKeyReuseError).record.status);
 *   }
 * }
 * ```
 */
export class IdempotencyKeyReuseError extends DistroError {
  /** The record the key already stands for. */
  readonly record: IdempotencyRecord;

  /**
   * @param key - the scoped key that was reused
   * @param record - the existing record
   * @param options - cause and details
   */
  constructor(key: string, record: IdempotencyRecord, options: DistroErrorOptions = {}) {
    super("IDEMPOTENCY_KEY_REUSED", `Idempotency key ${key} was already used with a different payload`, {
      ...options,
      retryable: false,
      details: { ...options.details, key, status: record.status, fingerprint: record.fingerprint },
    });
    this.record = record;
  }
}

/**
 * A request with this idempotency key is still running. Retryable: try again once the
 * first run has finished (or its in-progress expiry has passed). Never a second
 * concurrent run.
 *
 * @example
 * ```ts
 * import { IdempotencyInProgressError } from "@distro/core";
 *
 * const error = new IdempotencyInProgressError("t1/erp/book-order/1001", 30_000);
 * error.retryable; // true
 * ```
 */
export class IdempotencyInProgressError extends DistroError {
  /** Milliseconds until the running claim expires and the key can be reclaimed. */
  readonly retryAfterMs: number;

  /**
   * @param key - the scoped key
   * @param retryAfterMs - when the claim of the running request expires, from now
   * @param options - cause and details
   */
  constructor(key: string, retryAfterMs: number, options: DistroErrorOptions = {}) {
    super("IDEMPOTENCY_IN_PROGRESS", `A request with idempotency key ${key} is still running`, {
      ...options,
      retryable: true,
      details: { ...options.details, key, retryAfterMs },
    });
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A run that was stored as a permanent failure is replayed for a repeated key: the
 * original failure is attached (serialised), and `fn` is not run again.
 *
 * @example
 * ```ts
 * import { IdempotentFailureError } from "@distro/core";
 *
 * const error = new IdempotentFailureError("t1/erp/book-order/1001", {
 *   name: "ValidationError", code: "VALIDATION_FAILED", message: "bad order", retryable: false,
 * });
 * error.code; // "VALIDATION_FAILED"
 * ```
 */
export class IdempotentFailureError extends DistroError {
  /**
   * @param key - the scoped key
   * @param failure - the stored failure of the first run
   */
  constructor(key: string, failure: IdempotencyRecord["error"] & object) {
    super(failure.code, `Stored failure for idempotency key ${key}: ${failure.message}`, {
      retryable: false,
      details: { key, failure },
    });
  }
}
