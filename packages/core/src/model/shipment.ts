import { z } from "zod";
import {
  AddressSchema,
  entityBase,
  IdSchema,
  IsoDateSchema,
  IsoDateTimeSchema,
  PositiveDecimalSchema,
  SkuSchema,
  UomSchema,
} from "./common";
import { isValidGs1Key } from "./gs1";

/**
 * A GS1 Serial Shipping Container Code: 18 digits ending in the GS1 mod-10 check digit
 * (the number on a carton or pallet label, X12 856 MAN*GM).
 *
 * @example
 * ```ts
 * SsccSchema.parse("106141411234567897");
 * ```
 */
export const SsccSchema = z
  .string()
  .regex(/^\d{18}$/, "Expected an SSCC of 18 digits")
  .refine((value) => !/^\d{18}$/.test(value) || isValidGs1Key(value, [18]), {
    message: "SSCC check digit does not match",
  });

/**
 * A quantity of one order line that was shipped (in a package or in the shipment).
 *
 * @example
 * ```ts
 * ShipmentLineSchema.parse({ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA" });
 * ```
 */
export const ShipmentLineSchema = z.object({
  orderLineNumber: z.number().int().min(1),
  sku: SkuSchema,
  quantity: PositiveDecimalSchema,
  uom: UomSchema,
  lot: z.string().max(64).optional(),
  serialNumbers: z.array(z.string().min(1).max(64)).optional(),
});

/** A shipped quantity of one order line. */
export type ShipmentLine = z.infer<typeof ShipmentLineSchema>;

/**
 * One carton or pallet: its SSCC, tracking number, weight and contents.
 *
 * @example
 * ```ts
 * ShipmentPackageSchema.parse({
 *   sscc: "106141411234567897", trackingNumber: "1Z999AA10123456784",
 *   lines: [{ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA" }],
 * });
 * ```
 */
export const ShipmentPackageSchema = z.object({
  sscc: SsccSchema.optional(),
  trackingNumber: z.string().min(1).max(64).optional(),
  weight: z.object({ value: PositiveDecimalSchema, unit: z.enum(["kg", "lb"]) }).optional(),
  lines: z.array(ShipmentLineSchema).default([]),
});

/** A package of a shipment. */
export type ShipmentPackage = z.infer<typeof ShipmentPackageSchema>;

/**
 * A shipment of (part of) an order: carrier, tracking, packages and the lines shipped.
 * Every package's contents must be among the shipment's lines.
 *
 * @example
 * ```ts
 * ShipmentSchema.parse({
 *   id: "SH-1", orderId: "SO-1001", status: "shipped", shippedAt: "2026-03-02T15:00:00Z",
 *   carrier: { code: "UPSN", service: "GROUND" },
 *   shipTo: { line1: "1 Dock Rd", city: "Dayton", country: "US" },
 *   lines: [{ orderLineNumber: 1, sku: "BOLT-M8-40", quantity: "300", uom: "EA" }],
 *   packages: [{ trackingNumber: "1Z999AA10123456784" }],
 * });
 * ```
 */
export const ShipmentSchema = z
  .object({
    id: IdSchema,
    orderId: IdSchema,
    status: z.enum([
      "pending",
      "picked",
      "packed",
      "shipped",
      "in_transit",
      "delivered",
      "exception",
      "cancelled",
    ]),
    /** Carrier by its SCAC or the shop's carrier code, with the service level. */
    carrier: z.object({
      code: z.string().min(1).max(32),
      name: z.string().max(100).optional(),
      service: z.string().max(64).optional(),
    }),
    /** The shipment-level tracking number (the master for multi-package shipments). */
    trackingNumber: z.string().min(1).max(64).optional(),
    trackingUrl: z.url().optional(),
    shipFromLocationId: IdSchema.optional(),
    shipTo: AddressSchema,
    shippedAt: IsoDateTimeSchema.optional(),
    estimatedDeliveryDate: IsoDateSchema.optional(),
    lines: z.array(ShipmentLineSchema).min(1),
    packages: z.array(ShipmentPackageSchema).default([]),
    ...entityBase(1),
  })
  .superRefine((shipment, context) => {
    const shipped = new Set(shipment.lines.map((line) => line.orderLineNumber));
    const ssccs = new Set<string>();
    shipment.packages.forEach((pack, packageIndex) => {
      if (pack.sscc !== undefined) {
        if (ssccs.has(pack.sscc)) {
          context.addIssue({
            code: "custom",
            path: ["packages", packageIndex, "sscc"],
            message: `SSCC ${pack.sscc} labels two packages`,
          });
        }
        ssccs.add(pack.sscc);
      }
      pack.lines.forEach((line, lineIndex) => {
        if (!shipped.has(line.orderLineNumber)) {
          context.addIssue({
            code: "custom",
            path: ["packages", packageIndex, "lines", lineIndex, "orderLineNumber"],
            message: `Order line ${line.orderLineNumber} is packed but not among the shipment's lines`,
          });
        }
      });
    });
  });

/** A canonical shipment. */
export type Shipment = z.infer<typeof ShipmentSchema>;
