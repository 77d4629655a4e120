import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** Where {@link PgProxy.failNext} cuts the connection of a matching statement. */
export type CutPoint =
  /** Before the server sees the statement: it never runs. */
  | "before-request"
  /** After the server ran (and, outside a transaction, committed) it, before its reply arrives. */
  | "before-reply";

/** A TCP proxy in front of PostgreSQL whose connections a test can cut. */
export interface PgProxy {
  /** The database URL through the proxy. */
  readonly url: string;
  /** How many connections the proxy has cut so far. */
  readonly cuts: number;
  /**
   * The local ports of the proxy's open connections to the server: `client_port` in
   * `pg_stat_activity`, so a test can find its own backends and only those.
   */
  serverSidePorts(): number[];
  /**
   * Cuts the connection that next sends a statement containing `sqlFragment`, at `point`.
   *
   * @returns resolves once it has cut
   */
  failNext(sqlFragment: string, point: CutPoint): Promise<void>;
  /** Refuses new connections and cuts the open ones (the server is unreachable) until {@link PgProxy.resume}. */
  pause(): void;
  /** Accepts connections again. */
  resume(): void;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

/** PostgreSQL's ReadyForQuery message ('Z', length 5): the server finished a statement (and its commit). */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * Starts a TCP proxy on 127.0.0.1 port 0 in front of the PostgreSQL server of `databaseUrl`,
 * so a test can drop its own connections at a chosen statement (as a failover or a network
 * fault would) without touching anyone else's on the shared server. Statements are matched
 * in the client's bytes (the SQL text of the extended protocol's Parse message).
 *
 * @param databaseUrl - the real server
 * @returns the proxy
 */
export async function startPgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const armed: { fragment: string; point: CutPoint; done: () => void }[] = [];
  let paused = false;
  let cuts = 0;

  const server: Server = createServer((client) => {
    sockets.add(client);
    if (paused) {
      client.destroy();
      sockets.delete(client);
      return;
    }
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstreams.add(upstream);
    // Set when this connection's statement must run but its reply never arrive.
    let swallow: { seen: Buffer; done: () => void } | undefined;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      upstreams.delete(upstream);
    };
    const cut = (done: () => void) => {
      cuts += 1;
      end();
      done();
    };
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      const index = armed.findIndex((entry) => text.includes(entry.fragment));
      if (index >= 0) {
        const [entry] = armed.splice(index, 1);
        if (entry!.point === "before-request") {
          cut(entry!.done);
          return;
        }
        swallow = { seen: Buffer.alloc(0), done: entry!.done };
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (swallow === undefined) {
        client.write(chunk);
        return;
      }
      swallow.seen = Buffer.concat([swallow.seen, chunk]);
      if (swallow.seen.includes(READY_FOR_QUERY)) cut(swallow.done);
    });
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const proxied = new URL(databaseUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);

  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  return {
    url: proxied.toString(),
    get cuts() {
      return cuts;
    },
    serverSidePorts() {
      return [...upstreams].flatMap((socket) => (socket.localPort === undefined ? [] : [socket.localPort]));
    },
    failNext(sqlFragment, point) {
      return new Promise<void>((resolve) => {
        armed.push({ fragment: sqlFragment, point, done: resolve });
      });
    },
    pause() {
      paused = true;
      cutAll();
    },
    resume() {
      paused = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
