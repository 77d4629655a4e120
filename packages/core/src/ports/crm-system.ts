import type { Customer } from "../model/customer";
import type { ChangePage, ChangeReadOptions, SystemIdentity } from "./common";

/**
 * A milestone written to the CRM account as an activity (order booked, shipped,
 * invoiced, backordered, held).
 *
 * @example
 * ```ts
 * const activity: CrmActivity = {
 *   customerId: "C-100", kind: "order_shipped", subject: "Order SO-1001 shipped",
 *   occurredAt: "2026-03-02T15:00:00Z", correlationId: "4bf92f35-...", refs: { erp: "SO-000123" },
 * };
 * ```
 */
export interface CrmActivity {
  /** The customer's canonical id (its `refs.erp` when the CRM keys accounts by ERP number). */
  customerId: string;
  /** What happened. */
  kind:
    | "order_submitted"
    | "order_booked"
    | "order_backordered"
    | "order_held"
    | "order_shipped"
    | "order_invoiced"
    | "return_credited"
    | "note";
  /** A one-line subject. */
  subject: string;
  /** Details for people. */
  description?: string;
  /** When it happened. */
  occurredAt: string;
  /** The transaction's correlation id, for the audit trail. */
  correlationId?: string;
  /** Ids of the related records in each system. */
  refs?: Record<string, string>;
}

/**
 * The segmentation the CRM owns for an account, used in pricing.
 *
 * @example
 * ```ts
 * const segmentation: AccountSegmentation = { customerId: "C-100", tier: "gold", segment: "OEM", salesRep: "jane@example.com" };
 * ```
 */
export interface AccountSegmentation {
  /** The customer's canonical id. */
  customerId: string;
  /** The price tier. */
  tier?: string;
  /** The market segment. */
  segment?: string;
  /** The account owner. */
  salesRep?: string;
}

/**
 * The CRM port, version 1, in canonical terms. The CRM owns the account's
 * segmentation, contacts and owner; an upsert from ERP data never overwrites them.
 *
 * @example
 * ```ts
 * async function milestone(crm: CrmSystem, customerId: string) {
 *   await crm.recordActivity({ customerId, kind: "order_booked", subject: "Order booked", occurredAt: new Date().toISOString() });
 * }
 * ```
 */
export interface CrmSystemV1 extends SystemIdentity<"v1"> {
  /** Creates or updates the account by the customer's external id; CRM-owned fields are left as they are. */
  upsertAccount(customer: Customer): Promise<{ id: string; created: boolean }>;
  /** Reads the tier, segment and owner the CRM holds for an account. */
  getSegmentation(customerId: string): Promise<AccountSegmentation>;
  /** Writes a milestone as an activity on the account. */
  recordActivity(activity: CrmActivity): Promise<{ id: string }>;
  /** Accounts changed since a cursor. */
  readAccounts(options?: ChangeReadOptions): AsyncIterable<ChangePage<Customer>>;
}

/** The current CRM port. */
export type CrmSystem = CrmSystemV1;
