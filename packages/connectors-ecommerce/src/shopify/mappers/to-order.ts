import {
  type Address,
  addDecimal,
  compareDecimal,
  formatDecimal,
  issuesFromZod,
  type Order,
  OrderSchema,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import { type ShopifyAddress, type ShopifyOrder, ShopifyOrderSchema } from "../shopify-api";

/** Options for {@link shopifyOrderToOrder}. */
export interface ShopifyOrderMappingOptions {
  /** Unit of measure for order lines (Shopify sells in eaches; default `EA`). */
  uom?: string;
  /** Prefix of the canonical order id (default `shopify-`); the Shopify id is kept in `refs.shopify`. */
  idPrefix?: string;
}

/**
 * Maps a Shopify order (REST resource or `orders/*` webhook body, already parsed with
 * exact ids) to a canonical `Order`: ids as strings, money exact as decimal strings,
 * shipping and billing addresses, the customer, and one line per line item with its SKU.
 *
 * @param input - the raw order (validated here)
 * @param options - unit of measure and id prefix
 * @returns the canonical order, validated against `OrderSchema`
 * @throws ValidationError whose issues name the path that failed: Shopify paths
 *   (`line_items[0].sku`) for a bad payload, canonical paths prefixed `order` for a mapped
 *   value the model refuses
 * @example
 * ```ts
 * import { parseShopifyJson, shopifyOrderToOrder } from "@distro/connectors-ecommerce/shopify";
 *
 * const order = shopifyOrderToOrder(parseShopifyJson(webhookBody));
 * order.refs.shopify; // "9007199254740993", exact
 * ```
 */
export function shopifyOrderToOrder(input: unknown, options: ShopifyOrderMappingOptions = {}): Order {
  const parsed = ShopifyOrderSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError("Shopify order payload is invalid", issuesFromZod(parsed.error));
  }
  const order = parsed.data;
  const issues: ValidationIssue[] = [];
  const uom = options.uom ?? "EA";
  const currency = order.currency;

  const lines = order.line_items.flatMap((line, index) => {
    const quantity = line.current_quantity ?? line.quantity;
    if (!line.sku || line.sku.trim() === "") {
      issues.push({
        code: "missing_sku",
        path: ["line_items", index, "sku"],
        message: "Line item has no SKU",
      });
      return [];
    }
    if (quantity === 0) return [];
    const tax = sumAmounts((line.tax_lines ?? []).map((taxLine) => taxLine.price));
    const discount = line.total_discount ?? "0";
    return [
      {
        lineNumber: index + 1,
        sku: line.sku.trim(),
        ...(line.title ? { description: line.title } : {}),
        quantity: String(quantity),
        uom,
        unitPrice: { amount: line.price, currency },
        ...(compareDecimal(discount, "0") !== 0 ? { discount: { amount: discount, currency } } : {}),
        ...((line.tax_lines ?? []).length > 0 ? { tax: { amount: tax, currency } } : {}),
        refs: {
          shopify: line.id,
          ...(line.variant_id ? { "shopify-variant": line.variant_id } : {}),
        },
      },
    ];
  });

  if (lines.length === 0 && !issues.some((issue) => issue.path[0] === "line_items")) {
    issues.push({
      code: "no_lines",
      path: ["line_items"],
      message: "Order has no line items with a quantity to book",
    });
  }
  if (!order.shipping_address) {
    issues.push({
      code: "missing_address",
      path: ["shipping_address"],
      message: "Order has no shipping address",
    });
  }
  const customer = customerRef(order, issues);
  if (issues.length > 0) throw new ValidationError(`Shopify order ${order.id} cannot be mapped`, issues);

  const shipping = sumAmounts((order.shipping_lines ?? []).map((line) => line.price));
  const candidate = {
    id: `${options.idPrefix ?? "shopify-"}${order.id}`,
    ...(order.name ? { number: order.name } : {}),
    ...(order.po_number ? { poNumber: order.po_number } : {}),
    customer,
    channel: "shopify",
    status: order.cancelled_at ? "cancelled" : "submitted",
    currency,
    lines,
    shipTo: order.shipping_address ? toAddress(order.shipping_address) : undefined,
    ...(order.billing_address?.address1 ? { billTo: toAddress(order.billing_address) } : {}),
    orderedAt: order.created_at,
    ...((order.shipping_lines ?? []).length > 0 ? { shippingCharge: { amount: shipping, currency } } : {}),
    ...(order.total_tax ? { taxTotal: { amount: order.total_tax, currency } } : {}),
    ...(order.note ? { notes: order.note } : {}),
    ...(order.updated_at ? { updatedAt: order.updated_at } : {}),
    refs: { shopify: order.id },
    ext: {
      "shopify.total_price": order.total_price,
      ...(order.admin_graphql_api_id ? { "shopify.admin_graphql_api_id": order.admin_graphql_api_id } : {}),
      ...(order.financial_status ? { "shopify.financial_status": order.financial_status } : {}),
      ...(order.tags
        ? {
            "shopify.tags": order.tags
              .split(",")
              .map((tag) => tag.trim())
              .filter(Boolean),
          }
        : {}),
    },
  };
  const result = OrderSchema.safeParse(candidate);
  if (!result.success) {
    throw new ValidationError(
      `Shopify order ${order.id} maps to an invalid canonical order`,
      issuesFromZod(result.error, ["order"]),
    );
  }
  return result.data;
}

/** Adds decimal amounts, keeping the largest scale given (`"0.00"` stays `"0.00"`). */
function sumAmounts(amounts: string[]): string {
  if (amounts.length === 1) return amounts[0]!;
  const scale = Math.max(0, ...amounts.map((amount) => amount.split(".")[1]?.length ?? 0));
  return formatDecimal(
    amounts.reduce((sum, amount) => addDecimal(sum, amount), "0"),
    scale,
  );
}

function customerRef(order: ShopifyOrder, issues: ValidationIssue[]): Order["customer"] {
  if (order.customer) {
    return { id: `shopify-customer-${order.customer.id}`, refs: { shopify: order.customer.id } };
  }
  if (order.email) return { id: `email:${order.email.toLowerCase()}` };
  issues.push({
    code: "missing_customer",
    path: ["customer"],
    message: "Order has neither a customer nor an email",
  });
  return { id: "unknown" };
}

function toAddress(address: ShopifyAddress): Address {
  const name =
    address.name ?? ([address.first_name, address.last_name].filter(Boolean).join(" ") || undefined);
  return {
    ...(name ? { name } : {}),
    ...(address.company ? { company: address.company } : {}),
    line1: address.address1 ?? "",
    ...(address.address2 ? { line2: address.address2 } : {}),
    city: address.city ?? "",
    ...(address.province_code
      ? { region: address.province_code }
      : address.province
        ? { region: address.province }
        : {}),
    ...(address.zip ? { postalCode: address.zip } : {}),
    country: (address.country_code ?? "").toUpperCase(),
  } as Address;
}
