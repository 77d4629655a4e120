import { describe, expect, it } from "vitest";
import { defaultSettings, runInventorySync, salesVelocity } from "./main";

describe("inventory-sync example", () => {
  it("pushes every level once, then only the levels an ERP stock change touched, per policy class", async () => {
    const lines: string[] = [];
    const settings = {
      ...defaultSettings,
      items: 24,
      topSellers: 3,
      fastVelocity: 30,
      erpPageSize: 20,
      stockReceipts: [
        { rank: 1, warehouse: "EAST", quantity: "120" },
        { rank: 20, warehouse: "WEST", quantity: "35" },
      ],
      log: (line: string) => lines.push(line),
    };
    const result = await runInventorySync(settings);
    const ranks = salesVelocity(Array.from({ length: 24 }, (_, i) => `I-${String(i + 1).padStart(5, "0")}`));
    const fastByRule = [...ranks]
      .filter(([, stats]) => stats.rank <= 3 || stats.velocity >= 30)
      .map(([sku]) => sku);

    // Classification: top sellers and fast movers are near-realtime, the rest scheduled.
    expect(result.fastSkus.sort()).toEqual(fastByRule.sort());
    expect(result.fastSkus.length + result.slowSkus.length).toBe(24);
    const topSeller = [...ranks].find(([, stats]) => stats.rank === 1)?.[0] as string;
    expect(result.fastSkus).toContain(topSeller);

    // Run 1: every level of every SKU in every warehouse is new to the shop.
    expect(result.first.fast.written).toBe(result.fastSkus.length * 3);
    expect(result.first.slow.written).toBe(result.slowSkus.length * 3);
    expect(result.first.fast.unchanged + result.first.slow.unchanged).toBe(0);

    // Run 2: only the two received levels are pushed, each by the job of its class.
    const longTail = [...ranks].find(([, stats]) => stats.rank === 20)?.[0] as string;
    expect(result.changed).toEqual([`${topSeller}@EAST`, `${longTail}@WEST`]);
    expect(result.second.fast.pushedSkus).toEqual([`${topSeller}@EAST`]);
    expect(result.second.fast.unchanged).toBe(result.fastSkus.length * 3 - 1);
    expect(result.second.slow.pushedSkus).toEqual([`${longTail}@WEST`]);
    expect(result.second.slow.read).toBe(1);

    // The shop ends equal to the ERP.
    expect(result.differing).toEqual([]);
    // Two 429s were answered during run 1; they were waited out and told to the limiter.
    expect(result.erp.answered429).toBe(2);
    expect(result.erp.limiterThrottled).toBeGreaterThanOrEqual(1);
    expect(result.erp.limiterStarted).toBeGreaterThan(0);

    // The "why" of a top seller and of a long-tail SKU is printed.
    expect(result.why[topSeller]).toContain(`ranks 1 of the top 3`);
    expect(Object.values(result.why).some((reason) => reason.startsWith("inventory.slow"))).toBe(true);
    expect(lines.some((line) => line.includes("unchanged (skipped)"))).toBe(true);
  });
});
