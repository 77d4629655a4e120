import { createHmac, timingSafeEqual } from "node:crypto";
import {
  beginIdempotent,
  createMemoryIdempotencyStore,
  type DeadLetterStore,
  type DistroError,
  type IdempotencyBegin,
  type IdempotencyStore,
  isDistroError,
  isRotatingSecret,
  type Order,
  type RotatingSecret,
  SignatureError,
  serializeError,
  ValidationError,
} from "@distro/core";
import { parseShopifyJson } from "./exact-json";
import { type ShopifyOrderMappingOptions, shopifyOrderToOrder } from "./mappers/to-order";

/** The headers Shopify sends with every webhook. */
export interface ShopifyWebhookHeaders {
  /** `X-Shopify-Topic`, e.g. `orders/create`. */
  topic: string;
  /** `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body. */
  hmac: string;
  /** `X-Shopify-Webhook-Id`: the same on every retry of one delivery; the dedupe key. */
  webhookId: string;
  /** `X-Shopify-Shop-Domain`. */
  shopDomain: string;
  /** `X-Shopify-API-Version`. */
  apiVersion: string | undefined;
  /** `X-Shopify-Triggered-At`. */
  triggeredAt: string | undefined;
  /** `X-Shopify-Event-Id`, when sent. */
  eventId: string | undefined;
}

/**
 * Reads and checks the Shopify webhook headers.
 *
 * @param headers - the request's headers
 * @returns the headers Shopify sends
 * @throws SignatureError when `X-Shopify-Hmac-Sha256`, `X-Shopify-Topic`, `X-Shopify-Webhook-Id`
 *   or `X-Shopify-Shop-Domain` is missing (`details.missing` lists them)
 * @example
 * ```ts
 * const { topic, webhookId } = readShopifyWebhookHeaders(request.headers);
 * ```
 */
export function readShopifyWebhookHeaders(headers: Headers): ShopifyWebhookHeaders {
  const get = (name: string) => {
    const value = headers.get(name);
    return value === null || value.trim() === "" ? undefined : value.trim();
  };
  const hmac = get("x-shopify-hmac-sha256");
  const topic = get("x-shopify-topic");
  const webhookId = get("x-shopify-webhook-id");
  const shopDomain = get("x-shopify-shop-domain");
  const missing = [
    hmac === undefined ? "X-Shopify-Hmac-Sha256" : undefined,
    topic === undefined ? "X-Shopify-Topic" : undefined,
    webhookId === undefined ? "X-Shopify-Webhook-Id" : undefined,
    shopDomain === undefined ? "X-Shopify-Shop-Domain" : undefined,
  ].filter((name): name is string => name !== undefined);
  if (missing.length > 0) {
    throw new SignatureError(`Shopify webhook is missing ${missing.join(", ")}`, { details: { missing } });
  }
  return {
    hmac: hmac!,
    topic: topic!,
    webhookId: webhookId!,
    shopDomain: shopDomain!,
    apiVersion: get("x-shopify-api-version"),
    triggeredAt: get("x-shopify-triggered-at"),
    eventId: get("x-shopify-event-id"),
  };
}

/**
 * Verifies a Shopify webhook signature: HMAC-SHA256 of the raw body bytes with the app's
 * client secret, compared in constant time with the base64 `X-Shopify-Hmac-Sha256`.
 * Several secrets may be given during a rotation; each is compared in full.
 *
 * @param rawBody - the body exactly as received (never re-serialised JSON)
 * @param hmacHeader - the `X-Shopify-Hmac-Sha256` value
 * @param secret - the client secret, or several during a rotation
 * @throws SignatureError when the header is missing, not base64 of 32 bytes, or does not match
 * @example
 * ```ts
 * verifyShopifyWebhook(rawBody, request.headers.get("x-shopify-hmac-sha256"), process.env.SHOPIFY_SECRET!);
 * ```
 */
export function verifyShopifyWebhook(
  rawBody: Uint8Array | string,
  hmacHeader: string | null | undefined,
  secret: string | readonly string[],
): void {
  if (hmacHeader === null || hmacHeader === undefined || hmacHeader.trim() === "") {
    throw new SignatureError("Shopify webhook is missing X-Shopify-Hmac-Sha256", {
      details: { missing: ["X-Shopify-Hmac-Sha256"] },
    });
  }
  const secrets = typeof secret === "string" ? [secret] : [...secret];
  if (secrets.length === 0 || secrets.some((value) => typeof value !== "string" || value.length === 0)) {
    throw new ValidationError("Shopify webhook secret is missing", [
      { code: "missing_secret", path: ["secret"], message: "Expected the app's client secret" },
    ]);
  }
  const body = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : Buffer.from(rawBody);
  const given = /^[A-Za-z0-9+/]+={0,2}$/.test(hmacHeader.trim())
    ? Buffer.from(hmacHeader.trim(), "base64")
    : Buffer.alloc(0);
  let matched = false;
  for (const key of secrets) {
    const expected = createHmac("sha256", key).update(body).digest();
    const comparable = given.length === expected.length ? given : Buffer.alloc(expected.length);
    const equal = timingSafeEqual(comparable, expected) && given.length === expected.length;
    matched = matched || equal;
  }
  if (!matched) throw new SignatureError("X-Shopify-Hmac-Sha256 does not match the body");
}

/** A verified, parsed Shopify webhook. */
export interface ShopifyVerifiedWebhook {
  /** Its headers. */
  headers: ShopifyWebhookHeaders;
  /** The raw body text. */
  rawBody: string;
  /** The body parsed with exact ids. */
  payload: unknown;
}

/**
 * Reads a Web `Request`'s raw body, checks the headers and the signature, and parses
 * the body with exact ids. Nothing is parsed before the signature holds. Given a
 * `RotatingSecret` (`rotatingSecret(provider, name, { graceMs })` from `@distro/core`),
 * the secret is read through its provider at each request, and a replaced secret still
 * verifies for the grace period, so webhooks signed just before a rotation are accepted.
 *
 * @param request - the incoming webhook request
 * @param secret - the client secret(s), or a rotating secret
 * @returns the verified webhook
 * @throws SignatureError for a missing header or a bad signature; ValidationError when a
 *   correctly signed body is not JSON
 * @example
 * ```ts
 * const { headers, payload } = await verifyShopifyRequest(request, secret);
 * ```
 */
export async function verifyShopifyRequest(
  request: Request,
  secret: string | readonly string[] | RotatingSecret,
): Promise<ShopifyVerifiedWebhook> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  const headers = readShopifyWebhookHeaders(request.headers);
  const keys = isRotatingSecret(secret) ? (await secret.accepted()).map((value) => value.reveal()) : secret;
  verifyShopifyWebhook(bytes, headers.hmac, keys);
  const rawBody = Buffer.from(bytes).toString("utf8");
  let payload: unknown;
  try {
    payload = parseShopifyJson(rawBody);
  } catch (error) {
    throw new ValidationError(
      "Shopify webhook body is not JSON",
      [{ code: "invalid_json", path: [], message: String(error) }],
      {
        cause: error,
      },
    );
  }
  return { headers, rawBody, payload };
}

/**
 * The order topics mapped to canonical orders.
 *
 * @example
 * ```ts
 * SHOPIFY_ORDER_TOPICS.includes("orders/create"); // true
 * ```
 */
export const SHOPIFY_ORDER_TOPICS: readonly string[] = [
  "orders/create",
  "orders/updated",
  "orders/paid",
  "orders/cancelled",
  "orders/fulfilled",
  "orders/partially_fulfilled",
  "orders/edited",
];

/** What the handler did with one delivery. */
export type ShopifyWebhookOutcome =
  | "processed"
  | "duplicate"
  | "ignored"
  | "dead_lettered"
  | "rejected"
  | "failed";

/** The result of {@link createShopifyWebhookHandler}'s handler: the outcome and the HTTP answer. */
export interface ShopifyWebhookResult {
  /** What happened. */
  outcome: ShopifyWebhookOutcome;
  /** The HTTP status to answer Shopify: 200 (ack), 401 (forged / unsigned), 500 (retry later). */
  status: number;
  /** The topic, once known. */
  topic?: string;
  /** The webhook id, once known. */
  webhookId?: string;
  /** The canonical order, for order topics that were processed. */
  order?: Order;
  /** The error, for `rejected`, `dead_lettered` and `failed`. */
  error?: DistroError;
  /** The dead-letter entry id, for `dead_lettered`. */
  deadLetterId?: string;
  /** A Web `Response` carrying `status` (no body details, so nothing leaks to the caller). */
  response(): Response;
}

/** What a webhook consumer is told besides the order or payload. */
export interface ShopifyWebhookContext {
  /** The topic. */
  topic: string;
  /** The webhook id (dedupe key). */
  webhookId: string;
  /** The shop. */
  shopDomain: string;
  /** When Shopify triggered it, if sent. */
  triggeredAt: string | undefined;
}

/** Settings for {@link createShopifyWebhookHandler}. */
export interface ShopifyWebhookHandlerSettings {
  /**
   * The app's client secret, several during a rotation, or a rotating secret read through
   * a secret provider (old and new both verify for its grace period).
   */
  secret: string | readonly string[] | RotatingSecret;
  /** Called with each canonical order from an order topic. Throw a retryable error to have Shopify retry. */
  onOrder?: (order: Order, context: ShopifyWebhookContext) => Promise<void> | void;
  /** Called with the payload of any other topic listed in `topics`. */
  onEvent?: (payload: unknown, context: ShopifyWebhookContext) => Promise<void> | void;
  /** Topics handled besides the order topics; any other topic is acknowledged and ignored. */
  topics?: readonly string[];
  /** Where mapping and processing failures go, with their path (default: an error is returned as `failed`). */
  deadLetters?: DeadLetterStore;
  /** Dedupe store, keyed by `X-Shopify-Webhook-Id` (default: in memory). */
  idempotencyStore?: IdempotencyStore;
  /** How long a seen webhook id is remembered (default 72 h; Shopify retries for 48 h). */
  retentionMs?: number;
  /** How long an unfinished delivery blocks its duplicates (default 5 min). */
  inProgressExpiryMs?: number;
  /** Only accept this shop (`X-Shopify-Shop-Domain`); others are rejected. */
  shopDomain?: string;
  /** Order mapping options. */
  mapping?: ShopifyOrderMappingOptions;
  /** The time, for dead-letter timestamps (default `Date.now`). */
  clock?: () => number;
}

/**
 * Builds a Web-standard webhook handler, `(request: Request) => Promise<ShopifyWebhookResult>`,
 * usable from node:http, Express, Fastify or Hono. It verifies the HMAC on the raw body in
 * constant time (a forged or unsigned request never reaches parsing or mapping), drops
 * duplicates by `X-Shopify-Webhook-Id`, acknowledges and ignores unknown topics, maps order
 * topics to canonical orders, and sends a payload that fails mapping to the dead-letter store
 * with the failing path.
 *
 * @param settings - secret, consumers, stores
 * @returns the handler
 * @example
 * ```ts
 * import { createShopifyWebhookHandler } from "@distro/connectors-ecommerce/shopify";
 *
 * const handle = createShopifyWebhookHandler({
 *   secret: process.env.SHOPIFY_API_SECRET!,
 *   deadLetters,
 *   onOrder: async (order) => bus.publish(order),
 * });
 * // Hono: app.post("/webhooks/shopify", async (c) => (await handle(c.req.raw)).response());
 * ```
 */
export function createShopifyWebhookHandler(
  settings: ShopifyWebhookHandlerSettings,
): (request: Request) => Promise<ShopifyWebhookResult> {
  const store = settings.idempotencyStore ?? createMemoryIdempotencyStore();
  const clock = settings.clock ?? Date.now;
  const topics = new Set([...SHOPIFY_ORDER_TOPICS, ...(settings.topics ?? [])]);
  const result = (fields: Omit<ShopifyWebhookResult, "response">): ShopifyWebhookResult => ({
    ...fields,
    response: () => new Response(null, { status: fields.status }),
  });

  return async (request) => {
    let verified: ShopifyVerifiedWebhook;
    try {
      verified = await verifyShopifyRequest(request, settings.secret);
    } catch (error) {
      const typed = asDistroError(error);
      return result({
        outcome: "rejected",
        status: typed.code === "SIGNATURE_INVALID" ? 401 : 400,
        error: typed,
      });
    }
    const { headers, payload, rawBody } = verified;
    const base = { topic: headers.topic, webhookId: headers.webhookId };
    if (settings.shopDomain !== undefined && headers.shopDomain !== settings.shopDomain) {
      return result({
        ...base,
        outcome: "rejected",
        status: 401,
        error: new SignatureError(`Webhook from ${headers.shopDomain}, expected ${settings.shopDomain}`),
      });
    }
    if (!topics.has(headers.topic)) return result({ ...base, outcome: "ignored", status: 200 });

    let begun: IdempotencyBegin<unknown>;
    try {
      begun = await beginIdempotent({
        store,
        key: headers.webhookId,
        scope: { system: "shopify", operation: `webhook:${headers.shopDomain}` },
        fingerprint: headers.hmac,
        retentionMs: settings.retentionMs ?? 72 * 3_600_000,
        inProgressExpiryMs: settings.inProgressExpiryMs ?? 300_000,
        waitForInFlightMs: 0,
      });
    } catch (error) {
      const typed = asDistroError(error);
      // Still running elsewhere: answer non-2xx so Shopify retries after the first one settles.
      if (typed.code === "IDEMPOTENCY_IN_PROGRESS") {
        return result({ ...base, outcome: "duplicate", status: 409, error: typed });
      }
      return result({ ...base, outcome: "rejected", status: 409, error: typed });
    }
    if (begun.outcome === "completed") return result({ ...base, outcome: "duplicate", status: 200 });

    const context: ShopifyWebhookContext = {
      topic: headers.topic,
      webhookId: headers.webhookId,
      shopDomain: headers.shopDomain,
      triggeredAt: headers.triggeredAt,
    };
    let order: Order | undefined;
    try {
      if (SHOPIFY_ORDER_TOPICS.includes(headers.topic)) {
        order = shopifyOrderToOrder(payload, settings.mapping);
        await settings.onOrder?.(order, context);
      } else {
        await settings.onEvent?.(payload, context);
      }
    } catch (error) {
      const typed = asDistroError(error);
      if (typed.retryable) {
        await begun.handle.release();
        return result({ ...base, outcome: "failed", status: 500, error: typed });
      }
      if (settings.deadLetters) {
        const at = clock();
        const entry = await settings.deadLetters.add({
          subscriber: "shopify-webhooks",
          message: rawBody,
          eventId: headers.webhookId,
          type: headers.topic,
          source: `shopify://${headers.shopDomain}`,
          error: serializeError(typed),
          ...(typed instanceof ValidationError ? { issues: typed.issues } : {}),
          attempts: 1,
          firstFailedAt: at,
          lastFailedAt: at,
        });
        await begun.handle.complete({ deadLetterId: entry.id });
        return result({
          ...base,
          outcome: "dead_lettered",
          status: 200,
          error: typed,
          deadLetterId: entry.id,
        });
      }
      await begun.handle.release();
      return result({ ...base, outcome: "failed", status: 500, error: typed });
    }
    await begun.handle.complete(order ? { orderId: order.id } : {});
    return result({ ...base, outcome: "processed", status: 200, ...(order ? { order } : {}) });
  };
}

function asDistroError(error: unknown): DistroError {
  if (isDistroError(error)) return error;
  return new ValidationError(
    "Webhook processing failed",
    [{ code: "unexpected", path: [], message: String(error) }],
    {
      cause: error,
    },
  );
}
