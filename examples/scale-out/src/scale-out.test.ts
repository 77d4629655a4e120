import { serviceUrl } from "@distro/core/testing";
import { describe, expect, it } from "vitest";
import { busiestWindow, countBookings, explainDeadLetters } from "./checks";
import { planDeliveries, seededRandom } from "./orders";
import { runScaleOut } from "./run";

const postgres = serviceUrl("postgres");
const redis = serviceUrl("redis");
const nats = serviceUrl("nats");
const skipReason = postgres.skipReason ?? redis.skipReason ?? nats.skipReason;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skipReason !== undefined)("scale-out proof, reduced size (PostgreSQL + Redis + NATS)", () => {
  it("4 workers, one killed with SIGKILL every 2 s and restarted, book 1,000 orders with 30% duplicate deliveries exactly once, under the ERP's rate limit", async () => {
    const report = await runScaleOut({
      orders: 1_000,
      workers: 4,
      engine: "postgres",
      services: { postgresUrl: postgres.url, redisUrl: redis.url, natsUrl: nats.url },
      duplicateRatio: 0.3,
      poisonOrders: 3,
      chaos: { everyMs: 2_000 },
      erp: { ratePerSecond: 200 },
      timeoutMs: 170_000,
    });
    for (const check of report.checks) expect(check, check.detail).toMatchObject({ held: true });
    // The ERP simulator's own ledger: exactly one booking per order, none lost, none twice.
    expect(report.bookings.ledgerEntries).toBe(1_000);
    expect(report.bookings.duplicatesBooked).toBe(0);
    expect(report.bookings.missing).toEqual([]);
    expect(report.duplicateDeliveries).toBe(300);
    // The limit held in every sliding second, and the ERP never had to refuse a request.
    expect(report.erp.busiestSecond).toBeLessThanOrEqual(200);
    expect(report.erp.rateLimited + report.erp.concurrencyLimited).toBe(0);
    // The only dead letters are the three malformed orders, each with the field that failed.
    expect(report.deadLetters.unexplained).toEqual([]);
    expect(report.deadLetters.explained.map((entry) => entry.reason)).toEqual(
      Array.from({ length: 3 }, () => expect.stringContaining("quantity")),
    );
    expect(report.kills).toBeGreaterThan(0);
    // No worker outlives the run.
    expect(report.workerPids.filter(alive)).toEqual([]);
  }, 180_000);
});

describe("the feed plan and the checks", () => {
  it("plans each order once, the given share twice with the same event id, and the poison orders", () => {
    const plan = planDeliveries({
      orders: 1_000,
      duplicateRatio: 0.3,
      poisonOrders: 2,
      random: seededRandom(5),
    });
    expect(plan.deliveries).toHaveLength(1_302);
    const copies = new Map<string, number>();
    for (const delivery of plan.deliveries)
      copies.set(delivery.event.id, (copies.get(delivery.event.id) ?? 0) + 1);
    expect(copies.size).toBe(1_002);
    expect([...copies.values()].filter((count) => count === 2)).toHaveLength(300);
    // A duplicate always comes after its original.
    const seen = new Set<string>();
    for (const delivery of plan.deliveries) {
      if (delivery.copy === 1) expect(seen.has(delivery.event.id)).toBe(true);
      seen.add(delivery.event.id);
    }
    expect(
      planDeliveries({ orders: 50, random: seededRandom(5) }).deliveries.map((delivery) => delivery.event.id),
    ).toEqual(
      planDeliveries({ orders: 50, random: seededRandom(5) }).deliveries.map((delivery) => delivery.event.id),
    );
  });

  it("counts the busiest sliding second the way the ERP counts its budget", () => {
    expect(busiestWindow([0, 100, 999, 1_000, 1_500])).toBe(3);
    expect(busiestWindow([0, 1_000, 2_000])).toBe(1);
    expect(busiestWindow([5, 5, 5, 1_004])).toBe(4);
    expect(busiestWindow([])).toBe(0);
  });

  it("finds duplicates, missing and unexpected bookings, and explains only the poison dead letters", () => {
    const plan = planDeliveries({ orders: 3, poisonOrders: 1, random: seededRandom(1) });
    const count = countBookings(
      plan,
      new Map([
        ["SO-1", 2],
        ["SO-3", 1],
        ["SO-BAD-1", 1],
      ]),
    );
    expect(count).toEqual({ booked: 2, duplicatesBooked: 1, missing: ["SO-2"], unexpected: ["SO-BAD-1"] });
    const entry = (eventId: string, code: string) => ({
      id: `dl-${eventId}`,
      subscriber: "erp-booking",
      message: "{}",
      eventId,
      error: { name: "Error", code, message: "failed", retryable: false },
      issues: [{ code: "too_small", path: ["lines", 0, "quantity"], message: "must be positive" }],
      attempts: 1,
      firstFailedAt: 0,
      lastFailedAt: 0,
      status: "pending" as const,
      replays: [],
    });
    const { explained, unexplained } = explainDeadLetters(
      [entry(plan.poisonEventIds[0]!, "VALIDATION_FAILED"), entry("order-SO-1", "UPSTREAM_ERROR")],
      plan,
    );
    expect(explained).toEqual([
      {
        id: `dl-${plan.poisonEventIds[0]}`,
        eventId: plan.poisonEventIds[0],
        reason: "poison order published on purpose, refused before booking: lines.0.quantity",
      },
    ]);
    expect(unexplained.map((item) => item.eventId)).toEqual(["order-SO-1"]);
  });
});
