import { z } from "zod";

/**
 * A Shopify numeric id as it arrives (a JSON number up to 2^53, a string when exact
 * parsing kept a bigger one, or a `gid://shopify/<Type>/<n>` global id), always turned
 * into its decimal string.
 *
 * @example
 * ```ts
 * ShopifyIdSchema.parse(450789469); // "450789469"
 * ShopifyIdSchema.parse("gid://shopify/Order/450789469"); // "450789469"
 * ```
 */
export const ShopifyIdSchema = z
  .union([
    z.number().int().nonnegative(),
    z
      .string()
      .regex(/^(?:gid:\/\/shopify\/[A-Za-z]+\/)?\d+$/, "Expected a numeric id or a Shopify global id"),
  ])
  .transform((value) => (typeof value === "number" ? String(value) : (/(\d+)$/.exec(value)?.[1] ?? value)));

/**
 * A Shopify money amount: a decimal string (`"199.00"`); numbers are refused so no float
 * ever carries money.
 *
 * @example
 * ```ts
 * ShopifyMoneySchema.parse("0.0125");
 * ```
 */
export const ShopifyMoneySchema = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, "Expected a decimal string such as 199.00");

/**
 * A Shopify address (`shipping_address`, `billing_address`).
 *
 * @example
 * ```ts
 * ShopifyAddressSchema.parse({ address1: "1 Dock Rd", city: "Dayton", country_code: "US" });
 * ```
 */
export const ShopifyAddressSchema = z.looseObject({
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  name: z.string().nullish(),
  company: z.string().nullish(),
  address1: z.string().nullish(),
  address2: z.string().nullish(),
  city: z.string().nullish(),
  province: z.string().nullish(),
  province_code: z.string().nullish(),
  zip: z.string().nullish(),
  country: z.string().nullish(),
  country_code: z.string().nullish(),
  phone: z.string().nullish(),
});

/** A Shopify address. */
export type ShopifyAddress = z.infer<typeof ShopifyAddressSchema>;

/**
 * A tax line of a Shopify order line.
 *
 * @example
 * ```ts
 * ShopifyTaxLineSchema.parse({ title: "State Tax", price: "3.98", rate: 0.06 });
 * ```
 */
export const ShopifyTaxLineSchema = z.looseObject({
  title: z.string().nullish(),
  price: ShopifyMoneySchema,
  rate: z.union([z.number(), z.string()]).nullish(),
});

/**
 * A line item of a Shopify order.
 *
 * @example
 * ```ts
 * ShopifyLineItemSchema.parse({ id: 1, sku: "IPOD2008GREEN", quantity: 1, price: "199.00" });
 * ```
 */
export const ShopifyLineItemSchema = z.looseObject({
  id: ShopifyIdSchema,
  variant_id: ShopifyIdSchema.nullish(),
  product_id: ShopifyIdSchema.nullish(),
  sku: z.string().nullish(),
  title: z.string().nullish(),
  name: z.string().nullish(),
  quantity: z.number().int().nonnegative(),
  current_quantity: z.number().int().nonnegative().nullish(),
  price: ShopifyMoneySchema,
  total_discount: ShopifyMoneySchema.nullish(),
  tax_lines: z.array(ShopifyTaxLineSchema).nullish(),
  fulfillable_quantity: z.number().int().nullish(),
});

/** A line item of a Shopify order. */
export type ShopifyLineItem = z.infer<typeof ShopifyLineItemSchema>;

/**
 * The customer on a Shopify order.
 *
 * @example
 * ```ts
 * ShopifyCustomerSchema.parse({ id: 207119551, email: "bob.norman@hostmail.com" });
 * ```
 */
export const ShopifyCustomerSchema = z.looseObject({
  id: ShopifyIdSchema,
  email: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
});

/** The customer on a Shopify order. */
export type ShopifyCustomer = z.infer<typeof ShopifyCustomerSchema>;

/**
 * A Shopify order (REST resource and `orders/*` webhook body). Unknown fields pass through.
 *
 * @example
 * ```ts
 * const order = ShopifyOrderSchema.parse(parseShopifyJson(body));
 * ```
 */
export const ShopifyOrderSchema = z.looseObject({
  id: ShopifyIdSchema,
  admin_graphql_api_id: z.string().nullish(),
  name: z.string().nullish(),
  order_number: z.number().int().nullish(),
  email: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
  cancelled_at: z.string().nullish(),
  closed_at: z.string().nullish(),
  currency: z.string(),
  financial_status: z.string().nullish(),
  fulfillment_status: z.string().nullish(),
  total_price: ShopifyMoneySchema,
  subtotal_price: ShopifyMoneySchema.nullish(),
  total_tax: ShopifyMoneySchema.nullish(),
  total_discounts: ShopifyMoneySchema.nullish(),
  note: z.string().nullish(),
  po_number: z.string().nullish(),
  tags: z.string().nullish(),
  line_items: z.array(ShopifyLineItemSchema),
  shipping_lines: z
    .array(z.looseObject({ title: z.string().nullish(), price: ShopifyMoneySchema }))
    .nullish(),
  shipping_address: ShopifyAddressSchema.nullish(),
  billing_address: ShopifyAddressSchema.nullish(),
  customer: ShopifyCustomerSchema.nullish(),
});

/** A Shopify order. */
export type ShopifyOrder = z.infer<typeof ShopifyOrderSchema>;

/**
 * An inventory level (`inventory_levels/set.json` answer and list item).
 *
 * @example
 * ```ts
 * ShopifyInventoryLevelSchema.parse({ inventory_item_id: 808950810, location_id: 905684977, available: 6 });
 * ```
 */
export const ShopifyInventoryLevelSchema = z.looseObject({
  inventory_item_id: ShopifyIdSchema,
  location_id: ShopifyIdSchema,
  available: z.number().int().nullable(),
  updated_at: z.string().nullish(),
});

/** An inventory level. */
export type ShopifyInventoryLevel = z.infer<typeof ShopifyInventoryLevelSchema>;

/**
 * A fulfillment order and its line items (what a fulfilment is created against). The
 * older `fulfillment_order_line_items` key is read as `line_items`; a missing
 * `fulfillable_quantity` defaults to `quantity`.
 *
 * @example
 * ```ts
 * ShopifyFulfillmentOrderSchema.parse({ id: 1, order_id: 2, status: "open", line_items: [] });
 * ```
 */
export const ShopifyFulfillmentOrderSchema = z.preprocess(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    !("line_items" in value) &&
    "fulfillment_order_line_items" in value
      ? {
          ...value,
          line_items: (value as { fulfillment_order_line_items: unknown }).fulfillment_order_line_items,
        }
      : value,
  z.looseObject({
    id: ShopifyIdSchema,
    order_id: ShopifyIdSchema,
    status: z.string(),
    assigned_location_id: ShopifyIdSchema.nullish(),
    line_items: z.array(
      z
        .looseObject({
          id: ShopifyIdSchema,
          line_item_id: ShopifyIdSchema,
          variant_id: ShopifyIdSchema.nullish(),
          inventory_item_id: ShopifyIdSchema.nullish(),
          sku: z.string().nullish(),
          quantity: z.number().int(),
          fulfillable_quantity: z.number().int().optional(),
        })
        .transform((line) => ({ ...line, fulfillable_quantity: line.fulfillable_quantity ?? line.quantity })),
    ),
  }),
);

/** A fulfillment order. */
export type ShopifyFulfillmentOrder = z.infer<typeof ShopifyFulfillmentOrderSchema>;

/**
 * A fulfilment (REST resource and `fulfillments/*` webhook body).
 *
 * @example
 * ```ts
 * ShopifyFulfillmentSchema.parse({ id: 255858046, order_id: 450789469, status: "success", line_items: [] });
 * ```
 */
export const ShopifyFulfillmentSchema = z.looseObject({
  id: ShopifyIdSchema,
  order_id: ShopifyIdSchema,
  status: z.string().nullish(),
  tracking_company: z.string().nullish(),
  tracking_number: z.string().nullish(),
  tracking_numbers: z.array(z.string()).nullish(),
  tracking_url: z.string().nullish(),
  tracking_urls: z.array(z.string()).nullish(),
  line_items: z.array(
    z.looseObject({
      id: ShopifyIdSchema,
      sku: z.string().nullish(),
      quantity: z.number().int(),
      variant_id: ShopifyIdSchema.nullish(),
    }),
  ),
});

/** A fulfilment. */
export type ShopifyFulfillment = z.infer<typeof ShopifyFulfillmentSchema>;

/**
 * A product variant.
 *
 * @example
 * ```ts
 * ShopifyVariantSchema.parse({ id: 1, product_id: 2, sku: "BOLT", price: "0.12", inventory_item_id: 3 });
 * ```
 */
export const ShopifyVariantSchema = z.looseObject({
  id: ShopifyIdSchema,
  product_id: ShopifyIdSchema.nullish(),
  sku: z.string().nullish(),
  price: ShopifyMoneySchema,
  compare_at_price: ShopifyMoneySchema.nullish(),
  inventory_item_id: ShopifyIdSchema.nullish(),
  barcode: z.string().nullish(),
});

/** A product variant. */
export type ShopifyVariant = z.infer<typeof ShopifyVariantSchema>;

/**
 * A product with its variants.
 *
 * @example
 * ```ts
 * ShopifyProductSchema.parse({ id: 1, title: "Bolt", variants: [] });
 * ```
 */
export const ShopifyProductSchema = z.looseObject({
  id: ShopifyIdSchema,
  title: z.string(),
  status: z.string().nullish(),
  variants: z.array(ShopifyVariantSchema),
});

/** A product. */
export type ShopifyProduct = z.infer<typeof ShopifyProductSchema>;

/**
 * The `throttleStatus` of a GraphQL answer's `extensions.cost`.
 *
 * @example
 * ```ts
 * ShopifyThrottleStatusSchema.parse({ maximumAvailable: 1000, currentlyAvailable: 990, restoreRate: 50 });
 * ```
 */
export const ShopifyThrottleStatusSchema = z.looseObject({
  maximumAvailable: z.number(),
  currentlyAvailable: z.number(),
  restoreRate: z.number(),
});

/** A GraphQL `throttleStatus`. */
export type ShopifyThrottleStatus = z.infer<typeof ShopifyThrottleStatusSchema>;

/**
 * A GraphQL answer: `data`, `errors` (with `extensions.code`, e.g. `THROTTLED`) and
 * `extensions.cost`.
 *
 * @example
 * ```ts
 * ShopifyGraphqlResponseSchema.parse({ data: {}, extensions: { cost: { requestedQueryCost: 10, actualQueryCost: 10,
 *   throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 990, restoreRate: 50 } } } });
 * ```
 */
export const ShopifyGraphqlResponseSchema = z.looseObject({
  data: z.unknown().optional(),
  errors: z
    .array(
      z.looseObject({
        message: z.string(),
        extensions: z.looseObject({ code: z.string().optional() }).optional(),
      }),
    )
    .optional(),
  extensions: z
    .looseObject({
      cost: z
        .looseObject({
          requestedQueryCost: z.number(),
          actualQueryCost: z.number().nullable(),
          throttleStatus: ShopifyThrottleStatusSchema,
        })
        .optional(),
    })
    .optional(),
});

/** A GraphQL answer. */
export type ShopifyGraphqlResponse = z.infer<typeof ShopifyGraphqlResponseSchema>;

/**
 * The `inventorySetQuantities` payload.
 *
 * @example
 * ```ts
 * ShopifyInventorySetQuantitiesPayloadSchema.parse({ userErrors: [] });
 * ```
 */
export const ShopifyInventorySetQuantitiesPayloadSchema = z.looseObject({
  userErrors: z.array(
    z.looseObject({
      field: z.array(z.union([z.string(), z.number()])).nullish(),
      message: z.string(),
      code: z.string().nullish(),
    }),
  ),
});
