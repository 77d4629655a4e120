import { z } from "zod";
import { compareDecimal } from "../money/decimal";
import { CurrencyCodeSchema, type Money, MoneySchema } from "../money/money";
import { BillingLineSchema, billingTotals, checkBillingCurrency } from "./billing";
import {
  AddressSchema,
  EntityRefSchema,
  entityBase,
  IdSchema,
  IsoDateSchema,
  type PaymentTerms,
  PaymentTermsSchema,
} from "./common";
import type { DocumentTotals } from "./order";

/**
 * An invoice: lines with their taxes, totals as the source stated them, payment terms
 * and due date.
 *
 * @example
 * ```ts
 * InvoiceSchema.parse({
 *   id: "INV-1", number: "100045", status: "posted", customer: { id: "C-100" }, orderId: "SO-1001",
 *   currency: "USD", issueDate: "2026-03-03", dueDate: "2026-04-02",
 *   paymentTerms: { code: "NET30", netDays: 30 },
 *   billTo: { line1: "1 Main St", city: "Dayton", country: "US" },
 *   lines: [{ lineNumber: 1, description: "Hex bolt", quantity: "300", uom: "EA",
 *     unitPrice: { amount: "0.0125", currency: "USD" } }],
 * });
 * ```
 */
export const InvoiceSchema = z
  .object({
    id: IdSchema,
    number: z.string().min(1).max(64),
    status: z.enum(["draft", "posted", "partially_paid", "paid", "void"]),
    customer: EntityRefSchema,
    orderId: IdSchema.optional(),
    shipmentIds: z.array(IdSchema).default([]),
    currency: CurrencyCodeSchema,
    issueDate: IsoDateSchema,
    dueDate: IsoDateSchema,
    paymentTerms: PaymentTermsSchema,
    billTo: AddressSchema,
    lines: z.array(BillingLineSchema).min(1),
    shippingCharge: MoneySchema.optional(),
    /** The totals as the issuing system printed them (compare with {@link invoiceTotals}). */
    statedTotals: z.object({ subtotal: MoneySchema, tax: MoneySchema, total: MoneySchema }).optional(),
    ...entityBase(1),
  })
  .superRefine((invoice, context) => {
    checkBillingCurrency(invoice, context);
    if (invoice.dueDate < invoice.issueDate) {
      context.addIssue({ code: "custom", path: ["dueDate"], message: "Due date is before the issue date" });
    }
  });

/** A canonical invoice. */
export type Invoice = z.infer<typeof InvoiceSchema>;

/**
 * The totals of an invoice, computed exactly from its lines and rounded half-even.
 *
 * @param invoice - the invoice
 * @returns subtotal, tax, shipping, total
 * @example
 * ```ts
 * invoiceTotals(invoice).total; // { amount: "4.02", currency: "USD" }
 * ```
 */
export function invoiceTotals(invoice: Invoice): DocumentTotals {
  return billingTotals(invoice);
}

/** One total an invoice states differently from what its lines add up to. */
export interface InvoiceTotalMismatch {
  /** Which total. */
  field: "subtotal" | "tax" | "total";
  /** What the invoice says. */
  stated: Money;
  /** What its lines add up to (exact, rounded half-even to the minor unit). */
  computed: Money;
}

/**
 * Compares the totals an invoice states (`statedTotals`) with what its lines add up to,
 * for reconciliation: an ERP that rounds per line, or a mapping that dropped a line,
 * shows up here. Amounts are compared numerically (`"3.50"` equals `"3.5"`).
 *
 * @param invoice - the invoice
 * @returns the totals that differ (empty when they agree or none are stated)
 * @example
 * ```ts
 * for (const mismatch of invoiceTotalMismatches(invoice)) {
 *   console.warn(`${mismatch.field}: stated ${mismatch.stated.amount}, computed ${mismatch.computed.amount}`);
 * }
 * ```
 */
export function invoiceTotalMismatches(invoice: Invoice): InvoiceTotalMismatch[] {
  const stated = invoice.statedTotals;
  if (stated === undefined) return [];
  const computed = invoiceTotals(invoice);
  const out: InvoiceTotalMismatch[] = [];
  for (const field of ["subtotal", "tax", "total"] as const) {
    const same =
      stated[field].currency === computed[field].currency &&
      compareDecimal(stated[field].amount, computed[field].amount) === 0;
    if (!same) out.push({ field, stated: stated[field], computed: computed[field] });
  }
  return out;
}

/**
 * The due date for an issue date under payment terms: the issue date plus `netDays`.
 *
 * @param issueDate - `YYYY-MM-DD`
 * @param terms - payment terms
 * @returns the due date, `YYYY-MM-DD`
 * @example
 * ```ts
 * dueDateFor("2026-01-31", { code: "NET30", netDays: 30 }); // "2026-03-02"
 * ```
 */
export function dueDateFor(issueDate: string, terms: Pick<PaymentTerms, "netDays">): string {
  const [year, month, day] = issueDate.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day + terms.netDays));
  return date.toISOString().slice(0, 10);
}
