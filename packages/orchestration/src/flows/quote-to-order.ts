import type { Address, BasketLine, CrmSystem, ErpSystem, Money, Order } from "@distro/core";
import { defineFlow, type FlowDefinition, FlowHold, task } from "../flow/flow-definition";

/** A quote the customer accepted in the CRM. */
export interface AcceptedQuote {
  /** The quote's id in the CRM. */
  id: string;
  /** The customer's canonical id (`refs.erp` is used with the ERP when present). */
  customer: { id: string; refs?: Record<string, string> };
  /** The currency of the quoted prices. */
  currency: string;
  /** Where to ship. */
  shipTo: Address;
  /** The lines, with the price quoted for each when the sales rep fixed one. */
  lines: (BasketLine & { quotedUnitPrice?: Money })[];
  /** Last day the quoted prices hold (ISO date). */
  validUntil: string;
  /** When the customer accepted (ISO 8601). */
  acceptedAt: string;
}

/** The systems quote-to-order talks to, and how an order is submitted. */
export interface QuoteToOrderSystems {
  /** Prices lines the quote did not fix. */
  erp: ErpSystem;
  /** Given the milestone. */
  crm?: CrmSystem;
  /** Submits the order (starts order-to-cash); idempotent by the key. */
  submit(order: Order, idempotencyKey: string): Promise<void>;
}

/**
 * The quote-to-order flow: re-price what the quote did not fix (quoted prices hold
 * until `validUntil`; an expired quote is held for the sales rep) → build the canonical
 * order → submit it to order-to-cash once → CRM milestone.
 *
 * @param systems - the ports it talks to and the submit function
 * @returns the flow definition, named `quote-to-order`
 * @example
 * ```ts
 * manager.register(quoteToOrderFlow({ erp, crm, submit: (order, key) => manager.start("order-to-cash", { order, idempotencyKey: key }, { id: `o2c:${order.id}` }).then(() => {}) }));
 * ```
 */
export function quoteToOrderFlow(systems: QuoteToOrderSystems): FlowDefinition<{ quote: AcceptedQuote }> {
  const erpCustomer = (quote: AcceptedQuote) => quote.customer.refs?.erp ?? quote.customer.id;
  return defineFlow<{ quote: AcceptedQuote }>("quote-to-order", [
    task(
      "price",
      async ({ input }) => {
        const { quote } = input;
        if (quote.acceptedAt.slice(0, 10) > quote.validUntil) {
          throw new FlowHold(
            "QUOTE_EXPIRED",
            `Quote ${quote.id} was accepted after it expired on ${quote.validUntil}`,
          );
        }
        const open = quote.lines.filter((line) => line.quotedUnitPrice === undefined);
        const quotes =
          open.length === 0
            ? []
            : await systems.erp.getPrices({
                customerId: erpCustomer(quote),
                lines: open,
                currency: quote.currency,
              });
        return quote.lines.map((line) => {
          if (line.quotedUnitPrice) return { sku: line.sku, unitPrice: line.quotedUnitPrice, per: "1" };
          const priced = quotes.find((candidate) => candidate.sku === line.sku);
          if (!priced) throw new FlowHold("PRICE_UNKNOWN", `The ERP has no price for ${line.sku}`);
          return { sku: line.sku, unitPrice: priced.unitPrice, per: priced.per };
        });
      },
      { system: "erp" },
    ),
    task(
      "create-order",
      async ({ input, results }) => {
        const prices = results.price as { sku: string; unitPrice: Money; per: string }[];
        const { quote } = input;
        const order = {
          id: `Q-${quote.id}`,
          customer: quote.customer,
          channel: "crm-quote",
          status: "submitted",
          currency: quote.currency,
          orderedAt: quote.acceptedAt,
          shipTo: quote.shipTo,
          lines: quote.lines.map((line, index) => ({
            lineNumber: index + 1,
            sku: line.sku,
            quantity: line.quantity,
            uom: line.uom ?? "EA",
            unitPrice: prices[index]!.unitPrice,
            pricePer: prices[index]!.per,
            status: "open",
          })),
          refs: { crm: quote.id },
          ext: {},
          schemaVersion: 1,
        } as Order;
        return order;
      },
      { system: "crm" },
    ),
    task(
      "submit",
      async ({ input, results }) => {
        const order = results["create-order"] as Order;
        await systems.submit(order, `quote:${input.quote.id}`);
        return { orderId: order.id };
      },
      { system: "orchestration" },
    ),
    task(
      "crm-converted",
      async ({ input, correlationId }) => {
        await systems.crm!.recordActivity({
          customerId: erpCustomer(input.quote),
          kind: "order_submitted",
          subject: `Quote ${input.quote.id} accepted and submitted as order Q-${input.quote.id}`,
          occurredAt: new Date().toISOString(),
          correlationId,
          refs: { quote: input.quote.id },
        });
        return null;
      },
      { system: "crm", when: () => systems.crm !== undefined },
    ),
  ]);
}
