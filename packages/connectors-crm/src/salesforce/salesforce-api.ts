import { z } from "zod";

/**
 * The `attributes` every record carries in REST answers.
 *
 * @example
 * ```ts
 * SalesforceAttributesSchema.parse({ type: "Account", url: "/services/data/v62.0/sobjects/Account/001..." });
 * ```
 */
export const SalesforceAttributesSchema = z.looseObject({ type: z.string(), url: z.string().optional() });

/**
 * A record in a query answer: `attributes` plus the selected fields.
 *
 * @example
 * ```ts
 * SalesforceRecordSchema.parse({ attributes: { type: "Order" }, Id: "8019O00000cfZkIQAU" });
 * ```
 */
export const SalesforceRecordSchema = z.looseObject({
  attributes: SalesforceAttributesSchema,
  Id: z.string().optional(),
});

/** A record in a query answer. */
export type SalesforceRecord = z.infer<typeof SalesforceRecordSchema>;

/**
 * A SOQL query page: `totalSize`, `done`, `records`, and `nextRecordsUrl` while not done.
 *
 * @example
 * ```ts
 * SalesforceQueryResponseSchema.parse({ totalSize: 0, done: true, records: [] });
 * ```
 */
export const SalesforceQueryResponseSchema = z.looseObject({
  totalSize: z.number().int().nonnegative(),
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(SalesforceRecordSchema),
});

/** A SOQL query page. */
export type SalesforceQueryResponse = z.infer<typeof SalesforceQueryResponseSchema>;

/**
 * One error of a REST answer (`[{ message, errorCode, fields }]`).
 *
 * @example
 * ```ts
 * SalesforceErrorSchema.parse({ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" });
 * ```
 */
export const SalesforceErrorSchema = z.looseObject({
  message: z.string(),
  errorCode: z.string(),
  fields: z.array(z.string()).optional(),
});

/**
 * One result of an upsert or a collection call.
 *
 * @example
 * ```ts
 * SalesforceSaveResultSchema.parse({ id: "001xx", success: true, errors: [], created: true });
 * ```
 */
export const SalesforceSaveResultSchema = z.looseObject({
  id: z.string().nullable().optional(),
  success: z.boolean(),
  created: z.boolean().optional(),
  errors: z.array(
    z.looseObject({
      statusCode: z.string().optional(),
      errorCode: z.string().optional(),
      message: z.string(),
      fields: z.array(z.string()).optional(),
    }),
  ),
});

/** One result of an upsert or a collection call. */
export type SalesforceSaveResult = z.infer<typeof SalesforceSaveResultSchema>;

/**
 * An Account as distro reads it (standard fields plus the custom ones it maps).
 *
 * @example
 * ```ts
 * SalesforceAccountSchema.parse({ attributes: { type: "Account" }, Id: "001xx", Name: "Acme", SystemModstamp: "2026-01-01T00:00:00.000+0000" });
 * ```
 */
export const SalesforceAccountSchema = z.looseObject({
  attributes: SalesforceAttributesSchema.optional(),
  Id: z.string(),
  Name: z.string(),
  AccountNumber: z.string().nullish(),
  CurrencyIsoCode: z.string().nullish(),
  OwnerId: z.string().nullish(),
  BillingStreet: z.string().nullish(),
  BillingCity: z.string().nullish(),
  BillingState: z.string().nullish(),
  BillingPostalCode: z.string().nullish(),
  BillingCountry: z.string().nullish(),
  ShippingStreet: z.string().nullish(),
  ShippingCity: z.string().nullish(),
  ShippingState: z.string().nullish(),
  ShippingPostalCode: z.string().nullish(),
  ShippingCountry: z.string().nullish(),
  SystemModstamp: z.string(),
});

/** An Account as distro reads it. */
export type SalesforceAccount = z.infer<typeof SalesforceAccountSchema>;
