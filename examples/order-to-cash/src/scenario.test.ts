import { describe, expect, it } from "vitest";
import { runOrderToCashScenario } from "./scenario";

describe("the order-to-cash scenario", () => {
  it("books every order once, loses nothing, and holds every invariant of the fault table", async () => {
    const report = await runOrderToCashScenario({ orders: 20, priceReads: 200, seed: 11 });
    for (const invariant of report.invariants)
      expect(invariant, invariant.detail).toMatchObject({ held: true });
    expect(report.summary["duplicate bookings"]).toBe(0);
    expect(report.summary["held (credit)"]).toBe(1);
    expect(Number(report.summary.backordered)).toBeGreaterThanOrEqual(1);
    expect(Number(report.summary["ERP calls for those reads"])).toBeLessThan(200);
    expect(report.timelines[0]?.entries.map((entry) => entry.step)).toContain("post-shipment");
  }, 180_000);
});
