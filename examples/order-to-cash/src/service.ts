/**
 * The integration service of the order-to-cash example: what a team copies and points at
 * its own systems. It receives the shop's and the warehouse's webhooks, runs every
 * order through the order-to-cash flow, and serves the portal's experience API.
 */
import type { ShopifyChannel } from "@distro/connectors-ecommerce/shopify";
import type { WmsRest } from "@distro/connectors-wms/rest";
import {
  type AuditLog,
  type Bus,
  type BusSubscription,
  type CloudEvent,
  type CrmSystem,
  createBus,
  createEvent,
  createInMemoryAuditLog,
  createMemoryIdempotencyStore,
  type DeadLetterStore,
  type ErpSystem,
  isDistroError,
  NotFoundError,
  newCorrelationId,
  type Order,
  type PriceQuote,
  parseOrder,
  parseShipment,
  type Shipment,
  serializeError,
  type ValidationIssue,
  withCorrelation,
} from "@distro/core";
import {
  createExperienceApi,
  createProcessManager,
  type ExperienceApi,
  ORDER_TO_CASH_EVENTS,
  orderToCashFlow,
  type ProcessManager,
} from "@distro/orchestration";
import { createReadThroughCache } from "@distro/sync";

/** The systems the service keeps in step, through their adapters. */
export interface OrderToCashServiceSettings {
  /** The ERP (system of record). */
  erp: ErpSystem;
  /** The B2B shop. */
  shop: ShopifyChannel;
  /** The warehouse. */
  wms: WmsRest;
  /** The CRM, given milestones. */
  crm?: CrmSystem;
  /** Maps the shop's customer id to the ERP customer number (the identifier cross-reference). */
  erpCustomerOf(shopCustomerId: string): string | undefined;
  /** Where the audit trail goes (in memory by default). */
  audit?: AuditLog;
}

/** Counters the service keeps for the summary. */
export interface ServiceCounters {
  shopWebhooks: number;
  badSignatures: number;
  malformed: number;
  wmsWebhooks: number;
  priceReads: number;
  /** How long each shop webhook took to answer, in milliseconds (the customer-facing submit). */
  webhookMs: number[];
}

/** The running service. */
export interface OrderToCashService {
  /** Answers one HTTP request (mount it on node:http, Express, Fastify or Hono). */
  handle(request: Request): Promise<Response>;
  /** The process manager running the flows. */
  manager: ProcessManager;
  /** The event bus between webhooks and flows. */
  bus: Bus;
  /** Every message given up on, with its reason. */
  deadLetters: DeadLetterStore;
  /** Every step of every order, by correlation id. */
  audit: AuditLog;
  /** The portal's experience API. */
  api: ExperienceApi;
  /** Counters for the summary. */
  counters: ServiceCounters;
  /** Deliveries the inbox dropped as duplicates, and messages dead-lettered, across subscriptions. */
  stats(): { duplicates: number; deadLettered: number; handled: number };
  /** Starts the subscriptions. */
  start(): Promise<void>;
  /** Stops them, finishing what is in hand. */
  close(): Promise<void>;
}

const ORDER_SUBMITTED = "com.distro.order.submitted";
const WMS_EVENT = "com.distro.wms.event";

/**
 * Builds the service.
 *
 * @param settings - the adapters
 * @returns the service, not yet started
 */
export function createOrderToCashService(settings: OrderToCashServiceSettings): OrderToCashService {
  const audit = settings.audit ?? createInMemoryAuditLog({ maxEntries: 200_000 });
  const bus = createBus();
  const deadLetters = bus.deadLetters;
  const manager = createProcessManager({ audit });
  manager.register(
    orderToCashFlow({ erp: settings.erp, wms: settings.wms, channel: settings.shop, crm: settings.crm }),
  );
  const counters: ServiceCounters = {
    shopWebhooks: 0,
    badSignatures: 0,
    malformed: 0,
    wmsWebhooks: 0,
    priceReads: 0,
    webhookMs: [],
  };
  const subscriptions: BusSubscription[] = [];

  // Prices for the portal: served from a read-through cache whose staleness is set by
  // the price policy, so many identical asks make one ERP call.
  const prices = createReadThroughCache<PriceQuote>({
    entity: "price",
    load: async (key) => {
      const [customerId, sku, quantity] = key.split("|") as [string, string, string];
      const [quote] = await settings.erp.getPrices({ customerId, lines: [{ sku, quantity }] });
      return quote;
    },
  });

  const api = createExperienceApi({
    quote: async ({ customerId, lines }) => {
      counters.priceReads += lines.length;
      const quotes = await Promise.all(
        lines.map((line) => prices.get(`${customerId}|${line.sku}|${line.quantity}`)),
      );
      return { prices: quotes.filter((quote): quote is PriceQuote => quote !== undefined), availability: [] };
    },
    accept: async (order, { correlationId }) => {
      await bus.publish(orderSubmitted(order, "/portal", correlationId));
    },
    orderStatus: async (orderId) => {
      const flow = await manager.get(`o2c:${orderId}`);
      if (!flow) return undefined;
      const booking = flow.results.book as { erpOrderNumber?: string } | undefined;
      const shipped = flow.results.shipped as { data: Shipment } | undefined;
      return {
        orderId,
        status:
          flow.status === "held"
            ? "held"
            : flow.status === "completed"
              ? "invoiced"
              : booking
                ? "booked"
                : "accepted",
        ...(booking?.erpOrderNumber ? { erpOrderNumber: booking.erpOrderNumber } : {}),
        ...(flow.hold ? { holdReason: flow.hold.reason } : {}),
        shipments: shipped ? [shipped.data] : [],
        invoices: [],
      };
    },
    idempotency: { store: createMemoryIdempotencyStore() },
  });

  function orderSubmitted(order: Order, source: string, correlationId: string): CloudEvent<Order> {
    return withCorrelation({ correlationId }, () =>
      // One event id per order: a webhook delivered twice publishes the same event, which the inbox drops.
      createEvent({ type: ORDER_SUBMITTED, source, id: `order-${order.id}`, subject: order.id, data: order }),
    );
  }

  async function deadLetter(subscriber: string, message: string, error: unknown, issues?: ValidationIssue[]) {
    const now = Date.now();
    await deadLetters.add({
      subscriber,
      message,
      error: serializeError(error),
      ...(issues ? { issues } : {}),
      attempts: 0,
      firstFailedAt: now,
      lastFailedAt: now,
    });
  }

  async function shopWebhook(request: Request): Promise<Response> {
    counters.shopWebhooks++;
    const raw = await request.clone().text();
    try {
      const received = await settings.shop.receiveWebhook(request);
      if (received.kind !== "order") return new Response(null, { status: 200 });
      const order = received.order;
      const shopCustomer = order.customer.refs?.shopify;
      const erpCustomer = shopCustomer === undefined ? undefined : settings.erpCustomerOf(shopCustomer);
      const enriched: Order = erpCustomer
        ? { ...order, customer: { ...order.customer, refs: { ...order.customer.refs, erp: erpCustomer } } }
        : order;
      await bus.publish(orderSubmitted(enriched, `/shopify/${settings.shop.system}`, newCorrelationId()));
      return new Response(null, { status: 200 });
    } catch (error) {
      if (isDistroError(error) && error.code === "SIGNATURE_INVALID") {
        counters.badSignatures++;
        return new Response(JSON.stringify({ error: error.message }), { status: 401 });
      }
      if (isDistroError(error) && error.code === "VALIDATION_FAILED") {
        // Acknowledge (so the shop stops retrying) and keep it, with the reason, for a person.
        counters.malformed++;
        await deadLetter("shopify-webhooks", raw, error, (error as { issues?: ValidationIssue[] }).issues);
        return new Response(null, { status: 200 });
      }
      throw error;
    }
  }

  async function wmsWebhook(request: Request): Promise<Response> {
    counters.wmsWebhooks++;
    const body = new Uint8Array(await request.arrayBuffer());
    try {
      const outcome = await settings.wms.handleWebhook({ body, headers: request.headers });
      if (outcome.kind === "applied") {
        await bus.publish(
          createEvent({
            type: WMS_EVENT,
            source: "/wms",
            id: outcome.messageId,
            subject: outcome.event.orderId,
            data: outcome.event,
          }),
        );
      }
      return new Response(null, { status: 200 });
    } catch (error) {
      if (isDistroError(error) && error.code === "SIGNATURE_INVALID") {
        counters.badSignatures++;
        return new Response(null, { status: 401 });
      }
      throw error;
    }
  }

  async function startFlow(event: CloudEvent<Order>) {
    const order = event.data!;
    await manager.start(
      "order-to-cash",
      { order, idempotencyKey: `order:${order.id}` },
      { id: `o2c:${order.id}`, correlationId: event.correlationid as string, businessKey: order.id },
    );
  }

  type WmsPayload = {
    orderId: string;
    kind: string;
    carrier?: string;
    trackingNumber?: string;
    lines: { sku: string; quantity: string }[];
  };

  async function warehouseEvent(event: CloudEvent<WmsPayload>) {
    const payload = event.data!;
    const flow = await manager.get<{ order: Order }>(`o2c:${payload.orderId}`);
    if (!flow) {
      throw new NotFoundError(`WMS ${payload.kind} event for unknown order ${payload.orderId}`, {
        details: { orderId: payload.orderId },
      });
    }
    await withCorrelation({ correlationId: flow.correlationId }, async () => {
      await audit.record({
        correlationId: flow.correlationId,
        system: "wms",
        step: payload.kind,
        outcome: "success",
        at: new Date(),
        details: { messageId: event.id },
      });
      if (payload.kind !== "shipped") return;
      const order = flow.input.order;
      const shipment: Shipment = parseShipment({
        id: `SHP-${order.id}`,
        orderId: order.id,
        status: "shipped",
        carrier: { code: payload.carrier ?? "UPS" },
        ...(payload.trackingNumber ? { trackingNumber: payload.trackingNumber } : {}),
        shipTo: order.shipTo,
        shippedAt: event.time ?? new Date().toISOString(),
        lines: order.lines.map((line) => ({
          orderLineNumber: line.lineNumber,
          sku: line.sku,
          quantity: payload.lines.find((shipped) => shipped.sku === line.sku)?.quantity ?? line.quantity,
          uom: line.uom,
        })),
        packages: [],
      });
      await manager.deliver({
        id: event.id,
        type: ORDER_TO_CASH_EVENTS.shipped,
        key: order.id,
        data: shipment,
      });
    });
  }

  return {
    api,
    manager,
    bus,
    deadLetters,
    audit,
    counters,
    async handle(request) {
      const path = new URL(request.url).pathname;
      try {
        if (request.method === "POST" && path === "/webhooks/shopify") {
          const began = performance.now();
          const response = await shopWebhook(request);
          counters.webhookMs.push(performance.now() - began);
          return response;
        }
        if (request.method === "POST" && path === "/webhooks/wms") return await wmsWebhook(request);
        if (path.startsWith("/api/")) return await api.handle(request);
        return new Response(null, { status: 404 });
      } catch (error) {
        // A transient failure: answer 503 so the sender retries later.
        return new Response(JSON.stringify(serializeError(error)), { status: 503 });
      }
    },
    async start() {
      subscriptions.push(
        await bus.subscribe<Order>({
          name: "order-to-cash",
          types: [ORDER_SUBMITTED],
          handler: startFlow,
          // An order that fails its schema goes to the dead-letter store with the paths that failed.
          validate: (event) => ({ ...event, data: parseOrder(event.data) }),
          retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000 },
          concurrency: 16,
        }),
        await bus.subscribe<WmsPayload>({
          name: "wms-events",
          types: [WMS_EVENT],
          handler: warehouseEvent,
          retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000 },
          concurrency: 16,
        }),
      );
    },
    stats() {
      const total = { duplicates: 0, deadLettered: 0, handled: 0 };
      for (const { stats } of subscriptions) {
        total.duplicates += stats.duplicates;
        total.deadLettered += stats.deadLettered;
        total.handled += stats.handled;
      }
      return total;
    },
    async close() {
      for (const subscription of subscriptions) await subscription.close();
    },
  };
}
