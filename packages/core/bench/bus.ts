/**
 * core-bus: pushes events through the in-process bus (memory transport, inbox dedupe by
 * source + id, idempotent handler, correlation context, retry policy, dead-letter store)
 * against the same business handler called through a bare eventemitter3 emitter, in the
 * same run. Both paths get the same events. Memory is sampled during
 * the run: the bus's queues, inbox and idempotency records are bounded, so RSS levels
 * off instead of growing with the event count. Events are complete CloudEvents built by
 * hand (the shape `createEvent` gives), so the time measured is the bus's, not the
 * event factory's; `createEvent` output is checked to be accepted the same way.
 *
 *   pnpm --filter @distro/core bench                       # 200,000 events
 *   DISTRO_BENCH_SMOKE=1 pnpm --filter @distro/core bench  # 5,000 events
 */
import { EventEmitter } from "eventemitter3";
import { getCorrelation } from "../src/correlation/context";
import type { CloudEvent } from "../src/envelope/cloud-event";
import { createEvent } from "../src/envelope/create-event";
import { idempotent } from "../src/idempotency/idempotent";
import { createMemoryIdempotencyStore } from "../src/idempotency/store";
import { createBus } from "../src/messaging/bus";
import { createMemoryInboxStore } from "../src/messaging/inbox";
import { createMemoryTransport } from "../src/messaging/memory-transport";

interface StockMove {
  sku: string;
  warehouse: string;
  quantity: string;
}

const SKUS = 500;

const TIME = new Date(Date.UTC(2026, 0, 1)).toISOString();

/** A complete CloudEvent, as `createEvent` would build it (built by hand so the bench times the bus). */
function makeEvent(index: number): CloudEvent<StockMove> {
  const sku = `SKU-${index % SKUS}`;
  return {
    specversion: "1.0",
    id: `evt-${index}`,
    source: "/wms/acme",
    type: "com.distro.inventory.adjusted",
    subject: sku,
    time: TIME,
    datacontenttype: "application/json",
    correlationid: `corr-${index}`,
    data: { sku, warehouse: "DC-1", quantity: String((index % 7) + 1) },
  };
}

/** The business handler both paths call: keeps a running stock level per SKU. */
function createHandler() {
  const levels = new Map<string, number>();
  let calls = 0;
  return {
    levels,
    get calls() {
      return calls;
    },
    apply(move: StockMove): void {
      calls += 1;
      levels.set(move.sku, (levels.get(move.sku) ?? 0) + Number.parseInt(move.quantity, 10));
    },
  };
}

function rssMegabytes(): number {
  return process.memoryUsage().rss / 1_048_576;
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
  calls: number;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function runBare(total: number): Promise<Timing> {
  const handler = createHandler();
  const emitter = new EventEmitter();
  emitter.on("com.distro.inventory.adjusted", (event: CloudEvent<StockMove>) => handler.apply(event.data!));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let index = 0; index < total; index++) {
    const event = makeEvent(index);
    emitter.emit(event.type, event);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, cpuSeconds: cpuSeconds(cpu), calls: handler.calls };
}

async function runOurs(total: number, samples: number[]): Promise<Timing> {
  const handler = createHandler();
  const bus = createBus({
    transport: createMemoryTransport({ capacity: 2_048 }),
    inbox: createMemoryInboxStore({ maxEntries: 10_000 }),
  });
  const store = createMemoryIdempotencyStore({ maxRecords: 10_000 });
  let correlated = 0;
  const subscription = await bus.subscribe<StockMove>({
    name: "stock-levels",
    types: ["com.distro.inventory.adjusted"],
    concurrency: 16,
    prefetch: 512,
    retry: { maxAttempts: 5, baseDelayMs: 50 },
    handler: async (event) => {
      if (getCorrelation()?.correlationId === event.correlationid) correlated += 1;
      await idempotent(() => handler.apply(event.data!), {
        store,
        key: event.id,
        scope: { system: "wms", operation: "adjust-stock" },
        inProgressExpiryMs: 60_000,
        retentionMs: 3_600_000,
      });
    },
  });
  const sampleEvery = Math.max(1, Math.floor(total / 8));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let index = 0; index < total; index++) {
    await bus.publish(makeEvent(index));
    if (index % sampleEvery === 0) samples.push(rssMegabytes());
  }
  // Everything is published; at most the queue and the prefetch are still in flight.
  const deadline = performance.now() + 600_000;
  while (
    subscription.stats.handled + subscription.stats.deadLettered < total &&
    performance.now() < deadline
  ) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuUsed = cpuSeconds(cpu);
  samples.push(rssMegabytes());
  if (subscription.stats.handled !== total || subscription.stats.deadLettered !== 0) {
    throw new Error(`Bus run ended with ${JSON.stringify(subscription.stats)}`);
  }
  await bus.close();
  if (correlated !== total)
    throw new Error(`Only ${correlated} of ${total} handlers ran in their event's correlation`);
  return { seconds, cpuSeconds: cpuUsed, calls: handler.calls };
}

/**
 * Runs the bus benchmark and prints its `bench: core-bus ...` line last.
 *
 * @param smoke - run a tiny size that finishes in a few seconds (CI)
 * @returns when done
 */
export async function runBusBench(smoke: boolean): Promise<void> {
  const total = smoke ? 5_000 : 200_000;
  const warmup = smoke ? 1_000 : 20_000;
  const sample = createEvent({
    type: "com.distro.inventory.adjusted",
    source: "/wms/acme",
    subject: "SKU-0",
    data: {},
  });
  if (Object.keys(sample).sort().join() !== Object.keys(makeEvent(0)).sort().join()) {
    throw new Error("The bench's events no longer have the shape createEvent gives");
  }
  await runBare(warmup);
  await runOurs(warmup, []);
  const samples: number[] = [];
  const bare = await runBare(total);
  const ours = await runOurs(total, samples);
  if (bare.calls !== total || ours.calls !== total) {
    throw new Error(`Handler calls differ: bare ${bare.calls}, bus ${ours.calls}, expected ${total}`);
  }
  const oursRate = total / ours.seconds;
  const bareRate = total / bare.seconds;
  const peak = Math.max(...samples);
  console.log(
    `core-bus: ${total} events; bus ${ours.seconds.toFixed(2)} s (${ours.cpuSeconds.toFixed(2)} s CPU, ` +
      `${Math.round(total / ours.cpuSeconds)} events per CPU-second), bare emitter ${bare.seconds.toFixed(2)} s ` +
      `(${bare.cpuSeconds.toFixed(2)} s CPU); ` +
      `RSS during the bus run (MB): ${samples.map((sample) => sample.toFixed(0)).join(" ")}; peak ${peak.toFixed(0)} MB`,
  );
  console.log(
    `bench: core-bus events_per_s=${Math.round(oursRate)} bare_emitter_per_s=${Math.round(bareRate)} ratio=${(oursRate / bareRate).toFixed(4)}`,
  );
}

/**
 * Entry for `bench/index.ts`: the bus benchmark at the size `DISTRO_BENCH_SMOKE` asks for.
 *
 * @returns when done
 */
export async function run(): Promise<void> {
  await runBusBench(process.env.DISTRO_BENCH_SMOKE === "1");
}

if (process.argv[1]?.endsWith("bus.ts")) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
