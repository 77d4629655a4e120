import type { DecimalString } from "../money/decimal";

/**
 * One page of an incremental change read: the records changed since the cursor, the
 * cursor to resume from after they are written, and whether more pages follow. A sync
 * job commits `cursor` only after it has written `records`.
 *
 * @example
 * ```ts
 * const page: ChangePage<{ sku: string }> = { records: [{ sku: "BOLT-M8" }], cursor: "2026-03-01T10:00:00Z", hasMore: false };
 * ```
 */
export interface ChangePage<T> {
  /** Records changed since the previous cursor, in source order. */
  records: T[];
  /** The position after these records; pass it back to resume. */
  cursor: string;
  /** Whether the source has more changes right now. */
  hasMore: boolean;
}

/**
 * Options of an incremental change read.
 *
 * @example
 * ```ts
 * const options: ChangeReadOptions = { cursor: "2026-03-01T10:00:00Z", pageSize: 500 };
 * ```
 */
export interface ChangeReadOptions {
  /** Where the previous read stopped; absent for a full read. */
  cursor?: string;
  /** Records per page the caller would like (the source may send fewer). */
  pageSize?: number;
  /** Aborts the read between pages. */
  signal?: AbortSignal;
}

/**
 * One line of a basket, as the portal asks for prices and availability.
 *
 * @example
 * ```ts
 * const line: BasketLine = { sku: "BOLT-M8-40", quantity: "300", uom: "EA" };
 * ```
 */
export interface BasketLine {
  /** The SKU asked for. */
  sku: string;
  /** How many, as a decimal string. */
  quantity: DecimalString;
  /** The unit of measure; the item's base unit when absent. */
  uom?: string;
}

/**
 * What every system port carries: which version of the specification it implements
 * and which system it speaks to. A breaking change to a port adds a `v2` interface
 * beside `v1`; adapters say which one they implement.
 *
 * @example
 * ```ts
 * const identity: SystemIdentity<"v1"> = { specificationVersion: "v1", system: "business-central" };
 * ```
 */
export interface SystemIdentity<Version extends string> {
  /** The port version the adapter implements. */
  readonly specificationVersion: Version;
  /** The system's name as it appears in `refs` and logs, e.g. `erp`, `shopify`. */
  readonly system: string;
}
