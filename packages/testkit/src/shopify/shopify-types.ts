/** A line of an order the simulator creates: a SKU, quantity and unit price. */
export interface ShopifySimulatorLineInput {
  /** The variant SKU (the simulator creates a product for an unknown SKU). */
  sku: string;
  /** Units ordered. */
  quantity: number;
  /** Unit price as a decimal string, e.g. `"199.00"`. */
  price: string;
  /** The line title (default: the SKU). */
  title?: string;
}

/** An address on a simulated order. */
export interface ShopifySimulatorAddressInput {
  first_name?: string;
  last_name?: string;
  company?: string | null;
  address1: string;
  address2?: string | null;
  city: string;
  province_code?: string | null;
  zip?: string | null;
  country_code: string;
  phone?: string | null;
}

/** What {@link ShopifySimulator.createOrder} needs; everything else gets realistic defaults. */
export interface ShopifySimulatorOrderInput {
  /** The order id (default: the next id above 2^53, to exercise exact big ids). */
  id?: bigint;
  /** Currency (default `USD`). */
  currency?: string;
  /** Customer email. */
  email?: string;
  /** The order lines. */
  lines: ShopifySimulatorLineInput[];
  /** Shipping address. */
  shippingAddress?: ShopifySimulatorAddressInput;
  /** Billing address (default: the shipping address). */
  billingAddress?: ShopifySimulatorAddressInput;
  /** Customer (default: derived from the email). */
  customer?: { id?: bigint; email?: string; first_name?: string; last_name?: string };
  /** Tax total as a decimal string (default `"0.00"`). */
  totalTax?: string;
  /** Shipping charge as a decimal string (default `"0.00"`). */
  shippingPrice?: string;
  /** Purchase order number (Shopify B2B). */
  poNumber?: string;
  /** Send the `orders/create` webhook to subscribers (default true). */
  notify?: boolean;
}

/** A product variant in the simulator's catalog (wire field names). */
export interface ShopifySimulatorVariant {
  id: bigint;
  product_id: bigint;
  title: string;
  sku: string;
  price: string;
  compare_at_price: string | null;
  inventory_item_id: bigint;
  inventory_management: string | null;
  barcode: string | null;
  updated_at: string;
  created_at: string;
}

/** A product in the simulator's catalog (wire field names). */
export interface ShopifySimulatorProduct {
  id: bigint;
  title: string;
  body_html: string | null;
  vendor: string;
  product_type: string;
  handle: string;
  status: "active" | "draft" | "archived";
  tags: string;
  variants: ShopifySimulatorVariant[];
  created_at: string;
  updated_at: string;
  admin_graphql_api_id: string;
}

/** A fulfilment the simulator recorded (wire field names). */
export interface ShopifySimulatorFulfillment {
  id: bigint;
  order_id: bigint;
  status: "success";
  tracking_company: string | null;
  tracking_number: string | null;
  tracking_numbers: string[];
  tracking_url: string | null;
  tracking_urls: string[];
  line_items: { id: bigint; sku: string; quantity: number; variant_id: bigint }[];
  notify_customer: boolean;
  created_at: string;
  updated_at: string;
  admin_graphql_api_id: string;
}

/** A webhook subscription. */
export interface ShopifySimulatorSubscription {
  id: bigint;
  topic: string;
  address: string;
  format: "json";
  api_version: string;
  created_at: string;
}
