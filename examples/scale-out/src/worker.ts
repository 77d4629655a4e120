import { createBusinessCentral } from "@distro/connectors-erp/business-central";
import { type CloudEvent, createBus, type Order, parseOrder, type Transport } from "@distro/core";
import {
  createPostgresDeadLetterStore,
  createPostgresIdempotencyStore,
  createPostgresInboxStore,
  type SqlDatabase,
} from "@distro/store-postgres";
import { createRedisRateLimiter } from "@distro/store-redis";
import type { Redis } from "ioredis";
import { ORDER_SUBMITTED } from "./orders";

/** Where the ERP is and how to authenticate (OAuth2 client credentials). */
export interface ErpEndpoint {
  /** The company's API root, `.../api/v2.0/companies(<id>)`. */
  companyUrl: string;
  /** The token endpoint. */
  tokenUrl: string;
  /** The app registration's client id. */
  clientId: string;
  /** Its secret. */
  clientSecret: string;
}

/** The knobs of one worker. */
export interface WorkerTuning {
  /** Orders this worker books at once (the bus subscription's concurrency). */
  concurrency: number;
  /** Deliveries taken from the broker ahead of handling. */
  prefetch: number;
  /** ERP calls this worker has in flight at most (the ERP also caps concurrent requests). */
  erpConcurrency: number;
  /** How long this worker's inbox claim on a message holds if it dies holding it. */
  inboxLeaseMs: number;
  /** How long its idempotency claim on an order holds if it dies mid-booking. */
  claimExpiryMs: number;
  /** How soon a delivery that another worker is still handling comes back. */
  redeliveryDelayMs: number;
}

/** The rate limit every worker shares through Redis. */
export interface SharedRateLimit {
  /** The Redis client (the caller owns it). */
  redis: Redis;
  /** The upstream's key: the same in every worker. */
  key: string;
  /** At most this many ERP requests start in any window of `intervalMs`, across all workers. */
  limit: number;
  /** The window: the ERP's (1,000 ms) plus a margin for transit jitter. */
  intervalMs: number;
}

/** Settings of {@link startWorker}. */
export interface StartWorkerOptions extends WorkerTuning {
  /** The database of the inbox, dead letters and idempotency records (the caller owns it). */
  db: SqlDatabase;
  /** Its schema. */
  schema: string;
  /** The broker (the worker closes it on `close`). */
  transport: Transport;
  /** The ERP. */
  erp: ErpEndpoint;
  /** The shared ERP rate limit; without it only `erpConcurrency` holds the ERP back. */
  rateLimit?: SharedRateLimit;
  /** The subscription's name (default `erp-booking`). */
  subscription?: string;
  /** Told about failures the bus recovered from (a store that was briefly down). */
  onError?: (error: unknown) => void;
}

/** What one worker did since it started. */
export interface WorkerStats {
  /** Deliveries received from the broker. */
  received: number;
  /** Orders handled (booked, or found already booked). */
  handled: number;
  /** Deliveries dropped by the inbox as already finished. */
  duplicates: number;
  /** Deliveries given back to the broker (busy in another worker, closing). */
  redelivered: number;
  /** Messages dead-lettered. */
  deadLettered: number;
  /** Bookings the ERP adapter found already in the ERP (the external-document-number guard). */
  foundInErp: number;
}

/** A running worker. */
export interface RunningWorker {
  /**
   * Its counters.
   *
   * @returns a copy
   */
  stats(): WorkerStats;
  /**
   * Finishes the orders it has started, gives the rest back to the broker and closes the
   * broker connection (the database and Redis stay open: their owner closes them).
   *
   * @returns when closed
   */
  close(): Promise<void>;
}

/**
 * Runs `task` with at most `limit` tasks of this process in flight, then through `next`.
 *
 * @param limit - tasks in flight at most
 * @param next - the limiter behind this one (the shared rate limit), if any
 * @returns a limiter in the connectors' `{ schedule }` shape
 */
function concurrencyLimiter(
  limit: number,
  next?: { schedule<T>(task: () => Promise<T>): Promise<T> },
): { schedule<T>(task: () => Promise<T>): Promise<T> } {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async schedule(task) {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active += 1;
      try {
        return next === undefined ? await task() : await next.schedule(task);
      } finally {
        // The slot passes straight to the next waiting task, or is freed.
        const wake = waiting.shift();
        if (wake === undefined) active -= 1;
        else wake();
      }
    },
  };
}

/**
 * Starts one worker: the bus on the broker, its inbox, dead letters and idempotency
 * records in PostgreSQL, and the `erp-booking` subscription that books each order into
 * Business Central once. The inbox drops a redelivered message that is finished; the
 * idempotency claim (one database round trip) stops two workers from booking one order
 * at once; the adapter's look-up by external document number finds a booking whose
 * answer was lost when a worker died mid-request. Every ERP call waits for the shared
 * Redis rate limit.
 *
 * @param options - database, broker, ERP, rate limit and tuning
 * @returns the running worker
 * @example
 * ```ts
 * const worker = await startWorker({
 *   db: connectPostgres(process.env.DISTRO_PG_URL!), schema: "distro",
 *   transport: createNatsTransport({ servers: process.env.DISTRO_NATS_URL!, namespace: "acme" }),
 *   erp: { companyUrl, tokenUrl, clientId, clientSecret },
 *   rateLimit: { redis: new Redis(process.env.DISTRO_REDIS_URL!), key: "erp", limit: 200, intervalMs: 1_100 },
 *   concurrency: 8, prefetch: 16, erpConcurrency: 4, inboxLeaseMs: 15_000, claimExpiryMs: 15_000, redeliveryDelayMs: 200,
 * });
 * ```
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const shared = { db: options.db, schema: options.schema };
  const rate =
    options.rateLimit === undefined
      ? undefined
      : createRedisRateLimiter({
          redis: options.rateLimit.redis,
          key: options.rateLimit.key,
          limit: options.rateLimit.limit,
          intervalMs: options.rateLimit.intervalMs,
        });
  const erp = createBusinessCentral({
    companyUrl: options.erp.companyUrl,
    auth: {
      tokenUrl: options.erp.tokenUrl,
      clientId: options.erp.clientId,
      clientSecret: options.erp.clientSecret,
    },
    limiter: concurrencyLimiter(options.erpConcurrency, rate),
    idempotency: {
      store: createPostgresIdempotencyStore(shared),
      inProgressExpiryMs: options.claimExpiryMs,
    },
  });
  const bus = createBus({
    transport: options.transport,
    inbox: createPostgresInboxStore(shared),
    deadLetters: createPostgresDeadLetterStore(shared),
    inboxLeaseMs: options.inboxLeaseMs,
    redeliveryDelayMs: options.redeliveryDelayMs,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  let foundInErp = 0;
  const subscription = await bus.subscribe<Order>({
    name: options.subscription ?? "erp-booking",
    types: [ORDER_SUBMITTED],
    concurrency: options.concurrency,
    prefetch: options.prefetch,
    retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000 },
    // A malformed order is refused before anything is booked: dead-lettered with its issues.
    validate: (event) => ({ ...event, data: parseOrder(event.data) }) as CloudEvent<Order>,
    handler: async (event) => {
      const order = event.data as Order;
      const booking = await erp.submitOrder(order, { idempotencyKey: order.number ?? order.id });
      if (booking.duplicate) foundInErp += 1;
    },
  });
  return {
    stats: () => ({ ...subscription.stats, foundInErp }),
    close: () => bus.close(),
  };
}
