import { randomUUID } from "node:crypto";
import {
  addDecimal,
  isDecimalString,
  multiplyDecimal,
  roundDecimal,
  sumDecimals,
  ValidationError,
} from "@distro/core";
import type { FaultInjector } from "../shared/faults";
import { parseJsonExact } from "../shared/json";
import { LeakyBucket } from "../shared/leaky-bucket";
import type { Ledger } from "../shared/ledger";
import {
  jsonResponse,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorRouter,
} from "../shared/router";
import {
  type SimulatorEnvironment,
  type SimulatorServer,
  startSimulatorServer,
} from "../shared/simulator-server";
import { WebhookSender, type WebhookSendResult } from "../shared/webhook-sender";
import { handleShopifyGraphql } from "./shopify-graphql";
import { signShopifyWebhook } from "./shopify-signing";
import type {
  ShopifySimulatorAddressInput,
  ShopifySimulatorFulfillment,
  ShopifySimulatorOrderInput,
  ShopifySimulatorProduct,
  ShopifySimulatorSubscription,
  ShopifySimulatorVariant,
} from "./shopify-types";

/** Settings for {@link createShopifySimulator}. */
export interface ShopifySimulatorSettings extends SimulatorEnvironment {
  /** The shop's domain, sent in `X-Shopify-Shop-Domain` (default `distro-test.myshopify.com`). */
  shopDomain?: string;
  /** The Admin API version served and sent in `X-Shopify-API-Version` (default `2024-10`). */
  apiVersion?: string;
  /** The Admin API access token required in `X-Shopify-Access-Token` (default `shpat_distro_test`). */
  accessToken?: string;
  /** The app's client secret that signs webhooks (default `shpss_distro_test`). */
  webhookSecret?: string;
  /** REST leaky bucket: 40 calls leaking 2/s, as on a standard plan. Raise `leakPerSecond` to run big pushes fast. */
  rest?: { capacity?: number; leakPerSecond?: number };
  /** GraphQL cost bucket: 1000 points restoring 50/s by default. */
  graphql?: { capacity?: number; restorePerSecond?: number };
  /** The fetch used to deliver webhooks (default the global `fetch`). */
  fetch?: typeof fetch;
  /** Delay before each webhook retry after a non-2xx (default `[100, 200, 400]`). */
  webhookRetryDelaysMs?: number[];
  /** The first order id to assign (default 2^53 + 1, so every id needs exact handling). */
  firstOrderId?: bigint;
}

/** A running Shopify simulator. */
export interface ShopifySimulator {
  /** The base URL; the Admin API is under `${url}/admin/api/${apiVersion}/`. */
  readonly url: string;
  /** The shop's domain. */
  readonly shopDomain: string;
  /** The API version served. */
  readonly apiVersion: string;
  /** The token it requires. */
  readonly accessToken: string;
  /** The secret it signs webhooks with. */
  readonly webhookSecret: string;
  /** The id of the location created at start. */
  readonly defaultLocationId: bigint;
  /** Every HTTP request served. */
  readonly ledger: Ledger;
  /** Inject latency, 429s, 5xx and resets into API requests. */
  readonly faults: FaultInjector;
  /** The webhook sender: inject `duplicate` / `out-of-order`, read its attempts. */
  readonly webhooks: WebhookSender;
  /** The REST leaky bucket. */
  readonly restBucket: LeakyBucket;
  /** The GraphQL cost bucket. */
  readonly graphqlBucket: LeakyBucket;
  /**
   * The Admin REST URL of a resource path.
   * @param path - e.g. `orders.json`
   */
  adminUrl(path: string): string;
  /**
   * Creates an order (as a customer checking out would) and sends `orders/create` to subscribers.
   * @param input - lines, addresses, customer
   */
  createOrder(
    input: ShopifySimulatorOrderInput,
  ): Promise<{ order: Record<string, unknown>; deliveries: WebhookSendResult[] }>;
  /**
   * Adds a product with variants to the catalog (no API call, no rate limit).
   * @param input - title and variants (SKU and price)
   */
  addProduct(input: { title: string; variants: { sku: string; price: string }[] }): ShopifySimulatorProduct;
  /**
   * Adds a location.
   * @param name - its name
   */
  addLocation(name: string): bigint;
  /**
   * The `available` quantity of an inventory item at a location, if stocked there.
   * @param inventoryItemId - the inventory item
   * @param locationId - the location
   */
  inventoryLevel(inventoryItemId: bigint, locationId: bigint): number | undefined;
  /**
   * The variant with this SKU.
   * @param sku - the SKU
   */
  variantBySku(sku: string): ShopifySimulatorVariant | undefined;
  /** Every order, as the API returns it. */
  orders(): Record<string, unknown>[];
  /** Every product. */
  products(): ShopifySimulatorProduct[];
  /** Every fulfilment created. */
  fulfillments(): ShopifySimulatorFulfillment[];
  /**
   * Subscribes a URL to a topic (as `POST /webhooks.json` does).
   * @param topic - e.g. `orders/create`
   * @param address - the receiver's URL
   */
  subscribe(topic: string, address: string): ShopifySimulatorSubscription;
  /**
   * Sends a signed webhook to every subscriber of the topic (or to `address`).
   * @param topic - the topic header
   * @param payload - an object (serialised with exact big ids) or raw text
   * @param options - a fixed webhook id, a single address
   */
  sendWebhook(
    topic: string,
    payload: unknown,
    options?: { webhookId?: string; address?: string },
  ): Promise<WebhookSendResult[]>;
  /** Stops the server. */
  close(): Promise<void>;
}

const REST_RATE_LIMIT_BODY = {
  errors: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
};

/** Internal state shared by the REST and GraphQL handlers. */
export interface ShopifySimulatorState {
  /** Products by id. */
  products: Map<bigint, ShopifySimulatorProduct>;
  /** Locations by id. */
  locations: Map<bigint, { id: bigint; name: string; active: boolean }>;
  /** Quantities by `<inventoryItemId>:<locationId>`. */
  inventory: Map<string, { available: number; onHand: number; updatedAt: string }>;
  /** Variants by inventory item id. */
  inventoryItems: Map<bigint, ShopifySimulatorVariant>;
  /** The simulator's current time as an ISO string. */
  now(): string;
}

/**
 * Starts a Shopify simulator on loopback: the Admin REST API (orders, products, variants,
 * locations, inventory levels, fulfilment orders, fulfilments, webhooks) with cursor
 * paging in the `Link` header and a leaky bucket (40, leaking 2/s: `X-Shopify-Shop-Api-Call-Limit`,
 * 429 with `Retry-After`), the Admin GraphQL API with cost throttling (`extensions.cost`,
 * `THROTTLED`) for `inventorySetQuantities`, and webhooks signed with
 * `X-Shopify-Hmac-Sha256` and delivered with retries. Order ids start above 2^53; money is
 * always a decimal string.
 *
 * @param settings - shop, token, secret, bucket sizes, clock and randomness
 * @returns the running simulator
 * @example
 * ```ts
 * import { createShopifySimulator } from "@distro/testkit/shopify";
 *
 * const shop = await createShopifySimulator({ rest: { leakPerSecond: 200 } });
 * shop.addProduct({ title: "Bolt", variants: [{ sku: "BOLT-M8", price: "0.12" }] });
 * const response = await fetch(shop.adminUrl("products.json"), {
 *   headers: { "X-Shopify-Access-Token": shop.accessToken },
 * });
 * response.headers.get("x-shopify-shop-api-call-limit"); // "1/40"
 * await shop.close();
 * ```
 */
export async function createShopifySimulator(
  settings: ShopifySimulatorSettings = {},
): Promise<ShopifySimulator> {
  const clock = settings.clock ?? Date.now;
  const shopDomain = settings.shopDomain ?? "distro-test.myshopify.com";
  const apiVersion = settings.apiVersion ?? "2024-10";
  const accessToken = settings.accessToken ?? "shpat_distro_test";
  const webhookSecret = settings.webhookSecret ?? "shpss_distro_test";
  const restBucket = new LeakyBucket({
    capacity: settings.rest?.capacity ?? 40,
    leakPerSecond: settings.rest?.leakPerSecond ?? 2,
    clock,
  });
  const graphqlBucket = new LeakyBucket({
    capacity: settings.graphql?.capacity ?? 1000,
    leakPerSecond: settings.graphql?.restorePerSecond ?? 50,
    clock,
  });
  const webhooks = new WebhookSender({
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    ...(settings.random ? { random: settings.random } : {}),
    ...(settings.webhookRetryDelaysMs ? { retryDelaysMs: settings.webhookRetryDelaysMs } : {}),
    clock,
  });
  const now = () => new Date(clock()).toISOString().replace(/\.\d{3}Z$/, "Z");

  let nextId = 1_000_000_000n;
  const id = () => ++nextId;
  let nextOrderId = settings.firstOrderId ?? 2n ** 53n + 1n;
  let nextOrderNumber = 1001;

  const orders = new Map<bigint, Record<string, unknown>>();
  const fulfillmentOrders = new Map<bigint, Record<string, unknown>>();
  const fulfillments: ShopifySimulatorFulfillment[] = [];
  const subscriptions = new Map<bigint, ShopifySimulatorSubscription>();
  const state: ShopifySimulatorState = {
    products: new Map(),
    locations: new Map(),
    inventory: new Map(),
    inventoryItems: new Map(),
    now,
  };
  const defaultLocationId = id();
  state.locations.set(defaultLocationId, { id: defaultLocationId, name: "Main warehouse", active: true });

  const variantBySku = (sku: string): ShopifySimulatorVariant | undefined => {
    for (const product of state.products.values()) {
      const variant = product.variants.find((candidate) => candidate.sku === sku);
      if (variant) return variant;
    }
    return undefined;
  };

  const addProduct = (input: {
    title: string;
    body_html?: string | null;
    vendor?: string;
    product_type?: string;
    status?: "active" | "draft" | "archived";
    tags?: string;
    variants: {
      sku: string;
      price: string;
      compare_at_price?: string | null;
      barcode?: string | null;
      title?: string;
    }[];
  }): ShopifySimulatorProduct => {
    const productId = id();
    const at = now();
    const product: ShopifySimulatorProduct = {
      id: productId,
      title: input.title,
      body_html: input.body_html ?? null,
      vendor: input.vendor ?? "Distro",
      product_type: input.product_type ?? "",
      handle: input.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, ""),
      status: input.status ?? "active",
      tags: input.tags ?? "",
      variants: [],
      created_at: at,
      updated_at: at,
      admin_graphql_api_id: `gid://shopify/Product/${productId}`,
    };
    for (const variantInput of input.variants) {
      const variant: ShopifySimulatorVariant = {
        id: id(),
        product_id: productId,
        title: variantInput.title ?? "Default Title",
        sku: variantInput.sku,
        price: variantInput.price,
        compare_at_price: variantInput.compare_at_price ?? null,
        inventory_item_id: id(),
        inventory_management: "shopify",
        barcode: variantInput.barcode ?? null,
        created_at: at,
        updated_at: at,
      };
      product.variants.push(variant);
      state.inventoryItems.set(variant.inventory_item_id, variant);
      state.inventory.set(`${variant.inventory_item_id}:${defaultLocationId}`, {
        available: 0,
        onHand: 0,
        updatedAt: at,
      });
    }
    state.products.set(productId, product);
    return product;
  };

  const address = (input: ShopifySimulatorAddressInput | undefined) =>
    input === undefined
      ? null
      : {
          first_name: input.first_name ?? null,
          last_name: input.last_name ?? null,
          name: [input.first_name, input.last_name].filter(Boolean).join(" ") || null,
          company: input.company ?? null,
          address1: input.address1,
          address2: input.address2 ?? null,
          city: input.city,
          province: input.province_code ?? null,
          province_code: input.province_code ?? null,
          zip: input.zip ?? null,
          country: input.country_code,
          country_code: input.country_code,
          phone: input.phone ?? null,
        };

  const sendWebhook = async (
    topic: string,
    payload: unknown,
    options: { webhookId?: string; address?: string } = {},
  ): Promise<WebhookSendResult[]> => {
    const body = typeof payload === "string" ? payload : stringifyPayload(payload);
    const targets =
      options.address !== undefined
        ? [options.address]
        : [...subscriptions.values()].filter((entry) => entry.topic === topic).map((entry) => entry.address);
    const results: WebhookSendResult[] = [];
    for (const target of targets) {
      const webhookId = options.webhookId ?? randomUUID();
      results.push(
        await webhooks.send({
          id: webhookId,
          url: target,
          body,
          headers: {
            "content-type": "application/json",
            "x-shopify-topic": topic,
            "x-shopify-hmac-sha256": signShopifyWebhook(webhookSecret, body),
            "x-shopify-shop-domain": shopDomain,
            "x-shopify-api-version": apiVersion,
            "x-shopify-webhook-id": webhookId,
            "x-shopify-event-id": randomUUID(),
            "x-shopify-triggered-at": new Date(clock()).toISOString(),
          },
        }),
      );
    }
    return results;
  };

  const createOrder = async (input: ShopifySimulatorOrderInput) => {
    const orderId = input.id ?? nextOrderId++;
    const currency = input.currency ?? "USD";
    const at = now();
    const customerEmail = input.customer?.email ?? input.email ?? null;
    const lineItems = input.lines.map((line, index) => {
      if (!isDecimalString(line.price)) {
        throw new ValidationError("Invalid simulated order", [
          {
            code: "invalid_decimal",
            path: ["lines", index, "price"],
            message: `${line.price} is not a decimal string`,
          },
        ]);
      }
      const variant =
        variantBySku(line.sku) ??
        addProduct({ title: line.title ?? line.sku, variants: [line] }).variants[0]!;
      const lineId = id();
      return {
        id: lineId,
        admin_graphql_api_id: `gid://shopify/LineItem/${lineId}`,
        variant_id: variant.id,
        product_id: variant.product_id,
        sku: line.sku,
        title: line.title ?? line.sku,
        name: line.title ?? line.sku,
        quantity: line.quantity,
        current_quantity: line.quantity,
        fulfillable_quantity: line.quantity,
        fulfillment_status: null,
        price: line.price,
        price_set: moneySet(line.price, currency),
        total_discount: "0.00",
        requires_shipping: true,
        taxable: true,
        grams: 0,
        vendor: "Distro",
      };
    });
    const lineTotal = roundDecimal(
      sumDecimals(lineItems.map((line) => multiplyDecimal(line.price, String(line.quantity)))),
      2,
    );
    const tax = input.totalTax ?? "0.00";
    const shipping = input.shippingPrice ?? "0.00";
    const total = roundDecimal(addDecimal(addDecimal(lineTotal, tax), shipping), 2);
    const customerId = input.customer?.id ?? (customerEmail ? id() : undefined);
    const orderNumber = nextOrderNumber++;
    const order: Record<string, unknown> = {
      id: orderId,
      admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
      name: `#${orderNumber}`,
      order_number: orderNumber,
      number: orderNumber - 1000,
      email: customerEmail,
      contact_email: customerEmail,
      created_at: at,
      updated_at: at,
      processed_at: at,
      cancelled_at: null,
      closed_at: null,
      currency,
      presentment_currency: currency,
      financial_status: "paid",
      fulfillment_status: null,
      subtotal_price: lineTotal,
      subtotal_price_set: moneySet(lineTotal, currency),
      total_line_items_price: lineTotal,
      total_discounts: "0.00",
      total_tax: tax,
      total_tax_set: moneySet(tax, currency),
      total_price: total,
      total_price_set: moneySet(total, currency),
      total_shipping_price_set: moneySet(shipping, currency),
      taxes_included: false,
      test: false,
      tags: "",
      note: null,
      note_attributes: [],
      po_number: input.poNumber ?? null,
      source_name: "web",
      line_items: lineItems,
      shipping_lines:
        shipping === "0.00"
          ? []
          : [
              {
                id: id(),
                title: "Standard",
                code: "STANDARD",
                price: shipping,
                price_set: moneySet(shipping, currency),
              },
            ],
      shipping_address: address(input.shippingAddress),
      billing_address: address(input.billingAddress ?? input.shippingAddress),
      customer:
        customerId === undefined
          ? null
          : {
              id: customerId,
              admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
              email: customerEmail,
              first_name: input.customer?.first_name ?? input.shippingAddress?.first_name ?? null,
              last_name: input.customer?.last_name ?? input.shippingAddress?.last_name ?? null,
              created_at: at,
              updated_at: at,
            },
    };
    orders.set(orderId, order);
    const fulfillmentOrderId = id();
    fulfillmentOrders.set(fulfillmentOrderId, {
      id: fulfillmentOrderId,
      order_id: orderId,
      assigned_location_id: defaultLocationId,
      status: "open",
      request_status: "unsubmitted",
      line_items: lineItems.map((line) => ({
        id: id(),
        shop_id: 1n,
        fulfillment_order_id: fulfillmentOrderId,
        line_item_id: line.id,
        inventory_item_id: variantBySku(line.sku)?.inventory_item_id ?? null,
        variant_id: line.variant_id,
        quantity: line.quantity,
        fulfillable_quantity: line.quantity,
      })),
    });
    const deliveries = input.notify === false ? [] : await sendWebhook("orders/create", order);
    return { order, deliveries };
  };

  const router = new SimulatorRouter();
  const base = `/admin/api/${apiVersion}`;
  const paged = <T>(request: SimulatorRequest, items: T[], key: string, operation: string) =>
    pageResponse(request, origin(), items, key, operation);
  let serverUrl = "";
  const origin = () => serverUrl;

  router
    .on("GET", `${base}/orders.json`, (request) => {
      const query = pageFilters(request);
      if (!query) return jsonResponse(400, { errors: { page_info: ["Invalid value."] } });
      const status = query.get("status") ?? "open";
      const sinceId = query.get("since_id");
      const updatedAtMin = query.get("updated_at_min");
      const list = [...orders.values()].filter((order) => {
        if (status === "open" && order.closed_at !== null) return false;
        if (status === "closed" && order.closed_at === null) return false;
        if (sinceId && !((order.id as bigint) > BigInt(sinceId))) return false;
        if (updatedAtMin && Date.parse(order.updated_at as string) < Date.parse(updatedAtMin)) return false;
        return true;
      });
      if ((query.get("order") ?? "").startsWith("updated_at")) {
        const direction = query.get("order")?.endsWith("desc") ? -1 : 1;
        list.sort(
          (a, b) =>
            direction * (Date.parse(a.updated_at as string) - Date.parse(b.updated_at as string)) ||
            ((a.id as bigint) < (b.id as bigint) ? -1 : 1),
        );
      } else list.sort((a, b) => ((a.id as bigint) < (b.id as bigint) ? -1 : 1));
      return paged(request, list, "orders", "orders.list");
    })
    .on("GET", `${base}/orders/:id.json`, (request) => {
      const order = orders.get(parseId(request.params.id));
      return order ? { ...jsonResponse(200, { order }), operation: "orders.get" } : notFound();
    })
    .on("PUT", `${base}/orders/:id.json`, (request) => {
      const order = orders.get(parseId(request.params.id));
      if (!order) return notFound();
      const input = (readJson(request) as { order?: Record<string, unknown> } | undefined)?.order;
      if (!input) return unprocessable({ order: ["can't be blank"] });
      if (input.note !== undefined) {
        if (input.note !== null && typeof input.note !== "string")
          return unprocessable({ note: ["is invalid"] });
        order.note = input.note;
      }
      if (input.tags !== undefined) {
        order.tags = Array.isArray(input.tags) ? (input.tags as string[]).join(", ") : String(input.tags);
      }
      if (input.note_attributes !== undefined) {
        const attributes = input.note_attributes;
        if (
          !Array.isArray(attributes) ||
          !attributes.every(
            (entry) =>
              typeof entry === "object" &&
              entry !== null &&
              typeof (entry as { name?: unknown }).name === "string",
          )
        ) {
          return unprocessable({ note_attributes: ["is invalid"] });
        }
        order.note_attributes = attributes.map((entry) => ({
          name: String((entry as { name: unknown }).name),
          value: String((entry as { value?: unknown }).value ?? ""),
        }));
      }
      order.updated_at = now();
      return { ...jsonResponse(200, { order }), operation: "orders.update" };
    })
    .on("GET", `${base}/orders/:id/fulfillment_orders.json`, (request) => {
      const orderId = parseId(request.params.id);
      if (!orders.has(orderId)) return notFound();
      const list = [...fulfillmentOrders.values()].filter((entry) => entry.order_id === orderId);
      return { ...jsonResponse(200, { fulfillment_orders: list }), operation: "fulfillment_orders.list" };
    })
    .on("GET", `${base}/orders/:id/fulfillments.json`, (request) => {
      const orderId = parseId(request.params.id);
      if (!orders.has(orderId)) return notFound();
      return {
        ...jsonResponse(200, { fulfillments: fulfillments.filter((entry) => entry.order_id === orderId) }),
        operation: "fulfillments.list",
      };
    })
    .on("POST", `${base}/fulfillments.json`, async (request) => {
      const body = readJson(request);
      const input = (body as { fulfillment?: Record<string, unknown> } | undefined)?.fulfillment;
      const groups = input?.line_items_by_fulfillment_order;
      if (!input || !Array.isArray(groups) || groups.length === 0) {
        return unprocessable({ line_items_by_fulfillment_order: ["can't be blank"] });
      }
      const lines: ShopifySimulatorFulfillment["line_items"] = [];
      let orderId: bigint | undefined;
      for (const group of groups as Record<string, unknown>[]) {
        const fulfillmentOrder = fulfillmentOrders.get(parseId(group.fulfillment_order_id));
        if (!fulfillmentOrder) return unprocessable({ fulfillment_order_id: ["is invalid"] });
        if (fulfillmentOrder.status === "closed") {
          return unprocessable({ base: ["Fulfillment order is closed and cannot be fulfilled"] });
        }
        orderId = fulfillmentOrder.order_id as bigint;
        const foLines = fulfillmentOrder.line_items as Record<string, unknown>[];
        const wanted = Array.isArray(group.fulfillment_order_line_items)
          ? (group.fulfillment_order_line_items as Record<string, unknown>[]).map((entry) => ({
              id: parseId(entry.id),
              quantity: Number(entry.quantity),
            }))
          : foLines.map((line) => ({ id: line.id as bigint, quantity: line.fulfillable_quantity as number }));
        for (const want of wanted) {
          const line = foLines.find((candidate) => candidate.id === want.id);
          if (!line) return unprocessable({ fulfillment_order_line_items: ["is invalid"] });
          const left = line.fulfillable_quantity as number;
          if (!Number.isInteger(want.quantity) || want.quantity <= 0 || want.quantity > left) {
            return unprocessable({ quantity: [`must be between 1 and ${left}`] });
          }
          line.fulfillable_quantity = left - want.quantity;
          const orderLine = ((orders.get(orderId)?.line_items ?? []) as Record<string, unknown>[]).find(
            (candidate) => candidate.id === line.line_item_id,
          );
          if (orderLine)
            orderLine.fulfillable_quantity = (orderLine.fulfillable_quantity as number) - want.quantity;
          lines.push({
            id: line.line_item_id as bigint,
            sku: (orderLine?.sku as string) ?? "",
            quantity: want.quantity,
            variant_id: line.variant_id as bigint,
          });
        }
        if (foLines.every((line) => line.fulfillable_quantity === 0)) fulfillmentOrder.status = "closed";
        else fulfillmentOrder.status = "in_progress";
      }
      const tracking = (input.tracking_info ?? {}) as Record<string, unknown>;
      const fulfillmentId = id();
      const at = now();
      const fulfillment: ShopifySimulatorFulfillment = {
        id: fulfillmentId,
        order_id: orderId!,
        status: "success",
        tracking_company: (tracking.company as string | undefined) ?? null,
        tracking_number: (tracking.number as string | undefined) ?? null,
        tracking_numbers: tracking.number ? [tracking.number as string] : [],
        tracking_url: (tracking.url as string | undefined) ?? null,
        tracking_urls: tracking.url ? [tracking.url as string] : [],
        line_items: lines,
        notify_customer: input.notify_customer === true,
        created_at: at,
        updated_at: at,
        admin_graphql_api_id: `gid://shopify/Fulfillment/${fulfillmentId}`,
      };
      fulfillments.push(fulfillment);
      const order = orders.get(orderId!);
      if (order) {
        const remaining = (order.line_items as Record<string, unknown>[]).some(
          (line) => (line.fulfillable_quantity as number) > 0,
        );
        order.fulfillment_status = remaining ? "partial" : "fulfilled";
        order.updated_at = at;
      }
      await sendWebhook("fulfillments/create", fulfillment);
      return { ...jsonResponse(201, { fulfillment }), operation: "fulfillments.create" };
    })
    .on("GET", `${base}/products.json`, (request) =>
      paged(request, [...state.products.values()], "products", "products.list"),
    )
    .on("GET", `${base}/products/:id.json`, (request) => {
      const product = state.products.get(parseId(request.params.id));
      return product ? { ...jsonResponse(200, { product }), operation: "products.get" } : notFound();
    })
    .on("POST", `${base}/products.json`, (request) => {
      const input = (readJson(request) as { product?: Record<string, unknown> } | undefined)?.product;
      const problems = productProblems(input, true);
      if (problems) return unprocessable(problems);
      const variants = (
        (input!.variants as Record<string, unknown>[] | undefined) ?? [{ price: "0.00", sku: "" }]
      ).map((variant) => ({
        sku: String(variant.sku ?? ""),
        price: String(variant.price ?? "0.00"),
        compare_at_price: (variant.compare_at_price as string | null | undefined) ?? null,
        barcode: (variant.barcode as string | null | undefined) ?? null,
        ...(typeof variant.title === "string" ? { title: variant.title } : {}),
      }));
      const duplicate = variants.find((variant) => variant.sku !== "" && variantBySku(variant.sku));
      if (duplicate) return unprocessable({ sku: [`${duplicate.sku} has already been taken`] });
      const product = addProduct({
        title: String(input!.title),
        body_html: (input!.body_html as string | null | undefined) ?? null,
        vendor: (input!.vendor as string | undefined) ?? "Distro",
        product_type: (input!.product_type as string | undefined) ?? "",
        status: (input!.status as "active" | "draft" | "archived" | undefined) ?? "active",
        tags: Array.isArray(input!.tags) ? (input!.tags as string[]).join(", ") : String(input!.tags ?? ""),
        variants,
      });
      return { ...jsonResponse(201, { product }), operation: "products.create" };
    })
    .on("PUT", `${base}/products/:id.json`, (request) => {
      const product = state.products.get(parseId(request.params.id));
      if (!product) return notFound();
      const input = (readJson(request) as { product?: Record<string, unknown> } | undefined)?.product;
      const problems = productProblems(input, false);
      if (problems) return unprocessable(problems);
      for (const key of ["title", "body_html", "vendor", "product_type", "status"] as const) {
        if (input![key] !== undefined) (product as unknown as Record<string, unknown>)[key] = input![key];
      }
      if (input!.tags !== undefined) {
        product.tags = Array.isArray(input!.tags)
          ? (input!.tags as string[]).join(", ")
          : String(input!.tags);
      }
      product.updated_at = now();
      return { ...jsonResponse(200, { product }), operation: "products.update" };
    })
    .on("PUT", `${base}/variants/:id.json`, (request) => {
      const variantId = parseId(request.params.id);
      const variant = [...state.inventoryItems.values()].find((candidate) => candidate.id === variantId);
      if (!variant) return notFound();
      const input = (readJson(request) as { variant?: Record<string, unknown> } | undefined)?.variant;
      if (!input) return unprocessable({ variant: ["can't be blank"] });
      if (input.price !== undefined && !isMoneyText(input.price)) {
        return unprocessable({ price: ["expected String to be a Money"] });
      }
      if (
        input.compare_at_price !== undefined &&
        input.compare_at_price !== null &&
        !isMoneyText(input.compare_at_price)
      ) {
        return unprocessable({ compare_at_price: ["expected String to be a Money"] });
      }
      if (typeof input.price === "string") variant.price = input.price;
      if (input.compare_at_price !== undefined)
        variant.compare_at_price = input.compare_at_price as string | null;
      if (typeof input.barcode === "string") variant.barcode = input.barcode;
      variant.updated_at = now();
      return { ...jsonResponse(200, { variant }), operation: "variants.update" };
    })
    .on("GET", `${base}/locations.json`, () => ({
      ...jsonResponse(200, { locations: [...state.locations.values()] }),
      operation: "locations.list",
    }))
    .on("GET", `${base}/inventory_levels.json`, (request) => {
      const query = pageFilters(request);
      if (!query) return jsonResponse(400, { errors: { page_info: ["Invalid value."] } });
      const itemIds = splitIds(query.get("inventory_item_ids"));
      const locationIds = splitIds(query.get("location_ids"));
      if (itemIds.length === 0 && locationIds.length === 0) {
        return jsonResponse(422, { errors: "inventory_item_ids or location_ids must be present" });
      }
      const levels = [...state.inventory.entries()]
        .map(([key, level]) => {
          const [itemId, locationId] = key.split(":").map((part) => BigInt(part)) as [bigint, bigint];
          return {
            inventory_item_id: itemId,
            location_id: locationId,
            available: level.available,
            updated_at: level.updatedAt,
          };
        })
        .filter(
          (level) =>
            (itemIds.length === 0 || itemIds.includes(level.inventory_item_id)) &&
            (locationIds.length === 0 || locationIds.includes(level.location_id)),
        );
      return paged(request, levels, "inventory_levels", "inventory_levels.list");
    })
    .on("POST", `${base}/inventory_levels/set.json`, (request) => {
      const body = readJson(request) as Record<string, unknown> | undefined;
      if (!body) return jsonResponse(400, { errors: { query: ["Required parameter missing or invalid"] } });
      const itemId = tryParseId(body.inventory_item_id);
      const locationId = tryParseId(body.location_id);
      const available = body.available;
      if (itemId === undefined) return unprocessable({ inventory_item_id: ["is required"] });
      if (locationId === undefined) return unprocessable({ location_id: ["is required"] });
      if (typeof available !== "number" || !Number.isInteger(available)) {
        return unprocessable({ available: ["must be an integer"] });
      }
      if (!state.inventoryItems.has(itemId)) return notFound();
      if (!state.locations.has(locationId)) return notFound();
      const at = now();
      state.inventory.set(`${itemId}:${locationId}`, { available, onHand: available, updatedAt: at });
      return {
        ...jsonResponse(200, {
          inventory_level: { inventory_item_id: itemId, location_id: locationId, available, updated_at: at },
        }),
        operation: "inventory_levels.set",
      };
    })
    .on("GET", `${base}/webhooks.json`, () => ({
      ...jsonResponse(200, { webhooks: [...subscriptions.values()] }),
      operation: "webhooks.list",
    }))
    .on("POST", `${base}/webhooks.json`, (request) => {
      const input = (readJson(request) as { webhook?: Record<string, unknown> } | undefined)?.webhook;
      if (!input || typeof input.topic !== "string" || typeof input.address !== "string") {
        return unprocessable({ topic: ["can't be blank"], address: ["can't be blank"] });
      }
      const created = subscribe(input.topic, input.address);
      return { ...jsonResponse(201, { webhook: created }), operation: "webhooks.create" };
    })
    .on("DELETE", `${base}/webhooks/:id.json`, (request) => {
      const deleted = subscriptions.delete(parseId(request.params.id));
      return deleted ? { ...jsonResponse(200, {}), operation: "webhooks.delete" } : notFound();
    })
    .on("POST", `${base}/graphql.json`, (request) => handleShopifyGraphql(request, state, graphqlBucket));

  const subscribe = (topic: string, addressUrl: string): ShopifySimulatorSubscription => {
    const subscription: ShopifySimulatorSubscription = {
      id: id(),
      topic,
      address: addressUrl,
      format: "json",
      api_version: apiVersion,
      created_at: now(),
    };
    subscriptions.set(subscription.id, subscription);
    return subscription;
  };

  const isRest = (request: SimulatorRequest) =>
    request.path.startsWith(`${base}/`) &&
    request.path.endsWith(".json") &&
    !request.path.endsWith("/graphql.json");

  const server: SimulatorServer = await startSimulatorServer({
    name: "shopify",
    router,
    clock,
    ...(settings.random ? { random: settings.random } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    notFound: () => notFound(),
    renderFault: (fault) =>
      fault.kind === "rate-limit"
        ? jsonResponse(429, REST_RATE_LIMIT_BODY, {
            "Retry-After": formatSeconds(fault.retryAfterSeconds ?? 2),
          })
        : jsonResponse(fault.status ?? 503, { errors: "Internal Server Error" }),
    before: (request) => {
      if (!request.path.startsWith("/admin/")) return undefined;
      if (request.headers["x-shopify-access-token"] !== accessToken) {
        return jsonResponse(401, {
          errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
        });
      }
      if (isRest(request) && !restBucket.tryPour(1)) {
        const wait = Math.max(restBucket.secondsUntilRoom(1), 1 / restBucket.settings.leakPerSecond);
        return {
          ...jsonResponse(429, REST_RATE_LIMIT_BODY, { "Retry-After": formatSeconds(wait) }),
          operation: "rate_limited",
        };
      }
      return undefined;
    },
    decorate: (request): Record<string, string> =>
      isRest(request)
        ? {
            "x-shopify-shop-api-call-limit": `${Math.min(
              restBucket.settings.capacity,
              Math.ceil(restBucket.level() - 1e-9),
            )}/${restBucket.settings.capacity}`,
            "x-request-id": randomUUID(),
          }
        : { "x-request-id": randomUUID() },
  });
  serverUrl = server.url;

  return {
    url: server.url,
    shopDomain,
    apiVersion,
    accessToken,
    webhookSecret,
    defaultLocationId,
    ledger: server.ledger,
    faults: server.faults,
    webhooks,
    restBucket,
    graphqlBucket,
    adminUrl: (path) => `${server.url}${base}/${path.replace(/^\//, "")}`,
    createOrder,
    addProduct: (input) => addProduct(input),
    addLocation: (name) => {
      const locationId = id();
      state.locations.set(locationId, { id: locationId, name, active: true });
      return locationId;
    },
    inventoryLevel: (inventoryItemId, locationId) =>
      state.inventory.get(`${inventoryItemId}:${locationId}`)?.available,
    variantBySku,
    orders: () => [...orders.values()],
    products: () => [...state.products.values()],
    fulfillments: () => [...fulfillments],
    subscribe,
    sendWebhook,
    close: () => server.close(),
  };
}

function moneySet(amount: string, currency: string) {
  return {
    shop_money: { amount, currency_code: currency },
    presentment_money: { amount, currency_code: currency },
  };
}

function stringifyPayload(payload: unknown): string {
  return jsonResponse(200, payload).body as string;
}

function formatSeconds(seconds: number): string {
  const rounded = Math.ceil(seconds * 1000) / 1000;
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}

function notFound(): SimulatorResponse {
  return jsonResponse(404, { errors: "Not Found" });
}

function unprocessable(errors: Record<string, string[]>): SimulatorResponse {
  return jsonResponse(422, { errors });
}

function readJson(request: SimulatorRequest): unknown {
  try {
    return parseJsonExact(request.body);
  } catch {
    return undefined;
  }
}

function tryParseId(value: unknown): bigint | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return BigInt(value);
  if (typeof value === "string") {
    const match = /^(?:gid:\/\/shopify\/[A-Za-z]+\/)?(\d+)$/.exec(value);
    if (match) return BigInt(match[1]!);
  }
  return undefined;
}

function parseId(value: unknown): bigint {
  return tryParseId(value) ?? -1n;
}

function splitIds(value: string | null): bigint[] {
  if (!value) return [];
  return value
    .split(",")
    .map((part) => tryParseId(part.trim()))
    .filter((part): part is bigint => part !== undefined);
}

function isMoneyText(value: unknown): boolean {
  return typeof value === "string" && /^\d+(\.\d+)?$/.test(value);
}

function productProblems(
  input: Record<string, unknown> | undefined,
  creating: boolean,
): Record<string, string[]> | undefined {
  if (!input) return { product: ["can't be blank"] };
  const problems: Record<string, string[]> = {};
  if (creating && (typeof input.title !== "string" || input.title.trim() === ""))
    problems.title = ["can't be blank"];
  if (
    !creating &&
    input.title !== undefined &&
    (typeof input.title !== "string" || input.title.trim() === "")
  ) {
    problems.title = ["can't be blank"];
  }
  if (input.status !== undefined && !["active", "draft", "archived"].includes(String(input.status))) {
    problems.status = ["is not included in the list"];
  }
  if (Array.isArray(input.variants)) {
    for (const variant of input.variants as Record<string, unknown>[]) {
      if (variant.price !== undefined && !isMoneyText(variant.price))
        problems.price = ["expected String to be a Money"];
    }
  }
  return Object.keys(problems).length > 0 ? problems : undefined;
}

function pageResponse<T>(
  request: SimulatorRequest,
  origin: string,
  items: T[],
  key: string,
  operation: string,
): SimulatorResponse {
  const requested = Number(request.query.get("limit") ?? "50");
  if (!Number.isInteger(requested) || requested < 1 || requested > 250) {
    return jsonResponse(400, { errors: { limit: ["must be between 1 and 250"] } });
  }
  let offset = 0;
  let filters = new URLSearchParams(request.query);
  filters.delete("limit");
  const pageInfo = request.query.get("page_info");
  if (pageInfo) {
    const decoded = decodePageInfo(pageInfo);
    if (!decoded) return jsonResponse(400, { errors: { page_info: ["Invalid value."] } });
    offset = decoded.offset;
    filters = decoded.filters;
  }
  const page = items.slice(offset, offset + requested);
  const links: string[] = [];
  const link = (target: number, rel: string) => {
    const url = new URL(request.path, origin);
    url.searchParams.set("limit", String(requested));
    url.searchParams.set(
      "page_info",
      Buffer.from(JSON.stringify({ offset: target, filters: filters.toString() }), "utf8").toString(
        "base64url",
      ),
    );
    links.push(`<${url.toString()}>; rel="${rel}"`);
  };
  if (offset > 0) link(Math.max(0, offset - requested), "previous");
  if (offset + requested < items.length) link(offset + requested, "next");
  return {
    ...jsonResponse(200, { [key]: page }, links.length > 0 ? { Link: links.join(", ") } : {}),
    operation,
  };
}

function decodePageInfo(pageInfo: string): { offset: number; filters: URLSearchParams } | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(pageInfo, "base64url").toString("utf8")) as {
      offset?: unknown;
      filters?: unknown;
    };
    if (typeof decoded.offset !== "number" || !Number.isInteger(decoded.offset) || decoded.offset < 0)
      return undefined;
    if (typeof decoded.filters !== "string") return undefined;
    return { offset: decoded.offset, filters: new URLSearchParams(decoded.filters) };
  } catch {
    return undefined;
  }
}

/** The list filters of a request: its own query, or the ones carried in `page_info` (as Shopify does). */
function pageFilters(request: SimulatorRequest): URLSearchParams | undefined {
  const pageInfo = request.query.get("page_info");
  if (!pageInfo) return request.query;
  return decodePageInfo(pageInfo)?.filters;
}
