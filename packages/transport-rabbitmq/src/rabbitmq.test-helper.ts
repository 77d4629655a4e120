import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { serviceUrl } from "@distro/core/testing";
import amqp from "amqplib";

/** The broker URL for the tests, or the reason they skip. */
export const amqpService = serviceUrl("amqp");

/** A random namespace for one test's exchanges and queues. */
export function testNamespace(): string {
  return `distro-test-${randomUUID().slice(0, 12)}`;
}

/** Deletes the queues and exchanges a test declared under `namespace`. */
export async function deleteNamespace(
  namespace: string,
  subscriptions: readonly string[],
  partitions: number,
): Promise<void> {
  const connection = await amqp.connect(amqpService.url!);
  try {
    const channel = await connection.createChannel();
    for (const subscription of subscriptions) {
      for (let partition = 0; partition < partitions; partition++) {
        await channel.deleteQueue(`${namespace}.${subscription}.p${partition}`);
      }
    }
    await channel.deleteQueue(`${namespace}.dead-letters`);
    await channel.deleteExchange(`${namespace}.events`);
    await channel.deleteExchange(`${namespace}.dead`);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/**
 * A TCP proxy on 127.0.0.1 port 0 in front of the broker, so a test can cut its own
 * connections (as a network failure would) without touching anyone else's on the shared broker.
 */
export async function startProxy(): Promise<{ url: string; cut: () => number; close: () => Promise<void> }> {
  const target = new URL(amqpService.url!);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
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
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const proxied = new URL(amqpService.url!);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);
  return {
    url: proxied.toString(),
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
