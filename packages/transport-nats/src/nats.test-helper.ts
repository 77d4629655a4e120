import { randomUUID } from "node:crypto";
import { serviceUrl, startTcpProxy, type TcpProxy } from "@distro/core/testing";
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
 * A TCP proxy in front of the test server, so a test can cut its own connections (as a
 * network failure would) without touching anyone else's.
 */
export function startProxy(): Promise<TcpProxy> {
  return startTcpProxy(natsService.url!, { defaultPort: 4222 });
}
