import { z } from "zod";
import { isDecimalString } from "../money/decimal";
import { DecimalSchema } from "../money/money";

/**
 * The ids of one record in each system, keyed by system name:
 * `{ erp: "C1001", crm: "001xx000003DGb2", shopify: "gid://shopify/Customer/1" }`.
 * System names are lower-case (`erp`, `shopify`, `edi-acme`); ids are non-empty strings.
 *
 * @example
 * ```ts
 * RefsSchema.parse({ erp: "SO-1001", shopify: "gid://shopify/Order/1" });
 * ```
 */
export const RefsSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, "Expected a lower-case system name such as erp or shopify"),
  z.string().min(1).max(512),
);

/** The ids of one record in each system. */
export type Refs = z.infer<typeof RefsSchema>;

/**
 * Namespaced extra attributes that the canonical model does not name: keys are
 * `<namespace>.<name>` (`"shopify.tags"`, `"erp.salesperson"`), values any JSON.
 * The namespace keeps two systems' attributes apart.
 *
 * @example
 * ```ts
 * ExtSchema.parse({ "shopify.tags": ["wholesale"], "erp.salesperson": "JD" });
 * ```
 */
export const ExtSchema = z.record(
  z
    .string()
    .regex(
      /^[a-z][a-z0-9_-]*\.[A-Za-z0-9_.-]+$/,
      'Expected a namespaced key such as "shopify.tags" (namespace, dot, name)',
    ),
  z.json(),
);

/** Namespaced extra attributes (`"shopify.tags": [...]`). */
export type Ext = z.infer<typeof ExtSchema>;

/**
 * A canonical identifier: 1 to 128 printable characters without spaces at either end.
 *
 * @example
 * ```ts
 * IdSchema.parse("SO-1001");
 * ```
 */
export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^\S(?:.*\S)?$/, "Expected an id without leading or trailing spaces");

/**
 * A calendar date, `YYYY-MM-DD` (ISO 8601), as ERPs and EDI carry requested dates.
 *
 * @example
 * ```ts
 * IsoDateSchema.parse("2026-03-31");
 * ```
 */
export const IsoDateSchema = z.iso.date();

/**
 * An instant, ISO 8601 with `Z` or an offset (`2026-03-31T14:05:00Z`).
 *
 * @example
 * ```ts
 * IsoDateTimeSchema.parse("2026-03-31T14:05:00+02:00");
 * ```
 */
export const IsoDateTimeSchema = z.iso.datetime({ offset: true });

/**
 * A decimal string that is zero or more (`"0"`, `"12.5"`).
 *
 * @example
 * ```ts
 * NonNegativeDecimalSchema.parse("0.0125");
 * ```
 */
export const NonNegativeDecimalSchema = DecimalSchema.refine(
  (value) => !isDecimalString(value) || !value.startsWith("-"),
  {
    message: "Expected zero or more",
  },
);

/**
 * A decimal string above zero (`"0.5"`, `"100"`).
 *
 * @example
 * ```ts
 * PositiveDecimalSchema.parse("100");
 * ```
 */
export const PositiveDecimalSchema = DecimalSchema.refine(
  // A canonical decimal is above zero when it has no minus sign and a non-zero digit.
  (value) => !isDecimalString(value) || (value.charCodeAt(0) !== 45 && /[1-9]/.test(value)),
  { message: "Expected more than zero" },
);

/**
 * A unit of measure code as the business writes it (`EA`, `BX`, `CS`, `KG`, `M`): upper-case
 * letters and digits, 1 to 10 characters (X12 355 and UN/ECE Rec 20 codes both fit).
 *
 * @example
 * ```ts
 * UomSchema.parse("BX");
 * ```
 */
export const UomSchema = z
  .string()
  .regex(/^[A-Z0-9]{1,10}$/, "Expected a unit of measure code such as EA or BX");

/**
 * A stock-keeping unit: 1 to 64 characters, no spaces at either end.
 *
 * @example
 * ```ts
 * SkuSchema.parse("BOLT-M8-40");
 * ```
 */
export const SkuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:.*\S)?$/, "Expected a SKU without leading or trailing spaces");

/**
 * A country, ISO 3166-1 alpha-2 (`US`, `DE`).
 *
 * @example
 * ```ts
 * CountryCodeSchema.parse("DE");
 * ```
 */
export const CountryCodeSchema = z
  .string()
  .regex(/^[A-Z]{2}$/, "Expected an ISO 3166-1 alpha-2 country code");

/**
 * A postal address: street lines, city, region, postal code and ISO country.
 *
 * @example
 * ```ts
 * AddressSchema.parse({ line1: "1 Dock Rd", city: "Dayton", region: "OH", postalCode: "45402", country: "US" });
 * ```
 */
export const AddressSchema = z.object({
  /** The address's id within its owner (e.g. an ERP ship-to code). */
  id: z.string().min(1).max(64).optional(),
  /** Who receives at this address. */
  name: z.string().max(200).optional(),
  /** The company at this address. */
  company: z.string().max(200).optional(),
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  line3: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  /** State, province or county (`OH`, `Bavaria`). */
  region: z.string().max(100).optional(),
  postalCode: z.string().max(20).optional(),
  country: CountryCodeSchema,
  /** A GS1 Global Location Number, as EDI partners identify ship-to locations. */
  gln: z
    .string()
    .regex(/^\d{13}$/, "Expected a 13-digit GLN")
    .optional(),
});

/** A postal address. */
export type Address = z.infer<typeof AddressSchema>;

/**
 * A reference to another canonical record: its canonical `id`, and optionally its ids
 * in other systems.
 *
 * @example
 * ```ts
 * EntityRefSchema.parse({ id: "C-100", refs: { erp: "C100" } });
 * ```
 */
export const EntityRefSchema = z.object({ id: IdSchema, refs: RefsSchema.optional() });

/** A reference to another canonical record. */
export type EntityRef = z.infer<typeof EntityRefSchema>;

/**
 * Payment terms: net days, and an optional early-payment discount (`2/10 net 30` is
 * `{ code: "2/10N30", netDays: 30, discountPercent: "2", discountDays: 10 }`).
 *
 * @example
 * ```ts
 * PaymentTermsSchema.parse({ code: "NET30", netDays: 30 });
 * ```
 */
export const PaymentTermsSchema = z.object({
  code: z.string().min(1).max(32),
  description: z.string().max(200).optional(),
  netDays: z.number().int().min(0).max(3650),
  discountPercent: NonNegativeDecimalSchema.optional(),
  discountDays: z.number().int().min(0).max(3650).optional(),
});

/** Payment terms: net days and an optional early-payment discount. */
export type PaymentTerms = z.infer<typeof PaymentTermsSchema>;

/**
 * The fields every canonical entity carries: `refs` (its id in each system), `ext`
 * (namespaced extra attributes) and `schemaVersion` (the entity schema's version).
 * Spread it into a `z.object` to build an entity of your own that follows the same rules.
 *
 * @param version - the entity schema's version
 * @returns the zod shape of `schemaVersion`, `refs` and `ext`
 * @example
 * ```ts
 * import { z } from "zod";
 *
 * const WarehouseSchema = z.object({ id: IdSchema, name: z.string(), ...entityBase(1) });
 * ```
 */
export function entityBase<const Version extends number>(version: Version) {
  return {
    /** The version of the entity's schema this record follows. */
    schemaVersion: z.literal(version).default(version),
    /** The record's id in each system. */
    refs: RefsSchema.default({}),
    /** Namespaced extra attributes. */
    ext: ExtSchema.default({}),
  };
}
