import { z } from "zod";
import { CurrencyCodeSchema, MoneySchema } from "../money/money";
import { BillingLineSchema, billingTotals, checkBillingCurrency } from "./billing";
import {
  AddressSchema,
  EntityRefSchema,
  entityBase,
  IdSchema,
  IsoDateSchema,
  IsoDateTimeSchema,
  PositiveDecimalSchema,
  SkuSchema,
  UomSchema,
} from "./common";
import type { DocumentTotals } from "./order";

/**
 * A line of a return: what comes back, why, and what happens to it.
 *
 * @example
 * ```ts
 * ReturnLineSchema.parse({ lineNumber: 1, sku: "BOLT-M8-40", quantity: "100", uom: "EA", reason: "damaged" });
 * ```
 */
export const ReturnLineSchema = z.object({
  lineNumber: z.number().int().min(1),
  sku: SkuSchema,
  quantity: PositiveDecimalSchema,
  uom: UomSchema,
  reason: z.enum(["damaged", "defective", "wrong_item", "not_needed", "late", "other"]),
  /** What the warehouse does with it once received. */
  disposition: z.enum(["restock", "scrap", "return_to_vendor", "repair"]).optional(),
  orderLineNumber: z.number().int().min(1).optional(),
  note: z.string().max(1000).optional(),
});

/** A line of a return. */
export type ReturnLine = z.infer<typeof ReturnLineSchema>;

/**
 * A return merchandise authorisation (RMA): the customer, the order or invoice it
 * relates to, its lines, and its status.
 *
 * @example
 * ```ts
 * ReturnSchema.parse({
 *   id: "RMA-1", rmaNumber: "RMA-2026-0001", status: "authorized", customer: { id: "C-100" },
 *   orderId: "SO-1001", requestedAt: "2026-03-10T09:00:00Z",
 *   lines: [{ lineNumber: 1, sku: "BOLT-M8-40", quantity: "100", uom: "EA", reason: "damaged" }],
 * });
 * ```
 */
export const ReturnSchema = z.object({
  id: IdSchema,
  rmaNumber: z.string().min(1).max(64),
  status: z.enum(["requested", "authorized", "rejected", "received", "inspected", "closed"]),
  customer: EntityRefSchema,
  orderId: IdSchema.optional(),
  invoiceId: IdSchema.optional(),
  lines: z.array(ReturnLineSchema).min(1),
  returnTo: AddressSchema.optional(),
  requestedAt: IsoDateTimeSchema,
  authorizedAt: IsoDateTimeSchema.optional(),
  /** The last day the goods are accepted under this RMA. */
  expiresOn: IsoDateSchema.optional(),
  ...entityBase(1),
});

/** A canonical return (RMA). */
export type Return = z.infer<typeof ReturnSchema>;

/**
 * A credit memo: money owed back to a customer, usually for a return or a price
 * correction on an invoice.
 *
 * @example
 * ```ts
 * CreditMemoSchema.parse({
 *   id: "CM-1", number: "CM-5001", status: "posted", customer: { id: "C-100" }, returnId: "RMA-1",
 *   currency: "USD", issueDate: "2026-03-15", reason: "return",
 *   lines: [{ lineNumber: 1, description: "Hex bolt, damaged", quantity: "100", uom: "EA",
 *     unitPrice: { amount: "0.0125", currency: "USD" } }],
 * });
 * ```
 */
export const CreditMemoSchema = z
  .object({
    id: IdSchema,
    number: z.string().min(1).max(64),
    status: z.enum(["draft", "posted", "applied", "void"]),
    customer: EntityRefSchema,
    returnId: IdSchema.optional(),
    invoiceId: IdSchema.optional(),
    currency: CurrencyCodeSchema,
    issueDate: IsoDateSchema,
    reason: z.enum(["return", "price_adjustment", "damaged_in_transit", "goodwill", "other"]),
    lines: z.array(BillingLineSchema).min(1),
    shippingCharge: MoneySchema.optional(),
    ...entityBase(1),
  })
  .superRefine((memo, context) => checkBillingCurrency(memo, context));

/** A canonical credit memo. */
export type CreditMemo = z.infer<typeof CreditMemoSchema>;

/**
 * The totals of a credit memo, computed exactly from its lines and rounded half-even.
 *
 * @param memo - the credit memo
 * @returns subtotal, tax, shipping, total (positive amounts: what is credited)
 * @example
 * ```ts
 * creditMemoTotals(memo).total; // { amount: "1.25", currency: "USD" }
 * ```
 */
export function creditMemoTotals(memo: CreditMemo): DocumentTotals {
  return billingTotals(memo);
}
