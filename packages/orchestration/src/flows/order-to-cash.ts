import {
  type BookingResult,
  type CommerceChannel,
  type CreditStatus,
  type CrmActivity,
  type CrmSystem,
  compareDecimal,
  DistroError,
  type EdiPartner,
  type ErpSystem,
  type FulfillmentRequest,
  type Invoice,
  isDecimalString,
  type Order,
  orderTotals,
  type Shipment,
  type WmsSystem,
} from "@distro/core";
import { defineFlow, type FlowDefinition, FlowHold, task, waitFor } from "../flow/flow-definition";

/** The systems order-to-cash talks to, all through core's ports. */
export interface OrderToCashSystems {
  /** The system of record: credit, booking, shipment posting, invoices. */
  erp: ErpSystem;
  /** The warehouse. */
  wms: WmsSystem;
  /** The channel the order came from, told of booking, shipment and invoice. */
  channel?: CommerceChannel;
  /** The CRM, given milestones as activities. */
  crm?: CrmSystem;
  /** EDI trading partners by partner id, for orders that came by EDI. */
  ediPartners?: Record<string, EdiPartner>;
  /** Sends an outbound EDI document to a partner (AS2, SFTP, a VAN mailbox...). */
  sendEdi?: (partnerId: string, kind: "855" | "856" | "810", document: string) => Promise<void>;
}

/** What an order-to-cash instance starts with. */
export interface OrderToCashInput {
  /** The canonical order, as received. */
  order: Order;
  /** The business idempotency key (the channel's order id, the partner's PO). */
  idempotencyKey: string;
  /** For EDI orders: the partner it came from. */
  ediPartnerId?: string;
}

/**
 * The event types order-to-cash waits for.
 *
 * @example
 * ```ts
 * await manager.deliver({ id: "wms-msg-9", type: ORDER_TO_CASH_EVENTS.shipped, key: order.id, data: shipment });
 * ```
 */
export const ORDER_TO_CASH_EVENTS = {
  /** The WMS shipped (the data is a canonical `Shipment`); key: the order id. */
  shipped: "wms.shipped",
} as const;

function erpCustomerId(order: Order): string {
  return order.customer.refs?.erp ?? order.customer.id;
}

function activity(
  order: Order,
  kind: CrmActivity["kind"],
  subject: string,
  correlationId: string,
  refs: Record<string, string> = {},
): CrmActivity {
  return {
    customerId: erpCustomerId(order),
    kind,
    subject,
    occurredAt: new Date().toISOString(),
    correlationId,
    refs: { order: order.id, ...refs },
  };
}

/**
 * The backorder part of a booking: an order linked to its parent with the quantities
 * the ERP could not allocate, or `undefined` when everything was allocated.
 *
 * @param order - the booked order
 * @param booking - the ERP's allocation
 * @returns the backorder, or undefined
 * @example
 * ```ts
 * const backorder = backorderOf(order, booking);
 * backorder?.parentOrderId; // order.id
 * ```
 */
export function backorderOf(order: Order, booking: BookingResult): Order | undefined {
  const lines = [];
  for (const allocation of booking.allocations) {
    if (!isDecimalString(allocation.backordered) || compareDecimal(allocation.backordered, "0") <= 0)
      continue;
    const line = order.lines.find((candidate) => candidate.lineNumber === allocation.lineNumber);
    if (!line) continue;
    lines.push({
      ...line,
      quantity: allocation.backordered,
      status: "backordered" as const,
      backorderedQuantity: allocation.backordered,
      allocatedQuantity: "0",
    });
  }
  if (lines.length === 0) return undefined;
  return {
    ...order,
    id: `${order.id}-BO`,
    status: "booked",
    lines,
    parentOrderId: order.id,
    splitReason: "backorder",
    refs: { ...order.refs, ...(booking.erpOrderNumber ? { erp: booking.erpOrderNumber } : {}) },
  };
}

/**
 * The fulfilment request for what the ERP allocated now, or `undefined` when nothing
 * was allocated.
 *
 * @param order - the booked order
 * @param booking - the ERP's allocation
 * @returns the request, one per order and warehouse
 * @example
 * ```ts
 * const request = fulfillmentRequestOf(order, booking);
 * ```
 */
export function fulfillmentRequestOf(order: Order, booking: BookingResult): FulfillmentRequest | undefined {
  const lines = [];
  let locationId = "default";
  for (const allocation of booking.allocations) {
    if (compareDecimal(allocation.allocated, "0") <= 0) continue;
    const line = order.lines.find((candidate) => candidate.lineNumber === allocation.lineNumber);
    if (!line) continue;
    locationId = allocation.locationId ?? locationId;
    lines.push({ lineNumber: line.lineNumber, sku: line.sku, quantity: allocation.allocated, uom: line.uom });
  }
  if (lines.length === 0) return undefined;
  return {
    id: `FR-${order.id}`,
    orderId: order.id,
    ...(booking.erpOrderNumber ? { erpOrderNumber: booking.erpOrderNumber } : {}),
    locationId,
    shipTo: order.shipTo,
    lines,
  };
}

/**
 * The order-to-cash flow: credit check → ERP booking (once per idempotency key) →
 * backorder split → the channel, the CRM and EDI partners told → WMS fulfilment →
 * wait for the ship event → shipment posted in the ERP (which invoices) → shipment and
 * invoice out to the channel, the CRM and EDI partners (856, 810).
 *
 * An order over the available credit is held with the reason, not booked. Every step
 * retries transient failures; a step that cannot complete holds the transaction for a
 * person, who can release it.
 *
 * @param systems - the ports it talks to
 * @returns the flow definition, named `order-to-cash`
 * @example
 * ```ts
 * const manager = createProcessManager({ audit });
 * manager.register(orderToCashFlow({ erp, wms, channel: shop, crm }));
 * await manager.start("order-to-cash", { order, idempotencyKey: `shop:${order.id}` }, { id: `o2c:${order.id}`, businessKey: order.id });
 * ```
 */
export function orderToCashFlow(systems: OrderToCashSystems): FlowDefinition<OrderToCashInput> {
  const { erp, wms, channel, crm } = systems;
  const partnerOf = (input: OrderToCashInput) =>
    input.ediPartnerId === undefined ? undefined : systems.ediPartners?.[input.ediPartnerId];
  const booking = (results: Readonly<Record<string, unknown>>) => results.book as BookingResult;
  const shipmentOf = (results: Readonly<Record<string, unknown>>) =>
    (results.shipped as { data: Shipment }).data;
  const invoiceOf = (results: Readonly<Record<string, unknown>>) =>
    (results["post-shipment"] as { invoice?: Invoice } | null)?.invoice;

  return defineFlow<OrderToCashInput>("order-to-cash", [
    task(
      "credit-check",
      async ({ input }) => {
        const credit: CreditStatus = await erp.getCreditStatus(erpCustomerId(input.order));
        const total = orderTotals(input.order).total;
        if (credit.onHold) {
          throw new FlowHold(
            "CREDIT_HOLD",
            `Account ${credit.customerId} is on credit hold: ${credit.reason ?? "no reason given"}`,
          );
        }
        if (!credit.unlimited && compareDecimal(total.amount, credit.available.amount) > 0) {
          throw new FlowHold(
            "CREDIT_LIMIT",
            `Order total ${total.amount} ${total.currency} exceeds available credit ${credit.available.amount} ${credit.available.currency}`,
          );
        }
        return { total, available: credit.available };
      },
      { system: "erp" },
    ),
    task(
      "book",
      async ({ input }) => {
        const result = await erp.submitOrder(input.order, { idempotencyKey: input.idempotencyKey });
        if (result.status === "rejected")
          throw new FlowHold("ERP_REJECTED", result.reason ?? "The ERP rejected the order");
        if (result.status === "on_hold")
          throw new FlowHold("ERP_HOLD", result.reason ?? "The ERP put the order on hold");
        return result;
      },
      { system: "erp" },
    ),
    task(
      "backorder-split",
      async ({ input, results }) => backorderOf(input.order, booking(results)) ?? null,
      {
        system: "erp",
      },
    ),
    task(
      "notify-booking",
      async ({ input, results }) => {
        const booked = booking(results);
        const partner = partnerOf(input);
        if (partner) {
          const document = await partner.writeOrderAcknowledgement(input.order, booked);
          await systems.sendEdi?.(partner.partnerId, "855", document);
          return { edi: "855" };
        }
        if (channel) {
          await channel.acknowledgeBooking(input.order, {
            erpOrderNumber: booked.erpOrderNumber ?? "",
            allocations: booked.allocations,
          });
          return { channel: channel.system };
        }
        return null;
      },
      { system: "shop" },
    ),
    task(
      "crm-booked",
      async ({ input, results, correlationId }) => {
        const backorder = results["backorder-split"] as Order | null;
        const erpNumber = booking(results).erpOrderNumber ?? "";
        await crm!.recordActivity(
          activity(
            input.order,
            backorder ? "order_backordered" : "order_booked",
            backorder
              ? `Order ${input.order.id} booked as ${erpNumber}; ${backorder.lines.length} line(s) backordered`
              : `Order ${input.order.id} booked as ${erpNumber}`,
            correlationId,
            { erp: erpNumber },
          ),
        );
        return null;
      },
      { system: "crm", when: () => crm !== undefined },
    ),
    task(
      "request-fulfillment",
      async ({ input, results }) => {
        const request = fulfillmentRequestOf(input.order, booking(results));
        if (!request)
          throw new FlowHold("NOTHING_ALLOCATED", `Nothing of order ${input.order.id} could be allocated`);
        return wms.requestFulfillment(request);
      },
      { system: "wms" },
    ),
    waitFor("shipped", {
      eventTypes: [ORDER_TO_CASH_EVENTS.shipped],
      key: ({ input }) => input.order.id,
      system: "wms",
    }),
    task(
      "post-shipment",
      async ({ input, results }) => {
        const erpNumber = booking(results).erpOrderNumber;
        if (!erpNumber)
          throw new DistroError("ERP_NUMBER_MISSING", `Order ${input.order.id} has no ERP number`);
        return erp.postShipment(erpNumber, shipmentOf(results), {
          idempotencyKey: `ship:${input.idempotencyKey}`,
        });
      },
      { system: "erp" },
    ),
    task(
      "shipment-out",
      async ({ input, results }) => {
        const shipment = shipmentOf(results);
        const partner = partnerOf(input);
        if (partner) {
          await systems.sendEdi?.(
            partner.partnerId,
            "856",
            await partner.writeShipNotice(shipment, input.order),
          );
          return { edi: "856" };
        }
        if (channel) return channel.createFulfillment(shipment, input.order);
        return null;
      },
      { system: "shop" },
    ),
    task(
      "crm-shipped",
      async ({ input, results, correlationId }) => {
        const shipment = shipmentOf(results);
        await crm!.recordActivity(
          activity(
            input.order,
            "order_shipped",
            `Order ${input.order.id} shipped${shipment.trackingNumber ? `, tracking ${shipment.trackingNumber}` : ""}`,
            correlationId,
          ),
        );
        return null;
      },
      { system: "crm", when: () => crm !== undefined },
    ),
    task(
      "invoice-out",
      async ({ input, results, correlationId }) => {
        const invoice = invoiceOf(results);
        if (!invoice) return null;
        const partner = partnerOf(input);
        if (partner)
          await systems.sendEdi?.(partner.partnerId, "810", await partner.writeInvoice(invoice, input.order));
        else if (channel) await channel.notifyInvoice(invoice, input.order);
        if (crm) {
          await crm.recordActivity(
            activity(
              input.order,
              "order_invoiced",
              `Invoice ${invoice.number} posted for order ${input.order.id}`,
              correlationId,
              {
                invoice: invoice.number,
              },
            ),
          );
        }
        return { invoice: invoice.number };
      },
      { system: "erp" },
    ),
  ]);
}
