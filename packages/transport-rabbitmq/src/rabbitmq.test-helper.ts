import { randomUUID } from "node:crypto";
import { serviceUrl, startTcpProxy, type TcpProxy } from "@distro/core/testing";
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
 * A TCP proxy in front of the test server, so a test can cut its own connections (as a
 * network failure would) without touching anyone else's.
 */
export function startProxy(): Promise<TcpProxy> {
  return startTcpProxy(amqpService.url!, { defaultPort: 5672 });
}
