/**
 * `pnpm start`: runs the EDI gateway scenario, prints each document exchanged and a
 * summary, and exits non-zero when an invariant fails.
 */
import { runEdiGatewayDemo } from "./demo";

const result = await runEdiGatewayDemo({ log: (line) => console.log(line) });
const count = (direction: "in" | "out", kind: string) =>
  result.exchanges.filter((exchange) => exchange.direction === direction && exchange.kind === kind).length;
const booked = [...result.bookings.values()];
const checks: [string, boolean][] = [
  ["order booked exactly once", booked.length === 1 && booked[0] === 1],
  ["flow completed", result.flowStatus === "completed"],
  ["a 997 for every 850 received", count("out", "997") === count("in", "850")],
  [
    "855, 856 and 810 sent once each",
    count("out", "855") === 1 && count("out", "856") === 1 && count("out", "810") === 1,
  ],
  ["the partner acknowledged all three", result.settled.length === 3 && result.pending.length === 0],
  ["nothing overdue", result.overdue.length === 0],
];
console.log(`\ntimeline of ${result.order.id}: ${result.timeline.join(" → ")}`);
console.log("\nsummary");
console.log(
  `  order ${result.order.id} (PO ${result.order.poNumber}) booked as ${result.erpOrderNumber}; flow ${result.flowStatus}`,
);
for (const [line, acks] of Object.entries(result.acknowledgedLines))
  console.log(`  855 line ${line}: ${acks.join(", ")}`);
console.log(
  `  documents: in 850×${count("in", "850")} 997×${count("in", "997")}; out 997×${count("out", "997")} 855×${count("out", "855")} 856×${count("out", "856")} 810×${count("out", "810")}`,
);
console.log(
  `  acknowledgements settled: ${result.settled.map((entry) => `${entry.functionalId} ${entry.controlNumber} ${entry.status}`).join(", ")}; overdue: ${result.overdue.length}`,
);
for (const [name, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${name}`);
if (checks.some(([, ok]) => !ok)) process.exit(1);
