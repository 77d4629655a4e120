import { z } from "zod";
import { DecimalSchema } from "../money/money";
import {
  entityBase,
  IdSchema,
  IsoDateTimeSchema,
  NonNegativeDecimalSchema,
  SkuSchema,
  UomSchema,
} from "./common";

/**
 * The stock of one SKU at one location, as decimal strings in `uom`: on hand,
 * allocated to orders, available to promise, and incoming (on open purchase or
 * transfer orders). `available` is stated by the source system (it may hold back
 * safety stock), so it is not forced to equal `onHand − allocated`; `onHand` and
 * `available` may be negative where the ERP allows it.
 *
 * @example
 * ```ts
 * InventoryLevelSchema.parse({
 *   sku: "BOLT-M8-40", locationId: "DAY-1", uom: "EA",
 *   onHand: "1200", allocated: "200", available: "1000", incoming: "5000",
 *   asOf: "2026-03-01T08:00:00Z",
 * });
 * ```
 */
export const InventoryLevelSchema = z.object({
  sku: SkuSchema,
  /** The warehouse, store or bin location's canonical id. */
  locationId: IdSchema,
  uom: UomSchema,
  onHand: DecimalSchema,
  allocated: NonNegativeDecimalSchema,
  available: DecimalSchema,
  incoming: NonNegativeDecimalSchema.default("0"),
  /** When the source system counted it. */
  asOf: IsoDateTimeSchema,
  ...entityBase(1),
});

/** The stock of one SKU at one location. */
export type InventoryLevel = z.infer<typeof InventoryLevelSchema>;

/**
 * The key of an inventory level: `sku@location`.
 *
 * @param level - an inventory level (or its `sku` and `locationId`)
 * @returns `"<sku>@<locationId>"`
 * @example
 * ```ts
 * inventoryKey({ sku: "BOLT-M8-40", locationId: "DAY-1" }); // "BOLT-M8-40@DAY-1"
 * ```
 */
export function inventoryKey(level: Pick<InventoryLevel, "sku" | "locationId">): string {
  return `${level.sku}@${level.locationId}`;
}
