import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
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

const run = promisify(execFile);

/**
 * Closes, on the broker side, every connection whose name is `connectionName`, as a
 * network failure or a broker restart would (only this test's connections: the broker is shared).
 */
export async function closeConnectionsNamed(connectionName: string): Promise<number> {
  const { stdout } = await run("rabbitmqctl", ["-q", "list_connections", "pid", "client_properties"]);
  const pids = stdout
    .split("\n")
    .filter((line) => line.includes(`"${connectionName}"`))
    .map((line) => line.split("\t")[0]!)
    .filter((pid) => pid.startsWith("<"));
  for (const pid of pids) await run("rabbitmqctl", ["-q", "close_connection", pid, "distro test: dropped"]);
  return pids.length;
}
