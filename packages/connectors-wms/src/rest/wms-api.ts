import { z } from "zod";

const Quantity = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/)])
  .transform(String);

const LineItem = z.object({ sku: z.string().min(1), quantity: Quantity });

/**
 * * ShipHero's "Tote Complete" webhook (picking finished for an order), as the WMS simulator
 * and ShipHero-style warehouses send it.
 *
 * @example
 * ```ts
 * const parsed = WmsToteCompleteSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const WmsToteCompleteSchema = z.object({
  webhook_type: z.literal("Tote Complete"),
  test: z.string().optional(),
  tote_name: z.string().optional(),
  order_number: z.string().min(1),
  order_uuid: z.string().optional(),
  items: z.array(LineItem).default([]),
});

/**
 * ShipHero's "Order Packed Out" webhook.
 *
 * @example
 * ```ts
 * const parsed = WmsPackedOutSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const WmsPackedOutSchema = z.object({
  webhook_type: z.literal("Order Packed Out"),
  test: z.string().optional(),
  order_number: z.string().min(1),
  order_uuid: z.string().optional(),
  packages: z
    .array(z.object({ box_id: z.string().optional(), line_items: z.array(LineItem).default([]) }))
    .default([]),
});

/**
 * ShipHero's "Shipment Update" webhook: a shipment left the warehouse, with its carrier and tracking.
 *
 * @example
 * ```ts
 * const parsed = WmsShipmentUpdateSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const WmsShipmentUpdateSchema = z.object({
  webhook_type: z.literal("Shipment Update"),
  test: z.string().optional(),
  fulfillment: z.object({
    shipment_uuid: z.string().optional(),
    order_uuid: z.string().optional(),
    order_number: z.string().min(1),
    shipping_carrier: z.string().min(1),
    shipping_method: z.string().optional(),
    tracking_number: z.string().min(1),
    tracking_url: z.string().optional(),
    line_items: z.array(LineItem).default([]),
  }),
});

/**
 * ShipHero's "Order Canceled" webhook.
 *
 * @example
 * ```ts
 * const parsed = WmsOrderCanceledSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const WmsOrderCanceledSchema = z.object({
  webhook_type: z.literal("Order Canceled"),
  test: z.string().optional(),
  order_number: z.string().min(1),
  order_uuid: z.string().optional(),
});

/**
 * ShipBob's `order.shipment.exception` topic: a shipment cannot proceed (stock, address...).
 *
 * @example
 * ```ts
 * const parsed = WmsShipmentExceptionSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const WmsShipmentExceptionSchema = z.object({
  topic: z.literal("order.shipment.exception"),
  id: z.union([z.string(), z.number()]).transform(String),
  reference_id: z.string().min(1),
  status: z.string().optional(),
  status_details: z.array(z.object({ name: z.string(), description: z.string().optional() })).default([]),
});

/**
 * Every WMS event the REST / webhook adapter understands.
 *
 * @example
 * ```ts
 * const parsed = WmsEventSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const WmsEventSchema = z.union([
  WmsToteCompleteSchema,
  WmsPackedOutSchema,
  WmsShipmentUpdateSchema,
  WmsOrderCanceledSchema,
  WmsShipmentExceptionSchema,
]);

/** A WMS webhook payload, ShipHero- or ShipBob-shaped. */
export type WmsEvent = z.infer<typeof WmsEventSchema>;

/** The fulfilment request body sent to the WMS (ShipBob-style order create). */
export interface WmsFulfilmentOrder {
  /** Your order id (the WMS's `reference_id`). */
  reference_id: string;
  /** The order number people see. */
  order_number: string;
  /** Requested shipping service. */
  shipping_method: string;
  /** Where it goes. */
  recipient: {
    name: string;
    address: {
      address1: string;
      address2?: string;
      city: string;
      state?: string;
      zip_code?: string;
      country: string;
    };
  };
  /** What to ship. */
  products: { reference_id: string; quantity: string }[];
}
