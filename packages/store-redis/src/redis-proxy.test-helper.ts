import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** A TCP proxy in front of Redis that can lose the reply to one command. */
export interface RedisProxy {
  /** The Redis URL through the proxy. */
  readonly url: string;
  /**
   * Lets the next command whose bytes contain `fragment` reach Redis and run there, then
   * cuts the connection before its reply comes back (as a network fault would).
   *
   * @returns resolves once it has cut
   */
  loseNextReply(fragment: string): Promise<void>;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 port 0 in front of the Redis at `redisUrl`, so a test
 * can lose the reply to a command that Redis did run, without touching anyone else's
 * connection.
 *
 * @param redisUrl - the real server
 * @returns the proxy
 */
export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const armed: { fragment: string; done: () => void }[] = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 6379), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    let swallow: (() => void) | undefined;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      const index = armed.findIndex((entry) => text.includes(entry.fragment));
      if (index >= 0) swallow = armed.splice(index, 1)[0]!.done;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (swallow === undefined) {
        client.write(chunk);
        return;
      }
      const done = swallow;
      swallow = undefined;
      end();
      done();
    });
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const proxied = new URL(redisUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    loseNextReply(fragment) {
      return new Promise<void>((resolve) => {
        armed.push({ fragment, done: resolve });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
