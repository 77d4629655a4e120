/**
 * `pnpm bench` in @distro/store-postgres: the scale-out run of `examples/scale-out`, end
 * to end (feeder → NATS JetStream → worker → inbox, idempotency claim and dead letters in
 * the database → Redis-shared ERP limit → Business Central simulator), for 20,000 orders
 * with 30% duplicate deliveries:
 *
 * - `pg1`: 1 worker process on PostgreSQL;
 * - `pg4`: 4 worker processes on PostgreSQL, the same settings: `scaling` = pg4 / pg1;
 * - `pglite`: 1 process (worker, feeder and ERP simulator together) on embedded PGlite.
 *
 * The ERP answers each request after 100 ms (a SaaS ERP API's usual latency) and grants
 * 5,000 requests per second: a worker's 8 ERP calls in flight bound it, not the ERP's
 * budget, so the work is I/O bound and more workers book more orders until the CPU runs
 * out (the proof in examples/scale-out holds the workers to a real budget instead). Each run gets a fresh schema, stream and limiter key.
 * Before the runs, it counts the database round trips of an idempotency claim (new key
 * and key already completed).
 *
 * `DISTRO_BENCH_SMOKE=1` runs 100 orders per run; `DISTRO_BENCH_ORDERS` sets the size.
 * Without `DISTRO_PG_URL` (or without NATS or Redis) the PostgreSQL runs are skipped with
 * the reason and PGlite runs alone (on the in-memory transport when NATS is unset).
 */
import { performance } from "node:perf_hooks";
// The example is a private app, not a dependency: the bench runs its machinery from source.
import {
  runScaleOut,
  type ScaleOutOptions,
  type ScaleOutReport,
  scaleOutServicesFromEnv,
} from "../../../examples/scale-out/src/index";
import {
  connectPostgres,
  createPostgresIdempotencyStore,
  createPostgresStores,
  openPglite,
  quoteIdentifier,
  type SqlDatabase,
} from "../src/index";

const smoke = process.env.DISTRO_BENCH_SMOKE === "1";
const orders = Number(process.env.DISTRO_BENCH_ORDERS ?? (smoke ? 100 : 20_000));
const { services, missing } = scaleOutServicesFromEnv();

const common: Omit<ScaleOutOptions, "engine"> = {
  orders,
  services,
  duplicateRatio: 0.3,
  poisonOrders: 0,
  seed: 20_000,
  erp: { ratePerSecond: 5_000, latencyMs: 100 },
  tuning: { concurrency: 16, prefetch: 32, erpConcurrency: 8 },
  timeoutMs: 1_800_000,
};

/** Counts the statements sent to a database. */
function counted(db: SqlDatabase): { db: SqlDatabase; statements: () => number } {
  let statements = 0;
  return {
    db: {
      engine: db.engine,
      query(text, params) {
        statements += 1;
        return db.query(text, params);
      },
      transaction(fn) {
        return db.transaction((transaction) =>
          fn({
            query(text, params) {
              statements += 1;
              return transaction.query(text, params);
            },
          }),
        );
      },
      close: () => db.close(),
    },
    statements: () => statements,
  };
}

/** Database round trips of one idempotency claim, for a new key and for a key already completed. */
async function claimRoundTrips(): Promise<{
  engine: string;
  fresh: number;
  completed: number;
  claimMs: number;
}> {
  const db = services.postgresUrl ? connectPostgres(services.postgresUrl, { max: 2 }) : await openPglite();
  const schema = `bench_claims_${Date.now()}_${process.pid}`;
  try {
    await createPostgresStores({ db, schema });
    const probe = counted(db);
    const store = createPostgresIdempotencyStore({ db: probe.db, schema });
    const claims = smoke ? 50 : 500;
    const request = (key: string) => ({
      key,
      fingerprint: "f",
      inProgressExpiryMs: 30_000,
      retentionMs: 86_400_000,
    });
    const started = performance.now();
    for (let index = 0; index < claims; index++) {
      const claim = await store.claim(request(`order-${index}`));
      if (claim.outcome !== "claimed") throw new Error(`claim of a new key answered ${claim.outcome}`);
    }
    const claimMs = (performance.now() - started) / claims;
    const fresh = probe.statements() / claims;
    for (let index = 0; index < claims; index++) {
      await store.complete(
        `order-${index}`,
        (await store.get(`order-${index}`))!.claimToken,
        { ok: true },
        86_400_000,
      );
    }
    const before = probe.statements();
    for (let index = 0; index < claims; index++) {
      const claim = await store.claim(request(`order-${index}`));
      if (claim.outcome !== "existing") throw new Error(`claim of a completed key answered ${claim.outcome}`);
    }
    return { engine: db.engine, fresh, completed: (probe.statements() - before) / claims, claimMs };
  } finally {
    if (db.engine === "postgres") await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await db.close();
  }
}

function summarise(name: string, report: ScaleOutReport): string {
  const failed = report.checks.filter((check) => !check.held).map((check) => check.name);
  return (
    `  ${name.padEnd(7)} ${report.workers} worker${report.workers > 1 ? "s" : " "} ${report.engine}/${report.broker}: ` +
    `${report.orders} orders + ${report.duplicateDeliveries} duplicate deliveries in ${(report.durationMs / 1000).toFixed(1)} s = ` +
    `${report.ordersPerSecond.toFixed(1)} orders/s; ERP busiest second ${report.erp.busiestSecond}, ` +
    `duplicates booked ${report.bookings.duplicatesBooked}, lost ${report.bookings.missing.length}` +
    (failed.length > 0 ? `; FAILED: ${failed.join("; ")}` : "")
  );
}

const claims = await claimRoundTrips();
console.log(
  `idempotency claim on ${claims.engine}: ${claims.fresh.toFixed(2)} round trips for a new key, ` +
    `${claims.completed.toFixed(2)} for a completed key (${claims.claimMs.toFixed(2)} ms each, sequential)`,
);

const reports: ScaleOutReport[] = [];
let pg1: ScaleOutReport | undefined;
let pg4: ScaleOutReport | undefined;
if (missing.length === 0) {
  pg1 = await runScaleOut({ ...common, engine: "postgres", workers: 1 });
  console.log(summarise("pg1", pg1));
  pg4 = await runScaleOut({ ...common, engine: "postgres", workers: 4 });
  console.log(summarise("pg4", pg4));
  reports.push(pg1, pg4);
} else {
  console.log(
    `  pg1/pg4 skipped: ${missing.join(", ")} not set (worker processes need PostgreSQL, NATS and Redis)`,
  );
}
const pglite = await runScaleOut({ ...common, engine: "pglite" });
console.log(summarise("pglite", pglite));
reports.push(pglite);

const duplicatesBooked = reports.reduce((sum, report) => sum + report.bookings.duplicatesBooked, 0);
const rate = (report: ScaleOutReport | undefined) => (report ? report.ordersPerSecond.toFixed(1) : "n/a");
const scaling = pg1 && pg4 ? (pg4.ordersPerSecond / pg1.ordersPerSecond).toFixed(2) : "n/a";
console.log(
  `bench: scale-out pg1_orders_per_s=${rate(pg1)} pg4_orders_per_s=${rate(pg4)} scaling=${scaling} ` +
    `pglite_orders_per_s=${rate(pglite)} duplicates_booked=${duplicatesBooked}`,
);
if (reports.some((report) => report.checks.some((check) => !check.held)) || claims.fresh !== 1)
  process.exit(1);
