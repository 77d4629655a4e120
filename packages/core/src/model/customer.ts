import { z } from "zod";
import { ValidationError } from "../errors/validation-error";
import { CurrencyCodeSchema, MoneySchema } from "../money/money";
import { AddressSchema, EntityRefSchema, entityBase, IdSchema, PaymentTermsSchema } from "./common";

/**
 * A person at a customer account: buyer, accounts payable, receiving.
 *
 * @example
 * ```ts
 * ContactSchema.parse({ name: "Ada Lane", email: "ada@example.com", roles: ["buyer"] });
 * ```
 */
export const ContactSchema = z.object({
  id: z.string().min(1).max(64).optional(),
  name: z.string().min(1).max(200),
  email: z.email().optional(),
  phone: z.string().max(40).optional(),
  roles: z.array(z.enum(["buyer", "accounts_payable", "receiving", "owner", "other"])).default([]),
  primary: z.boolean().default(false),
});

/** A person at a customer account. */
export type Contact = z.infer<typeof ContactSchema>;

/**
 * An address of a customer, with what it is used for.
 *
 * @example
 * ```ts
 * CustomerAddressSchema.parse({
 *   purposes: ["ship_to"], line1: "1 Dock Rd", city: "Dayton", country: "US",
 * });
 * ```
 */
export const CustomerAddressSchema = AddressSchema.extend({
  purposes: z.array(z.enum(["bill_to", "ship_to", "sold_to"])).min(1),
  isDefault: z.boolean().default(false),
});

/** An address of a customer and its purposes. */
export type CustomerAddress = z.infer<typeof CustomerAddressSchema>;

/**
 * A customer account: the hierarchy (a ship-to account under its bill-to parent via
 * `parentRef`), addresses, contacts, tier and segment, credit limit and payment terms.
 *
 * @example
 * ```ts
 * const customer = CustomerSchema.parse({
 *   id: "C-100",
 *   name: "Acme Industrial Supply",
 *   currency: "USD",
 *   tier: "gold",
 *   creditLimit: { amount: "50000", currency: "USD" },
 *   paymentTerms: { code: "NET30", netDays: 30 },
 *   refs: { erp: "C100", crm: "001xx000003DGb2" },
 * });
 * ```
 */
export const CustomerSchema = z
  .object({
    id: IdSchema,
    name: z.string().min(1).max(300),
    legalName: z.string().max(300).optional(),
    status: z.enum(["active", "on_hold", "inactive"]).default("active"),
    /** The parent account (a bill-to or head-office account) in the hierarchy. */
    parentRef: EntityRefSchema.optional(),
    /** Price tier, e.g. `gold`, `distributor`, `list`. */
    tier: z.string().min(1).max(64).optional(),
    /** Market segment, e.g. `oem`, `mro`, `construction`. */
    segment: z.string().min(1).max(64).optional(),
    currency: CurrencyCodeSchema,
    creditLimit: MoneySchema.optional(),
    paymentTerms: PaymentTermsSchema.optional(),
    taxId: z.string().max(64).optional(),
    taxExempt: z.boolean().default(false),
    addresses: z.array(CustomerAddressSchema).default([]),
    contacts: z.array(ContactSchema).default([]),
    ...entityBase(1),
  })
  .superRefine((customer, context) => {
    if (customer.parentRef?.id === customer.id) {
      context.addIssue({
        code: "custom",
        path: ["parentRef", "id"],
        message: "A customer cannot be its own parent",
      });
    }
    if (customer.creditLimit && customer.creditLimit.currency !== customer.currency) {
      context.addIssue({
        code: "custom",
        path: ["creditLimit", "currency"],
        message: `Credit limit is in ${customer.creditLimit.currency} but the account is in ${customer.currency}`,
      });
    }
  });

/** A canonical customer account. */
export type Customer = z.infer<typeof CustomerSchema>;

/**
 * The chain of accounts above a customer, nearest first, following `parentRef`.
 *
 * @param customer - the account to start from
 * @param lookup - finds an account by canonical id (`undefined` when unknown)
 * @returns the ancestors, parent first, up to the root
 * @throws {@link ValidationError} `hierarchy_cycle` when the chain loops back on itself,
 *   `unknown_parent` when a parent id is not found
 * @example
 * ```ts
 * const accounts = new Map(customers.map((c) => [c.id, c]));
 * customerAncestors(shipTo, (id) => accounts.get(id)).map((c) => c.id); // ["C-BILL", "C-HQ"]
 * ```
 */
export function customerAncestors(
  customer: Customer,
  lookup: (id: string) => Customer | undefined,
): Customer[] {
  const ancestors: Customer[] = [];
  const seen = new Set([customer.id]);
  let current = customer;
  while (current.parentRef) {
    const parentId = current.parentRef.id;
    if (seen.has(parentId)) {
      throw new ValidationError(`Account hierarchy of ${customer.id} loops at ${parentId}`, [
        { code: "hierarchy_cycle", path: ["parentRef", "id"], message: `${parentId} is its own ancestor` },
      ]);
    }
    const parent = lookup(parentId);
    if (parent === undefined) {
      throw new ValidationError(`Parent account ${parentId} of ${current.id} is not known`, [
        { code: "unknown_parent", path: ["parentRef", "id"], message: `No account ${parentId}` },
      ]);
    }
    seen.add(parentId);
    ancestors.push(parent);
    current = parent;
  }
  return ancestors;
}
