import { z } from "zod";
import { IdSchema, IsoDateTimeSchema } from "../model/common";
import { CustomerSchema } from "../model/customer";
import { InventoryLevelSchema } from "../model/inventory";
import { InvoiceSchema } from "../model/invoice";
import { ItemSchema } from "../model/item";
import { type Order, OrderSchema } from "../model/order";
import { OrderStatusSchema } from "../model/order-status";
import { PriceSchema } from "../model/price";
import { CreditMemoSchema, ReturnSchema } from "../model/returns";
import { ShipmentSchema } from "../model/shipment";
import { DecimalSchema } from "../money/money";
import { type Contract, defineContract } from "./contract";
import { ContractRegistry, type ContractRegistrySettings } from "./registry";

/**
 * `order.submitted` v1: a channel submitted an order; `source` names the channel.
 *
 * @example
 * ```ts
 * OrderSubmittedV1Contract.parse({ order, source: "shopify", submittedAt: "2026-03-01T10:00:00Z" });
 * ```
 */
export const OrderSubmittedV1Contract = defineContract({
  type: "order.submitted",
  version: 1,
  description: "A sales channel submitted an order; the ERP has not booked it yet.",
  schema: z.object({
    order: OrderSchema,
    /** The channel, free text (`shopify`, `edi`, `b2b-portal`). */
    source: z.string().min(1).max(64),
    submittedAt: IsoDateTimeSchema,
  }),
});

/** The payload of `order.submitted` v1. */
export type OrderSubmittedV1 = {
  /** The submitted order. */
  order: Order;
  /** The channel, free text. */
  source: string;
  /** When it was submitted. */
  submittedAt: string;
};

/**
 * How a channel is classified in `order.submitted` v2.
 *
 * @example
 * ```ts
 * ChannelKindSchema.parse("edi");
 * ```
 */
export const ChannelKindSchema = z.enum(["web", "edi", "api", "marketplace", "sales_rep", "unknown"]);

function channelKind(source: string): z.output<typeof ChannelKindSchema> {
  const name = source.toLowerCase();
  if (/(^|[^a-z])(edi|x12|edifact|850|orders)([^a-z]|$)/.test(name)) return "edi";
  if (/amazon|ebay|marketplace|walmart/.test(name)) return "marketplace";
  if (/shop|portal|web|store|magento|bigcommerce/.test(name)) return "web";
  if (/rep|phone|sales/.test(name)) return "sales_rep";
  if (/api/.test(name)) return "api";
  return "unknown";
}

/**
 * `order.submitted` v2: the channel is structured (`channel.kind`, `channel.name`) and
 * the producer may pass the idempotency key it used. Backward compatible with v1
 * (`channel` has a default); the upcast turns v1's free-text `source` into `channel`.
 *
 * @example
 * ```ts
 * OrderSubmittedV2Contract.parse({
 *   order, channel: { kind: "web", name: "shopify" }, idempotencyKey: "shopify:1001",
 *   submittedAt: "2026-03-01T10:00:00Z",
 * });
 * ```
 */
export const OrderSubmittedV2Contract = defineContract({
  type: "order.submitted",
  version: 2,
  description:
    "A sales channel submitted an order; the ERP has not booked it yet. v2 classifies the channel and carries the idempotency key.",
  schema: z.object({
    order: OrderSchema,
    channel: z
      .object({ kind: ChannelKindSchema, name: z.string().min(1).max(64) })
      .default({ kind: "unknown", name: "unknown" }),
    /** The key the producer deduplicated the submission with. */
    idempotencyKey: z.string().min(1).max(256).optional(),
    submittedAt: IsoDateTimeSchema,
  }),
  upcast: (previous: OrderSubmittedV1) => ({
    order: previous.order,
    channel: { kind: channelKind(previous.source), name: previous.source },
    submittedAt: previous.submittedAt,
  }),
});

/** The payload of `order.submitted` v2. */
export type OrderSubmittedV2 = {
  /** The submitted order. */
  order: Order;
  /** The channel it came through. */
  channel: { kind: z.output<typeof ChannelKindSchema>; name: string };
  /** The key the producer deduplicated the submission with. */
  idempotencyKey?: string | undefined;
  /** When it was submitted. */
  submittedAt: string;
};

/**
 * `order.booked` v1: the ERP booked an order (number, allocation); with a shortage,
 * `backorder` is the split-off order linked by `parentOrderId`.
 *
 * @example
 * ```ts
 * OrderBookedV1Contract.parse({ order: booked, backorder, bookedAt: "2026-03-01T10:05:00Z" });
 * ```
 */
export const OrderBookedV1Contract = defineContract({
  type: "order.booked",
  version: 1,
  description: "The ERP booked an order; a shortage split the rest into a backorder.",
  schema: z.object({ order: OrderSchema, backorder: OrderSchema.optional(), bookedAt: IsoDateTimeSchema }),
});

/**
 * `order.status-changed` v1: an order moved in its lifecycle.
 *
 * @example
 * ```ts
 * OrderStatusChangedV1Contract.parse({ orderId: "SO-1", from: "booked", to: "cancelled", changedAt: "2026-03-01T11:00:00Z" });
 * ```
 */
export const OrderStatusChangedV1Contract = defineContract({
  type: "order.status-changed",
  version: 1,
  description: "An order moved from one lifecycle status to another.",
  schema: z.object({
    orderId: IdSchema,
    from: OrderStatusSchema,
    to: OrderStatusSchema,
    reason: z.string().max(500).optional(),
    changedAt: IsoDateTimeSchema,
  }),
});

/**
 * `shipment.shipped` v1: goods left the warehouse.
 *
 * @example
 * ```ts
 * ShipmentShippedV1Contract.parse({ shipment });
 * ```
 */
export const ShipmentShippedV1Contract = defineContract({
  type: "shipment.shipped",
  version: 1,
  description: "A shipment left the warehouse, with its packages, carrier and tracking.",
  schema: z.object({ shipment: ShipmentSchema }),
});

/**
 * `invoice.posted` v1: the ERP posted an invoice.
 *
 * @example
 * ```ts
 * InvoicePostedV1Contract.parse({ invoice });
 * ```
 */
export const InvoicePostedV1Contract = defineContract({
  type: "invoice.posted",
  version: 1,
  description: "The ERP posted an invoice.",
  schema: z.object({ invoice: InvoiceSchema }),
});

/**
 * `inventory.changed` v1: the stock of a SKU at a location changed; `delta` is the
 * change of `onHand` when the source knows it.
 *
 * @example
 * ```ts
 * InventoryChangedV1Contract.parse({ level, delta: "-20", reason: "shipment" });
 * ```
 */
export const InventoryChangedV1Contract = defineContract({
  type: "inventory.changed",
  version: 1,
  description: "The stock of one SKU at one location changed.",
  schema: z.object({
    level: InventoryLevelSchema,
    delta: DecimalSchema.optional(),
    reason: z
      .enum(["receipt", "shipment", "adjustment", "count", "allocation", "transfer", "other"])
      .optional(),
  }),
});

/**
 * `price.changed` v1: a price was created or changed.
 *
 * @example
 * ```ts
 * PriceChangedV1Contract.parse({ price, previous });
 * ```
 */
export const PriceChangedV1Contract = defineContract({
  type: "price.changed",
  version: 1,
  description: "A list, tier or customer price was created or changed.",
  schema: z.object({ price: PriceSchema, previous: PriceSchema.optional() }),
});

/**
 * `customer.changed` v1: an account was created or changed.
 *
 * @example
 * ```ts
 * CustomerChangedV1Contract.parse({ customer });
 * ```
 */
export const CustomerChangedV1Contract = defineContract({
  type: "customer.changed",
  version: 1,
  description: "A customer account was created or changed.",
  schema: z.object({ customer: CustomerSchema }),
});

/**
 * `item.changed` v1: an item was created or changed.
 *
 * @example
 * ```ts
 * ItemChangedV1Contract.parse({ item });
 * ```
 */
export const ItemChangedV1Contract = defineContract({
  type: "item.changed",
  version: 1,
  description: "An item was created or changed.",
  schema: z.object({ item: ItemSchema }),
});

/**
 * `return.authorized` v1: an RMA was authorised.
 *
 * @example
 * ```ts
 * ReturnAuthorizedV1Contract.parse({ return: rma });
 * ```
 */
export const ReturnAuthorizedV1Contract = defineContract({
  type: "return.authorized",
  version: 1,
  description: "A return (RMA) was authorised.",
  schema: z.object({ return: ReturnSchema }),
});

/**
 * `credit-memo.issued` v1: a credit memo was issued (for a return or an adjustment).
 *
 * @example
 * ```ts
 * CreditMemoIssuedV1Contract.parse({ creditMemo });
 * ```
 */
export const CreditMemoIssuedV1Contract = defineContract({
  type: "credit-memo.issued",
  version: 1,
  description: "A credit memo was issued.",
  schema: z.object({ creditMemo: CreditMemoSchema }),
});

/**
 * Every canonical contract version, oldest first within each type.
 *
 * @example
 * ```ts
 * CANONICAL_CONTRACTS.map((contract) => contract.name); // ["order.submitted.v1", "order.submitted.v2", ...]
 * ```
 */
export const CANONICAL_CONTRACTS: readonly Contract[] = Object.freeze([
  OrderSubmittedV1Contract,
  OrderSubmittedV2Contract,
  OrderBookedV1Contract,
  OrderStatusChangedV1Contract,
  ShipmentShippedV1Contract,
  InvoicePostedV1Contract,
  InventoryChangedV1Contract,
  PriceChangedV1Contract,
  CustomerChangedV1Contract,
  ItemChangedV1Contract,
  ReturnAuthorizedV1Contract,
  CreditMemoIssuedV1Contract,
] as Contract[]);

/**
 * A new registry holding every canonical contract (mode `BACKWARD` unless set). Add
 * your own contracts and versions to it.
 *
 * @param settings - the default compatibility mode
 * @returns the registry
 * @throws {@link IncompatibleContractError} if the canonical versions break the mode asked for
 * @example
 * ```ts
 * const registry = createCanonicalRegistry();
 * const { data } = registry.upcast("order.submitted", 1, v1Payload); // now v2
 * ```
 */
export function createCanonicalRegistry(settings: ContractRegistrySettings = {}): ContractRegistry {
  const registry = new ContractRegistry(settings);
  for (const contract of CANONICAL_CONTRACTS) registry.register(contract);
  return registry;
}
