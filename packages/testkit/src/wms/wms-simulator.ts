import { createHmac, randomUUID } from "node:crypto";
import {
  type FaultInjector,
  jsonResponse,
  type Ledger,
  type SimulatorRequest,
  SimulatorRouter,
  startSimulatorServer,
  type WebhookDelivery,
  WebhookSender,
  type WebhookSendResult,
} from "../shared/index";

/** An order the simulated warehouse accepted. */
export interface WmsSimulatorOrder {
  /** The WMS's id. */
  id: string;
  /** Your order id (`reference_id`). */
  referenceId: string;
  /** The order number. */
  orderNumber: string;
  /** The lines: SKU and quantity. */
  products: { sku: string; quantity: string }[];
  /** `Processing`, `Cancelled`. */
  status: string;
  /** The Idempotency-Key it was created with. */
  idempotencyKey: string | undefined;
}

/** Settings of {@link createWmsSimulator}. */
export interface WmsSimulatorSettings {
  /** The secret webhooks are signed with (HMAC-SHA256, base64, `X-Shiphero-Hmac-Sha256`). */
  secret: string;
  /** Where events are delivered. */
  webhookUrl?: string;
  /** Bearer token the API accepts (default `wms-token`). */
  accessToken?: string;
  /** Fetch used to deliver webhooks. */
  fetch?: typeof fetch;
  /** Clock in epoch milliseconds. */
  clock?: () => number;
  /** Sleep between webhook retries. */
  sleep?: (ms: number) => Promise<void>;
}

/** The events the simulated warehouse emits. */
export type WmsSimulatorEventKind = "pick" | "pack" | "ship" | "cancel" | "exception";

/** A running WMS simulator: a fulfilment API and a webhook emitter. */
export interface WmsSimulator {
  /** Origin of the API, e.g. `http://127.0.0.1:40000`. */
  readonly url: string;
  /** The bearer token the API accepts. */
  readonly accessToken: string;
  /** Every API request served. */
  readonly ledger: Ledger;
  /** Transport faults on the API. */
  readonly faults: FaultInjector;
  /** The webhook sender (inject `duplicate` and `out-of-order` faults on it). */
  readonly sender: WebhookSender;
  /** Orders accepted, in order (a repeated Idempotency-Key does not create a second one). */
  orders(): WmsSimulatorOrder[];
  /** Builds a signed delivery for an event about an order. */
  event(
    kind: WmsSimulatorEventKind,
    referenceId: string,
    options?: { trackingNumber?: string; carrier?: string; reason?: string },
  ): WebhookDelivery;
  /** Builds a signed delivery with any payload (e.g. an event type the adapter does not know). */
  raw(payload: unknown, headers?: Record<string, string>): WebhookDelivery;
  /** The same delivery with a signature made with the wrong secret. */
  forge(delivery: WebhookDelivery): WebhookDelivery;
  /** Sends a delivery to the webhook URL through the sender (retries, duplicates, reordering). */
  deliver(delivery: WebhookDelivery): Promise<WebhookSendResult>;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts a WMS simulator on 127.0.0.1: a fulfilment API (`POST /fulfillment_orders` with
 * `Idempotency-Key`, `GET /fulfillment_orders/:id`, `POST /fulfillment_orders/:ref/cancel`)
 * and an emitter of signed warehouse events shaped like ShipHero's webhooks ("Tote Complete",
 * "Order Packed Out", "Shipment Update", "Order Canceled") and ShipBob's
 * `order.shipment.exception`, each with a unique `X-Shiphero-Message-Id`, delivered with
 * retries and optional duplicates and reordering.
 *
 * @param settings - webhook secret and URL
 * @returns the running simulator
 * @example
 * ```ts
 * import { createWmsSimulator } from "@distro/testkit/wms";
 *
 * const wms = await createWmsSimulator({ secret: "s3cret", webhookUrl: "http://127.0.0.1:3000/wms" });
 * wms.sender.inject({ kind: "out-of-order", times: 1 });
 * await wms.deliver(wms.event("ship", "O-1001", { trackingNumber: "1Z999" }));
 * await wms.deliver(wms.event("pack", "O-1001"));
 * await wms.close();
 * ```
 */
export async function createWmsSimulator(settings: WmsSimulatorSettings): Promise<WmsSimulator> {
  const accessToken = settings.accessToken ?? "wms-token";
  const clock = settings.clock ?? Date.now;
  const orders: WmsSimulatorOrder[] = [];
  const byKey = new Map<string, WmsSimulatorOrder>();
  const sender = new WebhookSender({
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
    clock,
  });

  const authorized = (request: SimulatorRequest) => request.headers.authorization === `Bearer ${accessToken}`;

  const router = new SimulatorRouter()
    .on("POST", "/fulfillment_orders", (request) => {
      if (!authorized(request)) return jsonResponse(401, { message: "Unauthorized" });
      const key = request.headers["idempotency-key"];
      const existing = key === undefined ? undefined : byKey.get(key);
      if (existing)
        return {
          ...jsonResponse(201, {
            id: existing.id,
            reference_id: existing.referenceId,
            status: existing.status,
          }),
          operation: "order.replayed",
        };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(request.body) as Record<string, unknown>;
      } catch {
        return jsonResponse(400, { message: "Body is not JSON" });
      }
      const products = Array.isArray(body.products) ? (body.products as Record<string, unknown>[]) : [];
      if (typeof body.reference_id !== "string" || products.length === 0) {
        return jsonResponse(422, { message: "reference_id and products are required" });
      }
      const order: WmsSimulatorOrder = {
        id: String(100000 + orders.length + 1),
        referenceId: body.reference_id,
        orderNumber: typeof body.order_number === "string" ? body.order_number : body.reference_id,
        products: products.map((product) => ({
          sku: String(product.reference_id),
          quantity: String(product.quantity),
        })),
        status: "Processing",
        idempotencyKey: key,
      };
      orders.push(order);
      if (key !== undefined) byKey.set(key, order);
      return {
        ...jsonResponse(201, { id: order.id, reference_id: order.referenceId, status: order.status }),
        operation: "order.create",
      };
    })
    .on("GET", "/fulfillment_orders/:id", (request) => {
      if (!authorized(request)) return jsonResponse(401, { message: "Unauthorized" });
      const order = orders.find((entry) => entry.id === request.params.id);
      return order ? jsonResponse(200, order) : jsonResponse(404, { message: "Not found" });
    })
    .on("POST", "/fulfillment_orders/:reference/cancel", (request) => {
      if (!authorized(request)) return jsonResponse(401, { message: "Unauthorized" });
      const reference = decodeURIComponent(request.params.reference ?? "");
      const order = orders.find((entry) => entry.referenceId === reference);
      if (!order) return jsonResponse(404, { message: "Not found" });
      order.status = "Cancelled";
      return jsonResponse(200, { id: order.id, status: order.status });
    });

  const server = await startSimulatorServer({ name: "wms", router, clock });

  const sign = (body: string, secret: string) => createHmac("sha256", secret).update(body).digest("base64");
  const delivery = (payload: unknown, headers: Record<string, string> = {}): WebhookDelivery => {
    const body = JSON.stringify(payload);
    const id = randomUUID();
    return {
      id,
      url: settings.webhookUrl ?? "",
      headers: {
        "content-type": "application/json",
        "x-shiphero-message-id": id,
        "x-shiphero-hmac-sha256": sign(body, settings.secret),
        ...headers,
      },
      body,
    };
  };

  const linesOf = (referenceId: string) =>
    orders
      .find((order) => order.referenceId === referenceId)
      ?.products.map((product) => ({ sku: product.sku, quantity: product.quantity })) ?? [];

  return {
    url: server.url,
    accessToken,
    ledger: server.ledger,
    faults: server.faults,
    sender,
    orders: () => orders.map((order) => ({ ...order, products: [...order.products] })),
    event(kind, referenceId, options = {}) {
      switch (kind) {
        case "pick":
          return delivery({
            webhook_type: "Tote Complete",
            test: "0",
            tote_name: "T-1",
            order_number: referenceId,
            items: linesOf(referenceId),
          });
        case "pack":
          return delivery({
            webhook_type: "Order Packed Out",
            test: "0",
            order_number: referenceId,
            packages: [{ box_id: "B-1", line_items: linesOf(referenceId) }],
          });
        case "ship":
          return delivery({
            webhook_type: "Shipment Update",
            test: "0",
            fulfillment: {
              shipment_uuid: randomUUID(),
              order_number: referenceId,
              shipping_carrier: options.carrier ?? "fedex",
              shipping_method: "ground",
              tracking_number: options.trackingNumber ?? `7489${String(clock()).slice(-8)}`,
              line_items: linesOf(referenceId),
            },
          });
        case "cancel":
          return delivery({ webhook_type: "Order Canceled", test: "0", order_number: referenceId });
        case "exception":
          return delivery(
            {
              id: Number(String(clock()).slice(-6)),
              reference_id: referenceId,
              status: "Exception",
              status_details: [
                { name: "OutOfStock", description: options.reason ?? "Inventory is not available" },
              ],
            },
            { "x-webhook-topic": "order.shipment.exception" },
          );
      }
    },
    raw: (payload, headers) => delivery(payload, headers),
    forge: (original) => ({
      ...original,
      headers: {
        ...original.headers,
        "x-shiphero-hmac-sha256": sign(original.body, `${settings.secret}-forged`),
      },
    }),
    deliver: (entry) => sender.send(entry),
    close: () => server.close(),
  };
}
