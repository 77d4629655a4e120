import { createHmac, timingSafeEqual } from "node:crypto";
import {
  createMemoryIdempotencyStore,
  type IdempotencyStore,
  idempotent,
  type Shipment,
  SignatureError,
  ValidationError,
} from "@distro/core";
import { z } from "zod";

const TrackingDetailSchema = z.object({
  message: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  status: z.string(),
  status_detail: z.string().nullable().optional(),
  datetime: z.string(),
  source: z.string().nullable().optional(),
  tracking_location: z
    .object({
      city: z.string().nullable().optional(),
      state: z.string().nullable().optional(),
      country: z.string().nullable().optional(),
      zip: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
});

/**
 * An EasyPost `Tracker` object as it arrives in an event's `result`.
 *
 * @example
 * ```ts
 * const parsed = EasyPostTrackerSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const EasyPostTrackerSchema = z.object({
  id: z.string(),
  object: z.literal("Tracker"),
  tracking_code: z.string(),
  status: z.string(),
  status_detail: z.string().nullable().optional(),
  carrier: z.string(),
  shipment_id: z.string().nullable().optional(),
  est_delivery_date: z.string().nullable().optional(),
  updated_at: z.string().optional(),
  tracking_details: z.array(TrackingDetailSchema).default([]),
});
/** An EasyPost tracker. */
export type EasyPostTracker = z.infer<typeof EasyPostTrackerSchema>;

/**
 * An EasyPost webhook `Event` (`tracker.created`, `tracker.updated`).
 *
 * @example
 * ```ts
 * const parsed = EasyPostEventSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const EasyPostEventSchema = z.object({
  id: z.string(),
  object: z.literal("Event"),
  description: z.string(),
  mode: z.string().optional(),
  created_at: z.string().optional(),
  previous_attributes: z.record(z.string(), z.unknown()).nullable().optional(),
  result: z.unknown(),
});
/** An EasyPost webhook event. */
export type EasyPostEvent = z.infer<typeof EasyPostEventSchema>;

/** One milestone of a shipment, in canonical terms. */
export interface ShipmentMilestone {
  /** Canonical shipment status. */
  status: Shipment["status"];
  /** The carrier's own status and detail, e.g. `in_transit / arrived_at_facility`. */
  carrierStatus: string;
  /** When it happened (ISO time). */
  at: string;
  /** The carrier's message. */
  message: string | undefined;
  /** Where, when known: `City, ST, CC`. */
  location: string | undefined;
}

/** A tracker update in canonical terms. */
export interface TrackingUpdate {
  /** The EasyPost event id (the dedupe key). */
  eventId: string;
  /** `tracker.created` or `tracker.updated`. */
  type: string;
  /** The tracking number. */
  trackingNumber: string;
  /** The carrier. */
  carrier: string;
  /** The current canonical status. */
  status: Shipment["status"];
  /** The previous canonical status, when the event says what changed. */
  previousStatus: Shipment["status"] | undefined;
  /** Estimated delivery date (`YYYY-MM-DD`), when known. */
  estimatedDeliveryDate: string | undefined;
  /** Every milestone, oldest first. */
  milestones: ShipmentMilestone[];
}

/**
 * Maps an EasyPost tracking status to the canonical shipment status.
 *
 * @param status - EasyPost's `status` (`pre_transit`, `in_transit`, `out_for_delivery`, `delivered`, ...)
 * @returns the canonical status
 * @example
 * ```ts
 * easyPostStatusToShipmentStatus("out_for_delivery"); // "in_transit"
 * ```
 */
export function easyPostStatusToShipmentStatus(status: string): Shipment["status"] {
  switch (status) {
    case "pre_transit":
    case "unknown":
      return "shipped";
    case "in_transit":
    case "out_for_delivery":
    case "available_for_pickup":
      return "in_transit";
    case "delivered":
      return "delivered";
    case "cancelled":
      return "cancelled";
    default:
      return "exception";
  }
}

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.normalize("NFKD"), "utf8");
}

/**
 * Computes EasyPost's webhook signature: `hmac-sha256-hex=` + hex HMAC-SHA256 of the raw
 * body, keyed with the webhook secret normalised to Unicode NFKD.
 *
 * @param body - the raw body
 * @param secret - the webhook secret
 * @returns the `X-Hmac-Signature` header value
 * @example
 * ```ts
 * signEasyPostWebhook('{"id":"evt_1"}', "sécret"); // "hmac-sha256-hex=…"
 * ```
 */
export function signEasyPostWebhook(body: string | Uint8Array, secret: string): string {
  return `hmac-sha256-hex=${createHmac("sha256", secretKey(secret)).update(body).digest("hex")}`;
}

/**
 * Verifies an EasyPost `X-Hmac-Signature` header against the raw body, in constant time.
 *
 * @param body - the raw body, exactly as received
 * @param signature - the header value
 * @param secret - the webhook secret (normalised NFKD before use)
 * @throws SignatureError when the header is missing, malformed or does not match
 * @example
 * ```ts
 * verifyEasyPostWebhook(rawBody, request.headers["x-hmac-signature"], process.env.EASYPOST_WEBHOOK_SECRET!);
 * ```
 */
export function verifyEasyPostWebhook(
  body: string | Uint8Array,
  signature: string | undefined,
  secret: string,
): void {
  if (!signature) throw new SignatureError("EasyPost webhook has no X-Hmac-Signature header");
  const match = /^hmac-sha256-hex=([0-9a-fA-F]{64})$/.exec(signature.trim());
  if (!match) throw new SignatureError("X-Hmac-Signature is not of the form hmac-sha256-hex=<64 hex digits>");
  const given = Buffer.from((match[1] as string).toLowerCase(), "hex");
  const expected = createHmac("sha256", secretKey(secret)).update(body).digest();
  if (!timingSafeEqual(given, expected))
    throw new SignatureError("EasyPost webhook signature does not match its body");
}

function location(detail: z.infer<typeof TrackingDetailSchema>): string | undefined {
  const place = detail.tracking_location;
  if (!place) return undefined;
  const parts = [place.city, place.state, place.country].filter(
    (part): part is string => typeof part === "string" && part !== "",
  );
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/**
 * Reads an EasyPost tracker event into canonical shipment milestones.
 *
 * @param body - the raw body (or an already-parsed object)
 * @returns the tracking update
 * @throws ValidationError naming the field when the body is not a tracker event
 * @example
 * ```ts
 * const update = parseEasyPostTrackerEvent(rawBody);
 * update.milestones.at(-1)?.status; // "in_transit"
 * ```
 */
export function parseEasyPostTrackerEvent(body: string | unknown): TrackingUpdate {
  let raw: unknown = body;
  if (typeof body === "string") {
    try {
      raw = JSON.parse(body);
    } catch (error) {
      throw new ValidationError(
        "EasyPost event is not JSON",
        [{ code: "invalid_json", path: [], message: "Not JSON" }],
        { cause: error },
      );
    }
  }
  const event = EasyPostEventSchema.safeParse(raw);
  if (!event.success) {
    throw new ValidationError(
      "Not an EasyPost event",
      event.error.issues.map((issue) => ({
        code: issue.code,
        path: issue.path.map(String),
        message: issue.message,
      })),
    );
  }
  if (!event.data.description.startsWith("tracker.")) {
    throw new ValidationError(`EasyPost event ${event.data.description} is not a tracker event`, [
      {
        code: "unknown_event",
        path: ["description"],
        message: `Expected tracker.created or tracker.updated`,
      },
    ]);
  }
  const tracker = EasyPostTrackerSchema.safeParse(event.data.result);
  if (!tracker.success) {
    throw new ValidationError(
      "EasyPost event result is not a Tracker",
      tracker.error.issues.map((issue) => ({
        code: issue.code,
        path: ["result", ...issue.path.map(String)],
        message: issue.message,
      })),
    );
  }
  const previous = event.data.previous_attributes?.status;
  const details = [...tracker.data.tracking_details].sort(
    (a, b) => Date.parse(a.datetime) - Date.parse(b.datetime),
  );
  return {
    eventId: event.data.id,
    type: event.data.description,
    trackingNumber: tracker.data.tracking_code,
    carrier: tracker.data.carrier,
    status: easyPostStatusToShipmentStatus(tracker.data.status),
    previousStatus: typeof previous === "string" ? easyPostStatusToShipmentStatus(previous) : undefined,
    estimatedDeliveryDate: tracker.data.est_delivery_date
      ? tracker.data.est_delivery_date.slice(0, 10)
      : undefined,
    milestones: details.map((detail) => ({
      status: easyPostStatusToShipmentStatus(detail.status),
      carrierStatus: detail.status_detail ? `${detail.status} / ${detail.status_detail}` : detail.status,
      at: detail.datetime,
      message: detail.message ?? detail.description ?? undefined,
      location: location(detail),
    })),
  };
}

/** Handles EasyPost tracker webhook deliveries. */
export interface EasyPostWebhookHandler {
  /**
   * Verifies, parses and dedupes one delivery.
   *
   * @param body - the raw body
   * @param headers - the request headers (any case)
   * @returns the update, and whether it was a duplicate (then `onUpdate` did not run)
   * @throws SignatureError when the signature does not verify
   */
  handle(
    body: string | Uint8Array,
    headers: Record<string, string | undefined>,
  ): Promise<{ update: TrackingUpdate; duplicate: boolean }>;
}

/** Settings of {@link createEasyPostWebhookHandler}. */
export interface EasyPostWebhookSettings {
  /** The webhook secret. */
  secret: string;
  /** Dedupes events by id (default in memory). */
  dedupe?: IdempotencyStore;
  /** Called once per new event. */
  onUpdate?: (update: TrackingUpdate) => void | Promise<void>;
}

/**
 * A handler for EasyPost tracker webhooks: verifies the signature, parses the event,
 * dedupes by event id and calls `onUpdate` once per event.
 *
 * @param settings - secret, dedupe store, callback
 * @returns `handle(body, headers)` resolving to the update and whether it was a duplicate
 * @example
 * ```ts
 * const easypost = createEasyPostWebhookHandler({ secret, onUpdate: (update) => console.log(update.status) });
 * await easypost.handle(rawBody, { "x-hmac-signature": signatureHeader });
 * ```
 */
export function createEasyPostWebhookHandler(settings: EasyPostWebhookSettings): EasyPostWebhookHandler {
  const dedupe = settings.dedupe ?? createMemoryIdempotencyStore();
  return {
    async handle(body, headers) {
      const signature = Object.entries(headers).find(
        ([name]) => name.toLowerCase() === "x-hmac-signature",
      )?.[1];
      verifyEasyPostWebhook(body, signature, settings.secret);
      const update = parseEasyPostTrackerEvent(
        typeof body === "string" ? body : Buffer.from(body).toString("utf8"),
      );
      let ran = false;
      await idempotent(
        async () => {
          ran = true;
          await settings.onUpdate?.(update);
          return update.eventId;
        },
        {
          store: dedupe,
          key: update.eventId,
          scope: { system: "easypost", operation: "tracker-webhook" },
          retentionMs: 7 * 86_400_000,
          inProgressExpiryMs: 60_000,
          waitForInFlightMs: 30_000,
        },
      );
      return { update, duplicate: !ran };
    },
  };
}
