import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { serviceUrl } from "@distro/core/testing";
import { connect } from "nats";

/** The NATS URL for the tests, or the reason they skip. */
export const natsService = serviceUrl("nats");

/** A random namespace (subjects and stream names) for one test. */
export function testNamespace(): string {
  return `distro_test_${randomUUID().slice(0, 12).replace(/-/g, "")}`;
}

/** Deletes the streams (and so the consumers) a test created under `namespace`. */
export async function deleteNamespace(namespace: string): Promise<void> {
  const connection = await connect({ servers: natsService.url! });
  try {
    const manager = await connection.jetstreamManager();
    for (const name of [namespace, `${namespace}-dead`]) {
      await manager.streams.delete(name).catch(() => false);
    }
  } finally {
    await connection.close();
  }
}

/**
 * A TCP proxy on 127.0.0.1 port 0 in front of the NATS server, so a test can cut its own
 * connections (as a network failure would) without touching anyone else's.
 */
export async function startProxy(): Promise<{ url: string; cut: () => number; close: () => Promise<void> }> {
  const target = new URL(natsService.url!);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 4222), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
