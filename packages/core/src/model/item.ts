import { z } from "zod";
import { ValidationError } from "../errors/validation-error";
import {
  compareDecimal,
  type DecimalString,
  divideDecimal,
  multiplyDecimal,
  type RoundingMode,
  roundDecimal,
} from "../money/decimal";
import { MoneySchema, type Quantity } from "../money/money";
import { entityBase, IdSchema, PositiveDecimalSchema, SkuSchema, UomSchema } from "./common";
import { isValidGs1Key } from "./gs1";

/**
 * A GS1 Global Trade Item Number: 8, 12, 13 or 14 digits whose last digit is the GS1
 * mod-10 check digit.
 *
 * @example
 * ```ts
 * GtinSchema.parse("4006381333931");
 * GtinSchema.safeParse("4006381333932").success; // false: wrong check digit
 * ```
 */
export const GtinSchema = z
  .string()
  .regex(/^(?:\d{8}|\d{12,14})$/, "Expected a GTIN of 8, 12, 13 or 14 digits")
  .refine((value) => !/^(?:\d{8}|\d{12,14})$/.test(value) || isValidGs1Key(value, [8, 12, 13, 14]), {
    message: "GTIN check digit does not match",
  });

/**
 * One unit of measure an item is sold or stocked in, with how many base units it holds:
 * `{ uom: "BX", factor: "100" }` is a box of 100 each.
 *
 * @example
 * ```ts
 * ItemUomSchema.parse({ uom: "BX", factor: "100", gtin: "10012345678902" });
 * ```
 */
export const ItemUomSchema = z.object({
  uom: UomSchema,
  /** Base units in one of this unit (`"100"`; `"0.5"` for a half unit). */
  factor: PositiveDecimalSchema,
  /** The GTIN printed on this packaging level. */
  gtin: GtinSchema.optional(),
  /** Whether the item can be ordered in this unit. */
  orderable: z.boolean().default(true),
});

/** A unit of measure of an item and its factor to the base unit. */
export type ItemUom = z.infer<typeof ItemUomSchema>;

/**
 * A sellable or stockable item: SKU, GTIN, base unit and the other units it comes in.
 *
 * @example
 * ```ts
 * const item = ItemSchema.parse({
 *   id: "I-1",
 *   sku: "BOLT-M8-40",
 *   name: "Hex bolt M8×40, zinc",
 *   gtin: "4006381333931",
 *   baseUom: "EA",
 *   uoms: [{ uom: "BX", factor: "100" }],
 * });
 * ```
 */
export const ItemSchema = z
  .object({
    id: IdSchema,
    sku: SkuSchema,
    name: z.string().min(1).max(300),
    description: z.string().max(10_000).optional(),
    status: z.enum(["active", "discontinued", "blocked"]).default("active"),
    gtin: GtinSchema.optional(),
    /** The unit stock is counted in; every other unit converts to it. */
    baseUom: UomSchema,
    /** Other units, each with its factor to `baseUom`. */
    uoms: z.array(ItemUomSchema).default([]),
    /** Weight of one base unit. */
    weight: z.object({ value: PositiveDecimalSchema, unit: z.enum(["g", "kg", "lb", "oz"]) }).optional(),
    categories: z.array(z.string().min(1).max(200)).default([]),
    taxCode: z.string().max(64).optional(),
    /** A list price per base unit, when the item master carries one. */
    listPrice: MoneySchema.optional(),
    ...entityBase(1),
  })
  .superRefine((item, context) => {
    const seen = new Set<string>([item.baseUom]);
    item.uoms.forEach((unit, index) => {
      if (seen.has(unit.uom)) {
        context.addIssue({
          code: "custom",
          path: ["uoms", index, "uom"],
          message: `Unit ${unit.uom} is listed twice (or repeats the base unit)`,
        });
      }
      seen.add(unit.uom);
    });
  });

/** A canonical item. */
export type Item = z.infer<typeof ItemSchema>;

function unitFactor(item: Pick<Item, "sku" | "baseUom" | "uoms">, uom: string, path: string): DecimalString {
  if (uom === item.baseUom) return "1";
  const unit = item.uoms.find((candidate) => candidate.uom === uom);
  if (unit === undefined) {
    throw new ValidationError(`Item ${item.sku} has no unit of measure ${uom}`, [
      {
        code: "unknown_uom",
        path: [path],
        message: `Unknown unit ${uom} for ${item.sku}; known: ${[item.baseUom, ...item.uoms.map((u) => u.uom)].join(", ")}`,
      },
    ]);
  }
  return unit.factor;
}

function scaleOf(value: DecimalString): number {
  const dot = value.indexOf(".");
  return dot === -1 ? 0 : value.length - dot - 1;
}

/** How {@link convertQuantity} handles a result that is not a whole multiple. */
export interface ConvertQuantityOptions {
  /**
   * Round to this many fraction digits instead of refusing an inexact result
   * (`1 EA` in boxes of 3 is 0.333…).
   */
  scale?: number;
  /** Rounding mode when `scale` is set; half-even by default. */
  mode?: RoundingMode;
}

/**
 * Converts a quantity between an item's units of measure, exactly:
 * `3 BX` of 100 is `300 EA`, `250 EA` is `2.5 BX`. A conversion that is not exact
 * (`1 EA` in boxes of 3) is refused unless `options.scale` asks for rounding.
 *
 * @param item - the item whose units are used (`baseUom` and `uoms`)
 * @param quantity - the quantity to convert
 * @param toUom - the unit wanted
 * @param options - rounding for inexact results
 * @returns the quantity in `toUom`
 * @throws {@link ValidationError} `unknown_uom` when a unit is not the item's;
 *   `inexact_conversion` when the result does not terminate and no scale is given
 * @example
 * ```ts
 * const item = { sku: "BOLT", baseUom: "EA", uoms: [{ uom: "BX", factor: "100", orderable: true }] };
 * convertQuantity(item, { value: "3", uom: "BX" }, "EA"); // { value: "300", uom: "EA" }
 * convertQuantity(item, { value: "250", uom: "EA" }, "BX"); // { value: "2.5", uom: "BX" }
 * ```
 */
export function convertQuantity(
  item: Pick<Item, "sku" | "baseUom" | "uoms">,
  quantity: Quantity,
  toUom: string,
  options: ConvertQuantityOptions = {},
): Quantity {
  const from = unitFactor(item, quantity.uom, "uom");
  const to = unitFactor(item, toUom, "toUom");
  if (quantity.uom === toUom) return { value: quantity.value, uom: toUom };
  const inBase = multiplyDecimal(quantity.value, from);
  if (to === "1") {
    const value = options.scale === undefined ? inBase : roundDecimal(inBase, options.scale, options.mode);
    return { value, uom: toUom };
  }
  if (options.scale !== undefined) {
    return { value: divideDecimal(inBase, to, options.scale, options.mode), uom: toUom };
  }
  // A quotient by a decimal terminates within scale(a) + 4 × digits(b) fraction digits
  // when it terminates at all (the divisor's factors of 2 and 5 are bounded by its size).
  const scale = scaleOf(inBase) + 4 * to.replace(/[-.]/g, "").length + 2;
  const value = divideDecimal(inBase, to, scale);
  if (compareDecimal(multiplyDecimal(value, to), inBase) !== 0) {
    throw new ValidationError(
      `${quantity.value} ${quantity.uom} of ${item.sku} is not a whole number of exact ${toUom}`,
      [
        {
          code: "inexact_conversion",
          path: ["value"],
          message: `${quantity.value} ${quantity.uom} = ${inBase} ${item.baseUom} does not divide exactly by ${to}; pass a scale to round`,
        },
      ],
    );
  }
  return { value, uom: toUom };
}
