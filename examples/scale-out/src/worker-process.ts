/**
 * The entry of one worker process, started by the worker pool (`pool.ts`) with
 * `child_process.fork`. It reads its settings from the `SCALE_OUT_WORKER` environment
 * variable (JSON of {@link WorkerProcessSettings}: connection URLs stay out of the
 * process list), connects to PostgreSQL, NATS and Redis, starts the worker and tells the
 * parent `ready`. It sends its counters every second, stops gracefully on `stop`, and
 * exits at once when the parent goes away (the IPC channel closes), so no worker
 * outlives the run.
 */
import { connectPostgres } from "@distro/store-postgres";
import { createNatsTransport } from "@distro/transport-nats";
import { Redis } from "ioredis";
import type { WorkerProcessSettings } from "./pool";
import { startWorker, type WorkerStats } from "./worker";

/** A message from a worker process to its parent. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "stats"; stats: WorkerStats }
  | { type: "stopped"; stats: WorkerStats };

const send = (message: WorkerMessage) => process.send?.(message);

async function main(): Promise<void> {
  const text = process.env.SCALE_OUT_WORKER;
  if (text === undefined || process.send === undefined) {
    console.error("worker-process: start me through the worker pool (fork with SCALE_OUT_WORKER set)");
    process.exit(2);
  }
  // The parent is gone: nobody can stop this worker any more, so it stops itself.
  process.on("disconnect", () => process.exit(1));
  const settings = JSON.parse(text) as WorkerProcessSettings;
  const db = connectPostgres(settings.postgresUrl, { max: settings.poolSize });
  const redis = new Redis(settings.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  let errors = 0;
  const worker = await startWorker({
    ...settings.tuning,
    db,
    schema: settings.schema,
    transport: createNatsTransport({
      servers: settings.natsUrl,
      namespace: settings.namespace,
      ackWaitMs: settings.ackWaitMs,
      name: `scale-out-${settings.workerId}`,
    }),
    erp: settings.erp,
    rateLimit: {
      redis,
      key: settings.rateLimit.key,
      limit: settings.rateLimit.limit,
      intervalMs: settings.rateLimit.intervalMs,
    },
    onError: () => {
      errors += 1;
    },
  });
  send({ type: "ready" });
  const ticker = setInterval(() => send({ type: "stats", stats: worker.stats() }), 1_000);
  process.on("message", (message: { type?: string }) => {
    if (message?.type !== "stop") return;
    clearInterval(ticker);
    void (async () => {
      await worker.close();
      await db.close();
      await redis.quit().catch(() => undefined);
      if (errors > 0) console.error(`worker ${settings.workerId}: ${errors} recovered bus errors`);
      process.removeAllListeners("disconnect");
      process.send?.({ type: "stopped", stats: worker.stats() } satisfies WorkerMessage, () =>
        process.exit(0),
      );
    })();
  });
}

main().catch((error: unknown) => {
  console.error("worker-process failed:", error);
  process.exit(1);
});
