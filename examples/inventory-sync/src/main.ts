/**
 * ERP → shop inventory with velocity-based policies.
 *
 * Business Central holds the stock per warehouse; Shopify shows it. Top sellers are kept
 * near-realtime (every run re-reads their availability), the long tail follows the ERP's
 * change feed on a schedule. Both are incremental sync jobs with a checkpoint and a
 * content hash per level, so a level that did not change is never sent again. Every ERP
 * call goes through one upstream limiter; Shopify pushes are paced by the connector's
 * GraphQL cost throttle.
 *
 * Run it: `pnpm start`. Copy the folder and change the settings below to use real systems.
 */
import { pathToFileURL } from "node:url";
import { createShopify, type ShopifyChannel } from "@distro/connectors-ecommerce/shopify";
import {
  type BusinessCentralSettings,
  createBusinessCentralErpSystem,
} from "@distro/connectors-erp/business-central";
import { type InventoryLevel, InventoryLevelSchema, isDistroError } from "@distro/core";
import {
  type CheckpointStore,
  classifyByVelocity,
  classifyTopSellers,
  createCircuitBreaker,
  createMemoryCheckpointStore,
  createMemoryRecordHashStore,
  createPolicyRegistry,
  createSyncJob,
  createUpstreamLimiter,
  type PolicyRegistry,
  type RecordHashStore,
  type SyncJob,
  type SyncRunReport,
  type UpstreamLimiter,
} from "@distro/sync";
import {
  type BusinessCentralSimulator,
  createBusinessCentralSimulator,
} from "@distro/testkit/business-central";
import { createShopifySimulator, type ShopifySimulator } from "@distro/testkit/shopify";

// ---------------------------------------------------------------------------------------
// Settings: the only part to change for real systems (see README.md).
// ---------------------------------------------------------------------------------------

/** What the example runs with. */
export interface InventorySyncSettings {
  /** How many ERP items the simulated Business Central is seeded with. */
  items: number;
  /** The ERP warehouses (Business Central location codes) pushed to the shop. */
  warehouses: readonly string[];
  /** SKUs ranked this high or better by sales are top sellers (near-realtime). */
  topSellers: number;
  /** SKUs selling at least this many units a day are fast movers too. */
  fastVelocity: number;
  /** The ERP's published request limit (requests per second), and the in-flight cap. */
  erpRequestsPerSecond: number;
  erpConcurrency: number;
  /** Page size for the ERP change feed. */
  erpPageSize: number;
  /** Stock received in the ERP between the two runs: SKU rank (1 = best seller), warehouse, quantity. */
  stockReceipts: readonly { rank: number; warehouse: string; quantity: string }[];
  /** The simulated ERP answers this many availability reads with 429 + `Retry-After: 1` during run 1. */
  erpThrottledAnswers: number;
  /** The time, for the fast job's cursor (default `Date.now`). */
  clock: () => number;
  /** Print progress (the test runs it silently). */
  log: (line: string) => void;
}

export const defaultSettings: InventorySyncSettings = {
  items: 60,
  warehouses: ["EAST", "CENTRAL", "WEST"],
  topSellers: 5,
  fastVelocity: 25,
  erpRequestsPerSecond: 20,
  erpConcurrency: 4,
  erpPageSize: 50,
  stockReceipts: [
    { rank: 1, warehouse: "EAST", quantity: "120" }, // a top seller
    { rank: 40, warehouse: "WEST", quantity: "35" }, // a long-tail SKU
  ],
  erpThrottledAnswers: 2,
  clock: Date.now,
  log: (line) => console.log(line),
};

/**
 * Units sold per day, by SKU. Here a deterministic Zipf-like curve over a shuffled
 * ranking; in production, read it from your sales history (ERP sales lines, shop orders).
 */
export function salesVelocity(skus: readonly string[]): Map<string, { rank: number; velocity: number }> {
  const stats = new Map<string, { rank: number; velocity: number }>();
  const count = skus.length;
  skus.forEach((sku, index) => {
    const rank = ((index * 17) % count) + 1;
    stats.set(sku, { rank, velocity: Math.round(300 / rank) });
  });
  return stats;
}

// ---------------------------------------------------------------------------------------
// Step 1: the systems. The simulators stand in for Business Central and Shopify.
// ---------------------------------------------------------------------------------------

/** The two systems the example talks to, and how to reach them. */
export interface Systems {
  erpSimulator: BusinessCentralSimulator;
  shopSimulator: ShopifySimulator;
  /** ERP warehouse code → Shopify location id. */
  shopLocations: Record<string, string>;
  skus: string[];
  close(): Promise<void>;
}

/**
 * Starts the ERP and shop simulators and gives the shop one product per ERP item (the
 * variant SKU is the ERP item number) and one location per ERP warehouse.
 */
export async function startSystems(settings: InventorySyncSettings): Promise<Systems> {
  const erpSimulator = await createBusinessCentralSimulator({
    seed: { items: settings.items },
    // The ERP's own limit, a little above what the limiter allows: it is never reached.
    rateLimit: { requests: settings.erpRequestsPerSecond * 2, windowMs: 1000 },
  });
  const shopSimulator = await createShopifySimulator();
  const skus = Array.from(
    { length: settings.items },
    (_, index) => `I-${String(index + 1).padStart(5, "0")}`,
  );
  for (const sku of skus) {
    const item = erpSimulator.record("items", sku);
    shopSimulator.addProduct({
      title: String(item?.displayName ?? sku),
      variants: [{ sku, price: "1.00" }],
    });
  }
  const shopLocations: Record<string, string> = {};
  for (const warehouse of settings.warehouses) {
    shopLocations[warehouse] = String(shopSimulator.addLocation(warehouse));
  }
  return {
    erpSimulator,
    shopSimulator,
    shopLocations,
    skus,
    close: async () => {
      await Promise.all([erpSimulator.close(), shopSimulator.close()]);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Step 2: the connectors. One limiter protects the ERP; the shop paces itself.
// ---------------------------------------------------------------------------------------

/** The ERP connector with its limiter, and the shop connector. */
export interface Connectors {
  /** Reads for top sellers: they start ahead of batch work in the ERP limiter's queue. */
  erpInteractive: ReturnType<typeof createBusinessCentralErpSystem>;
  /** Reads for the long tail: batch priority. */
  erpBatch: ReturnType<typeof createBusinessCentralErpSystem>;
  erpLimiter: UpstreamLimiter;
  shop: ShopifyChannel;
}

/**
 * Adapts the sync package's upstream limiter to the `{ schedule }` limiter the ERP
 * connector runs every HTTP call through, and tells it about 429 / 503 answers (the
 * connector returns them as responses to its own retry loop, so the limiter would not
 * see them as errors).
 */
function erpLimiterFor(limiter: UpstreamLimiter, priority: "interactive" | "batch") {
  return {
    schedule: <T>(task: () => Promise<T>) =>
      limiter.run(
        async () => {
          const result = await task();
          const status = (result as { status?: unknown })?.status;
          if (status === 429 || status === 503) {
            const header = (result as { headers?: Headers }).headers?.get?.("retry-after");
            const seconds = header ? Number(header) : Number.NaN;
            limiter.feedback({
              status,
              ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}),
            });
          }
          return result;
        },
        { priority },
      ),
  };
}

/** Connects to the ERP (behind the limiter) and to the shop. */
export function connect(systems: Systems, settings: InventorySyncSettings): Connectors {
  const erpLimiter = createUpstreamLimiter({
    system: "business-central",
    ratePerInterval: settings.erpRequestsPerSecond,
    intervalMs: 1000,
    concurrency: settings.erpConcurrency,
    queueCapacity: 256,
    whenFull: "wait",
    breaker: createCircuitBreaker({ system: "business-central", failureThreshold: 10, openForMs: 2000 }),
  });
  const erpSettings: Omit<BusinessCentralSettings, "limiter"> = {
    companyUrl: systems.erpSimulator.companyUrl,
    auth: { tokenUrl: systems.erpSimulator.tokenUrl, ...systems.erpSimulator.credentials },
    maxPageSize: settings.erpPageSize,
  };
  const shop = createShopify({
    shop: systems.shopSimulator.shopDomain,
    baseUrl: systems.shopSimulator.url,
    accessToken: systems.shopSimulator.accessToken,
    inventory: { api: "graphql", reason: "correction" },
    locations: systems.shopLocations,
  });
  return {
    erpInteractive: createBusinessCentralErpSystem({
      ...erpSettings,
      limiter: erpLimiterFor(erpLimiter, "interactive"),
    }),
    erpBatch: createBusinessCentralErpSystem({ ...erpSettings, limiter: erpLimiterFor(erpLimiter, "batch") }),
    erpLimiter,
    shop,
  };
}

// ---------------------------------------------------------------------------------------
// Step 3: the policies. Which SKUs are fast movers, and why.
// ---------------------------------------------------------------------------------------

/** The policy class of every SKU, with the reason the registry gave. */
export interface Classification {
  policies: PolicyRegistry;
  fast: Set<string>;
  slow: Set<string>;
  why: Map<string, string>;
}

/** Classifies every SKU: top sellers and fast movers → `inventory.fast`, the rest → `inventory.slow`. */
export function classify(skus: readonly string[], settings: InventorySyncSettings): Classification {
  const velocity = salesVelocity(skus);
  const policies = createPolicyRegistry({
    classifiers: {
      inventory: [
        classifyTopSellers({
          rankOf: (sku) => velocity.get(sku)?.rank,
          top: settings.topSellers,
          policy: "inventory.fast",
        }),
        classifyByVelocity({ tiers: [{ atLeast: settings.fastVelocity, policy: "inventory.fast" }] }),
      ],
    },
  });
  const fast = new Set<string>();
  const slow = new Set<string>();
  const why = new Map<string, string>();
  for (const sku of skus) {
    const { policy, reason } = policies.resolve({
      entity: "inventory",
      sku,
      velocity: velocity.get(sku)?.velocity,
    });
    (policy.name === "inventory.fast" ? fast : slow).add(sku);
    why.set(sku, `${policy.name} (${policy.mode}): ${reason}`);
  }
  return { policies, fast, slow, why };
}

// ---------------------------------------------------------------------------------------
// Step 4: the sync jobs. One per policy class; each pushes only levels that changed.
// ---------------------------------------------------------------------------------------

/** What one job pushed to the shop in its last run. */
export interface Pushed {
  levels: InventoryLevel[];
}

/** The two jobs, with what each pushed. */
export interface InventoryJobs {
  fast: SyncJob;
  slow: SyncJob;
  pushed: { fast: Pushed; slow: Pushed };
}

/** The stores the jobs keep their progress in (memory here; PostgreSQL in production). */
export interface JobStores {
  checkpoints: CheckpointStore;
  hashes: RecordHashStore;
}

/** The change hash covers the quantities, not the time they were read. */
const quantitiesOf = (level: InventoryLevel) => ({
  sku: level.sku,
  locationId: level.locationId,
  onHand: level.onHand,
  allocated: level.allocated,
  available: level.available,
});

/** Builds the near-realtime job (top sellers) and the scheduled job (long tail). */
export function createInventoryJobs(
  connectors: Connectors,
  classification: Classification,
  settings: InventorySyncSettings,
  stores: JobStores,
): InventoryJobs {
  const pushed = { fast: { levels: [] as InventoryLevel[] }, slow: { levels: [] as InventoryLevel[] } };
  const warehouses = new Set(settings.warehouses);
  const pushTo = (target: Pushed) => async (levels: InventoryLevel[]) => {
    await connectors.shop.setInventory(levels);
    target.levels.push(...levels);
  };
  const common = {
    schema: InventoryLevelSchema,
    keyOf: (level: InventoryLevel) => `${level.sku}@${level.locationId}`,
    contentOf: quantitiesOf,
    checkpoints: stores.checkpoints,
    hashes: stores.hashes,
    onInvalidRecord: "skip" as const,
  };

  // Top sellers: every run re-reads their availability (a handful of SKUs, interactive
  // priority in the ERP limiter); the hash keeps unchanged levels from being resent.
  const fast = createSyncJob<InventoryLevel>({
    ...common,
    id: "inventory-fast",
    pages: async function* () {
      const levels = await connectors.erpInteractive.getAvailability({
        skus: [...classification.fast],
        locationIds: [...warehouses],
      });
      yield { records: levels, cursor: String(Math.floor(settings.clock())) };
    },
    write: pushTo(pushed.fast),
  });

  // Long tail: follows the ERP's change feed from the last checkpoint (batch priority);
  // levels of top sellers in the feed belong to the fast job and are left to it.
  const slow = createSyncJob<InventoryLevel>({
    ...common,
    id: "inventory-slow",
    pages: async function* ({ cursor }) {
      for await (const page of connectors.erpBatch.readChanges("inventory", {
        ...(cursor ? { cursor } : {}),
        pageSize: settings.erpPageSize,
      })) {
        const records = (page.records as InventoryLevel[]).filter(
          (level) => classification.slow.has(level.sku) && warehouses.has(level.locationId),
        );
        yield { records, cursor: page.cursor };
      }
    },
    write: pushTo(pushed.slow),
  });
  return { fast, slow, pushed };
}

/** The outcome of one run of both jobs. */
export interface RunOutcome {
  fast: SyncRunReport & { pushedSkus: string[] };
  slow: SyncRunReport & { pushedSkus: string[] };
}

/** Runs both jobs once (in production: the fast one every few seconds, the slow one hourly). */
export async function runJobs(jobs: InventoryJobs): Promise<RunOutcome> {
  jobs.pushed.fast.levels = [];
  jobs.pushed.slow.levels = [];
  const [fast, slow] = await Promise.all([jobs.fast.run(), jobs.slow.run()]);
  for (const report of [fast, slow]) {
    if (report.status !== "completed") throw report.error;
  }
  const keys = (levels: InventoryLevel[]) => levels.map((level) => `${level.sku}@${level.locationId}`);
  return {
    fast: { ...fast, pushedSkus: keys(jobs.pushed.fast.levels) },
    slow: { ...slow, pushedSkus: keys(jobs.pushed.slow.levels) },
  };
}

// ---------------------------------------------------------------------------------------
// Step 5: an ERP stock change between runs, and the check that the shop matches the ERP.
// ---------------------------------------------------------------------------------------

/** Receives stock in the ERP as a warehouse user would; returns the SKUs touched. */
export function receiveStock(systems: Systems, settings: InventorySyncSettings): string[] {
  const velocity = salesVelocity(systems.skus);
  const byRank = new Map([...velocity].map(([sku, stats]) => [stats.rank, sku]));
  return settings.stockReceipts.map((receipt) => {
    const sku = byRank.get(receipt.rank);
    if (sku === undefined) throw new RangeError(`No SKU has sales rank ${receipt.rank}`);
    systems.erpSimulator.receiveStock(sku, receipt.warehouse, receipt.quantity);
    return `${sku}@${receipt.warehouse}`;
  });
}

/** Compares every level in the shop with the ERP; returns the keys that differ. */
export async function compareShopWithErp(
  systems: Systems,
  connectors: Connectors,
  settings: InventorySyncSettings,
): Promise<string[]> {
  const levels = await connectors.erpBatch.getAvailability({
    skus: systems.skus,
    locationIds: [...settings.warehouses],
  });
  const differing: string[] = [];
  for (const level of levels) {
    const variant = systems.shopSimulator.variantBySku(level.sku);
    const location = systems.shopLocations[level.locationId];
    const shown =
      variant && location
        ? systems.shopSimulator.inventoryLevel(variant.inventory_item_id, BigInt(location))
        : undefined;
    if (shown === undefined || String(shown) !== level.available)
      differing.push(`${level.sku}@${level.locationId}`);
  }
  return differing;
}

// ---------------------------------------------------------------------------------------
// The whole story.
// ---------------------------------------------------------------------------------------

/** Everything the example did, for printing and for the test. */
export interface InventorySyncResult {
  skus: number;
  fastSkus: string[];
  slowSkus: string[];
  why: Record<string, string>;
  first: RunOutcome;
  changed: string[];
  second: RunOutcome;
  differing: string[];
  erp: { requests: number; answered429: number; limiterStarted: number; limiterThrottled: number };
}

function printRun(title: string, outcome: RunOutcome, log: (line: string) => void): void {
  log(title);
  for (const [policy, report] of [
    ["inventory.fast", outcome.fast],
    ["inventory.slow", outcome.slow],
  ] as const) {
    const shown = report.pushedSkus.slice(0, 6).join(", ");
    const more = report.pushedSkus.length > 6 ? `, … ${report.pushedSkus.length - 6} more` : "";
    log(
      `  ${policy.padEnd(15)} read ${String(report.read).padStart(4)}  pushed ${String(report.written).padStart(4)}  unchanged (skipped) ${String(report.unchanged).padStart(4)}  invalid ${report.invalid}`,
    );
    if (report.pushedSkus.length > 0) log(`    pushed: ${shown}${more}`);
  }
}

/** Runs the example end to end and returns what happened. */
export async function runInventorySync(
  settings: InventorySyncSettings = defaultSettings,
): Promise<InventorySyncResult> {
  const log = settings.log;
  const systems = await startSystems(settings);
  try {
    const connectors = connect(systems, settings);
    const classification = classify(systems.skus, settings);
    const jobs = createInventoryJobs(connectors, classification, settings, {
      checkpoints: createMemoryCheckpointStore(),
      hashes: createMemoryRecordHashStore(),
    });
    const fastSkus = systems.skus.filter((sku) => classification.fast.has(sku));
    const slowSkus = systems.skus.filter((sku) => classification.slow.has(sku));
    log(
      `${systems.skus.length} SKUs × ${settings.warehouses.length} warehouses: ${fastSkus.length} near-realtime, ${slowSkus.length} scheduled`,
    );
    const explained = [fastSkus[0], fastSkus.at(-1), slowSkus[0]].filter((sku): sku is string => !!sku);
    log("Why:");
    for (const sku of explained) log(`  ${sku}: ${classification.why.get(sku)}`);

    // The ERP pushes back for a moment: the connector waits out `Retry-After`, the limiter
    // slows down, and nothing is lost.
    const throttle = systems.erpSimulator.faults.inject({
      kind: "rate-limit",
      times: settings.erpThrottledAnswers,
      retryAfterSeconds: 1,
      path: /itemAvailabilities/,
    });
    const first = await runJobs(jobs);
    throttle.remove();
    printRun("Run 1 (first sync: every level is new to the shop)", first, log);

    const changed = receiveStock(systems, settings);
    log(`ERP stock received: ${changed.join(", ")}`);

    const second = await runJobs(jobs);
    printRun("Run 2 (after the stock change: only changed levels are pushed)", second, log);

    const differing = await compareShopWithErp(systems, connectors, settings);
    const traffic = systems.erpSimulator.traffic();
    const limiterStats = connectors.erpLimiter.stats();
    const erp = {
      requests: traffic.requests,
      answered429: traffic.rateLimited + throttle.applied,
      limiterStarted: limiterStats.started,
      limiterThrottled: limiterStats.throttled,
    };
    log(
      `ERP: ${erp.requests} requests served, ${erp.answered429} answered 429 (waited out Retry-After; the limiter slowed down ${erp.limiterThrottled} times); ${erp.limiterStarted} calls went through the limiter`,
    );
    log(`Shop matches ERP: ${differing.length === 0 ? "yes" : `no (${differing.join(", ")})`}`);
    return {
      skus: systems.skus.length,
      fastSkus,
      slowSkus,
      why: Object.fromEntries(explained.map((sku) => [sku, classification.why.get(sku) ?? ""])),
      first,
      changed,
      second,
      differing,
      erp,
    };
  } finally {
    await systems.close();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  runInventorySync().then(
    (result) => {
      if (result.differing.length > 0) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error(isDistroError(error) ? `${error.code}: ${error.message}` : error);
      process.exitCode = 1;
    },
  );
}
