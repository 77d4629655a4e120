import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The Redis server binary the restart tests start their own instance of. */
export const REDIS_SERVER = process.env.DISTRO_REDIS_SERVER ?? "/usr/bin/redis-server";

/** Why the restart tests cannot run here, or undefined when they can. */
export const ownRedisSkipReason = existsSync(REDIS_SERVER)
  ? undefined
  : `${REDIS_SERVER} not found (set DISTRO_REDIS_SERVER): skipping the Redis restart tests`;

/** A Redis server of the test's own, on a free port in a temporary folder, that it may stop and start. */
export interface OwnRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Kills the server at once (SIGKILL: no save, no goodbye to clients). */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (reading its append-only file, if it keeps one). */
  start(): Promise<void>;
  /** Kills it and deletes its folder. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts a `redis-server` of the test's own (never the shared one): a free port on
 * 127.0.0.1, a temporary folder, no RDB snapshots, and an append-only file synced on every
 * write when `appendOnly` is set (else nothing survives a restart).
 *
 * @param options - whether the server keeps an append-only file
 * @returns the running server
 */
export async function startOwnRedis(options: { appendOnly: boolean }): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "distro-redis-"));
  let child: ChildProcess | undefined;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.appendOnly ? "yes" : "no",
    "--appendfsync",
    "always",
    "--logfile",
    join(dir, "redis.log"),
  ];

  const start = async () => {
    child = spawn(REDIS_SERVER, args, { stdio: "ignore" });
    const started = performance.now();
    while (!(await accepting(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (performance.now() - started > 10_000) throw new Error("redis-server did not start in 10 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const kill = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGKILL");
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
