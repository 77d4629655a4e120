import { z } from "zod";

/**
 * A HubSpot CRM object as v3 returns it: id, string properties, timestamps.
 *
 * @example
 * ```ts
 * HubSpotObjectSchema.parse({ id: "10001", properties: { name: "Acme" }, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" });
 * ```
 */
export const HubSpotObjectSchema = z.looseObject({
  id: z.string(),
  properties: z.record(z.string(), z.string().nullable()),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  archived: z.boolean().optional(),
  new: z.boolean().optional(),
});

/** A HubSpot CRM object. */
export type HubSpotObject = z.infer<typeof HubSpotObjectSchema>;

/**
 * The answer of `POST /crm/v3/objects/{type}/batch/upsert`.
 *
 * @example
 * ```ts
 * HubSpotBatchResponseSchema.parse({ status: "COMPLETE", results: [] });
 * ```
 */
export const HubSpotBatchResponseSchema = z.looseObject({
  status: z.string(),
  results: z.array(HubSpotObjectSchema),
  errors: z.array(z.looseObject({ message: z.string(), category: z.string().optional() })).optional(),
});

/**
 * The answer of `POST /crm/v3/objects/{type}/search`.
 *
 * @example
 * ```ts
 * HubSpotSearchResponseSchema.parse({ total: 0, results: [] });
 * ```
 */
export const HubSpotSearchResponseSchema = z.looseObject({
  total: z.number(),
  results: z.array(HubSpotObjectSchema),
  paging: z.looseObject({ next: z.looseObject({ after: z.string() }).optional() }).optional(),
});

/**
 * HubSpot's error body: `{ status: "error", message, correlationId, category }`, plus
 * `policyName` on a 429.
 *
 * @example
 * ```ts
 * HubSpotErrorSchema.parse({ status: "error", message: "x", correlationId: "c", category: "RATE_LIMITS", policyName: "TEN_SECONDLY_ROLLING" });
 * ```
 */
export const HubSpotErrorSchema = z.looseObject({
  status: z.literal("error"),
  message: z.string(),
  correlationId: z.string(),
  category: z.string(),
  policyName: z.string().optional(),
});

/** HubSpot's error body. */
export type HubSpotError = z.infer<typeof HubSpotErrorSchema>;
