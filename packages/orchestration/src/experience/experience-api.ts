import {
  type BasketLine,
  CORRELATION_ID_HEADER,
  DecimalSchema,
  extractCorrelationFromHeaders,
  getCorrelation,
  IdempotencyInProgressError,
  type IdempotencyStore,
  type InventoryLevel,
  type Invoice,
  idempotent,
  issuesFromZod,
  type Order,
  OrderSchema,
  type OrderStatus,
  type PriceQuote,
  type Shipment,
  ValidationError,
  withCorrelation,
} from "@distro/core";
import { z } from "zod";
import { json, problem, problemFromError } from "./problem";

/**
 * The body of a price-and-availability request: a customer and a basket.
 *
 * @example
 * ```ts
 * PriceRequestSchema.parse({ customerId: "C-100", lines: [{ sku: "BOLT-M8-40", quantity: "300" }] });
 * ```
 */
export const PriceRequestSchema = z.object({
  customerId: z.string().min(1).max(64),
  lines: z
    .array(
      z.object({
        sku: z.string().min(1).max(64),
        quantity: DecimalSchema,
        uom: z.string().min(1).max(10).optional(),
      }),
    )
    .min(1)
    .max(500),
});

/** A price-and-availability request. */
export type PriceRequest = z.infer<typeof PriceRequestSchema>;

/** What the order status endpoint returns. */
export interface OrderStatusView {
  /** The canonical order id. */
  orderId: string;
  /** Where it stands. */
  status: OrderStatus | "accepted" | "held";
  /** The ERP's order number, once booked. */
  erpOrderNumber?: string;
  /** Why it is held, when it is. */
  holdReason?: string;
  /** The backorder split from it, when there is one. */
  backorderId?: string;
  /** Shipments so far. */
  shipments: Shipment[];
  /** Invoices so far. */
  invoices: Invoice[];
}

/** What {@link createExperienceApi} needs: the work behind each endpoint. */
export interface ExperienceApiSettings {
  /** Prefix of every route (default `/api`). */
  basePath?: string;
  /** Prices and availability of a basket (served through the sync cache in practice). */
  quote(request: {
    customerId: string;
    lines: BasketLine[];
  }): Promise<{ prices: PriceQuote[]; availability: InventoryLevel[] }>;
  /**
   * Accepts a validated order for back-office processing and returns at once (enqueue,
   * start a flow without awaiting it): customer-facing responses never wait on the ERP.
   */
  accept(order: Order, context: { idempotencyKey: string; correlationId: string }): Promise<void>;
  /** The status of an order, or undefined when unknown. */
  orderStatus(orderId: string): Promise<OrderStatusView | undefined>;
  /** Idempotency of order submission. */
  idempotency: {
    /** Where keys are kept. */
    store: IdempotencyStore;
    /** Tenant the keys belong to. */
    tenant?: string;
    /** How long a claim holds (default 30 s). */
    inProgressExpiryMs?: number;
    /** How long a key is remembered (default 24 h). */
    retentionMs?: number;
  };
}

/** A Web-standard request handler, usable from node:http, Express, Fastify or Hono. */
export interface ExperienceApi {
  /** Answers one request; never throws (errors become problem responses). */
  handle(request: Request): Promise<Response>;
  /** The OpenAPI 3.1 document of these endpoints. */
  openApi(): Record<string, unknown>;
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("The body is not JSON", [
      { code: "invalid_json", path: [], message: "The request body is not valid JSON" },
    ]);
  }
}

function validate<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(`${what} is invalid`, issuesFromZod(result.error));
  return result.data;
}

/**
 * Creates the experience API: the customer-facing endpoints of a B2B portal.
 *
 * - `POST {base}/prices`: prices and availability of a basket for a customer.
 * - `POST {base}/orders` with an `Idempotency-Key` header: validates the canonical order,
 *   accepts it once per key (202), answers a duplicate with the first answer
 *   (`Idempotent-Replayed: true`), a duplicate still in flight with 409 and
 *   `Retry-After`, and a key reused with another payload with 422.
 * - `GET {base}/orders/{id}`: status with shipments and invoices.
 * - `GET {base}/openapi.json`: the OpenAPI document.
 *
 * Errors are RFC 9457 problem documents carrying distro's error code and, for invalid
 * input, every issue with its path.
 *
 * @param settings - the work behind each endpoint and the idempotency store
 * @returns the handler
 * @example
 * ```ts
 * const api = createExperienceApi({ quote, accept, orderStatus, idempotency: { store: createMemoryIdempotencyStore() } });
 * const response = await api.handle(new Request("http://portal/api/orders/WEB-1001"));
 * ```
 */
export function createExperienceApi(settings: ExperienceApiSettings): ExperienceApi {
  const base = (settings.basePath ?? "/api").replace(/\/$/, "");
  const retentionMs = settings.idempotency.retentionMs ?? 24 * 3_600_000;
  const inProgressExpiryMs = settings.idempotency.inProgressExpiryMs ?? 30_000;

  async function submit(request: Request): Promise<Response> {
    const key = request.headers.get("idempotency-key");
    if (!key || key.length > 255) {
      return problem(
        400,
        "IDEMPOTENCY_KEY_REQUIRED",
        "An Idempotency-Key header (1 to 255 characters) is required",
      );
    }
    const body = await readJson(request);
    // Invalid orders never claim the key: the caller fixes the payload and retries with it.
    const order = validate(OrderSchema, body, "The order");
    const correlationId = getCorrelation()!.correlationId;
    let replayed = true;
    const accepted = await idempotent(
      async () => {
        replayed = false;
        await settings.accept(order, { idempotencyKey: key, correlationId });
        return {
          orderId: order.id,
          status: "accepted",
          correlationId,
          links: { status: `${base}/orders/${encodeURIComponent(order.id)}` },
        };
      },
      {
        store: settings.idempotency.store,
        key,
        scope: {
          ...(settings.idempotency.tenant ? { tenant: settings.idempotency.tenant } : {}),
          system: "experience-api",
          operation: "submit-order",
        },
        fingerprint: body,
        inProgressExpiryMs,
        retentionMs,
      },
    );
    return json(202, accepted, replayed ? { "idempotent-replayed": "true" } : {});
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(`${base}/`))
      return problem(404, "NOT_FOUND", `No route for ${url.pathname}`);
    const path = url.pathname.slice(base.length);
    if (path === "/prices") {
      if (request.method !== "POST")
        return problem(405, "METHOD_NOT_ALLOWED", "Use POST", { headers: { allow: "POST" } });
      const priceRequest = validate(PriceRequestSchema, await readJson(request), "The price request");
      return json(200, await settings.quote(priceRequest));
    }
    if (path === "/orders") {
      if (request.method !== "POST")
        return problem(405, "METHOD_NOT_ALLOWED", "Use POST", { headers: { allow: "POST" } });
      return submit(request);
    }
    const match = /^\/orders\/([^/]+)$/.exec(path);
    if (match) {
      if (request.method !== "GET")
        return problem(405, "METHOD_NOT_ALLOWED", "Use GET", { headers: { allow: "GET" } });
      const orderId = decodeURIComponent(match[1]!);
      const view = await settings.orderStatus(orderId);
      return view ? json(200, view) : problem(404, "NOT_FOUND", `No order ${orderId}`);
    }
    if (path === "/openapi.json") return json(200, openApi());
    return problem(404, "NOT_FOUND", `No route for ${url.pathname}`);
  }

  function openApi(): Record<string, unknown> {
    return buildOpenApi(base);
  }

  return {
    async handle(request) {
      const incoming = extractCorrelationFromHeaders(request.headers);
      return withCorrelation(incoming, async () => {
        const correlationId = getCorrelation()!.correlationId;
        let response: Response;
        try {
          response = await route(request);
        } catch (error) {
          response =
            error instanceof IdempotencyInProgressError
              ? problem(409, error.code, error.message, {
                  headers: { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) },
                })
              : problemFromError(error);
        }
        response.headers.set(CORRELATION_ID_HEADER, correlationId);
        return response;
      });
    },
    openApi,
  };
}

function buildOpenApi(base: string): Record<string, unknown> {
  const schema = (zodSchema: z.ZodType) =>
    z.toJSONSchema(zodSchema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  const problemResponse = (description: string) => ({
    description,
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
  });
  return {
    openapi: "3.1.0",
    info: { title: "distro experience API", version: "1.0.0" },
    paths: {
      [`${base}/prices`]: {
        post: {
          operationId: "quoteBasket",
          summary: "Prices and availability of a basket for a customer",
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/PriceRequest" } } },
          },
          responses: {
            "200": { description: "Prices and availability" },
            "422": problemResponse("Invalid request"),
          },
        },
      },
      [`${base}/orders`]: {
        post: {
          operationId: "submitOrder",
          summary: "Submit an order, once per Idempotency-Key",
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: true,
              schema: { type: "string", maxLength: 255 },
            },
          ],
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/Order" } } },
          },
          responses: {
            "202": {
              description:
                "Accepted for processing (a duplicate gets the first answer with Idempotent-Replayed: true)",
            },
            "400": problemResponse("Idempotency-Key missing"),
            "409": problemResponse("A request with this key is still in flight"),
            "422": problemResponse("Invalid order, or the key was used with another payload"),
          },
        },
      },
      [`${base}/orders/{orderId}`]: {
        get: {
          operationId: "getOrderStatus",
          summary: "Order status with shipments and invoices",
          parameters: [{ name: "orderId", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "The order's status" },
            "404": problemResponse("Unknown order"),
          },
        },
      },
    },
    components: {
      schemas: {
        PriceRequest: schema(PriceRequestSchema),
        Order: schema(OrderSchema),
        Problem: {
          type: "object",
          required: ["type", "title", "status", "code"],
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            detail: { type: "string" },
            code: { type: "string" },
            issues: { type: "array", items: { type: "object" } },
          },
        },
      },
    },
  };
}
