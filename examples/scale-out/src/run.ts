import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBus, createMemoryTransport, type DeadLetterEntry, type Transport } from "@distro/core";
import {
  connectPostgres,
  createPostgresStores,
  openPglite,
  quoteIdentifier,
  type SqlDatabase,
} from "@distro/store-postgres";
import { createBusinessCentralSimulator } from "@distro/testkit/business-central";
import { createNatsTransport, subscriptionToken } from "@distro/transport-nats";
import { Redis } from "ioredis";
import { connect as connectNats } from "nats";
import { startChaos } from "./chaos";
import {
  type BookingCount,
  busiestWindow,
  countBookings,
  type ExplainedDeadLetter,
  explainDeadLetters,
  perSecond,
  type RunCheck,
} from "./checks";
import { feedOrders } from "./feeder";
import { planDeliveries, seededRandom } from "./orders";
import { startWorkerPool, type WorkerPool } from "./pool";
import { type RunningWorker, startWorker, type WorkerStats, type WorkerTuning } from "./worker";

const SUBSCRIPTION = "erp-booking";

/** Where the services are. Unset ones fall back to in-process stand-ins where a run allows it. */
export interface ScaleOutServices {
  /** PostgreSQL (`DISTRO_PG_URL`). */
  postgresUrl?: string;
  /** NATS with JetStream (`DISTRO_NATS_URL`). */
  natsUrl?: string;
  /** Redis (`DISTRO_REDIS_URL`). */
  redisUrl?: string;
}

/**
 * The services named by `DISTRO_PG_URL`, `DISTRO_NATS_URL` and `DISTRO_REDIS_URL`, and the
 * names of the variables that are unset (a run on worker processes needs all three).
 *
 * @param env - where to read them (default `process.env`)
 * @returns the services and the missing variable names
 */
export function scaleOutServicesFromEnv(env: NodeJS.ProcessEnv = process.env): {
  services: ScaleOutServices;
  missing: string[];
} {
  const variables = {
    DISTRO_PG_URL: env.DISTRO_PG_URL,
    DISTRO_NATS_URL: env.DISTRO_NATS_URL,
    DISTRO_REDIS_URL: env.DISTRO_REDIS_URL,
  };
  return {
    services: {
      postgresUrl: variables.DISTRO_PG_URL,
      natsUrl: variables.DISTRO_NATS_URL,
      redisUrl: variables.DISTRO_REDIS_URL,
    },
    missing: Object.entries(variables)
      .filter(([, value]) => !value)
      .map(([name]) => name),
  };
}

/** Settings of {@link runScaleOut}. */
export interface ScaleOutOptions {
  /** Valid orders to book. */
  orders: number;
  /**
   * `postgres`: `workers` worker processes on PostgreSQL, NATS and Redis (all required).
   * `pglite`: one worker inside this process on an embedded PGlite database (NATS and
   * Redis when given, else the in-memory transport and no shared limit).
   */
  engine: "postgres" | "pglite";
  /** Worker processes (`postgres` only; default 4). */
  workers?: number;
  /** The services. */
  services: ScaleOutServices;
  /** Share of orders delivered twice (default 0.3). */
  duplicateRatio?: number;
  /** Malformed orders mixed in, which must end in the dead-letter store (default 3). */
  poisonOrders?: number;
  /** Seed of the plan and the chaos (default random). */
  seed?: number;
  /** The ERP simulator. */
  erp?: {
    /** Its request budget per second, which the workers share through Redis (default 200). */
    ratePerSecond?: number;
    /** Added to each ERP request's window in the shared limiter, for transit jitter (default 100 ms). */
    marginMs?: number;
    /** Latency of each ERP request (default 10 ms). */
    latencyMs?: number;
  };
  /** Kill a random worker every `everyMs` on average, and restart it (`postgres` only; default off). */
  chaos?: { everyMs: number };
  /** Worker tuning (defaults: concurrency 8, prefetch 16, 4 ERP calls in flight, 15 s leases). */
  tuning?: Partial<WorkerTuning>;
  /** How long a dead worker's unacknowledged deliveries wait before they go to another (default 5,000 ms). */
  ackWaitMs?: number;
  /** Give up (and fail) after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Extra Node.js arguments for the worker processes (e.g. `["--cpu-prof"]` to profile them). */
  workerNodeArguments?: string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What a run did and whether every guarantee held. */
export interface ScaleOutReport {
  /** `postgres` or `pglite`. */
  engine: "postgres" | "pglite";
  /** Worker processes (1 for `pglite`: the worker runs in this process). */
  workers: number;
  /** The broker used. */
  broker: "nats" | "memory";
  /** Valid orders fed. */
  orders: number;
  /** Publishes, duplicates and poison orders included. */
  deliveries: number;
  /** Duplicate deliveries (same event id published again). */
  duplicateDeliveries: number;
  /** Poison orders fed. */
  poisonOrders: number;
  /** Workers killed with SIGKILL during the run. */
  kills: number;
  /** Worker processes started (first starts and restarts). */
  workerStarts: number;
  /** Their process ids (every one of them has exited when the run returns). */
  workerPids: number[];
  /** From the first publish to the last booking. */
  durationMs: number;
  /** Valid orders per second over `durationMs`. */
  ordersPerSecond: number;
  /** From the first publish until every delivery was settled. */
  drainedAfterMs: number;
  /** The ERP's bookings against the plan. */
  bookings: BookingCount & {
    /** Entries in the ERP's booking ledger. */
    ledgerEntries: number;
  };
  /** What the ERP saw. */
  erp: {
    /** Its budget per second. */
    limitPerSecond: number;
    /** The most requests in any sliding second. */
    busiestSecond: number;
    /** Requests per calendar second from the first publish. */
    perSecond: number[];
    /** API requests (token calls excluded). */
    requests: number;
    /** Requests refused for the budget (429). */
    rateLimited: number;
    /** Requests refused for concurrency (429). */
    concurrencyLimited: number;
    /** The most requests in flight at once. */
    peakConcurrency: number;
    /** Look-ups by external document number that found the order already booked (a worker died after the ERP booked it). */
    foundAlreadyBooked: number;
  };
  /** The dead-letter store at the end. */
  deadLetters: { explained: ExplainedDeadLetter[]; unexplained: DeadLetterEntry[] };
  /** The workers' counters, added up (killed workers' as last reported). */
  workerStats: WorkerStats;
  /** Every guarantee and whether it held. */
  checks: RunCheck[];
}

const DEFAULT_TUNING: WorkerTuning = {
  concurrency: 8,
  prefetch: 16,
  erpConcurrency: 4,
  inboxLeaseMs: 15_000,
  claimExpiryMs: 15_000,
  redeliveryDelayMs: 200,
};

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * Runs the scale-out proof once: starts a Business Central simulator with a request
 * budget, a fresh PostgreSQL schema, NATS stream and Redis limiter key (so runs never
 * collide), N worker processes, feeds the planned orders with duplicate deliveries,
 * kills and restarts workers while they work, waits until everything is booked and every
 * delivery settled, then checks the guarantees against the ERP's own ledger. Everything
 * it created is removed at the end, and every worker is killed even when the run fails.
 *
 * @param options - size, engine, services, ERP budget, chaos and tuning
 * @returns the report, with each guarantee checked
 * @throws Error when a required service is missing, or the run does not finish within `timeoutMs`
 * @example
 * ```ts
 * const report = await runScaleOut({
 *   orders: 10_000, engine: "postgres", workers: 4, chaos: { everyMs: 3_000 },
 *   services: { postgresUrl: process.env.DISTRO_PG_URL, natsUrl: process.env.DISTRO_NATS_URL, redisUrl: process.env.DISTRO_REDIS_URL },
 * });
 * for (const check of report.checks) console.log(check.held ? "ok" : "FAIL", check.name, check.detail);
 * ```
 */
export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutReport> {
  const log = options.log ?? (() => undefined);
  const { postgresUrl, natsUrl, redisUrl } = options.services;
  const processes = options.engine === "postgres";
  if (processes && (!postgresUrl || !natsUrl || !redisUrl)) {
    throw new Error("runScaleOut: the postgres engine needs PostgreSQL, NATS and Redis URLs");
  }
  const workers = processes ? (options.workers ?? 4) : 1;
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const ratePerSecond = options.erp?.ratePerSecond ?? 200;
  const marginMs = options.erp?.marginMs ?? 100;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const runId = randomUUID().replaceAll("-", "").slice(0, 12);
  const schema = `scale_out_${runId}`;
  const namespace = `scale_out_${runId}`;
  const limiterKey = `scale-out-${runId}`;
  const plan = planDeliveries({
    orders: options.orders,
    duplicateRatio: options.duplicateRatio ?? 0.3,
    poisonOrders: options.poisonOrders ?? 3,
    random,
  });
  log(
    `run ${runId} (seed ${seed}): ${plan.orderNumbers.length} orders, ${plan.duplicates} duplicate deliveries, ` +
      `${plan.poisonEventIds.length} poison orders; ${workers} worker${workers > 1 ? "s" : ""} on ${options.engine}`,
  );

  // Undone in reverse order, whatever happens.
  const cleanups: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  let pool: WorkerPool | undefined;
  try {
    const erp = await createBusinessCentralSimulator({
      rateLimit: { requests: ratePerSecond, windowMs: 1_000 },
      maxConcurrentRequests: workers * tuning.erpConcurrency,
      latencyMs: options.erp?.latencyMs ?? 10,
    });
    cleanups.push({ name: "ERP simulator", run: () => erp.close() });

    let db: SqlDatabase;
    if (processes) {
      db = connectPostgres(postgresUrl!, { max: 4 });
      cleanups.push({ name: "database", run: () => db.close() });
      cleanups.push({
        name: "schema",
        run: () => db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`),
      });
    } else {
      const folder = await mkdtemp(join(tmpdir(), "distro-scale-out-"));
      cleanups.push({ name: "PGlite folder", run: () => rm(folder, { recursive: true, force: true }) });
      db = await openPglite(folder);
      cleanups.push({ name: "database", run: () => db.close() });
    }
    const stores = await createPostgresStores({ db, schema });

    const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
    if (redis) {
      cleanups.push({ name: "Redis", run: () => redis.quit() });
      cleanups.push({
        name: "limiter keys",
        run: () => redis.del(`distro:rate:{${limiterKey}}`, `distro:rate:{${limiterKey}}:clock`),
      });
    }
    if (natsUrl) {
      cleanups.push({
        name: "NATS streams",
        run: async () => {
          const connection = await connectNats({ servers: natsUrl });
          const manager = await connection.jetstreamManager();
          for (const stream of [namespace, `${namespace}-dead`])
            await manager.streams.delete(stream).catch(() => false);
          await connection.close();
        },
      });
    }
    const memory = natsUrl ? undefined : createMemoryTransport();
    const transportFor = (name: string): Transport =>
      memory ??
      createNatsTransport({
        servers: natsUrl!,
        namespace,
        ackWaitMs: options.ackWaitMs ?? 5_000,
        deduplicate: false,
        name,
      });
    const rateLimit = { key: limiterKey, limit: ratePerSecond, intervalMs: 1_000 + marginMs };
    const erpEndpoint = { companyUrl: erp.companyUrl, tokenUrl: erp.tokenUrl, ...erp.credentials };

    let inProcess: RunningWorker | undefined;
    if (processes) {
      pool = startWorkerPool({
        count: workers,
        settings: {
          postgresUrl: postgresUrl!,
          poolSize: 6,
          schema,
          natsUrl: natsUrl!,
          namespace,
          ackWaitMs: options.ackWaitMs ?? 5_000,
          redisUrl: redisUrl!,
          rateLimit,
          erp: erpEndpoint,
          tuning,
        },
        ...(options.workerNodeArguments ? { nodeArguments: options.workerNodeArguments } : {}),
      });
      await pool.start();
      cleanups.push({ name: "workers", run: () => pool?.stop() });
    } else {
      inProcess = await startWorker({
        ...tuning,
        db,
        schema,
        transport: transportFor("scale-out-worker"),
        erp: erpEndpoint,
        ...(redis ? { rateLimit: { redis, ...rateLimit } } : {}),
      });
      cleanups.push({ name: "worker", run: () => inProcess?.close() });
    }
    log(`${workers} worker${workers > 1 ? "s" : ""} subscribed`);

    const feederBus = createBus({ transport: transportFor("scale-out-feeder"), inbox: false });
    cleanups.push({ name: "feeder", run: () => feederBus.close() });
    let drained: () => Promise<boolean>;
    if (natsUrl) {
      const probe = await consumerDrained(natsUrl, namespace);
      cleanups.push({ name: "NATS monitor", run: () => probe.close() });
      drained = probe.drained;
    } else {
      drained = async () => {
        const stats = inProcess!.stats();
        return stats.handled + stats.deadLettered + stats.duplicates >= plan.deliveries.length;
      };
    }

    const startedAt = Date.now();
    const chaos =
      pool && options.chaos ? startChaos(pool, { everyMs: options.chaos.everyMs, random, log }) : undefined;
    let feedFailure: unknown;
    const feeding = feedOrders(feederBus, plan.deliveries).catch((error: unknown) => {
      feedFailure = error;
    });
    const deadline = startedAt + (options.timeoutMs ?? 600_000);
    const waitFor = async (what: string, done: () => Promise<boolean> | boolean) => {
      let lastLog = Date.now();
      while (!(await done())) {
        if (chaos?.failure !== undefined) throw chaos.failure;
        if (feedFailure !== undefined) throw feedFailure;
        if (Date.now() > deadline) {
          throw new Error(
            `scale-out run ${runId} timed out waiting for ${what}: ${distinctBooked(erp.bookingsByKey())} of ` +
              `${plan.orderNumbers.length} orders booked`,
          );
        }
        if (Date.now() - lastLog >= 5_000) {
          lastLog = Date.now();
          log(`… ${distinctBooked(erp.bookingsByKey())} of ${plan.orderNumbers.length} orders booked`);
        }
        await sleep(200);
      }
    };
    await waitFor(
      "every order booked",
      () => distinctBooked(erp.bookingsByKey()) >= plan.orderNumbers.length,
    );
    await chaos?.stop();
    await feeding;
    await waitFor("every delivery settled", async () => {
      const pending = await stores.deadLetters.list({ status: "all" });
      return pending.length >= plan.poisonEventIds.length && (await drained());
    });
    const drainedAfterMs = Date.now() - startedAt;
    await pool?.stop();
    const workerStats = pool ? pool.stats() : inProcess!.stats();

    const bookings = erp.bookings();
    const lastBookedAt = Math.max(...bookings.map((booking) => Date.parse(booking.bookedAt)));
    const durationMs = Math.max(1, lastBookedAt - startedAt);
    const api = erp.ledger.filter({ path: /^\/api\// });
    const times = api.map((entry) => entry.receivedAt);
    const traffic = erp.traffic();
    const foundAlreadyBooked = api.filter(
      (entry) =>
        entry.method === "GET" &&
        entry.path.endsWith("/salesOrders") &&
        entry.status === 200 &&
        entry.responseBody.includes('"externalDocumentNumber"'),
    ).length;
    const count = countBookings(plan, erp.bookingsByKey());
    const deadLetters = explainDeadLetters(await stores.deadLetters.list({ status: "all" }), plan);
    const busiestSecond = busiestWindow(times);
    const report: ScaleOutReport = {
      engine: options.engine,
      workers,
      broker: natsUrl ? "nats" : "memory",
      orders: plan.orderNumbers.length,
      deliveries: plan.deliveries.length,
      duplicateDeliveries: plan.duplicates,
      poisonOrders: plan.poisonEventIds.length,
      kills: chaos?.kills ?? 0,
      workerStarts: pool?.starts ?? 1,
      workerPids: pool ? [...pool.pids] : [],
      durationMs,
      ordersPerSecond: plan.orderNumbers.length / (durationMs / 1_000),
      drainedAfterMs,
      bookings: { ...count, ledgerEntries: bookings.length },
      erp: {
        limitPerSecond: ratePerSecond,
        busiestSecond,
        perSecond: perSecond(times, startedAt),
        requests: traffic.requests,
        rateLimited: traffic.rateLimited,
        concurrencyLimited: traffic.concurrencyLimited,
        peakConcurrency: traffic.peakConcurrency,
        foundAlreadyBooked,
      },
      deadLetters,
      workerStats,
      checks: [],
    };
    report.checks = checksOf(report, plan.orderNumbers.length, options.chaos !== undefined && processes);
    return report;
  } finally {
    pool?.destroy();
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        log(`cleanup of ${cleanup.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

function distinctBooked(bookingsByKey: ReadonlyMap<string, number>): number {
  return bookingsByKey.size;
}

/** A probe that answers whether the subscription's NATS consumer has nothing pending or unacknowledged. */
async function consumerDrained(
  natsUrl: string,
  namespace: string,
): Promise<{ drained: () => Promise<boolean>; close: () => Promise<void> }> {
  const connection = await connectNats({ servers: natsUrl });
  const manager = await connection.jetstreamManager();
  return {
    async drained() {
      const info = await manager.consumers.info(namespace, subscriptionToken(SUBSCRIPTION));
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    close: () => connection.close(),
  };
}

function checksOf(report: ScaleOutReport, orders: number, chaos: boolean): RunCheck[] {
  const { bookings, erp, deadLetters } = report;
  const checks: RunCheck[] = [
    {
      name: `the ERP ledger holds exactly ${orders} bookings, one per order`,
      held:
        bookings.ledgerEntries === orders &&
        bookings.duplicatesBooked === 0 &&
        bookings.unexpected.length === 0,
      detail: `${bookings.ledgerEntries} bookings, ${bookings.duplicatesBooked} duplicates, ${bookings.unexpected.length} unexpected`,
    },
    {
      name: "no order lost",
      held: bookings.missing.length === 0,
      detail: `${bookings.booked} of ${orders} booked${bookings.missing.length > 0 ? `; missing ${bookings.missing.slice(0, 10).join(", ")}` : ""}`,
    },
    {
      name: `the ERP never saw more than ${erp.limitPerSecond} requests in a second`,
      held: erp.busiestSecond <= erp.limitPerSecond && erp.rateLimited === 0,
      detail: `busiest sliding second ${erp.busiestSecond}, ${erp.rateLimited} refused for the budget`,
    },
    {
      name: "the ERP never saw more concurrent requests than it allows",
      held: erp.concurrencyLimited === 0,
      detail: `peak ${erp.peakConcurrency} in flight, ${erp.concurrencyLimited} refused for concurrency`,
    },
    {
      name: "the dead-letter store is empty or each entry explained",
      held: deadLetters.unexplained.length === 0 && deadLetters.explained.length === report.poisonOrders,
      detail:
        `${deadLetters.explained.length} explained (of ${report.poisonOrders} poison orders), ${deadLetters.unexplained.length} unexplained` +
        (deadLetters.unexplained.length > 0
          ? `: ${deadLetters.unexplained
              .slice(0, 5)
              .map((entry) => `${entry.eventId} ${entry.error.code} ${entry.error.message}`)
              .join("; ")}`
          : ""),
    },
  ];
  if (chaos) {
    checks.push({
      name: "workers were killed with SIGKILL while they worked, and restarted",
      held: report.kills > 0 && report.workerStarts === report.workers + report.kills,
      detail: `${report.kills} kills, ${report.workerStarts} worker processes started`,
    });
  }
  return checks;
}
