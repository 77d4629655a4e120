/**
 * `pnpm proof`: the full-size proof. 4 worker processes on PostgreSQL, Redis and NATS
 * JetStream book 10,000 orders (30% delivered twice, 3 malformed) into the Business
 * Central simulator under a 200 requests-per-second budget, while a random worker is
 * killed with SIGKILL every 3 seconds and restarted. Prints the ERP's requests per second
 * and each guarantee; exits non-zero if one does not hold.
 *
 * Arguments: `[orders] [workers]`; environment: `DISTRO_PG_URL`, `DISTRO_REDIS_URL`,
 * `DISTRO_NATS_URL` (required), `SCALE_OUT_ERP_RPS` (default 200), `SCALE_OUT_KILL_EVERY_MS`
 * (default 3,000), `SCALE_OUT_SEED`.
 */
import { runScaleOut, scaleOutServicesFromEnv } from "./run";

const orders = Number(process.argv[2] ?? 10_000);
const workers = Number(process.argv[3] ?? 4);
const { services, missing } = scaleOutServicesFromEnv();
if (missing.length > 0) {
  console.error(`proof: set ${missing.join(", ")} (PostgreSQL, NATS JetStream and Redis are required)`);
  process.exit(2);
}

const started = Date.now();
const report = await runScaleOut({
  orders,
  workers,
  engine: "postgres",
  services,
  chaos: { everyMs: Number(process.env.SCALE_OUT_KILL_EVERY_MS ?? 3_000) },
  erp: { ratePerSecond: Number(process.env.SCALE_OUT_ERP_RPS ?? 200) },
  ...(process.env.SCALE_OUT_SEED ? { seed: Number(process.env.SCALE_OUT_SEED) } : {}),
  log: (line) => console.log(`· ${line}`),
});

console.log(`\nERP requests per second (budget ${report.erp.limitPerSecond}):`);
console.log(`  ${report.erp.perSecond.join(" ")}`);
console.log("\nsummary");
const summary: [string, string | number][] = [
  ["orders", report.orders],
  ["deliveries (with duplicates and poison)", report.deliveries],
  ["duplicate deliveries", report.duplicateDeliveries],
  ["workers", report.workers],
  ["workers killed (SIGKILL) and restarted", report.kills],
  ["ERP bookings", report.bookings.ledgerEntries],
  ["duplicates booked", report.bookings.duplicatesBooked],
  ["orders lost", report.bookings.missing.length],
  ["busiest second at the ERP", report.erp.busiestSecond],
  ["ERP 429s (budget / concurrency)", `${report.erp.rateLimited} / ${report.erp.concurrencyLimited}`],
  ["bookings found already in the ERP", report.erp.foundAlreadyBooked],
  ["deliveries dropped by the inbox", report.workerStats.duplicates],
  [
    "dead letters (explained / unexplained)",
    `${report.deadLetters.explained.length} / ${report.deadLetters.unexplained.length}`,
  ],
  ["orders per second (first publish → last booking)", report.ordersPerSecond.toFixed(1)],
];
for (const [name, value] of summary) console.log(`  ${name.padEnd(50)} ${value}`);
for (const entry of report.deadLetters.explained)
  console.log(`  dead letter ${entry.eventId}: ${entry.reason}`);
console.log("\nguarantees");
for (const check of report.checks)
  console.log(`  ${check.held ? "ok  " : "FAIL"} ${check.name} (${check.detail})`);
console.log(`\nfinished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (report.checks.some((check) => !check.held)) process.exit(1);
