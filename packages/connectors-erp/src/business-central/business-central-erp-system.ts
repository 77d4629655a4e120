import {
  type BookingResult,
  type ChangePage,
  type Customer,
  type ErpChangeEntity,
  type ErpChangeRecord,
  type ErpSystemV1,
  type Invoice,
  isDistroError,
  type Shipment,
  subtractDecimal,
} from "@distro/core";
import { odataLiteral } from "../odata/odata-client";
import {
  type BusinessCentral,
  type BusinessCentralSettings,
  createBusinessCentral,
} from "./business-central";
import {
  BusinessCentralAvailabilitySchema,
  BusinessCentralCustomerSchema,
  BusinessCentralItemSchema,
  BusinessCentralSalesInvoiceSchema,
  BusinessCentralSalesPriceSchema,
  BusinessCentralSalesShipmentSchema,
  parseBusinessCentral,
} from "./business-central-api";
import { toInventoryLevel, toInvoice, toItem, toPrices, toShipment } from "./mappers";

const CHANGE_SETS: Record<ErpChangeEntity, string> = {
  item: "items",
  price: "salesPrices",
  customer: "customers",
  inventory: "itemAvailabilities",
};

/** Business Central refusals that put an order on hold rather than reject it. */
const ON_HOLD_CODES = new Set(["Application_CreditLimitExceeded"]);

/**
 * The Business Central adapter behind core's versioned `ErpSystem` port (v1): prices,
 * availability, credit, idempotent booking (a credit-limit refusal becomes `on_hold`, any
 * other business refusal `rejected`, with the ERP's reason), order status, invoices and
 * shipments per order, shipment posting (`shipAndInvoice`) once per key, and change reads
 * by `lastModifiedDateTime` cursor.
 *
 * @param settings - as for `createBusinessCentral`
 * @returns the port implementation (and the adapter underneath as `businessCentral`)
 * @example
 * ```ts
 * import { createBusinessCentralErpSystem } from "@distro/connectors-erp/business-central";
 *
 * const erp = createBusinessCentralErpSystem({ companyUrl, auth: { tokenUrl, clientId, clientSecret } });
 * const booking = await erp.submitOrder(order, { idempotencyKey: "WEB-1001" });
 * ```
 */
export function createBusinessCentralErpSystem(
  settings: BusinessCentralSettings,
): ErpSystemV1 & { readonly businessCentral: BusinessCentral } {
  const bc = createBusinessCentral(settings);
  const currency = settings.currency ?? "USD";
  const clock = settings.clock ?? Date.now;

  const invoicesOf = async (erpOrderNumber: string): Promise<Invoice[]> => {
    const found: Invoice[] = [];
    for await (const record of bc.odata.list("salesInvoices", {
      filter: `orderNumber eq ${odataLiteral(erpOrderNumber)}`,
      expand: ["salesInvoiceLines"],
    })) {
      found.push(
        toInvoice(
          parseBusinessCentral(BusinessCentralSalesInvoiceSchema, record, ["salesInvoices", found.length]),
          currency,
        ),
      );
    }
    return found;
  };

  const shipmentsOf = async (erpOrderNumber: string): Promise<Shipment[]> => {
    const found: Shipment[] = [];
    for await (const record of bc.odata.list("salesShipments", {
      filter: `orderNumber eq ${odataLiteral(erpOrderNumber)}`,
      expand: ["salesShipmentLines"],
    })) {
      found.push(
        toShipment(
          parseBusinessCentral(BusinessCentralSalesShipmentSchema, record, ["salesShipments", found.length]),
        ),
      );
    }
    return found;
  };

  const toCustomer = (record: Record<string, unknown>, index: number): Customer => {
    const raw = parseBusinessCentral(BusinessCentralCustomerSchema, record, ["customers", index]);
    const accountCurrency = raw.currencyCode || currency;
    return {
      id: raw.number,
      name: raw.displayName || raw.number,
      status: (raw.blocked ?? " ").trim() === "" ? "active" : "on_hold",
      ...(raw.customerPriceGroup ? { tier: raw.customerPriceGroup } : {}),
      currency: accountCurrency,
      ...(raw.creditLimit ? { creditLimit: { amount: raw.creditLimit, currency: accountCurrency } } : {}),
      taxExempt: false,
      addresses: raw.addressLine1
        ? [
            {
              line1: raw.addressLine1,
              city: raw.city || "(none)",
              ...(raw.state ? { region: raw.state } : {}),
              ...(raw.postalCode ? { postalCode: raw.postalCode } : {}),
              country: raw.country || "US",
              purposes: ["bill_to", "sold_to"],
              isDefault: true,
            },
          ]
        : [],
      contacts: raw.email
        ? [{ name: raw.displayName, email: raw.email, roles: ["accounts_payable"], primary: true }]
        : [],
      schemaVersion: 1,
      refs: { erp: raw.number },
      ext: {},
    };
  };

  const mapChanges = (entity: ErpChangeEntity, records: Record<string, unknown>[]): unknown[] => {
    const asOf = new Date(clock()).toISOString();
    switch (entity) {
      case "item":
        return records.map((record, index) =>
          toItem(parseBusinessCentral(BusinessCentralItemSchema, record, ["items", index]), currency),
        );
      case "price":
        return toPrices(
          records.map((record, index) =>
            parseBusinessCentral(BusinessCentralSalesPriceSchema, record, ["salesPrices", index]),
          ),
        );
      case "customer":
        return records.map(toCustomer);
      case "inventory":
        return records.map((record, index) =>
          toInventoryLevel(
            parseBusinessCentral(BusinessCentralAvailabilitySchema, record, ["itemAvailabilities", index]),
            "PCS",
            asOf,
          ),
        );
    }
  };

  return {
    specificationVersion: "v1",
    system: "business-central",
    businessCentral: bc,

    async getPrices(request) {
      const quote = await bc.getPrices({ customerId: request.customerId, lines: request.lines });
      return quote.lines.map((line, index) => ({
        sku: line.sku,
        quantity: line.quantity,
        uom: request.lines[index]?.uom ?? "PCS",
        unitPrice: line.unitPrice,
        per: "1",
        extended: line.extended,
        rule: `${line.source}@${line.minimumQuantity}`,
      }));
    },

    getAvailability: (request) => bc.getAvailability(request),

    async getCreditStatus(customerId) {
      const status = await bc.getCreditStatus(customerId);
      return {
        customerId,
        limit: status.creditLimit,
        exposure: status.exposure,
        available: status.available ?? {
          amount: subtractDecimal(status.creditLimit.amount, status.exposure.amount),
          currency: status.creditLimit.currency,
        },
        onHold: status.onHold,
        ...(status.available === undefined ? { unlimited: true } : {}),
      };
    },

    async submitOrder(order, options): Promise<BookingResult> {
      try {
        const result = await bc.submitOrder(order, options);
        return {
          status: "booked",
          erpOrderNumber: result.erpOrderNumber,
          allocations: result.lines.map((line) => ({
            lineNumber: order.lines[line.lineNumber - 1]?.lineNumber ?? line.lineNumber,
            sku: line.sku,
            ordered: line.quantity,
            allocated: line.allocatedQuantity,
            backordered: line.backorderedQuantity,
            ...(line.locationId ? { locationId: line.locationId } : {}),
          })),
          duplicate: result.duplicate,
        };
      } catch (error) {
        const upstreamCode = isDistroError(error)
          ? ((error as { upstreamCode?: string }).upstreamCode ?? undefined)
          : undefined;
        if (isDistroError(error) && !error.retryable && error.code === "UPSTREAM_ERROR" && upstreamCode) {
          return {
            status: ON_HOLD_CODES.has(upstreamCode) ? "on_hold" : "rejected",
            allocations: [],
            duplicate: false,
            reason: `${upstreamCode}: ${error.message}`,
          };
        }
        throw error;
      }
    },

    async getOrderStatus(erpOrderNumber) {
      const status = await bc.getOrderStatus(erpOrderNumber);
      const invoices = await invoicesOf(erpOrderNumber);
      return {
        erpOrderNumber,
        status: invoices.length > 0 && status.status === "shipped" ? "invoiced" : status.status,
        shipments: await shipmentsOf(erpOrderNumber),
        invoices,
      };
    },

    listInvoices: ({ erpOrderNumber }) => invoicesOf(erpOrderNumber),
    listShipments: ({ erpOrderNumber }) => shipmentsOf(erpOrderNumber),

    async postShipment(erpOrderNumber, _shipment, _options) {
      const before = await shipmentsOf(erpOrderNumber);
      const status = await bc.getOrderStatus(erpOrderNumber);
      const nothingReserved = status.lines.every((line) => line.allocatedQuantity === "0");
      if (before.length > 0 && nothingReserved) {
        const invoices = await invoicesOf(erpOrderNumber);
        return {
          ...(before.at(-1)?.id ? { shipmentNumber: before.at(-1)?.id as string } : {}),
          ...(invoices.at(-1) ? { invoice: invoices.at(-1) as Invoice } : {}),
          duplicate: true,
        };
      }
      await bc.odata.invoke(`salesOrders(${status.erpOrderId})/Microsoft.NAV.shipAndInvoice`);
      const after = await shipmentsOf(erpOrderNumber);
      const invoices = await invoicesOf(erpOrderNumber);
      return {
        ...(after.at(-1)?.id ? { shipmentNumber: after.at(-1)?.id as string } : {}),
        ...(invoices.at(-1) ? { invoice: invoices.at(-1) as Invoice } : {}),
        duplicate: false,
      };
    },

    async *readChanges<E extends ErpChangeEntity>(
      entity: E,
      options: { cursor?: string; pageSize?: number } = {},
    ) {
      const set = CHANGE_SETS[entity];
      let cursor = options.cursor ?? "";
      const pages = bc.odata.pages(set, {
        ...(options.cursor ? { filter: `lastModifiedDateTime gt ${options.cursor}` } : {}),
        orderBy: "lastModifiedDateTime asc",
      });
      let page = await pages.next();
      while (!page.done) {
        const records = page.value.records;
        for (const record of records) {
          const modified = record.lastModifiedDateTime;
          if (typeof modified === "string" && modified > cursor) cursor = modified;
        }
        const next = await pages.next();
        const changePage: ChangePage<ErpChangeRecord<E>> = {
          records: mapChanges(entity, records) as ErpChangeRecord<E>[],
          cursor,
          hasMore: !next.done,
        };
        yield changePage;
        page = next;
      }
    },
  };
}
