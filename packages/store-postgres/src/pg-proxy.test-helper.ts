import { type ProxyCutPoint, startTcpProxy, type TcpProxy } from "@distro/core/testing";

/** Where {@link PgProxy.failNext} cuts the connection of a matching statement. */
export type CutPoint = ProxyCutPoint;

/** A TCP proxy in front of PostgreSQL whose connections a test can cut. */
export interface PgProxy extends Omit<TcpProxy, "failNext"> {
  /**
   * Cuts the connection that next sends a statement containing `sqlFragment`, at `point`.
   * For `before-reply` the statement runs (and, outside a transaction, commits) and the
   * connection is cut once the server is ready for the next query.
   *
   * @returns resolves once it has cut
   */
  failNext(sqlFragment: string, point: CutPoint): Promise<void>;
}

/** PostgreSQL's ReadyForQuery message ('Z', length 5): the server finished a statement (and its commit). */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * Starts a TCP proxy in front of the PostgreSQL server of `databaseUrl`, so a test can
 * drop its own connections at a chosen statement (matched in the SQL text of the extended
 * protocol's Parse message) without touching anyone else's on the shared server.
 *
 * @param databaseUrl - the real server
 * @returns the proxy
 */
export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const proxy = await startTcpProxy(databaseUrl, { defaultPort: 5432 });
  const replyComplete = (received: Buffer) => received.includes(READY_FOR_QUERY);
  const failNext = proxy.failNext;
  return Object.assign(proxy, {
    failNext: (sqlFragment: string, point: CutPoint) => failNext(sqlFragment, point, { replyComplete }),
  });
}
