import { createHmac, timingSafeEqual } from "node:crypto";
import {
  type WmsEvent as CanonicalWmsEvent,
  createHttpClient,
  createMemoryIdempotencyStore,
  DEFAULT_RETRY_POLICY,
  type DeadLetterStore,
  type FulfillmentRequest,
  type IdempotencyStore,
  idempotent,
  type Order,
  SignatureError,
  serializeError,
  staticToken,
  ValidationError,
  type ValidationIssue,
  type WmsSystemV1,
} from "@distro/core";
import type { z } from "zod";
import { applyFulfilmentEvent, type FulfilmentEvent, type FulfilmentState } from "./fulfilment-state";
import {
  type WmsEvent,
  type WmsFulfilmentOrder,
  WmsOrderCanceledSchema,
  WmsPackedOutSchema,
  WmsShipmentExceptionSchema,
  WmsShipmentUpdateSchema,
  WmsToteCompleteSchema,
} from "./wms-api";

const WMS_EVENT_SCHEMAS: Record<string, z.ZodType<WmsEvent>> = {
  "Tote Complete": WmsToteCompleteSchema,
  "Order Packed Out": WmsPackedOutSchema,
  "Shipment Update": WmsShipmentUpdateSchema,
  "Order Canceled": WmsOrderCanceledSchema,
  "order.shipment.exception": WmsShipmentExceptionSchema,
};

/** A rate limiter every outbound call runs through (structural; `@distro/sync`'s limiter fits). */
export interface WmsRequestLimiter {
  /** Runs the task when the budget allows. */
  schedule<T>(task: () => Promise<T>, options?: { priority?: number }): Promise<T>;
}

/** Where fulfilment states are kept (default: in memory). */
export interface FulfilmentStateStore {
  /** The state of an order, if any. */
  get(orderId: string): Promise<FulfilmentState | undefined>;
  /** Replaces the state of an order. */
  set(state: FulfilmentState): Promise<void>;
}

/** Settings of {@link createWmsRest}. */
export interface WmsRestSettings {
  /** The WMS API root, e.g. `https://wms.example.com/api`. */
  baseUrl: string;
  /** Bearer token for outbound calls. */
  accessToken: string;
  /** Shared secret the WMS signs webhooks with (HMAC-SHA256 of the raw body, base64). */
  webhookSecret: string;
  /** Fetch implementation (default global `fetch`). */
  fetch?: typeof fetch;
  /** Every outbound call goes through it. */
  limiter?: WmsRequestLimiter;
  /** Dedupes webhook deliveries by message id (default: an in-memory store). */
  dedupe?: IdempotencyStore;
  /** Receives undecodable or unknown events, with the reason (default: they are thrown). */
  deadLetters?: DeadLetterStore;
  /** Fulfilment states (default: in memory). */
  states?: FulfilmentStateStore;
  /** Called with each applied event and the order's new state. */
  onEvent?: (event: FulfilmentEvent, state: FulfilmentState) => void | Promise<void>;
  /** Clock in epoch milliseconds (default `Date.now`). */
  clock?: () => number;
  /** Sleep between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

/** An incoming webhook delivery: the raw body and its headers (names in any case). */
export interface WmsWebhookDelivery {
  /** The raw request body, exactly as received. */
  body: string | Uint8Array;
  /** The request headers. */
  headers: Record<string, string | undefined> | Headers;
}

/** What {@link WmsRest.handleWebhook} did with a delivery. */
export type WmsWebhookOutcome =
  | { kind: "applied"; messageId: string; event: FulfilmentEvent; state: FulfilmentState }
  | { kind: "duplicate"; messageId: string }
  | { kind: "dead-lettered"; messageId: string; reason: string };

/** The REST / webhook WMS adapter; it implements core's `WmsSystem` port (v1). */
export interface WmsRest extends WmsSystemV1 {
  /** The port version this adapter implements. */
  readonly specificationVersion: "v1";
  /** The system name. */
  readonly system: "wms-rest";
  /** Sends a fulfilment request for an order (idempotent: the order id is the `Idempotency-Key`). */
  requestFulfilment(order: Order, options?: { shippingMethod?: string }): Promise<{ wmsOrderId: string }>;
  /** Asks the WMS to cancel an order's fulfilment. */
  cancelFulfilment(orderId: string): Promise<void>;
  /** Verifies, dedupes and applies one webhook delivery. */
  handleWebhook(delivery: WmsWebhookDelivery): Promise<WmsWebhookOutcome>;
  /** The current fulfilment state of an order. */
  state(orderId: string): Promise<FulfilmentState | undefined>;
}

function header(headers: WmsWebhookDelivery["headers"], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Computes the signature the WMS sends in `X-Shiphero-Hmac-Sha256`: base64 of
 * HMAC-SHA256 over the raw body, keyed with the shared secret.
 *
 * @param body - the raw body
 * @param secret - the shared secret
 * @returns the base64 signature
 * @example
 * ```ts
 * const signature = signWmsWebhook('{"webhook_type":"Order Canceled","order_number":"O-1"}', "s3cret");
 * ```
 */
export function signWmsWebhook(body: string | Uint8Array, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

function toEvent(messageId: string, event: WmsEvent): FulfilmentEvent {
  if ("topic" in event) {
    return {
      messageId,
      orderId: event.reference_id,
      kind: "exception",
      reason:
        event.status_details.map((detail) => detail.description ?? detail.name).join("; ") ||
        event.status ||
        "exception",
      lines: [],
    };
  }
  switch (event.webhook_type) {
    case "Tote Complete":
      return { messageId, orderId: event.order_number, kind: "picked", lines: event.items };
    case "Order Packed Out":
      return {
        messageId,
        orderId: event.order_number,
        kind: "packed",
        lines: event.packages.flatMap((pack) => pack.line_items),
      };
    case "Shipment Update":
      return {
        messageId,
        orderId: event.fulfillment.order_number,
        kind: "shipped",
        carrier: event.fulfillment.shipping_carrier,
        trackingNumber: event.fulfillment.tracking_number,
        lines: event.fulfillment.line_items,
      };
    case "Order Canceled":
      return { messageId, orderId: event.order_number, kind: "cancelled", lines: [] };
  }
}

/**
 * Creates the REST / webhook WMS adapter. Out: fulfilment requests (ShipBob-style order
 * create, keyed by the order id) and cancellations. In: ShipHero-shaped "Tote Complete"
 * (pick), "Order Packed Out" (pack), "Shipment Update" (ship), "Order Canceled" and
 * ShipBob's `order.shipment.exception`, each verified by HMAC (`X-Shiphero-Hmac-Sha256`),
 * deduped by `X-Shiphero-Message-Id`, and applied so that arrival order does not matter.
 * A forged or missing signature throws `SignatureError`; an unknown or malformed event
 * goes to the dead-letter store with the reason (or throws `ValidationError` when there
 * is none).
 *
 * @param settings - API root, token, webhook secret, stores
 * @returns the adapter
 * @example
 * ```ts
 * import { createWmsRest } from "@distro/connectors-wms/rest";
 *
 * const wms = createWmsRest({ baseUrl: "https://wms.example.com/api", accessToken: "…", webhookSecret: "…" });
 * // in your HTTP handler:
 * const outcome = await wms.handleWebhook({ body: rawBody, headers: request.headers });
 * ```
 */
export function createWmsRest(settings: WmsRestSettings): WmsRest {
  const clock = settings.clock ?? Date.now;
  const dedupe = settings.dedupe ?? createMemoryIdempotencyStore({ clock: { now: clock } });
  const memory = new Map<string, FulfilmentState>();
  const states: FulfilmentStateStore = settings.states ?? {
    get: async (orderId) => memory.get(orderId),
    set: async (state) => {
      memory.set(state.orderId, state);
    },
  };

  const http = createHttpClient({
    baseUrl: settings.baseUrl,
    system: "wms",
    auth: staticToken(settings.accessToken),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4 },
  });

  // Every write carries an Idempotency-Key the WMS dedupes on, so the client may retry it.
  const call = async (
    method: string,
    path: string,
    body: unknown,
    idempotencyKey: string,
  ): Promise<unknown> => {
    const run = async (): Promise<unknown> => {
      const response = await http.request({
        method,
        path,
        json: body,
        headers: { "idempotency-key": idempotencyKey },
      });
      const text = await response.text();
      return text === "" ? undefined : JSON.parse(text);
    };
    return settings.limiter ? settings.limiter.schedule(run) : run();
  };

  const deadLetter = async (
    messageId: string,
    body: string,
    reason: string,
    issues: ValidationIssue[],
  ): Promise<WmsWebhookOutcome> => {
    const error = new ValidationError(`WMS event ${messageId} rejected: ${reason}`, issues);
    if (!settings.deadLetters) throw error;
    const now = clock();
    await settings.deadLetters.add({
      subscriber: "connectors-wms.rest",
      message: body,
      eventId: messageId,
      type: "wms.webhook",
      error: serializeError(error),
      issues,
      attempts: 1,
      firstFailedAt: now,
      lastFailedAt: now,
    });
    return { kind: "dead-lettered", messageId, reason };
  };

  const sendRequest = async (request: WmsFulfilmentOrder, key: string): Promise<string> => {
    const answer = (await call("POST", "/fulfillment_orders", request, key)) as { id?: unknown } | undefined;
    if (answer === undefined || (typeof answer.id !== "string" && typeof answer.id !== "number")) {
      throw new ValidationError("WMS answered a fulfilment request without an id", [
        { code: "invalid_type", path: ["id"], message: "Expected the WMS order id" },
      ]);
    }
    const existing = await states.get(request.reference_id);
    if (!existing) await states.set({ orderId: request.reference_id, status: "requested", applied: [] });
    return String(answer.id);
  };

  let handleWebhook: WmsRest["handleWebhook"];

  const adapter: WmsRest = {
    specificationVersion: "v1",
    system: "wms-rest",

    async requestFulfillment(request: FulfillmentRequest) {
      const body: WmsFulfilmentOrder = {
        reference_id: request.orderId,
        order_number: request.erpOrderNumber ?? request.orderId,
        shipping_method: request.carrierService ?? "Standard",
        recipient: {
          name: request.shipTo.name ?? request.shipTo.company ?? request.orderId,
          address: {
            address1: request.shipTo.line1,
            ...(request.shipTo.line2 ? { address2: request.shipTo.line2 } : {}),
            city: request.shipTo.city,
            ...(request.shipTo.region ? { state: request.shipTo.region } : {}),
            ...(request.shipTo.postalCode ? { zip_code: request.shipTo.postalCode } : {}),
            country: request.shipTo.country,
          },
        },
        products: request.lines.map((line) => ({ reference_id: line.sku, quantity: line.quantity })),
      };
      return { id: await sendRequest(body, `fulfil-${request.id}`) };
    },

    async receiveWebhook(request: Request): Promise<CanonicalWmsEvent[]> {
      const body = new Uint8Array(await request.arrayBuffer());
      const outcome = await handleWebhook({ body, headers: request.headers });
      if (outcome.kind !== "applied") return [];
      return [
        {
          id: outcome.messageId,
          type: outcome.event.kind,
          orderId: outcome.event.orderId,
          occurredAt: new Date(clock()).toISOString(),
          ...(outcome.event.reason ? { reason: outcome.event.reason } : {}),
        },
      ];
    },

    async requestFulfilment(order, options = {}) {
      const request: WmsFulfilmentOrder = {
        reference_id: order.id,
        order_number: order.number ?? order.id,
        shipping_method: options.shippingMethod ?? "Standard",
        recipient: {
          name: order.shipTo.name ?? order.shipTo.company ?? order.customer.id,
          address: {
            address1: order.shipTo.line1,
            ...(order.shipTo.line2 ? { address2: order.shipTo.line2 } : {}),
            city: order.shipTo.city,
            ...(order.shipTo.region ? { state: order.shipTo.region } : {}),
            ...(order.shipTo.postalCode ? { zip_code: order.shipTo.postalCode } : {}),
            country: order.shipTo.country,
          },
        },
        products: order.lines
          .filter((line) => line.status !== "cancelled")
          .map((line) => ({ reference_id: line.sku, quantity: line.allocatedQuantity ?? line.quantity })),
      };
      const answer = (await call("POST", "/fulfillment_orders", request, `fulfil-${order.id}`)) as
        | { id?: unknown }
        | undefined;
      if (answer === undefined || (typeof answer.id !== "string" && typeof answer.id !== "number")) {
        throw new ValidationError("WMS answered a fulfilment request without an id", [
          { code: "invalid_type", path: ["id"], message: "Expected the WMS order id" },
        ]);
      }
      const existing = await states.get(order.id);
      if (!existing) await states.set({ orderId: order.id, status: "requested", applied: [] });
      return { wmsOrderId: String(answer.id) };
    },

    async cancelFulfilment(orderId) {
      await call(
        "POST",
        `/fulfillment_orders/${encodeURIComponent(orderId)}/cancel`,
        {},
        `cancel-${orderId}`,
      );
    },

    handleWebhook: (delivery) => handleWebhook(delivery),

    state: (orderId) => states.get(orderId),
  };

  handleWebhook = async (delivery) => {
    const body =
      typeof delivery.body === "string" ? delivery.body : Buffer.from(delivery.body).toString("utf8");
    const signature = header(delivery.headers, "x-shiphero-hmac-sha256");
    if (!signature) throw new SignatureError("WMS webhook has no X-Shiphero-Hmac-Sha256 header");
    const expected = Buffer.from(signWmsWebhook(delivery.body, settings.webhookSecret), "base64");
    const given = Buffer.from(signature, "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SignatureError("WMS webhook signature does not match its body");
    }
    const messageId = header(delivery.headers, "x-shiphero-message-id");
    if (!messageId) {
      return deadLetter("(none)", body, "no X-Shiphero-Message-Id header", [
        {
          code: "missing_header",
          path: ["headers", "x-shiphero-message-id"],
          message: "Required for deduplication",
        },
      ]);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      return deadLetter(messageId, body, "body is not JSON", [
        { code: "invalid_json", path: ["body"], message: "Not JSON" },
      ]);
    }
    const topic = header(delivery.headers, "x-webhook-topic");
    if (topic && typeof raw === "object" && raw !== null && !("topic" in raw)) raw = { ...raw, topic };
    const type =
      (raw as { webhook_type?: unknown } | null)?.webhook_type ?? (raw as { topic?: unknown } | null)?.topic;
    const schema = typeof type === "string" ? WMS_EVENT_SCHEMAS[type] : undefined;
    if (schema === undefined) {
      return deadLetter(messageId, body, `unknown WMS event type ${JSON.stringify(type ?? null)}`, [
        {
          code: "unknown_event",
          path: ["webhook_type"],
          message: `Unknown event type ${JSON.stringify(type ?? null)}`,
        },
      ]);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      return deadLetter(
        messageId,
        body,
        `malformed ${String(type)} event`,
        parsed.error.issues.map((issue) => ({
          code: issue.code,
          path: issue.path.map((part) => (typeof part === "symbol" ? String(part) : part)),
          message: issue.message,
        })),
      );
    }
    const event = toEvent(messageId, parsed.data);
    let ran = false;
    const state = await idempotent(
      async () => {
        ran = true;
        const next = applyFulfilmentEvent(await states.get(event.orderId), event);
        await states.set(next);
        await settings.onEvent?.(event, next);
        return next;
      },
      {
        store: dedupe,
        key: messageId,
        scope: { system: "wms", operation: "webhook" },
        retentionMs: 7 * 86_400_000,
        inProgressExpiryMs: 60_000,
        waitForInFlightMs: 30_000,
        clock: { now: clock },
      },
    );
    if (!ran) return { kind: "duplicate", messageId };
    return { kind: "applied", messageId, event, state };
  };
  return adapter;
}
