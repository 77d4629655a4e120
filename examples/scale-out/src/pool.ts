import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ErpEndpoint, WorkerStats, WorkerTuning } from "./worker";
import type { WorkerMessage } from "./worker-process";

/** What a worker process needs to start (sent as JSON in its environment). */
export interface WorkerProcessSettings {
  /** The worker's name in logs and in the broker's connection list (`2.1`: slot 2, first restart). */
  workerId: string;
  /** PostgreSQL connection string. */
  postgresUrl: string;
  /** Connections in the worker's pool. */
  poolSize: number;
  /** The schema of the stores. */
  schema: string;
  /** NATS server URL (credentials may be in it: `tls://user:password@host:4222`). */
  natsUrl: string;
  /** The NATS namespace (stream and subjects). */
  namespace: string;
  /** How long a dead worker's unacknowledged deliveries wait before they go to another worker. */
  ackWaitMs: number;
  /** Redis URL (`rediss://` for TLS). */
  redisUrl: string;
  /** The ERP rate limit every worker shares. */
  rateLimit: { key: string; limit: number; intervalMs: number };
  /** The ERP. */
  erp: ErpEndpoint;
  /** Concurrency, prefetch and leases. */
  tuning: WorkerTuning;
}

/** Settings of {@link startWorkerPool}. */
export interface WorkerPoolOptions {
  /** How many worker processes run at once. */
  count: number;
  /** Their settings (each gets its own `workerId`). */
  settings: Omit<WorkerProcessSettings, "workerId">;
  /** How long a worker may take to connect and subscribe (default 60 s). */
  readyTimeoutMs?: number;
  /** Extra Node.js arguments for the workers, e.g. `["--cpu-prof"]` or `["--max-old-space-size=512"]`. */
  nodeArguments?: string[];
}

/** N worker processes, each one killable and restartable. */
export interface WorkerPool {
  /** How many slots. */
  readonly size: number;
  /** Workers killed so far. */
  readonly kills: number;
  /** Worker processes started so far (first starts and restarts). */
  readonly starts: number;
  /** The process id of every worker started so far, to check that none outlives the pool. */
  readonly pids: readonly number[];
  /**
   * Starts every slot's worker and waits until each has subscribed.
   *
   * @returns when all are ready
   * @throws Error when one exits or does not get ready in time
   */
  start(): Promise<void>;
  /**
   * Kills one worker with SIGKILL (no cleanup, as a crash or an OOM kill) and waits until it is gone.
   *
   * @param slot - which one, from 0
   * @returns when it exited
   */
  kill(slot: number): Promise<void>;
  /**
   * Starts a new worker in a slot whose worker is gone, and waits until it has subscribed.
   *
   * @param slot - which one, from 0
   * @returns when it is ready
   */
  restart(slot: number): Promise<void>;
  /**
   * Asks every worker to stop gracefully (finish what it started), and kills those that
   * do not within `timeoutMs`.
   *
   * @param timeoutMs - the grace period (default 10 s)
   * @returns when every worker is gone
   */
  stop(timeoutMs?: number): Promise<void>;
  /** Kills every worker at once with SIGKILL. Safe to call at any time, more than once. */
  destroy(): void;
  /**
   * The counters of every worker process that ran, added up (a killed worker's as it last
   * reported them, once a second).
   *
   * @returns the totals
   */
  stats(): WorkerStats;
}

const EMPTY_STATS: WorkerStats = {
  received: 0,
  handled: 0,
  duplicates: 0,
  redelivered: 0,
  deadLettered: 0,
  foundInErp: 0,
};

/** The `--import` hook that runs TypeScript in the worker processes, resolved from this package. */
function tsxHook(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
}

/**
 * Starts a pool of worker processes (`worker-process.ts` through `child_process.fork`,
 * TypeScript run by tsx, `@distro/*` resolved to their sources through the
 * `@distro/source` condition). Every worker is killed when this process exits, and
 * each one exits by itself when its parent is gone, so no worker is ever orphaned.
 *
 * @param options - how many, and their settings
 * @returns the pool (call `start`)
 * @example
 * ```ts
 * const pool = startWorkerPool({ count: 4, settings });
 * try {
 *   await pool.start();
 *   await pool.kill(2);
 *   await pool.restart(2);
 *   await pool.stop();
 * } finally {
 *   pool.destroy();
 * }
 * ```
 */
export function startWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const entry = fileURLToPath(new URL("./worker-process.ts", import.meta.url));
  const hook = tsxHook();
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const slots: (ChildProcess | undefined)[] = Array.from({ length: options.count }, () => undefined);
  const incarnations = Array.from({ length: options.count }, () => 0);
  const lastStats = new Map<string, WorkerStats>();
  let kills = 0;
  let starts = 0;
  const pids: number[] = [];
  const destroy = () => {
    for (const child of slots)
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", destroy);

  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const launch = (slot: number): Promise<void> => {
    const workerId = `${slot + 1}.${incarnations[slot]}`;
    incarnations[slot] = (incarnations[slot] ?? 0) + 1;
    starts += 1;
    const child = fork(entry, [], {
      execArgv: ["--conditions=@distro/source", "--import", hook, ...(options.nodeArguments ?? [])],
      env: { ...process.env, SCALE_OUT_WORKER: JSON.stringify({ ...options.settings, workerId }) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    slots[slot] = child;
    if (child.pid !== undefined) pids.push(child.pid);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`worker ${workerId} was not ready within ${readyTimeoutMs} ms`));
      }, readyTimeoutMs);
      child.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve();
        } else {
          lastStats.set(workerId, message.stats);
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker ${workerId} exited before it was ready (${signal ?? `code ${code}`})`));
      });
    });
  };

  return {
    size: options.count,
    get kills() {
      return kills;
    },
    get starts() {
      return starts;
    },
    get pids() {
      return pids;
    },
    async start() {
      await Promise.all(slots.map((_, slot) => launch(slot)));
    },
    async kill(slot) {
      const child = slots[slot];
      if (!child) return;
      kills += 1;
      child.kill("SIGKILL");
      await exited(child);
    },
    restart: (slot) => launch(slot),
    async stop(timeoutMs = 10_000) {
      await Promise.all(
        slots.map(async (child) => {
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
          try {
            child.send({ type: "stop" }, () => undefined);
          } catch {
            child.kill("SIGKILL");
          }
          await exited(child);
          clearTimeout(timer);
        }),
      );
      process.removeListener("exit", destroy);
    },
    destroy() {
      destroy();
      process.removeListener("exit", destroy);
    },
    stats() {
      const total = { ...EMPTY_STATS };
      for (const stats of lastStats.values()) {
        for (const name of Object.keys(total) as (keyof WorkerStats)[]) total[name] += stats[name];
      }
      return total;
    },
  };
}
