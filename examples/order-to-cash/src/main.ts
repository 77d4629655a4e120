/**
 * `pnpm demo`: runs the order-to-cash scenario and prints a timeline per order and the
 * summary table. Exits non-zero when an invariant fails.
 */
import { runOrderToCashScenario } from "./scenario";

const orders = Number(process.env.DISTRO_DEMO_ORDERS ?? process.argv[2] ?? 500);
const report = await runOrderToCashScenario({ orders, log: (line) => console.log(`· ${line}`) });

for (const timeline of report.timelines) {
  console.log(`\norder ${timeline.orderId}  correlation ${timeline.correlationId}`);
  for (const entry of timeline.entries) {
    const phase = (entry.details?.phase as string | undefined) ?? entry.outcome;
    console.log(`  ${entry.at.slice(11, 23)}  ${entry.system.padEnd(13)} ${entry.step.padEnd(20)} ${phase}`);
  }
}

console.log("\nsummary");
for (const [name, value] of Object.entries(report.summary)) console.log(`  ${name.padEnd(32)} ${value}`);
console.log("\ninvariants");
for (const invariant of report.invariants)
  console.log(`  ${invariant.held ? "ok  " : "FAIL"} ${invariant.name} (${invariant.detail})`);
console.log(`\nfinished in ${(report.durationMs / 1000).toFixed(1)} s`);
if (report.invariants.some((invariant) => !invariant.held)) process.exit(1);
