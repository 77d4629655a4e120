import { startTcpProxy } from "@distro/core/testing";

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
 * Starts a TCP proxy in front of the Redis at `redisUrl`, so a test can lose the reply to
 * a command that Redis did run, without touching anyone else's connection.
 *
 * @param redisUrl - the real server
 * @returns the proxy
 */
export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const proxy = await startTcpProxy(redisUrl, { defaultPort: 6379 });
  return {
    url: proxy.url,
    loseNextReply: (fragment) => proxy.failNext(fragment, "before-reply"),
    close: () => proxy.close(),
  };
}
