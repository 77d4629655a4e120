/**
 * Benchmark 1: ERP protection. A simulated ERP (worker thread, node:http on loopback)
 * allows 50 requests in any sliding second and answers 429 above it. A Zipf-distributed
 * burst of account price reads (1,000 customers × 5,000 SKUs) hits it first directly, then
 * through the sync layer (scheduled sync jobs warm the pricing rule's inputs, read-through
 * caches with batch loads serve and refresh them, one adaptive limiter and breaker guard
 * the ERP, and the account price is computed with exact decimals).
 */
import { Worker } from "node:worker_threads";
import {
  CurrencyCodeSchema,
  compareDecimal,
  createHttpClient,
  DecimalSchema,
  divideDecimal,
  type HttpRequest,
  isDistroError,
  type Money,
  MoneySchema,
  multiplyMoney,
  roundMoney,
  subtractDecimal,
} from "@distro/core";
import { z } from "zod";
import {
  type CacheBatchContext,
  type CacheMetrics,
  createCircuitBreaker,
  createMemoryCheckpointStore,
  createReadThroughCache,
  createSyncJob,
  createUpstreamLimiter,
  defaultPolicies,
  definePolicy,
  type ReadPriority,
  type SyncPage,
  type SyncPageRequest,
} from "../src/index";

const ListLineSchema = z.object({
  sku: z.number().int(),
  amount: DecimalSchema,
  currency: CurrencyCodeSchema,
});
const TermsLineSchema = z.object({ customer: z.number().int(), discountPercent: DecimalSchema });
type ListLine = z.infer<typeof ListLineSchema>;
type TermsLine = z.infer<typeof TermsLineSchema>;
const toMoney = (line: ListLine): Money =>
  MoneySchema.parse({ amount: line.amount, currency: line.currency });

const CUSTOMERS = 1000;
const SKUS = 5000;
const ERP_LIMIT = 50;

/** A seeded PRNG (mulberry32) so every run draws the same reads. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws ranks 0..n-1 with probability ∝ 1 / (rank + 1)^s. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / (rank + 1) ** s;
    cdf[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

interface ErpStats {
  calls: number;
  served: number;
  throttled: number;
  maxPerSecond: number;
  throttleTimes: number[];
}

function startErp(): Promise<{ port: number; worker: Worker }> {
  // The worker loads the TypeScript simulator through tsx's loader, as this script is.
  const simulator = new URL("./erp-simulator.ts", import.meta.url).href;
  const worker = new Worker(
    `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(simulator)}); });`,
    { eval: true, workerData: { limit: ERP_LIMIT } },
  );
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", (message: { port: number }) => resolve({ port: message.port, worker }));
  });
}

function ask<T>(worker: Worker, type: string): Promise<T> {
  return new Promise((resolve) => {
    worker.once("message", (message: T) => resolve(message));
    worker.postMessage({ type });
  });
}

/**
 * Offers `rate` reads per second for `seconds`, keeping at most `maxInFlight` open. Each
 * event-loop turn starts the reads that are due, at most 2 ms worth, as a server starts the
 * requests that arrived: a read's latency is its own, not that of a burst queued behind
 * it in one turn. A read's latency runs from the call to its settled value (a miss waits
 * for the ERP through the limiter, all inside that span). How late each read started
 * against its schedule is measured apart (`lag`): a generator that falls behind, because
 * the process was starved of CPU, shows as a lower reads_per_s and a larger lag.
 */
async function drive(
  seconds: number,
  rate: number,
  maxInFlight: number,
  read: (customer: number, sku: number) => Promise<boolean>,
) {
  const random = seeded(42);
  const customerOf = zipf(CUSTOMERS, 1.1, random);
  const skuOf = zipf(SKUS, 1.1, random);
  const capacity = Math.ceil(seconds * rate) + 1;
  const latencies = new Float64Array(capacity);
  const lags = new Float64Array(capacity);
  const perTurn = Math.max(1, Math.ceil((rate / 1000) * 2));
  let issued = 0;
  let served = 0;
  let failed = 0;
  let dropped = 0;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const settle = (began: number, ok: boolean) => {
    if (ok) latencies[served++] = performance.now() - began;
    else failed++;
    if (--inFlight === 0) drained?.();
  };
  const started = performance.now();
  const end = started + seconds * 1000;
  const stalls: string[] = [];
  let previousTurn = started;
  for (let now = started; now < end; now = performance.now()) {
    if (now - previousTurn > 20)
      stalls.push(`${Math.round(previousTurn - started)}+${Math.round(now - previousTurn)}`);
    previousTurn = now;
    const due = Math.floor(((now - started) / 1000) * rate);
    for (let budget = perTurn; issued < due && budget > 0; budget--) {
      const scheduled = started + (issued * 1000) / rate;
      lags[issued] = now - scheduled;
      issued++;
      if (inFlight >= maxInFlight) {
        dropped++;
        continue;
      }
      inFlight++;
      const began = performance.now();
      read(customerOf(), skuOf()).then(
        (ok) => settle(began, ok),
        () => settle(began, false),
      );
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  if (process.env.DISTRO_BENCH_TRACE) console.error(`turns over 20 ms (start+ms): ${stalls.join(" ")}`);
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, served).sort();
  const sortedLags = lags.subarray(0, issued).sort();
  return {
    issued,
    served,
    failed,
    dropped,
    elapsed,
    p99: percentile(sorted, 0.99),
    p50: percentile(sorted, 0.5),
    max: served === 0 ? 0 : sorted[served - 1]!,
    lagP99: percentile(sortedLags, 0.99),
  };
}

/**
 * Runs the ERP protection benchmark and prints its `bench:` line.
 *
 * @param smoke - a one-second burst instead of ten
 */
export async function benchErpProtection(smoke: boolean): Promise<void> {
  const seconds = smoke ? 1 : 10;
  const rate = 20_000;
  const { port, worker } = await startErp();
  const baseUrl = `http://127.0.0.1:${port}/`;

  // 1. The sync layer. Account prices follow the ERP's pricing rule (list price per SKU,
  // discount per customer): the rule's inputs are cached (6,000 keys instead of 5,000,000
  // account prices), warmed by scheduled sync jobs, refreshed by batch loads through one
  // limiter per upstream, and the account price is computed locally with exact decimals.
  const policy = definePolicy({
    ...defaultPolicies.price!,
    name: "price.bench",
    freshForMs: 2000,
    maxStalenessMs: 5000,
  });
  const termsPolicy = definePolicy({ ...policy, name: "customer.bench" });
  const erp = createHttpClient({ baseUrl, system: "erp", timeoutMs: 2000, retry: false });
  const breaker = createCircuitBreaker({ system: "erp", failureThreshold: 20, openForMs: 2000 });
  // When the sync layer first met a 429: the limiter adapts from there.
  let firstThrottleAt: number | undefined;
  const limiter = createUpstreamLimiter({
    system: "erp",
    ratePerInterval: ERP_LIMIT,
    intervalMs: 1000,
    marginMs: 25,
    concurrency: 16,
    queueCapacity: 64,
    breaker,
  });
  const call = <T>(request: HttpRequest, priority: ReadPriority, maxWaitMs: number) =>
    limiter.run(
      () =>
        erp.requestJson<T>(request).catch((error: unknown) => {
          if (isDistroError(error) && error.code === "RATE_LIMITED") {
            firstThrottleAt ??= performance.timeOrigin + performance.now();
          }
          throw error;
        }),
      { priority, maxWaitMs },
    );
  const readOptions = (context: CacheBatchContext) =>
    [context.background ? "batch" : "interactive", context.background ? 2000 : 250] as const;

  const listPrices = createReadThroughCache<Money>({
    entity: "price",
    policy,
    batchWindowMs: 20,
    maxBatchSize: 500,
    loadMany: async (keys, context) => {
      const body = await call<{ items: ListLine[] }>(
        { method: "POST", path: "price-list/query", json: { skus: keys.map(Number) } },
        ...readOptions(context),
      );
      return new Map(body.items.map((line) => [String(line.sku), toMoney(line)]));
    },
  });
  const terms = createReadThroughCache<string>({
    entity: "customer",
    policy: termsPolicy,
    batchWindowMs: 20,
    maxBatchSize: 500,
    loadMany: async (keys, context) => {
      const body = await call<{ items: TermsLine[] }>(
        { method: "POST", path: "customer-terms/query", json: { customers: keys.map(Number) } },
        ...readOptions(context),
      );
      return new Map(
        body.items.map((line) => [String(line.customer), DecimalSchema.parse(line.discountPercent)]),
      );
    },
  });

  // Scheduled loads of the rule's inputs (the `scheduled` half of the price flow).
  const checkpoints = createMemoryCheckpointStore();
  const pagesOf = (path: string) =>
    async function* pages({ cursor }: SyncPageRequest): AsyncGenerator<SyncPage> {
      let after = cursor;
      for (;;) {
        const query = after === undefined ? "" : `?after=${after}`;
        const body = await call<{ items: unknown[]; next: string | null }>(
          { method: "GET", path: `${path}${query}` },
          "batch",
          10_000,
        );
        if (body.items.length === 0) return;
        const last = body.items[body.items.length - 1] as { sku?: number; customer?: number };
        after = String(last.sku ?? last.customer);
        yield { records: body.items, cursor: after };
        if (body.next === null) return;
      }
    };
  // A background write gives the event loop back every 100 keys, so reads never wait
  // behind a whole page of it.
  const yieldToReads = () => new Promise((resolve) => setImmediate(resolve));
  const jobs = [
    createSyncJob({
      id: "price-list",
      pages: pagesOf("price-list"),
      schema: ListLineSchema,
      keyOf: (line) => String(line.sku),
      write: async (lines) => {
        for (const [index, line] of lines.entries()) {
          await listPrices.set(String(line.sku), toMoney(line));
          if (index % 100 === 99) await yieldToReads();
        }
      },
      checkpoints,
    }),
    createSyncJob({
      id: "customer-terms",
      pages: pagesOf("customer-terms"),
      schema: TermsLineSchema,
      keyOf: (line) => String(line.customer),
      write: async (lines) => {
        for (const [index, line] of lines.entries()) {
          await terms.set(String(line.customer), line.discountPercent);
          if (index % 100 === 99) await yieldToReads();
        }
      },
      checkpoints,
    }),
  ];
  const warmed = await Promise.all(jobs.map((job) => job.run()));
  // The schedule keeps every key inside its policy: the jobs re-read the rule's inputs
  // every three quarters of the fresh period (12 ERP calls for 6,000 keys), so the long
  // tail of the Zipf draw finds its key fresh instead of missing once it passed its bound.
  // Reads in between are hits; a read of a key older than fresh is served and refreshed
  // by a batch load, as the policy says.
  const refreshEveryMs = policy.freshForMs * 0.75;
  let refreshing = true;
  let refreshRuns = 0;
  const schedule = (async () => {
    while (refreshing) {
      const began = performance.now();
      await Promise.all(jobs.map((job) => job.run({ mode: "full", resendUnchanged: true })));
      refreshRuns++;
      const wait = refreshEveryMs - (performance.now() - began);
      if (wait > 0 && refreshing) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();

  let staleMaxMs = 0;
  let waitedReads = 0;
  let shed = 0;
  let mismatches = 0;
  const sampled: { customer: number; sku: number; amount: string }[] = [];
  const sampledKeys = new Set<string>();
  const accountPrice = async (customer: number, sku: number) => {
    const [list, discount] = await Promise.all([listPrices.read(String(sku)), terms.read(String(customer))]);
    const age = Math.max(list.decision.ageMs, discount.decision.ageMs);
    if (list.decision.source === "upstream" || discount.decision.source === "upstream") waitedReads++;
    if (age > staleMaxMs) staleMaxMs = age;
    if (!list.value || discount.value === undefined) return undefined;
    const factor = divideDecimal(subtractDecimal("100", discount.value), "100", 4);
    return roundMoney(multiplyMoney(list.value, factor));
  };
  const readAccountPrice = async (customer: number, sku: number) => {
    try {
      const price = await accountPrice(customer, sku);
      if (
        price &&
        sampled.length < 200 &&
        (customer * 31 + sku) % 97 === 0 &&
        !sampledKeys.has(`${customer}/${sku}`)
      ) {
        sampledKeys.add(`${customer}/${sku}`);
        sampled.push({ customer, sku, amount: price.amount });
      }
      return price !== undefined;
    } catch (error) {
      if (!isDistroError(error)) throw error;
      shed++;
      return false;
    }
  };
  // One second of the same load first, not measured: the JIT reaches its steady state
  // (cold, the first pages of a refresh take tens of ms to validate) as in a running service.
  await drive(1, rate, 100_000, readAccountPrice);
  const warmUp = { list: listPrices.metrics(), terms: terms.metrics() };
  staleMaxMs = 0;
  waitedReads = 0;
  shed = 0;
  const sync = await drive(seconds, rate, 100_000, readAccountPrice);
  refreshing = false;
  await schedule;
  await limiter.idle();
  const syncErp = await ask<ErpStats>(worker, "stats");
  const warmedKeys = warmed.reduce((sum, report) => sum + report.written, 0);
  const throttledAfterAdaptation =
    firstThrottleAt === undefined ? 0 : syncErp.throttleTimes.filter((at) => at > firstThrottleAt!).length;
  // Counted over the measured burst only.
  const measured = (now: CacheMetrics, before: CacheMetrics) => ({
    hits: now.hits - before.hits,
    stale: now.stale - before.stale,
    misses: now.misses - before.misses,
    coalesced: now.coalesced - before.coalesced,
  });
  const listMetrics = measured(listPrices.metrics(), warmUp.list);
  const termsMetrics = measured(terms.metrics(), warmUp.terms);
  // The locally computed account prices must equal the ERP's own.
  for (const sample of sampled) {
    const erpPrice = await erp.requestJson<{ amount: string }>({
      method: "GET",
      path: `prices/${sample.customer}/${sample.sku}`,
    });
    if (compareDecimal(erpPrice.amount, sample.amount) !== 0) {
      mismatches++;
      if (process.env.DISTRO_BENCH_TRACE) console.error(sample, erpPrice);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  // 2. Direct calls, no sync layer: every read is an ERP call.
  await ask(worker, "reset");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const direct = await drive(seconds, rate, 256, async (customer, sku) => {
    try {
      await erp.requestJson({ method: "GET", path: `prices/${customer}/${sku}` });
      return true;
    } catch (error) {
      if (!isDistroError(error)) throw error;
      return false;
    }
  });
  const directErp = await ask<ErpStats>(worker, "stats");
  await worker.terminate();

  const readsPerSecond = Math.round(sync.issued / sync.elapsed);
  console.log(
    `info: sync-erp-protection sync: ${sync.issued} reads in ${sync.elapsed.toFixed(1)} s, served ${sync.served} ` +
      `(cache reads: hits ${listMetrics.hits + termsMetrics.hits}, stale ${listMetrics.stale + termsMetrics.stale}, ` +
      `misses ${listMetrics.misses + termsMetrics.misses}, coalesced ${listMetrics.coalesced + termsMetrics.coalesced}, ` +
      `${warmedKeys} keys warmed by 2 sync jobs, refreshed by ${refreshRuns} scheduled runs every ${refreshEveryMs} ms, after 1 s of unmeasured warm-up load; ` +
      `${waitedReads} reads waited for the ERP), shed ${shed} by back-pressure; ` +
      `latency from call to value over all served reads: p50 ${sync.p50.toFixed(3)} ms, p99 ${sync.p99.toFixed(3)} ms, ` +
      `max ${sync.max.toFixed(1)} ms; generator start lag p99 ${sync.lagP99.toFixed(2)} ms; ` +
      `limiter rate now ${limiter.stats().rate}/s, ` +
      `throttle signals ${limiter.stats().throttled}; ERP calls ${syncErp.calls}, ` +
      `429s ${syncErp.throttled} (${throttledAfterAdaptation} after the first adaptation); ` +
      `policy bound ${policy.maxStalenessMs / 1000} s; ${sampled.length} sampled prices checked against the ERP, ` +
      `${mismatches} differ`,
  );
  console.log(
    `info: sync-erp-protection direct: ${direct.issued} reads offered, ${direct.served} served, ` +
      `${direct.dropped} not sent (256 in flight), ERP calls ${directErp.calls}, ` +
      `max ${directErp.maxPerSecond} calls in one second, 429s ${directErp.throttled}, p99 ${direct.p99.toFixed(1)} ms`,
  );
  console.log(
    `bench: sync-erp-protection reads_per_s=${readsPerSecond} erp_calls_per_s_max=${syncErp.maxPerSecond} ` +
      `erp_429=${syncErp.throttled} p99_ms=${sync.p99.toFixed(3)} direct_erp_429=${directErp.throttled} ` +
      `stale_max_s=${(Math.floor(staleMaxMs) / 1000).toFixed(3)}`,
  );
}
