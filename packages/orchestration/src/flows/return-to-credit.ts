import type {
  CommerceChannel,
  CreditMemo,
  CrmSystem,
  ErpSystem,
  Money,
  Order,
  Return,
  ReturnLine,
} from "@distro/core";
import { defineFlow, type FlowDefinition, FlowHold, task, waitFor } from "../flow/flow-definition";

/** The systems return-to-credit talks to. */
export interface ReturnToCreditSystems {
  /** Posts the credit memo. */
  erp: ErpSystem;
  /** Told of the refund. */
  channel?: CommerceChannel;
  /** Given the milestone. */
  crm?: CrmSystem;
}

/** What a return-to-credit instance starts with. */
export interface ReturnToCreditInput {
  /** The authorized return. */
  rma: Return;
  /** The order the goods came from (for prices and the channel), when known. */
  order?: Order;
  /** The credit per unit by SKU, when there is no order to read it from. */
  unitCredits?: Record<string, Money>;
  /** The date of the memo (ISO date); today when absent. */
  issueDate?: string;
}

/**
 * The event types return-to-credit waits for.
 *
 * @example
 * ```ts
 * await manager.deliver({ id: "wms-77", type: RETURN_TO_CREDIT_EVENTS.received, key: rma.id, data: { lines: rma.lines } });
 * ```
 */
export const RETURN_TO_CREDIT_EVENTS = {
  /** The warehouse received the goods; data: `{ lines: ReturnLine[] }`; key: the RMA id. */
  received: "wms.return.received",
} as const;

/**
 * The credit memo for what the warehouse received under an RMA, priced at what the
 * customer paid (the order line's unit price) or the given unit credits.
 *
 * @param input - the RMA, its order or unit credits
 * @param received - the lines the warehouse received
 * @returns the credit memo (draft, to be posted by the ERP)
 * @throws FlowHold `PRICE_UNKNOWN` when a received SKU has no price to credit
 * @example
 * ```ts
 * const memo = creditMemoFor({ rma, order }, rma.lines);
 * ```
 */
export function creditMemoFor(input: ReturnToCreditInput, received: ReturnLine[]): CreditMemo {
  const { rma, order } = input;
  const currency = order?.currency ?? Object.values(input.unitCredits ?? {})[0]?.currency ?? "USD";
  const lines = received.map((line, index) => {
    const orderLine = order?.lines.find(
      (candidate) =>
        candidate.lineNumber === line.orderLineNumber ||
        (line.orderLineNumber === undefined && candidate.sku === line.sku),
    );
    const unitPrice = input.unitCredits?.[line.sku] ?? orderLine?.unitPrice;
    if (!unitPrice)
      throw new FlowHold("PRICE_UNKNOWN", `No price to credit for ${line.sku} on RMA ${rma.rmaNumber}`);
    return {
      lineNumber: index + 1,
      sku: line.sku,
      description: `Return ${rma.rmaNumber}: ${line.sku} (${line.reason})`,
      quantity: line.quantity,
      uom: line.uom,
      unitPrice,
      pricePer: orderLine?.pricePer ?? "1",
      taxes: [],
      ...(line.orderLineNumber === undefined ? {} : { orderLineNumber: line.orderLineNumber }),
    };
  });
  return {
    id: `CM-${rma.id}`,
    number: `CM-${rma.rmaNumber}`,
    status: "draft",
    customer: rma.customer,
    returnId: rma.id,
    ...(rma.invoiceId === undefined ? {} : { invoiceId: rma.invoiceId }),
    currency,
    issueDate: input.issueDate ?? new Date().toISOString().slice(0, 10),
    reason: "return",
    lines,
    refs: {},
    ext: {},
    schemaVersion: 1,
  } as CreditMemo;
}

/**
 * The return-to-credit flow: wait for the warehouse to receive the RMA's goods → ERP
 * credit memo for what was received (once per RMA) → refund status to the channel →
 * CRM milestone.
 *
 * @param systems - the ports it talks to
 * @returns the flow definition, named `return-to-credit`
 * @example
 * ```ts
 * manager.register(returnToCreditFlow({ erp, channel: shop, crm }));
 * await manager.start("return-to-credit", { rma, order }, { id: `r2c:${rma.id}`, businessKey: rma.id });
 * await manager.deliver({ id: "wms-77", type: "wms.return.received", key: rma.id, data: { lines: rma.lines } });
 * ```
 */
export function returnToCreditFlow(systems: ReturnToCreditSystems): FlowDefinition<ReturnToCreditInput> {
  return defineFlow<ReturnToCreditInput>("return-to-credit", [
    waitFor("received", {
      eventTypes: [RETURN_TO_CREDIT_EVENTS.received],
      key: ({ input }) => input.rma.id,
      system: "wms",
    }),
    task(
      "credit-memo",
      async ({ input, results }) => {
        const received = (results.received as { data: { lines: ReturnLine[] } }).data.lines;
        const memo = creditMemoFor(input, received);
        if (!systems.erp.postCreditMemo)
          throw new FlowHold("ERP_NO_CREDIT_MEMO", `${systems.erp.system} cannot post credit memos`);
        const posted = await systems.erp.postCreditMemo(memo, { idempotencyKey: `rma:${input.rma.id}` });
        return {
          memo: { ...memo, status: "posted", refs: { ...memo.refs, erp: posted.erpNumber } },
          erpNumber: posted.erpNumber,
        };
      },
      { system: "erp" },
    ),
    task(
      "refund-status",
      async ({ input, results }) => {
        const { memo } = results["credit-memo"] as { memo: CreditMemo };
        await systems.channel!.notifyCreditMemo!(memo, input.order);
        return null;
      },
      { system: "shop", when: () => systems.channel?.notifyCreditMemo !== undefined },
    ),
    task(
      "crm-credited",
      async ({ input, results, correlationId }) => {
        const { erpNumber } = results["credit-memo"] as { erpNumber: string };
        await systems.crm!.recordActivity({
          customerId: input.rma.customer.refs?.erp ?? input.rma.customer.id,
          kind: "return_credited",
          subject: `RMA ${input.rma.rmaNumber} credited as ${erpNumber}`,
          occurredAt: new Date().toISOString(),
          correlationId,
          refs: { rma: input.rma.id, erp: erpNumber },
        });
        return null;
      },
      { system: "crm", when: () => systems.crm !== undefined },
    ),
  ]);
}
