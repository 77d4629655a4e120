import {
  apiKeyHeader,
  type ChangePage,
  type ChangeReadOptions,
  type ChannelWebhook,
  type CommerceChannelV1,
  compareDecimal,
  createHttpClient,
  currencyMinorUnits,
  DEFAULT_RETRY_POLICY,
  type DeadLetterStore,
  formatDecimal,
  type HttpClient,
  type HttpResponse,
  type InventoryLevel,
  type Invoice,
  type Item,
  isDecimalString,
  isRotatingSecret,
  issuesFromZod,
  type LineAllocation,
  normalizeDecimal,
  type Order,
  type Price,
  RateLimitedError,
  type RetryPolicy,
  type RotatingSecret,
  retry,
  roundMoney,
  type Shipment,
  serializeError,
  UpstreamError,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import type { z } from "zod";
import { parseShopifyResponse, rawId, stringifyShopifyJson } from "./exact-json";
import { shopifyOrderToOrder } from "./mappers/to-order";
import {
  ShopifyFulfillmentOrderSchema,
  ShopifyFulfillmentSchema,
  ShopifyGraphqlResponseSchema,
  ShopifyInventorySetQuantitiesPayloadSchema,
  ShopifyOrderSchema,
  ShopifyProductSchema,
} from "./shopify-api";
import { ShopifyGraphqlThrottle, ShopifyRestThrottle, throttledShopifyFetch } from "./shopify-throttle";
import { SHOPIFY_ORDER_TOPICS, verifyShopifyRequest } from "./shopify-webhooks";

/** Settings for {@link createShopify}. */
export interface ShopifySettings {
  /** The shop's domain, `example.myshopify.com`. */
  shop: string;
  /**
   * The Admin API access token (`shpat_...`), sent as `X-Shopify-Access-Token`; a rotating
   * secret is read at each request and read again once after a 401.
   */
  accessToken: string | RotatingSecret;
  /** Admin API version (default `2024-10`). */
  apiVersion?: string;
  /** Override of the origin (default `https://<shop>`), e.g. a simulator's URL. */
  baseUrl?: string;
  /**
   * The app's client secret(s), needed by `receiveWebhook`; a rotating secret keeps the
   * replaced value verifying for its grace period.
   */
  webhookSecret?: string | readonly string[] | RotatingSecret;
  /** Topics besides the order topics that `receiveWebhook` returns as `other`; the rest are `ignored`. */
  webhookTopics?: readonly string[];
  /** REST leaky bucket of the shop's plan: leak rate in calls per second (default 2), headroom (default 1). */
  rest?: { leakPerSecond?: number; capacity?: number; headroom?: number };
  /** GraphQL cost bucket until the first answer tells (default 1000 points, 50/s). */
  graphql?: { maximumAvailable?: number; restoreRate?: number; headroom?: number };
  /** Inventory pushes: `rest` (one `inventory_levels/set` per level) or `graphql` (`inventorySetQuantities` in batches). */
  inventory?: { api?: "rest" | "graphql"; batchSize?: number; concurrency?: number; reason?: string };
  /** Canonical location id → Shopify location id. Without it, the shop's only location, or the one whose name equals the id. */
  locations?: Record<string, string>;
  /** Unit of measure for order lines (default `EA`). */
  uom?: string;
  /** The shop currency, for catalog prices (default `USD`). */
  currency?: string;
  /** Where orders that fail mapping during `readOrders` go (without it they throw). */
  deadLetters?: DeadLetterStore;
  /** Whether Shopify emails the customer on fulfilment (default false). */
  notifyCustomer?: boolean;
  /** Retry policy of each call (default the core policy). */
  retry?: RetryPolicy | false;
  /** Per-attempt timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** The time in milliseconds (default `Date.now`). */
  clock?: () => number;
  /** Waits (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for retry jitter (default `Math.random`). */
  random?: () => number;
}

/** Options of one GraphQL call. */
export interface ShopifyGraphqlOptions {
  /** The expected requested cost (default 10, a mutation; queries cost less). */
  cost?: number;
  /** Whether the operation may be sent twice with the effect of once (default true for queries). */
  idempotent?: boolean;
  /** Cancels the call and its waits. */
  signal?: AbortSignal;
}

/** A Shopify channel: the `CommerceChannel` port plus the Shopify-specific calls. */
export interface ShopifyChannel extends CommerceChannelV1 {
  /** The paced Admin REST client (base URL `.../admin/api/<version>/`). */
  readonly rest: HttpClient;
  /** The REST throttle (its snapshot shows the bucket estimate). */
  readonly restThrottle: ShopifyRestThrottle;
  /** The GraphQL throttle. */
  readonly graphqlThrottle: ShopifyGraphqlThrottle;
  /**
   * Sends one Admin GraphQL operation, paced by cost; retries `THROTTLED`.
   * @param query - the document
   * @param variables - its variables
   * @param options - expected cost, idempotency, signal
   */
  graphql<T = unknown>(
    query: string,
    variables?: Record<string, unknown>,
    options?: ShopifyGraphqlOptions,
  ): Promise<T>;
  /**
   * Sets inventory with a chosen API (the port's `setInventory` uses the `inventory.api` setting).
   * @param levels - canonical levels
   * @param api - `rest` or `graphql`
   */
  setInventoryWith(levels: InventoryLevel[], api: "rest" | "graphql"): Promise<{ updated: number }>;
  /**
   * The Shopify ids of a SKU's variant (catalog read once, then cached; refreshed on a miss).
   * @param sku - the SKU
   */
  variantForSku(sku: string): Promise<ShopifyVariantRef | undefined>;
}

/** Where a SKU lives in Shopify. */
export interface ShopifyVariantRef {
  /** The product id. */
  productId: string;
  /** The variant id. */
  variantId: string;
  /** The inventory item id. */
  inventoryItemId: string;
}

const SET_QUANTITIES_MUTATION = `mutation DistroSetInventory($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta } }
    userErrors { field message code }
  }
}`;

/**
 * Creates a Shopify channel: the `CommerceChannel` port (webhooks, orders, fulfilments,
 * inventory, catalog) over the Admin REST and GraphQL APIs, through the core HTTP client
 * (auth header, timeouts, retries honouring `Retry-After`) and a throttle that paces calls
 * from `X-Shopify-Shop-Api-Call-Limit` and `throttleStatus`, so bulk pushes run at the
 * allowed rate without drawing 429s.
 *
 * @param settings - shop, token, plan limits, locations, stores
 * @returns the channel
 * @throws ValidationError when the shop or token is missing
 * @example
 * ```ts
 * import { createShopify } from "@distro/connectors-ecommerce/shopify";
 *
 * const shopify = createShopify({
 *   shop: "acme.myshopify.com",
 *   accessToken: process.env.SHOPIFY_TOKEN!,
 *   webhookSecret: process.env.SHOPIFY_API_SECRET!,
 *   rest: { leakPerSecond: 2 },
 *   locations: { "WH-EAST": "905684977" },
 * });
 * await shopify.setInventory(levels); // paced, never a 429
 * ```
 */
export function createShopify(settings: ShopifySettings): ShopifyChannel {
  const issues: ValidationIssue[] = [];
  if (typeof settings?.shop !== "string" || settings.shop.trim() === "") {
    issues.push({
      code: "required",
      path: ["shop"],
      message: "Expected the shop domain, e.g. acme.myshopify.com",
    });
  }
  if (
    !isRotatingSecret(settings?.accessToken) &&
    (typeof settings?.accessToken !== "string" || settings.accessToken.trim() === "")
  ) {
    issues.push({ code: "required", path: ["accessToken"], message: "Expected an Admin API access token" });
  }
  if (issues.length > 0) throw new ValidationError("Invalid Shopify settings", issues);

  const clock = settings.clock ?? Date.now;
  const sleep = settings.sleep;
  const apiVersion = settings.apiVersion ?? "2024-10";
  const origin = (settings.baseUrl ?? `https://${settings.shop}`).replace(/\/+$/, "");
  const restThrottle = new ShopifyRestThrottle({
    ...settings.rest,
    clock,
    ...(sleep ? { sleep } : {}),
  });
  const graphqlThrottle = new ShopifyGraphqlThrottle({
    ...settings.graphql,
    clock,
    ...(sleep ? { sleep } : {}),
  });
  const rest = createHttpClient({
    baseUrl: `${origin}/admin/api/${apiVersion}/`,
    system: "shopify",
    fetch: throttledShopifyFetch(restThrottle, settings.fetch ?? fetch),
    auth: apiKeyHeader("X-Shopify-Access-Token", settings.accessToken),
    headers: { accept: "application/json" },
    clock: { now: clock },
    ...(settings.retry !== undefined ? { retry: settings.retry } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(sleep ? { sleep } : {}),
    ...(settings.random ? { random: settings.random } : {}),
  });
  const uom = settings.uom ?? "EA";
  const currency = settings.currency ?? "USD";

  const readBody = async (response: HttpResponse, where: string) =>
    parseShopifyResponse(await response.text(), where);

  const parseWith = <T>(schema: z.ZodType<T>, value: unknown, where: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new UpstreamError(`shopify answered ${where} with an unexpected shape`, {
        status: 200,
        system: "shopify",
        retryable: false,
        cause: new ValidationError(`Unexpected ${where} answer`, issuesFromZod(parsed.error)),
        details: { reason: "unexpected_shape" },
      });
    }
    return parsed.data;
  };

  const nextLink = (response: HttpResponse): string | undefined => {
    const header = response.headers.get("link");
    if (!header) return undefined;
    for (const part of header.split(",")) {
      const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
      if (match) return match[1];
    }
    return undefined;
  };

  // Catalog index: SKU → variant, read once, refreshed on a miss.
  let catalog: Map<string, ShopifyVariantRef> | undefined;
  const loadCatalog = async (): Promise<Map<string, ShopifyVariantRef>> => {
    const index = new Map<string, ShopifyVariantRef>();
    let path: string | undefined = "products.json";
    let query: Record<string, string> | undefined = { limit: "250", fields: "id,title,status,variants" };
    while (path) {
      const response = await rest.get(path, query ? { query } : {});
      const body = (await readBody(response, "GET products.json")) as { products?: unknown };
      for (const product of parseWith(ShopifyProductSchema.array(), body.products, "GET products.json")) {
        for (const variant of product.variants) {
          if (variant.sku && variant.inventory_item_id) {
            index.set(variant.sku, {
              productId: product.id,
              variantId: variant.id,
              inventoryItemId: variant.inventory_item_id,
            });
          }
        }
      }
      path = nextLink(response);
      query = undefined;
    }
    catalog = index;
    return index;
  };
  let refreshed = false;
  const variantForSku = async (sku: string): Promise<ShopifyVariantRef | undefined> => {
    const index = catalog ?? (await loadCatalog());
    const found = index.get(sku);
    if (found || refreshed) return found;
    refreshed = true;
    return (await loadCatalog()).get(sku);
  };

  let locationList: { id: string; name: string; active: boolean }[] | undefined;
  const resolveLocation = async (locationId: string): Promise<string | undefined> => {
    const mapped = settings.locations?.[locationId];
    if (mapped) return mapped;
    if (!locationList) {
      const response = await rest.get("locations.json");
      const body = (await readBody(response, "GET locations.json")) as {
        locations?: { id: unknown; name?: unknown; active?: unknown }[];
      };
      locationList = (body.locations ?? []).map((location) => ({
        id: String(location.id),
        name: String(location.name ?? ""),
        active: location.active !== false,
      }));
    }
    const active = locationList.filter((location) => location.active);
    const named = active.find((location) => location.name === locationId || location.id === locationId);
    if (named) return named.id;
    return active.length === 1 ? active[0]!.id : undefined;
  };

  const graphql = async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    options: ShopifyGraphqlOptions = {},
  ): Promise<T> => {
    const cost = options.cost ?? 10;
    const policy =
      settings.retry === false
        ? { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 }
        : (settings.retry ?? DEFAULT_RETRY_POLICY);
    return retry(
      async () => {
        const ticket = await graphqlThrottle.acquire(cost, options.signal);
        let body: z.infer<typeof ShopifyGraphqlResponseSchema>;
        try {
          const response = await rest.post("graphql.json", {
            json: { query, variables },
            idempotent: options.idempotent ?? !/^\s*mutation/.test(query),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          body = parseWith(
            ShopifyGraphqlResponseSchema,
            await readBody(response, "POST graphql.json"),
            "POST graphql.json",
          );
        } catch (error) {
          graphqlThrottle.abandon(ticket);
          throw error;
        }
        graphqlThrottle.observe(ticket, body.extensions?.cost);
        const throttled = body.errors?.find((error) => error.extensions?.code === "THROTTLED");
        if (throttled) {
          throw new RateLimitedError("shopify GraphQL answered THROTTLED", {
            retryAfterMs: graphqlThrottle.waitMsFor(body.extensions?.cost?.requestedQueryCost ?? cost),
            details: { system: "shopify", upstreamCode: "THROTTLED" },
          });
        }
        if (body.errors && body.errors.length > 0) {
          const first = body.errors[0]!;
          throw new UpstreamError(`shopify GraphQL error: ${first.message}`, {
            status: 200,
            system: "shopify",
            upstreamCode: first.extensions?.code ?? "GRAPHQL_ERROR",
            retryable: false,
            bodyExcerpt: JSON.stringify(body.errors).slice(0, 500),
          });
        }
        return body.data as T;
      },
      policy,
      {
        clock: { now: clock },
        ...(sleep ? { sleep: (ms: number) => sleep(ms) } : {}),
        ...(settings.random ? { random: settings.random } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  };

  interface ResolvedLevel {
    index: number;
    inventoryItemId: string;
    locationId: string;
    available: number;
  }

  const resolveLevels = async (levels: InventoryLevel[]): Promise<ResolvedLevel[]> => {
    if (!Array.isArray(levels)) {
      throw new ValidationError("Expected a list of inventory levels", [
        { code: "invalid_type", path: [], message: "Expected an array" },
      ]);
    }
    const problems: ValidationIssue[] = [];
    const resolved = new Map<string, ResolvedLevel>();
    for (let index = 0; index < levels.length; index++) {
      const level = levels[index]!;
      const available = wholeNumber(level?.available);
      if (available === undefined) {
        problems.push({
          code: "not_whole",
          path: [index, "available"],
          message: `Shopify holds whole units; got ${JSON.stringify(level?.available)}`,
        });
        continue;
      }
      const variant = typeof level.sku === "string" ? await variantForSku(level.sku) : undefined;
      if (!variant) {
        problems.push({
          code: "unknown_sku",
          path: [index, "sku"],
          message: `No Shopify variant has SKU ${level.sku}`,
        });
        continue;
      }
      const locationId =
        typeof level.locationId === "string" ? await resolveLocation(level.locationId) : undefined;
      if (!locationId) {
        problems.push({
          code: "unknown_location",
          path: [index, "locationId"],
          message: `No Shopify location for ${level.locationId}; map it in settings.locations`,
        });
        continue;
      }
      resolved.set(`${variant.inventoryItemId}:${locationId}`, {
        index,
        inventoryItemId: variant.inventoryItemId,
        locationId,
        available,
      });
    }
    if (problems.length > 0) {
      throw new ValidationError("Inventory levels cannot be sent to Shopify (nothing was sent)", problems);
    }
    return [...resolved.values()];
  };

  const setInventoryWith = async (levels: InventoryLevel[], api: "rest" | "graphql") => {
    const resolved = await resolveLevels(levels);
    if (api === "graphql") {
      const batchSize = Math.min(250, Math.max(1, settings.inventory?.batchSize ?? 250));
      let updated = 0;
      for (let start = 0; start < resolved.length; start += batchSize) {
        const batch = resolved.slice(start, start + batchSize);
        const data = await graphql<{ inventorySetQuantities: unknown }>(
          SET_QUANTITIES_MUTATION,
          {
            input: {
              name: "available",
              reason: settings.inventory?.reason ?? "correction",
              ignoreCompareQuantity: true,
              quantities: batch.map((level) => ({
                inventoryItemId: `gid://shopify/InventoryItem/${level.inventoryItemId}`,
                locationId: `gid://shopify/Location/${level.locationId}`,
                quantity: level.available,
              })),
            },
          },
          { cost: 10, idempotent: true },
        );
        const payload = parseWith(
          ShopifyInventorySetQuantitiesPayloadSchema,
          data?.inventorySetQuantities,
          "inventorySetQuantities",
        );
        if (payload.userErrors.length > 0) {
          throw new ValidationError(
            `Shopify refused inventory batch ${start / batchSize + 1} (${updated} levels were set before it)`,
            payload.userErrors.map((error) => {
              const position = error.field?.[2];
              const level = typeof position === "number" ? batch[position] : undefined;
              return {
                code: error.code ?? "user_error",
                path: level ? [level.index, String(error.field?.[3] ?? "")] : (error.field ?? []).map(String),
                message: error.message,
              };
            }),
            { details: { updated } },
          );
        }
        updated += batch.length;
      }
      return { updated };
    }
    const concurrency = Math.max(1, settings.inventory?.concurrency ?? 8);
    let next = 0;
    let updated = 0;
    const worker = async () => {
      while (next < resolved.length) {
        const level = resolved[next++]!;
        await rest.post("inventory_levels/set.json", {
          body: stringifyShopifyJson({
            location_id: rawId(level.locationId),
            inventory_item_id: rawId(level.inventoryItemId),
            available: level.available,
          }),
          headers: { "content-type": "application/json" },
          idempotent: true,
        });
        updated++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, resolved.length) }, worker));
    return { updated };
  };

  const shopifyOrderId = (order: Order): string => {
    const id = order?.refs?.shopify;
    if (typeof id !== "string" || !/^\d+$/.test(id)) {
      throw new ValidationError("Order has no Shopify id", [
        {
          code: "missing_ref",
          path: ["refs", "shopify"],
          message: "Expected the Shopify order id in refs.shopify",
        },
      ]);
    }
    return id;
  };

  const updateOrderNotes = async (
    orderId: string,
    attributes: Record<string, string>,
    tags: string[],
  ): Promise<void> => {
    const response = await rest.get(`orders/${orderId}.json`, {
      query: { fields: "id,tags,note_attributes" },
    });
    const body = (await readBody(response, "GET order")) as {
      order?: { tags?: string; note_attributes?: { name: string; value: string }[] };
    };
    const current = body.order ?? {};
    const merged = new Map((current.note_attributes ?? []).map((entry) => [entry.name, String(entry.value)]));
    for (const [name, value] of Object.entries(attributes)) merged.set(name, value);
    const tagSet = new Set(
      (current.tags ?? "")
        .split(",")
        .map((tag) => tag.trim())
        .filter(Boolean),
    );
    for (const tag of tags) tagSet.add(tag);
    await rest.put(`orders/${orderId}.json`, {
      body: stringifyShopifyJson({
        order: {
          id: rawId(orderId),
          tags: [...tagSet].join(", "),
          note_attributes: [...merged].map(([name, value]) => ({ name, value })),
        },
      }),
      headers: { "content-type": "application/json" },
    });
  };

  const mapOrReport = async (raw: unknown, where: string): Promise<Order | undefined> => {
    try {
      return shopifyOrderToOrder(raw, { uom });
    } catch (error) {
      if (!settings.deadLetters || !(error instanceof ValidationError)) throw error;
      const at = clock();
      await settings.deadLetters.add({
        subscriber: "shopify-orders-read",
        message: stringifyShopifyJson(raw),
        type: where,
        source: `shopify://${settings.shop}`,
        error: serializeError(error),
        issues: error.issues,
        attempts: 1,
        firstFailedAt: at,
        lastFailedAt: at,
      });
      return undefined;
    }
  };

  const channel: ShopifyChannel = {
    specificationVersion: "v1",
    system: "shopify",
    rest,
    restThrottle,
    graphqlThrottle,
    graphql,
    setInventoryWith,
    variantForSku,

    async receiveWebhook(request: Request): Promise<ChannelWebhook> {
      if (settings.webhookSecret === undefined) {
        throw new ValidationError("Shopify webhookSecret is not configured", [
          { code: "missing_secret", path: ["webhookSecret"], message: "Set the app's client secret" },
        ]);
      }
      const { headers, payload } = await verifyShopifyRequest(request, settings.webhookSecret);
      const base = { topic: headers.topic, deliveryId: headers.webhookId };
      if (SHOPIFY_ORDER_TOPICS.includes(headers.topic)) {
        return { kind: "order", ...base, order: shopifyOrderToOrder(payload, { uom }) };
      }
      if (settings.webhookTopics?.includes(headers.topic)) return { kind: "other", ...base, payload };
      return { kind: "ignored", ...base };
    },

    async getOrder(channelOrderId: string): Promise<Order> {
      if (typeof channelOrderId !== "string" || !/^\d+$/.test(channelOrderId)) {
        throw new ValidationError("Invalid Shopify order id", [
          { code: "invalid_id", path: ["channelOrderId"], message: "Expected a numeric Shopify order id" },
        ]);
      }
      const response = await rest.get(`orders/${channelOrderId}.json`);
      const body = (await readBody(response, "GET order")) as { order?: unknown };
      return shopifyOrderToOrder(body.order, { uom });
    },

    async *readOrders(options: ChangeReadOptions = {}): AsyncIterable<ChangePage<Order>> {
      const pageSize = Math.min(250, Math.max(1, options.pageSize ?? 50));
      let cursor = options.cursor ?? "1970-01-01T00:00:00Z";
      let path: string | undefined = "orders.json";
      let query: Record<string, string> | undefined = {
        status: "any",
        order: "updated_at asc",
        updated_at_min: cursor,
        limit: String(pageSize),
      };
      while (path) {
        const response = await rest.get(path, {
          ...(query ? { query } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const body = (await readBody(response, "GET orders.json")) as { orders?: unknown };
        if (!Array.isArray(body.orders)) {
          parseWith(ShopifyOrderSchema.array(), body.orders, "GET orders.json");
        }
        const records: Order[] = [];
        for (const raw of body.orders as unknown[]) {
          const updatedAt = (raw as { updated_at?: unknown })?.updated_at;
          if (typeof updatedAt === "string" && Date.parse(updatedAt) > Date.parse(cursor)) {
            cursor = new Date(Date.parse(updatedAt)).toISOString();
          }
          const order = await mapOrReport(raw, "orders.read");
          if (order) records.push(order);
        }
        path = nextLink(response);
        query = undefined;
        yield { records, cursor, hasMore: path !== undefined };
      }
    },

    async acknowledgeBooking(
      order: Order,
      booking: { erpOrderNumber: string; allocations: LineAllocation[] },
    ): Promise<void> {
      const orderId = shopifyOrderId(order);
      const backordered = (booking.allocations ?? []).filter(
        (line) => isDecimalString(line.backordered) && compareDecimal(line.backordered, "0") > 0,
      );
      await updateOrderNotes(
        orderId,
        {
          erp_order_number: booking.erpOrderNumber,
          ...(backordered.length > 0
            ? {
                backordered: backordered
                  .map((line) => `${line.sku} x ${normalizeDecimal(line.backordered)}`)
                  .join("; "),
              }
            : {}),
        },
        ["erp-booked", ...(backordered.length > 0 ? ["backordered"] : [])],
      );
    },

    async createFulfillment(shipment: Shipment, order: Order): Promise<{ id: string }> {
      const orderId = shopifyOrderId(order);
      if (shipment.trackingNumber) {
        const existing = await rest.get(`orders/${orderId}/fulfillments.json`);
        const body = (await readBody(existing, "GET fulfillments")) as { fulfillments?: unknown };
        const list = parseWith(ShopifyFulfillmentSchema.array(), body.fulfillments ?? [], "GET fulfillments");
        const same = list.find(
          (entry) =>
            entry.tracking_number === shipment.trackingNumber ||
            (entry.tracking_numbers ?? []).includes(shipment.trackingNumber!),
        );
        if (same) return { id: same.id };
      }
      const response = await rest.get(`orders/${orderId}/fulfillment_orders.json`);
      const body = (await readBody(response, "GET fulfillment_orders")) as { fulfillment_orders?: unknown };
      const fulfillmentOrders = parseWith(
        ShopifyFulfillmentOrderSchema.array(),
        body.fulfillment_orders ?? [],
        "GET fulfillment_orders",
      ).filter((entry) => entry.status === "open" || entry.status === "in_progress");
      const remaining = new Map<string, number>();
      for (const fo of fulfillmentOrders)
        for (const line of fo.line_items) remaining.set(line.id, line.fulfillable_quantity);

      const problems: ValidationIssue[] = [];
      const groups = new Map<string, { id: string; quantity: number }[]>();
      shipment.lines.forEach((line, index) => {
        const quantity = wholeNumber(line.quantity);
        if (quantity === undefined || quantity <= 0) {
          problems.push({
            code: "not_whole",
            path: ["lines", index, "quantity"],
            message: "Shopify fulfils whole units",
          });
          return;
        }
        const orderLine =
          order.lines.find((candidate) => candidate.lineNumber === line.orderLineNumber) ??
          order.lines.find((candidate) => candidate.sku === line.sku);
        const lineItemId = orderLine?.refs?.shopify;
        if (!lineItemId) {
          problems.push({
            code: "unknown_line",
            path: ["lines", index, "orderLineNumber"],
            message: `Order line ${line.orderLineNumber} has no Shopify line item`,
          });
          return;
        }
        let left = quantity;
        for (const fo of fulfillmentOrders) {
          for (const foLine of fo.line_items) {
            if (foLine.line_item_id !== lineItemId || left === 0) continue;
            const take = Math.min(left, remaining.get(foLine.id) ?? 0);
            if (take <= 0) continue;
            remaining.set(foLine.id, (remaining.get(foLine.id) ?? 0) - take);
            left -= take;
            const group = groups.get(fo.id) ?? [];
            group.push({ id: foLine.id, quantity: take });
            groups.set(fo.id, group);
          }
        }
        if (left > 0) {
          problems.push({
            code: "over_fulfilled",
            path: ["lines", index, "quantity"],
            message: `Only ${quantity - left} of ${quantity} units of ${line.sku} are still open to fulfil`,
          });
        }
      });
      if (problems.length > 0) {
        throw new ValidationError(`Shipment ${shipment.id} cannot be fulfilled in Shopify`, problems);
      }
      const created = await rest.post("fulfillments.json", {
        body: stringifyShopifyJson({
          fulfillment: {
            line_items_by_fulfillment_order: [...groups].map(([fulfillmentOrderId, lines]) => ({
              fulfillment_order_id: rawId(fulfillmentOrderId),
              fulfillment_order_line_items: lines.map((line) => ({
                id: rawId(line.id),
                quantity: line.quantity,
              })),
            })),
            tracking_info: {
              ...(shipment.trackingNumber ? { number: shipment.trackingNumber } : {}),
              ...(shipment.trackingUrl ? { url: shipment.trackingUrl } : {}),
              company: shipment.carrier.name ?? shipment.carrier.code,
            },
            notify_customer: settings.notifyCustomer ?? false,
          },
        }),
        headers: { "content-type": "application/json" },
      });
      const createdBody = (await readBody(created, "POST fulfillments.json")) as { fulfillment?: unknown };
      return {
        id: parseWith(ShopifyFulfillmentSchema, createdBody.fulfillment, "POST fulfillments.json").id,
      };
    },

    async setInventory(levels: InventoryLevel[]): Promise<{ updated: number }> {
      return setInventoryWith(levels, settings.inventory?.api ?? "rest");
    },

    async publishCatalog(items: Item[], prices: Price[]): Promise<{ published: number }> {
      const problems: ValidationIssue[] = [];
      const plans: { item: Item; price: string | undefined; existing: ShopifyVariantRef | undefined }[] = [];
      for (let index = 0; index < items.length; index++) {
        const item = items[index]!;
        const price = listPriceFor(item, index, prices ?? [], currency);
        if (price.issue) problems.push({ ...price.issue, path: [...price.issue.path] });
        const existing = await variantForSku(item.sku);
        if (!existing && price.amount === undefined && !price.issue) {
          problems.push({
            code: "missing_price",
            path: ["items", index, "sku"],
            message: `No ${currency} list price for new product ${item.sku}`,
          });
        }
        plans.push({ item, price: price.amount, existing });
      }
      if (problems.length > 0)
        throw new ValidationError("Catalog cannot be published (nothing was sent)", problems);
      let published = 0;
      for (const { item, price, existing } of plans) {
        const status =
          item.status === "active" ? "active" : item.status === "discontinued" ? "archived" : "draft";
        if (existing) {
          await rest.put(`products/${existing.productId}.json`, {
            body: stringifyShopifyJson({
              product: {
                id: rawId(existing.productId),
                title: item.name,
                ...(item.description !== undefined ? { body_html: item.description } : {}),
                status,
              },
            }),
            headers: { "content-type": "application/json" },
          });
          await rest.put(`variants/${existing.variantId}.json`, {
            body: stringifyShopifyJson({
              variant: {
                id: rawId(existing.variantId),
                ...(price !== undefined ? { price } : {}),
                ...(item.gtin ? { barcode: item.gtin } : {}),
              },
            }),
            headers: { "content-type": "application/json" },
          });
        } else {
          const response = await rest.post("products.json", {
            json: {
              product: {
                title: item.name,
                ...(item.description !== undefined ? { body_html: item.description } : {}),
                status,
                variants: [
                  {
                    sku: item.sku,
                    price,
                    inventory_management: "shopify",
                    ...(item.gtin ? { barcode: item.gtin } : {}),
                  },
                ],
              },
            },
          });
          const body = (await readBody(response, "POST products.json")) as { product?: unknown };
          const product = parseWith(ShopifyProductSchema, body.product, "POST products.json");
          const variant = product.variants[0];
          if (catalog && variant?.inventory_item_id) {
            catalog.set(item.sku, {
              productId: product.id,
              variantId: variant.id,
              inventoryItemId: variant.inventory_item_id,
            });
          }
        }
        published++;
      }
      return { published };
    },

    async notifyInvoice(invoice: Invoice, order: Order): Promise<void> {
      const orderId = shopifyOrderId(order);
      const total = invoice.statedTotals?.total;
      await updateOrderNotes(
        orderId,
        {
          invoice_number: invoice.number,
          invoice_date: invoice.issueDate,
          invoice_due_date: invoice.dueDate,
          ...(total ? { invoice_total: `${total.amount} ${total.currency}` } : {}),
        },
        ["invoiced"],
      );
    },
  };
  return channel;
}

function wholeNumber(value: unknown): number | undefined {
  if (typeof value !== "string" || !isDecimalString(value)) return undefined;
  const normalized = normalizeDecimal(value);
  if (!/^-?\d+$/.test(normalized)) return undefined;
  const number = Number(normalized);
  return Number.isSafeInteger(number) && Math.abs(number) <= 1_000_000_000 ? number : undefined;
}

function listPriceFor(
  item: Item,
  itemIndex: number,
  prices: Price[],
  currency: string,
): { amount?: string; issue?: ValidationIssue } {
  const index = prices.findIndex(
    (price) =>
      price.sku === item.sku &&
      price.customerId === undefined &&
      price.tier === undefined &&
      price.currency === currency &&
      price.uom === item.baseUom,
  );
  const price = prices[index];
  const unit =
    price === undefined
      ? item.listPrice?.currency === currency
        ? item.listPrice
        : undefined
      : (price.breaks.find((entry) => compareDecimal(entry.minQuantity, "1") <= 0) ?? price.breaks[0])
          ?.unitPrice;
  if (!unit) return {};
  const perUnit = price && compareDecimal(price.per, "1") !== 0 ? undefined : unit;
  if (!perUnit) {
    return {
      issue: {
        code: "price_per_quantity",
        path: ["prices", index, "per"],
        message: `Shopify prices one unit; ${item.sku} is priced per ${price?.per}`,
      },
    };
  }
  const rounded = roundMoney(perUnit);
  if (compareDecimal(rounded.amount, perUnit.amount) !== 0) {
    return {
      issue: {
        code: "precision_loss",
        path:
          index >= 0
            ? ["prices", index, "breaks", 0, "unitPrice", "amount"]
            : ["items", itemIndex, "listPrice", "amount"],
        message: `Shopify holds ${currency} to the cent; ${perUnit.amount} would become ${rounded.amount} (sell a pack unit instead)`,
      },
    };
  }
  return { amount: formatDecimal(rounded.amount, currencyMinorUnits(currency)) };
}
