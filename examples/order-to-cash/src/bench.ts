/**
 * `pnpm bench` in @distro/orchestration: order-to-cash for 5,000 orders with the fault
 * table on, against the same number with the faults off, in one run.
 * `DISTRO_BENCH_SMOKE=1` runs 60 orders each.
 */
import { runOrderToCashScenario } from "./scenario";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
const orders = Number(process.env.DISTRO_BENCH_ORDERS ?? (smoke ? 60 : 5_000));

async function measure(faults: boolean) {
  const report = await runOrderToCashScenario({ orders, faults, priceReads: smoke ? 100 : 2_000 });
  const completedOrHeld =
    Number(report.summary["shipped and invoiced"]) +
    Number(report.summary["held (credit)"]) +
    Number(report.summary["held (nothing in stock to ship)"]);
  return {
    ordersPerSecond: Number(report.summary["orders placed"]) / (report.durationMs / 1000),
    p99: Number(report.summary["webhook answer p99 ms"]),
    duplicates: Number(report.summary["duplicate bookings"]),
    lost: Number(report.summary["orders placed"]) - completedOrHeld,
    failed: report.invariants.filter((invariant) => !invariant.held).map((invariant) => invariant.name),
  };
}

const clean = await measure(false);
const faulty = await measure(true);
console.log(
  `order-to-cash: ${orders} orders each; faults off ${clean.ordersPerSecond.toFixed(1)}/s, on ${faulty.ordersPerSecond.toFixed(1)}/s; invariants failed: ${[...clean.failed, ...faulty.failed].join(", ") || "none"}`,
);
console.log(
  `bench: order-to-cash orders_per_s=${clean.ordersPerSecond.toFixed(1)} faults_orders_per_s=${faulty.ordersPerSecond.toFixed(1)} p99_submit_ms=${Math.max(clean.p99, faulty.p99)} duplicates_booked=${clean.duplicates + faulty.duplicates} lost=${clean.lost + faulty.lost}`,
);
if (clean.duplicates + faulty.duplicates > 0 || clean.lost + faulty.lost > 0) process.exit(1);
