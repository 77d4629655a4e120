import { isDecimalString, normalizeDecimal, ValidationError } from "@distro/core";
import { z } from "zod";

/**
 * An Edm.Decimal as Business Central sends it: a JSON number, or a string under
 * `IEEE754Compatible=true`. Read into an exact decimal string (a number is read through its
 * shortest round-trip text, never through arithmetic).
 */
const EdmDecimal = z.union([z.string(), z.number()]).transform((value, context) => {
  const text = typeof value === "number" ? numberToDecimal(value) : value.trim();
  if (text === undefined || !isDecimalString(text)) {
    context.addIssue({ code: "custom", message: `Expected a decimal, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return normalizeDecimal(text);
});

function numberToDecimal(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = String(value);
  const exponent = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exponent) return text;
  const [, sign = "", head = "", tail = "", power = "0"] = exponent;
  const digits = head + tail;
  const shift = Number(power);
  if (shift < 0) return `${sign}0.${"0".repeat(-shift - 1)}${digits}`;
  return `${sign}${digits.padEnd(shift + 1, "0")}`;
}

const Base = {
  id: z.string(),
  "@odata.etag": z.string().optional(),
  lastModifiedDateTime: z.string().optional(),
};

/**
 * A Business Central `items` record (API v2.0).
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralItemSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralItemSchema = z.object({
  ...Base,
  number: z.string().min(1),
  displayName: z.string(),
  type: z.string().optional(),
  blocked: z.boolean().optional(),
  baseUnitOfMeasureCode: z.string().optional(),
  unitPrice: EdmDecimal.optional(),
  inventory: EdmDecimal.optional(),
  itemCategoryCode: z.string().optional(),
});
/** A Business Central item. */
export type BusinessCentralItem = z.infer<typeof BusinessCentralItemSchema>;

/**
 * A price row (`salesPrices`): list (`All Customers`), price group, or customer contract, with a minimum quantity.
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralSalesPriceSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralSalesPriceSchema = z.object({
  ...Base,
  itemNumber: z.string().min(1),
  salesType: z.enum(["All Customers", "Customer Price Group", "Customer", "Campaign"]),
  salesCode: z.string(),
  minimumQuantity: EdmDecimal,
  unitPrice: EdmDecimal,
  currencyCode: z.string(),
  unitOfMeasureCode: z.string().optional(),
  startingDate: z.string().nullable().optional(),
  endingDate: z.string().nullable().optional(),
});
/** A Business Central price row. */
export type BusinessCentralSalesPrice = z.infer<typeof BusinessCentralSalesPriceSchema>;

/**
 * A `customers` record with its credit facts.
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralCustomerSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralCustomerSchema = z.object({
  ...Base,
  number: z.string().min(1),
  displayName: z.string(),
  email: z.string().optional(),
  addressLine1: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  country: z.string().optional(),
  postalCode: z.string().optional(),
  paymentTermsCode: z.string().optional(),
  currencyCode: z.string().optional(),
  blocked: z.string().optional(),
  customerPriceGroup: z.string().optional(),
  creditLimit: EdmDecimal.optional(),
  balanceDue: EdmDecimal.optional(),
  outstandingOrdersAmount: EdmDecimal.optional(),
});
/** A Business Central customer. */
export type BusinessCentralCustomer = z.infer<typeof BusinessCentralCustomerSchema>;

/**
 * Stock of an item at a location (`itemAvailabilities`).
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralAvailabilitySchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralAvailabilitySchema = z.object({
  ...Base,
  itemNumber: z.string().min(1),
  locationCode: z.string().min(1),
  inventory: EdmDecimal,
  reservedQuantity: EdmDecimal,
  availableQuantity: EdmDecimal,
});
/** A Business Central stock row. */
export type BusinessCentralAvailability = z.infer<typeof BusinessCentralAvailabilitySchema>;

/**
 * A `salesOrderLines` record.
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralSalesOrderLineSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralSalesOrderLineSchema = z.object({
  ...Base,
  documentId: z.string().optional(),
  sequence: z.number(),
  lineType: z.string().optional(),
  lineObjectNumber: z.string(),
  description: z.string().optional(),
  quantity: EdmDecimal,
  unitPrice: EdmDecimal,
  locationCode: z.string().optional(),
  reservedQuantity: EdmDecimal.optional(),
  backorderQuantity: EdmDecimal.optional(),
  shippedQuantity: EdmDecimal.optional(),
  invoicedQuantity: EdmDecimal.optional(),
  amountExcludingTax: EdmDecimal.optional(),
});
/** A Business Central sales order line. */
export type BusinessCentralSalesOrderLine = z.infer<typeof BusinessCentralSalesOrderLineSchema>;

/**
 * A `salesOrders` record, with `salesOrderLines` when expanded.
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralSalesOrderSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralSalesOrderSchema = z.object({
  ...Base,
  number: z.string().min(1),
  externalDocumentNumber: z.string().optional(),
  orderDate: z.string().optional(),
  customerNumber: z.string(),
  currencyCode: z.string().optional(),
  status: z.string(),
  fullyShipped: z.boolean().optional(),
  totalAmountExcludingTax: EdmDecimal.optional(),
  salesOrderLines: z.array(BusinessCentralSalesOrderLineSchema).optional(),
});
/** A Business Central sales order. */
export type BusinessCentralSalesOrder = z.infer<typeof BusinessCentralSalesOrderSchema>;

const DocumentLine = z.object({
  id: z.string(),
  sequence: z.number(),
  lineObjectNumber: z.string(),
  quantity: EdmDecimal,
  unitPrice: EdmDecimal.optional(),
  amountExcludingTax: EdmDecimal.optional(),
  locationCode: z.string().optional(),
  "@odata.etag": z.string().optional(),
});

/**
 * A posted `salesInvoices` record with `salesInvoiceLines` expanded.
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralSalesInvoiceSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralSalesInvoiceSchema = z.object({
  ...Base,
  number: z.string().min(1),
  orderNumber: z.string().optional(),
  customerNumber: z.string(),
  invoiceDate: z.string(),
  dueDate: z.string(),
  currencyCode: z.string().optional(),
  status: z.string(),
  totalAmountExcludingTax: EdmDecimal.optional(),
  externalDocumentNumber: z.string().optional(),
  billToName: z.string().optional(),
  billToAddressLine1: z.string().optional(),
  billToCity: z.string().optional(),
  billToState: z.string().optional(),
  billToCountry: z.string().optional(),
  billToPostCode: z.string().optional(),
  paymentTermsCode: z.string().optional(),
  salesInvoiceLines: z.array(DocumentLine).optional(),
});
/** A Business Central posted invoice. */
export type BusinessCentralSalesInvoice = z.infer<typeof BusinessCentralSalesInvoiceSchema>;

/**
 * A posted `salesShipments` record with `salesShipmentLines` expanded.
 *
 * @example
 * ```ts
 * const parsed = BusinessCentralSalesShipmentSchema.safeParse(payload);
 * if (!parsed.success) console.log(parsed.error.issues);
 * ```
 */
export const BusinessCentralSalesShipmentSchema = z.object({
  ...Base,
  number: z.string().min(1),
  orderNumber: z.string().optional(),
  customerNumber: z.string(),
  shipmentDate: z.string(),
  externalDocumentNumber: z.string().optional(),
  shipToName: z.string().optional(),
  shipToAddressLine1: z.string().optional(),
  shipToCity: z.string().optional(),
  shipToState: z.string().optional(),
  shipToCountry: z.string().optional(),
  shipToPostCode: z.string().optional(),
  shippingAgentCode: z.string().optional(),
  salesShipmentLines: z.array(DocumentLine).optional(),
});
/** A Business Central posted shipment. */
export type BusinessCentralSalesShipment = z.infer<typeof BusinessCentralSalesShipmentSchema>;

/**
 * Validates a raw record against its wire schema; a mismatch becomes a `ValidationError`
 * whose issues name the entity set, the record and the field.
 *
 * @param schema - the wire schema
 * @param value - the raw record
 * @param where - the entity set and position, e.g. `["items", 3]`
 * @returns the parsed record
 * @throws ValidationError naming each bad field
 * @example
 * ```ts
 * const item = parseBusinessCentral(BusinessCentralItemSchema, raw, ["items", 0]);
 * ```
 */
export function parseBusinessCentral<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: (string | number)[],
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    `Business Central sent a ${where[0]} record that does not match its schema`,
    result.error.issues.map((issue) => ({
      code: issue.code,
      path: [...where, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))],
      message: issue.message,
    })),
  );
}
