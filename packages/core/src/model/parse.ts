import type { z } from "zod";
import { isDistroError } from "../errors/distro-error";
import { issuesFromZod } from "../errors/from-zod";
import { formatIssues, ValidationError } from "../errors/validation-error";
import { type Customer, CustomerSchema } from "./customer";
import { type InventoryLevel, InventoryLevelSchema } from "./inventory";
import { type Invoice, InvoiceSchema } from "./invoice";
import { type Item, ItemSchema } from "./item";
import { type Order, OrderSchema } from "./order";
import { type Price, PriceSchema } from "./price";
import { type CreditMemo, CreditMemoSchema, type Return, ReturnSchema } from "./returns";
import { type Shipment, ShipmentSchema } from "./shipment";

/**
 * Validates any input against a schema in one pass and returns the parsed value, or
 * throws a {@link ValidationError} whose issues carry the path of each problem. Never
 * throws a raw `ZodError` or `TypeError`.
 *
 * @param schema - a zod schema (a canonical entity schema or your own)
 * @param input - anything (parsed JSON, a mapped vendor payload)
 * @param name - what the input is, for the error message (`"Order"`)
 * @returns the parsed value, with defaults applied
 * @throws {@link ValidationError} `VALIDATION_FAILED` with one issue per problem
 * @example
 * ```ts
 * const item = parseEntity(ItemSchema, JSON.parse(body), "Item");
 * ```
 */
export function parseEntity<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  name = "Input",
): z.output<Schema> {
  let result: z.ZodSafeParseResult<z.output<Schema>>;
  try {
    result = schema.safeParse(input) as z.ZodSafeParseResult<z.output<Schema>>;
  } catch (error) {
    if (isDistroError(error)) throw error;
    throw new ValidationError(
      `${name} could not be validated`,
      [{ code: "unparseable", path: [], message: error instanceof Error ? error.message : String(error) }],
      { cause: error },
    );
  }
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error);
  const shown =
    issues.length > 3
      ? `${formatIssues(issues.slice(0, 3))}\n(+${issues.length - 3} more)`
      : formatIssues(issues);
  throw new ValidationError(`${name} is invalid:\n${shown}`, issues, { cause: result.error });
}

/**
 * Parses a canonical {@link Customer}.
 *
 * @param input - anything
 * @returns the customer
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const customer = parseCustomer({ id: "C-100", name: "Acme", currency: "USD" });
 * ```
 */
export function parseCustomer(input: unknown): Customer {
  return parseEntity(CustomerSchema, input, "Customer");
}

/**
 * Parses a canonical {@link Item}.
 *
 * @param input - anything
 * @returns the item
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const item = parseItem({ id: "I-1", sku: "BOLT", name: "Bolt", baseUom: "EA" });
 * ```
 */
export function parseItem(input: unknown): Item {
  return parseEntity(ItemSchema, input, "Item");
}

/**
 * Parses a canonical {@link Price}.
 *
 * @param input - anything
 * @returns the price
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const price = parsePrice({ id: "P-1", sku: "BOLT", uom: "EA", currency: "USD",
 *   breaks: [{ minQuantity: "1", unitPrice: { amount: "0.0125", currency: "USD" } }] });
 * ```
 */
export function parsePrice(input: unknown): Price {
  return parseEntity(PriceSchema, input, "Price");
}

/**
 * Parses a canonical {@link InventoryLevel}.
 *
 * @param input - anything
 * @returns the inventory level
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const level = parseInventoryLevel({ sku: "BOLT", locationId: "DAY-1", uom: "EA", onHand: "10",
 *   allocated: "2", available: "8", asOf: "2026-03-01T08:00:00Z" });
 * ```
 */
export function parseInventoryLevel(input: unknown): InventoryLevel {
  return parseEntity(InventoryLevelSchema, input, "InventoryLevel");
}

/**
 * Parses a canonical {@link Order} in one validation pass.
 *
 * @param input - anything
 * @returns the order
 * @throws {@link ValidationError} with the path of every problem (`lines[3].quantity`)
 * @example
 * ```ts
 * const order = parseOrder(JSON.parse(body));
 * ```
 */
export function parseOrder(input: unknown): Order {
  return parseEntity(OrderSchema, input, "Order");
}

/**
 * Parses a canonical {@link Shipment}.
 *
 * @param input - anything
 * @returns the shipment
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const shipment = parseShipment(JSON.parse(body));
 * ```
 */
export function parseShipment(input: unknown): Shipment {
  return parseEntity(ShipmentSchema, input, "Shipment");
}

/**
 * Parses a canonical {@link Invoice}.
 *
 * @param input - anything
 * @returns the invoice
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const invoice = parseInvoice(JSON.parse(body));
 * ```
 */
export function parseInvoice(input: unknown): Invoice {
  return parseEntity(InvoiceSchema, input, "Invoice");
}

/**
 * Parses a canonical {@link Return} (RMA).
 *
 * @param input - anything
 * @returns the return
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const rma = parseReturn(JSON.parse(body));
 * ```
 */
export function parseReturn(input: unknown): Return {
  return parseEntity(ReturnSchema, input, "Return");
}

/**
 * Parses a canonical {@link CreditMemo}.
 *
 * @param input - anything
 * @returns the credit memo
 * @throws {@link ValidationError} with the path of every problem
 * @example
 * ```ts
 * const memo = parseCreditMemo(JSON.parse(body));
 * ```
 */
export function parseCreditMemo(input: unknown): CreditMemo {
  return parseEntity(CreditMemoSchema, input, "CreditMemo");
}

/**
 * Every canonical entity schema by entity name, for tooling (JSON Schema export,
 * generic validation).
 *
 * @example
 * ```ts
 * for (const [name, schema] of Object.entries(ENTITY_SCHEMAS)) console.log(name, toJsonSchema(schema));
 * ```
 */
export const ENTITY_SCHEMAS = {
  Customer: CustomerSchema,
  Item: ItemSchema,
  Price: PriceSchema,
  InventoryLevel: InventoryLevelSchema,
  Order: OrderSchema,
  Shipment: ShipmentSchema,
  Invoice: InvoiceSchema,
  Return: ReturnSchema,
  CreditMemo: CreditMemoSchema,
} as const;
