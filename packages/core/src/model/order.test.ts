import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDistroError } from "../errors/distro-error";
import { ValidationError } from "../errors/validation-error";
import { roundDecimal } from "../money/decimal";
import { sampleOrder } from "./fixtures/samples";
import { type Order, orderLineAmount, orderTotals, splitOrderForBackorder, transitionOrder } from "./order";
import {
  canTransitionOrder,
  InvalidOrderTransitionError,
  ORDER_STATUS_TRANSITIONS,
  type OrderStatus,
  OrderStatusSchema,
} from "./order-status";
import { parseOrder } from "./parse";

function order(overrides: Record<string, unknown> = {}): Order {
  return parseOrder({ ...sampleOrder(1, 3), ...overrides });
}

function validationIssues(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

describe("OrderSchema", () => {
  it("parses a realistic order and fills defaults", () => {
    const parsed = parseOrder(sampleOrder(7, 20));
    expect(parsed.lines).toHaveLength(20);
    expect(parsed.lines[0]?.pricePer).toBe("1");
    expect(parsed.lines[0]?.status).toBe("open");
    expect(parsed.schemaVersion).toBe(1);
    expect(parsed.refs).toEqual({ shopify: "gid://shopify/Order/7" });
    expect(parsed.ext).toEqual({ "shopify.tags": ["wholesale", "net30"] });
  });

  it("refuses float quantities and prices, naming the path", () => {
    const input = sampleOrder(1, 3);
    const lines = input.lines as Record<string, unknown>[];
    lines[1]!.quantity = 3;
    lines[2]!.unitPrice = { amount: 0.0125, currency: "USD" };
    const issues = validationIssues(() => parseOrder(input));
    expect(issues.map((issue) => issue.path)).toEqual([
      ["lines", 1, "quantity"],
      ["lines", 2, "unitPrice", "amount"],
    ]);
  });

  it("refuses zero and negative quantities", () => {
    const input = sampleOrder(1, 2);
    (input.lines as Record<string, unknown>[])[0]!.quantity = "0";
    (input.lines as Record<string, unknown>[])[1]!.quantity = "-1";
    const issues = validationIssues(() => parseOrder(input));
    expect(issues.map((issue) => issue.path)).toEqual([
      ["lines", 0, "quantity"],
      ["lines", 1, "quantity"],
    ]);
  });

  it("refuses amounts in another currency, duplicate line numbers and over-allocation", () => {
    const input = sampleOrder(1, 3);
    const lines = input.lines as Record<string, unknown>[];
    lines[0]!.unitPrice = { amount: "1", currency: "EUR" };
    lines[2]!.lineNumber = 2;
    lines[1]!.quantity = "10";
    lines[1]!.allocatedQuantity = "6";
    lines[1]!.backorderedQuantity = "5";
    input.shippingCharge = { amount: "5", currency: "CAD" };
    const issues = validationIssues(() => parseOrder(input));
    expect(issues.map((issue) => issue.path)).toEqual([
      ["lines", 0, "unitPrice", "currency"],
      ["lines", 1, "backorderedQuantity"],
      ["lines", 2, "lineNumber"],
      ["shippingCharge", "currency"],
    ]);
  });

  it("refuses un-namespaced ext keys and bad refs", () => {
    const issues = validationIssues(() => order({ ext: { tags: [] }, refs: { ERP: "" } }));
    expect(issues.map((issue) => issue.path[0])).toEqual(expect.arrayContaining(["ext", "refs"]));
  });

  it("links a split order to its parent and refuses a self-parent", () => {
    expect(order({ parentOrderId: "SO-0", splitReason: "backorder" }).parentOrderId).toBe("SO-0");
    const issues = validationIssues(() => order({ parentOrderId: "SO-0000001" }));
    expect(issues[0]?.path).toEqual(["parentOrderId"]);
    expect(validationIssues(() => order({ splitReason: "backorder" }))[0]?.path).toEqual(["splitReason"]);
  });
});

describe("order status transitions", () => {
  const statuses = OrderStatusSchema.options;

  // The lifecycle written out independently of ORDER_STATUS_TRANSITIONS.
  const EXPECTED = new Set([
    "draft>submitted",
    "draft>cancelled",
    "submitted>booked",
    "submitted>on_hold",
    "submitted>rejected",
    "submitted>cancelled",
    "on_hold>submitted",
    "on_hold>booked",
    "on_hold>rejected",
    "on_hold>cancelled",
    "booked>on_hold",
    "booked>partially_shipped",
    "booked>shipped",
    "booked>cancelled",
    "partially_shipped>partially_shipped",
    "partially_shipped>shipped",
    "partially_shipped>invoiced",
    "partially_shipped>closed",
    "shipped>invoiced",
    "shipped>closed",
    "invoiced>closed",
  ]);

  it("allows exactly the lifecycle's transitions, for all 100 pairs of statuses", () => {
    let allowed = 0;
    expect(statuses).toHaveLength(10);
    for (const from of statuses) {
      for (const to of statuses) {
        const start = { ...order(), status: from };
        expect(ORDER_STATUS_TRANSITIONS[from].includes(to)).toBe(EXPECTED.has(`${from}>${to}`));
        if (EXPECTED.has(`${from}>${to}`)) {
          allowed++;
          expect(canTransitionOrder(from, to)).toBe(true);
          const moved = transitionOrder(start, to, { at: "2026-03-01T11:00:00Z" });
          expect(moved.status).toBe(to);
          expect(moved.updatedAt).toBe("2026-03-01T11:00:00Z");
          expect(start.status).toBe(from);
        } else {
          expect(canTransitionOrder(from, to)).toBe(false);
          let caught: unknown;
          try {
            transitionOrder(start, to);
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(InvalidOrderTransitionError);
          const error = caught as InvalidOrderTransitionError;
          expect(isDistroError(error)).toBe(true);
          expect(error.code).toBe("CONFLICT");
          expect([error.from, error.to]).toEqual([from, to]);
          expect(error.message).toContain(`from ${from} to ${to}`);
          expect(error.details).toMatchObject({ orderId: "SO-0000001", from, to });
        }
      }
    }
    expect(allowed).toBe(EXPECTED.size);
  });

  it("makes closed, cancelled and rejected final and lets every other status reach one", () => {
    const finals = statuses.filter((status) => ORDER_STATUS_TRANSITIONS[status].length === 0);
    expect(finals.sort()).toEqual(["cancelled", "closed", "rejected"]);
    for (const start of statuses) {
      const reached = new Set<OrderStatus>([start]);
      const queue = [start];
      while (queue.length > 0) {
        for (const next of ORDER_STATUS_TRANSITIONS[queue.shift()!]) {
          if (!reached.has(next)) {
            reached.add(next);
            queue.push(next);
          }
        }
      }
      expect(finals.some((status) => reached.has(status))).toBe(true);
    }
  });

  it("follows the order-to-cash path", () => {
    let current = order({ status: "draft" });
    for (const next of [
      "submitted",
      "booked",
      "partially_shipped",
      "shipped",
      "invoiced",
      "closed",
    ] as const) {
      current = transitionOrder(current, next);
    }
    expect(current.status).toBe("closed");
  });
});

describe("orderTotals", () => {
  it("prices below one cent exactly and rounds half-even once, at the end", () => {
    const totals = orderTotals(
      order({
        lines: [
          {
            lineNumber: 1,
            sku: "A",
            quantity: "300",
            uom: "EA",
            unitPrice: { amount: "0.0125", currency: "USD" },
          },
          {
            lineNumber: 2,
            sku: "B",
            quantity: "3",
            uom: "EA",
            unitPrice: { amount: "0.335", currency: "USD" },
          },
          {
            lineNumber: 3,
            sku: "C",
            quantity: "250",
            uom: "EA",
            unitPrice: { amount: "1.25", currency: "USD" },
            pricePer: "100",
          },
          {
            lineNumber: 4,
            sku: "D",
            quantity: "1",
            uom: "EA",
            unitPrice: { amount: "99", currency: "USD" },
            status: "cancelled",
          },
        ],
        shippingCharge: { amount: "10.005", currency: "USD" },
        taxTotal: { amount: "0.665", currency: "USD" },
      }),
    );
    // 3.75 + 1.005 + 3.125 = 7.88 exactly; cancelled line left out
    expect(totals.subtotal).toEqual({ amount: "7.88", currency: "USD" });
    expect(totals.shipping).toEqual({ amount: "10", currency: "USD" });
    expect(totals.tax).toEqual({ amount: "0.66", currency: "USD" });
    expect(totals.total).toEqual({ amount: "18.54", currency: "USD" });
  });

  it("sums line taxes when there is no order-level tax, and subtracts discounts", () => {
    const totals = orderTotals(
      order({
        lines: [
          {
            lineNumber: 1,
            sku: "A",
            quantity: "2",
            uom: "EA",
            unitPrice: { amount: "10", currency: "USD" },
            discount: { amount: "1.5", currency: "USD" },
            tax: { amount: "1.0125", currency: "USD" },
          },
          {
            lineNumber: 2,
            sku: "B",
            quantity: "1",
            uom: "EA",
            unitPrice: { amount: "5", currency: "USD" },
            tax: { amount: "0.4125", currency: "USD" },
          },
        ],
        shippingCharge: undefined,
      }),
    );
    expect(totals.subtotal.amount).toBe("23.5");
    expect(totals.tax.amount).toBe("1.42");
    expect(totals.total.amount).toBe("24.92");
  });

  it("equals the exact sum of the lines computed in integers, rounded half-even (property)", () => {
    const line = fc.record({
      cents: fc.bigInt({ min: 1n, max: 10n ** 9n }),
      priceScale: fc.integer({ min: 0, max: 5 }),
      quantity: fc.integer({ min: 1, max: 100_000 }),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), (lines) => {
        const input = order({
          shippingCharge: undefined,
          lines: lines.map((entry, index) => ({
            lineNumber: index + 1,
            sku: `S${index}`,
            quantity: String(entry.quantity),
            uom: "EA",
            unitPrice: { amount: roundDecimal(scaled(entry.cents, entry.priceScale), 6), currency: "USD" },
          })),
        });
        // Independent computation: everything scaled to 10^-5 as bigint.
        let units = 0n;
        for (const entry of lines)
          units += entry.cents * 10n ** BigInt(5 - entry.priceScale) * BigInt(entry.quantity);
        const expected = roundDecimal(scaled(units, 5), 2);
        const totals = orderTotals(input);
        expect(totals.subtotal.amount).toBe(expected);
        expect(totals.total.amount).toBe(expected);
        expect(orderLineAmount(input.lines[0]!).currency).toBe("USD");
      }),
      { numRuns: 200 },
    );
  });

  it("rounds to the currency's minor unit (JPY 0, KWD 3)", () => {
    const yen = order({
      currency: "JPY",
      shippingCharge: undefined,
      lines: [
        { lineNumber: 1, sku: "A", quantity: "3", uom: "EA", unitPrice: { amount: "0.5", currency: "JPY" } },
      ],
    });
    expect(orderTotals(yen).total).toEqual({ amount: "2", currency: "JPY" });
    const dinar = order({
      currency: "KWD",
      shippingCharge: undefined,
      lines: [
        {
          lineNumber: 1,
          sku: "A",
          quantity: "3",
          uom: "EA",
          unitPrice: { amount: "0.0125", currency: "KWD" },
        },
      ],
    });
    expect(orderTotals(dinar).total).toEqual({ amount: "0.038", currency: "KWD" });
  });
});

function scaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${body}` : body;
}

describe("splitOrderForBackorder", () => {
  const base = () =>
    order({
      status: "booked",
      lines: [
        { lineNumber: 1, sku: "A", quantity: "100", uom: "EA", unitPrice: { amount: "1", currency: "USD" } },
        { lineNumber: 2, sku: "B", quantity: "5", uom: "EA", unitPrice: { amount: "2", currency: "USD" } },
        { lineNumber: 3, sku: "C", quantity: "2.5", uom: "KG", unitPrice: { amount: "4", currency: "USD" } },
      ],
    });

  it("keeps the allocated part and links the backorder to its parent", () => {
    const { order: kept, backorder } = splitOrderForBackorder(base(), { 1: "60", 2: "5" }, "SO-0000001-B1");
    expect(kept.id).toBe("SO-0000001");
    expect(kept.lines.map((line) => [line.lineNumber, line.quantity, line.status])).toEqual([
      [1, "60", "allocated"],
      [2, "5", "allocated"],
    ]);
    expect(backorder?.parentOrderId).toBe("SO-0000001");
    expect(backorder?.splitReason).toBe("backorder");
    expect(backorder?.refs).toEqual({});
    expect(
      backorder?.lines.map((line) => [line.lineNumber, line.quantity, line.backorderedQuantity]),
    ).toEqual([
      [1, "40", "40"],
      [3, "2.5", "2.5"],
    ]);
    // both halves are valid orders, and no quantity is lost or invented
    parseOrder(kept);
    parseOrder(backorder);
  });

  it("does not split when everything or nothing is allocated", () => {
    expect(splitOrderForBackorder(base(), { 1: "100", 2: "5", 3: "2.5" }, "B").backorder).toBeUndefined();
    const none = splitOrderForBackorder(base(), {}, "B");
    expect(none.backorder).toBeUndefined();
    expect(none.order.lines.every((line) => line.status === "backordered")).toBe(true);
  });

  it("refuses over-allocation and unknown lines with a typed error", () => {
    expect(validationIssues(() => splitOrderForBackorder(base(), { 2: "6" }, "B"))[0]?.code).toBe(
      "over_allocated",
    );
    expect(validationIssues(() => splitOrderForBackorder(base(), { 9: "1" }, "B"))[0]?.code).toBe(
      "unknown_line",
    );
    expect(validationIssues(() => splitOrderForBackorder(base(), { 1: "1e2" }, "B"))[0]?.code).toBe(
      "over_allocated",
    );
  });
});
