/**
 * The EDI gateway: what a team copies and points at its own systems. One trading partner
 * sends 850s; each one becomes a canonical order that runs through the order-to-cash
 * flow against the ERP and the warehouse, and the partner gets a 997 for what it sent,
 * an 855 when the ERP books, an 856 when the warehouse ships and an 810 when the ERP
 * invoices. The partner's own 997s come back through the same `receive` and settle the
 * acknowledgement tracker.
 */
import type { X12Inbound, X12Partner } from "@distro/connectors-edi";
import type { WmsRest, WmsWebhookDelivery, WmsWebhookOutcome } from "@distro/connectors-wms/rest";
import {
  type AuditLog,
  type BookingResult,
  createInMemoryAuditLog,
  type ErpSystem,
  type FlowInstance,
  gs1CheckDigit,
  NotFoundError,
  type Order,
  parseShipment,
  type Shipment,
} from "@distro/core";
import {
  createProcessManager,
  ORDER_TO_CASH_EVENTS,
  type OrderToCashInput,
  orderToCashFlow,
  type ProcessManager,
} from "@distro/orchestration";

/** The documents the gateway sends to a partner. */
export type OutboundKind = "997" | "855" | "856" | "810";

/** Settings of {@link createEdiGateway}. */
export interface EdiGatewaySettings {
  /** The trading partner (profile, control numbers, acknowledgement tracker inside). */
  partner: X12Partner;
  /** The ERP: credit, booking, shipment posting and invoices. */
  erp: ErpSystem;
  /** The warehouse adapter (fulfilment requests out, signed webhooks in). */
  wms: WmsRest;
  /**
   * Sends a document to the partner: AS2, SFTP or a VAN mailbox in production. It must
   * throw when the document was not handed over, so the flow retries the step.
   */
  send(partnerId: string, kind: OutboundKind, document: string): Promise<void>;
  /** The GS1 company prefix for the SSCC of each pack (default `0871234500`, a demo prefix). */
  gs1CompanyPrefix?: string;
  /** The audit trail (in memory by default). */
  audit?: AuditLog;
  /** The clock for ship dates (default `() => new Date()`). */
  clock?: () => Date;
}

/** Standard carrier alpha codes (SCAC) of the carriers the warehouse names. */
const SCAC: Record<string, string> = { ups: "UPSN", fedex: "FDEG", usps: "USPS", dhl: "DHLC" };

/** The running gateway. */
export interface EdiGateway {
  /**
   * Takes a document from the partner (an 850, or a 997 for what we sent): sends the 997
   * back and starts order-to-cash for each new order (a resent 850 starts nothing twice).
   */
  receive(document: string | Uint8Array): Promise<X12Inbound & { flows: FlowInstance<OrderToCashInput>[] }>;
  /**
   * Takes a signed warehouse webhook; a ship event moves the order's flow on. Throws
   * `NotFoundError` for a ship event of an order with no booked flow (answer non-2xx so the
   * warehouse redelivers it, or dead-letter it with the reason).
   */
  warehouseWebhook(delivery: WmsWebhookDelivery): Promise<WmsWebhookOutcome>;
  /** The process manager running the flows. */
  manager: ProcessManager;
  /** The audit trail, by correlation id. */
  audit: AuditLog;
}

/** The flow instance id of an order. */
export const flowIdOf = (orderId: string) => `o2c:${orderId}`;

/**
 * Builds the gateway.
 *
 * @param settings - partner, ERP, WMS and transport
 * @returns the gateway
 */
export function createEdiGateway(settings: EdiGatewaySettings): EdiGateway {
  const { partner, erp, wms } = settings;
  const audit = settings.audit ?? createInMemoryAuditLog();
  const manager = createProcessManager({ audit });
  const prefix = settings.gs1CompanyPrefix ?? "0871234500";
  const clock = settings.clock ?? (() => new Date());
  let packSerial = 0;
  manager.register(
    orderToCashFlow({
      erp,
      wms,
      ediPartners: { [partner.partnerId]: partner },
      sendEdi: (partnerId, kind, document) => settings.send(partnerId, kind, document),
    }),
  );

  /** An SSCC-18: extension digit, company prefix, serial reference, check digit. */
  function nextSscc(): string {
    packSerial++;
    const body = `0${prefix}${String(packSerial).padStart(16 - prefix.length, "0")}`;
    return body + gs1CheckDigit(body);
  }

  /** The canonical shipment of what the ERP allocated, in one pack with its SSCC. */
  function shipmentOf(
    order: Order,
    booking: BookingResult,
    carrier: string,
    trackingNumber: string | undefined,
    at: string,
  ): Shipment {
    const lines = booking.allocations
      .filter((allocation) => allocation.allocated !== "0")
      .map((allocation) => {
        const line = order.lines.find((candidate) => candidate.lineNumber === allocation.lineNumber)!;
        return {
          orderLineNumber: line.lineNumber,
          sku: line.sku,
          quantity: allocation.allocated,
          uom: line.uom,
        };
      });
    return parseShipment({
      id: `SHP-${order.id}`,
      orderId: order.id,
      status: "shipped",
      carrier: { code: SCAC[carrier.toLowerCase()] ?? carrier.toUpperCase(), name: carrier.toUpperCase() },
      ...(trackingNumber ? { trackingNumber } : {}),
      shipTo: order.shipTo,
      shippedAt: at,
      lines,
      packages: [{ sscc: nextSscc(), lines }],
    });
  }

  return {
    manager,
    audit,
    async receive(document) {
      const inbound = await partner.receive(document);
      if (inbound.acknowledgement) await settings.send(partner.partnerId, "997", inbound.acknowledgement);
      const flows: FlowInstance<OrderToCashInput>[] = [];
      for (const order of inbound.orders) {
        flows.push(
          await manager.start<OrderToCashInput>(
            "order-to-cash",
            // the partner's PO is the business key: a resent 850 books nothing twice
            {
              order,
              idempotencyKey: `edi:${partner.partnerId}:${order.poNumber}`,
              ediPartnerId: partner.partnerId,
            },
            { id: flowIdOf(order.id), businessKey: order.id },
          ),
        );
      }
      return { ...inbound, flows };
    },
    async warehouseWebhook(delivery) {
      const outcome = await wms.handleWebhook(delivery);
      if (outcome.kind !== "applied" || outcome.event.kind !== "shipped") return outcome;
      const flow = await manager.get<OrderToCashInput>(flowIdOf(outcome.event.orderId));
      const booking = flow?.results.book as BookingResult | undefined;
      if (!flow || !booking) {
        // Not ours yet (or not booked yet): refuse, so the warehouse redelivers it later
        // or the caller dead-letters it with this reason; never drop it.
        throw new NotFoundError(
          `Ship event ${outcome.messageId} for order ${outcome.event.orderId}, which has no booked flow`,
          {
            details: { orderId: outcome.event.orderId, messageId: outcome.messageId },
          },
        );
      }
      const shipment = shipmentOf(
        flow.input.order,
        booking,
        outcome.event.carrier ?? "UPSN",
        outcome.event.trackingNumber,
        clock().toISOString(),
      );
      await manager.deliver({
        id: outcome.messageId,
        type: ORDER_TO_CASH_EVENTS.shipped,
        key: flow.input.order.id,
        data: shipment,
      });
      return outcome;
    },
  };
}
