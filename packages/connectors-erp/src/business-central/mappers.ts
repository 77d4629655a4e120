import {
  addDecimal,
  compareDecimal,
  type InventoryLevel,
  type Invoice,
  type Item,
  type OrderLineStatus,
  type OrderStatus,
  type Price,
  parseInvoice,
  parseShipment,
  type Shipment,
} from "@distro/core";
import type { ErpLineAllocation } from "../shared/erp-types";
import type {
  BusinessCentralAvailability,
  BusinessCentralItem,
  BusinessCentralSalesInvoice,
  BusinessCentralSalesOrder,
  BusinessCentralSalesOrderLine,
  BusinessCentralSalesPrice,
  BusinessCentralSalesShipment,
} from "./business-central-api";

export function toItem(raw: BusinessCentralItem, currency: string): Item {
  return {
    id: raw.number,
    sku: raw.number,
    name: raw.displayName || raw.number,
    status: raw.blocked ? "blocked" : "active",
    baseUom: raw.baseUnitOfMeasureCode || "EA",
    uoms: [],
    categories: raw.itemCategoryCode ? [raw.itemCategoryCode] : [],
    ...(raw.unitPrice === undefined ? {} : { listPrice: { amount: raw.unitPrice, currency } }),
    schemaVersion: 1,
    refs: { erp: raw.number, "erp-id": raw.id },
    ext: {},
  };
}

function priceKey(row: BusinessCentralSalesPrice): string {
  return [
    row.itemNumber,
    row.salesType,
    row.salesCode,
    row.currencyCode,
    row.unitOfMeasureCode ?? "",
    row.startingDate ?? "",
    row.endingDate ?? "",
  ].join("|");
}

/**
 * Groups Business Central price rows (one row per minimum quantity) into canonical prices
 * with ascending quantity breaks: `All Customers` → list price, `Customer Price Group` →
 * tier price, `Customer` → customer-specific price.
 */
export function toPrices(rows: readonly BusinessCentralSalesPrice[]): Price[] {
  const groups = new Map<string, BusinessCentralSalesPrice[]>();
  for (const row of rows) {
    if (row.salesType === "Campaign") continue;
    const key = priceKey(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  const prices: Price[] = [];
  for (const [key, group] of groups) {
    const sorted = [...group].sort((a, b) => compareDecimal(a.minimumQuantity, b.minimumQuantity));
    const first = sorted[0] as BusinessCentralSalesPrice;
    const breaks: Price["breaks"] = [];
    for (const row of sorted) {
      const last = breaks[breaks.length - 1];
      if (last && compareDecimal(last.minQuantity, row.minimumQuantity) === 0) continue;
      breaks.push({
        minQuantity: row.minimumQuantity,
        unitPrice: { amount: row.unitPrice, currency: row.currencyCode },
      });
    }
    prices.push({
      id: key,
      sku: first.itemNumber,
      uom: first.unitOfMeasureCode || "EA",
      currency: first.currencyCode,
      ...(first.salesType === "Customer" ? { customerId: first.salesCode } : {}),
      ...(first.salesType === "Customer Price Group" ? { tier: first.salesCode } : {}),
      breaks,
      per: "1",
      ...(first.startingDate ? { validFrom: first.startingDate.slice(0, 10) } : {}),
      ...(first.endingDate ? { validTo: first.endingDate.slice(0, 10) } : {}),
      schemaVersion: 1,
      refs: { erp: key },
      ext: {},
    });
  }
  return prices;
}

export function toInventoryLevel(
  raw: BusinessCentralAvailability,
  uom: string,
  asOf: string,
): InventoryLevel {
  return {
    sku: raw.itemNumber,
    locationId: raw.locationCode,
    uom,
    onHand: raw.inventory,
    allocated: raw.reservedQuantity,
    available: raw.availableQuantity,
    incoming: "0",
    asOf: raw.lastModifiedDateTime ?? asOf,
    schemaVersion: 1,
    refs: { erp: `${raw.itemNumber}@${raw.locationCode}` },
    ext: {},
  };
}

export function toLineAllocation(line: BusinessCentralSalesOrderLine, lineNumber: number): ErpLineAllocation {
  const allocated = addDecimal(line.reservedQuantity ?? "0", "0");
  const backordered = line.backorderQuantity ?? "0";
  const shipped = line.shippedQuantity ?? "0";
  let status: OrderLineStatus = "open";
  if (compareDecimal(shipped, line.quantity) >= 0) status = "shipped";
  else if (compareDecimal(backordered, "0") > 0) status = "backordered";
  else if (compareDecimal(allocated, "0") > 0) status = "allocated";
  return {
    lineNumber,
    sku: line.lineObjectNumber,
    quantity: line.quantity,
    allocatedQuantity: allocated,
    backorderedQuantity: backordered,
    shippedQuantity: shipped,
    locationId: line.locationCode || undefined,
    status,
  };
}

export function toOrderStatus(
  order: BusinessCentralSalesOrder,
  lines: readonly ErpLineAllocation[],
): OrderStatus {
  if (order.status === "Draft") return "draft";
  if (order.fullyShipped) return "shipped";
  if (lines.some((line) => compareDecimal(line.shippedQuantity, "0") > 0)) return "partially_shipped";
  return "booked";
}

export function toInvoice(raw: BusinessCentralSalesInvoice, defaultCurrency: string): Invoice {
  const currency = raw.currencyCode || defaultCurrency;
  const netDays = Number(/(\d+)/.exec(raw.paymentTermsCode ?? "")?.[1] ?? "30");
  return parseInvoice({
    id: raw.number,
    number: raw.number,
    status: raw.status === "Paid" ? "paid" : raw.status === "Draft" ? "draft" : "posted",
    customer: { id: raw.customerNumber, refs: { erp: raw.customerNumber } },
    ...(raw.orderNumber ? { orderId: raw.orderNumber } : {}),
    currency,
    issueDate: raw.invoiceDate.slice(0, 10),
    dueDate: raw.dueDate.slice(0, 10),
    paymentTerms: { code: raw.paymentTermsCode || `NET${netDays}`, netDays },
    billTo: {
      ...(raw.billToName ? { company: raw.billToName } : {}),
      line1: raw.billToAddressLine1 || "(none)",
      city: raw.billToCity || "(none)",
      ...(raw.billToState ? { region: raw.billToState } : {}),
      ...(raw.billToPostCode ? { postalCode: raw.billToPostCode } : {}),
      country: raw.billToCountry || "US",
    },
    lines: (raw.salesInvoiceLines ?? []).map((line, index) => ({
      lineNumber: index + 1,
      sku: line.lineObjectNumber,
      description: line.lineObjectNumber,
      quantity: line.quantity,
      uom: "EA",
      unitPrice: { amount: line.unitPrice ?? "0", currency },
    })),
    ...(raw.totalAmountExcludingTax === undefined
      ? {}
      : {
          statedTotals: {
            subtotal: { amount: raw.totalAmountExcludingTax, currency },
            tax: { amount: "0", currency },
            total: { amount: raw.totalAmountExcludingTax, currency },
          },
        }),
    refs: {
      erp: raw.number,
      "erp-id": raw.id,
      ...(raw.externalDocumentNumber ? { "erp-external-document": raw.externalDocumentNumber } : {}),
    },
  });
}

export function toShipment(raw: BusinessCentralSalesShipment): Shipment {
  return parseShipment({
    id: raw.number,
    orderId: raw.orderNumber ?? raw.externalDocumentNumber ?? raw.number,
    status: "shipped",
    carrier: { code: raw.shippingAgentCode || "UNKNOWN" },
    shipTo: {
      ...(raw.shipToName ? { company: raw.shipToName } : {}),
      line1: raw.shipToAddressLine1 || "(none)",
      city: raw.shipToCity || "(none)",
      ...(raw.shipToState ? { region: raw.shipToState } : {}),
      ...(raw.shipToPostCode ? { postalCode: raw.shipToPostCode } : {}),
      country: raw.shipToCountry || "US",
    },
    shippedAt: `${raw.shipmentDate.slice(0, 10)}T00:00:00Z`,
    lines: (raw.salesShipmentLines ?? []).map((line, index) => ({
      orderLineNumber: index + 1,
      sku: line.lineObjectNumber,
      quantity: line.quantity,
      uom: "EA",
    })),
    ...(raw.shipToName ? {} : {}),
    refs: { erp: raw.number, "erp-id": raw.id },
  });
}
