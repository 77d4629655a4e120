import { ConflictError, ValidationError } from "@distro/core";

/** Which envelope a control number is for. */
export type ControlNumberKind = "interchange" | "group" | "transaction";

/**
 * Port: hands out envelope control numbers (ISA13, GS06, ST02, UNB05, UNH01) per
 * trading partner. A number returned once is never returned again for the same partner
 * and kind, whatever the concurrency. The memory store is the default; a durable one
 * (PostgreSQL) implements the same interface.
 */
export interface ControlNumberStore {
  /**
   * Reserves the next control number.
   *
   * @param partner - the trading partner's key (e.g. `ZZ:ACMECORP`)
   * @param kind - interchange, group or transaction
   * @returns a number never handed out before for this partner and kind
   */
  next(partner: string, kind: ControlNumberKind): Promise<number>;
}

/** Settings of {@link createMemoryControlNumberStore}. */
export interface MemoryControlNumberStoreSettings {
  /** The first number handed out for each partner and kind (default 1). */
  start?: number;
  /** The largest number (default 999,999,999, the nine digits of ISA13). */
  max?: number;
}

/**
 * An in-process {@link ControlNumberStore}: one counter per partner and kind. It never
 * wraps around: when the counter passes `max` it throws instead of reusing a number.
 *
 * @param settings - first and largest number
 * @returns the store
 * @throws ValidationError when `start` or `max` is not a positive integer
 * @example
 * ```ts
 * const store = createMemoryControlNumberStore();
 * await store.next("ZZ:ACME", "interchange"); // 1
 * await store.next("ZZ:ACME", "interchange"); // 2
 * await store.next("ZZ:OTHER", "interchange"); // 1
 * ```
 */
export function createMemoryControlNumberStore(
  settings: MemoryControlNumberStoreSettings = {},
): ControlNumberStore {
  const start = settings.start ?? 1;
  const max = settings.max ?? 999_999_999;
  if (!Number.isSafeInteger(start) || start < 1 || !Number.isSafeInteger(max) || max < start) {
    throw new ValidationError("Control number range is invalid", [
      {
        code: "invalid_range",
        path: ["start"],
        message: `start ${start} and max ${max} must be integers with 1 ≤ start ≤ max`,
      },
    ]);
  }
  const counters = new Map<string, number>();
  return {
    async next(partner, kind) {
      const key = `${kind}\u0000${partner}`;
      const value = counters.get(key) ?? start;
      if (value > max) {
        throw new ConflictError(
          `Control numbers for ${partner} (${kind}) are exhausted at ${max}; refusing to reuse one`,
          {
            details: { partner, kind, max },
          },
        );
      }
      counters.set(key, value + 1);
      return value;
    },
  };
}

/**
 * Formats a control number for its envelope: ISA13 as 9 digits, ST02 as at least 4,
 * GS06 and EDIFACT references as plain digits.
 *
 * @param value - the number
 * @param kind - which envelope
 * @param standard - X12 or EDIFACT
 * @returns the control number text
 * @example
 * ```ts
 * formatControlNumber(42, "interchange", "x12"); // "000000042"
 * formatControlNumber(7, "transaction", "x12"); // "0007"
 * ```
 */
export function formatControlNumber(
  value: number,
  kind: ControlNumberKind,
  standard: "x12" | "edifact",
): string {
  const digits = String(value);
  if (standard === "edifact") return digits;
  if (kind === "interchange") return digits.padStart(9, "0");
  if (kind === "transaction") return digits.padStart(4, "0");
  return digits;
}
