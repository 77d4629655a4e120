import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** Where {@link TcpProxy.failNext} cuts the connection that sends a matching request. */
export type ProxyCutPoint =
  /** Before the server sees the request: it never runs. */
  | "before-request"
  /** After the server ran the request, before its reply reaches the client. */
  | "before-reply";

/** Settings of {@link TcpProxy.failNext}. */
export interface FailNextOptions {
  /**
   * For `before-reply`: whether the server's bytes received so far hold its whole reply
   * (PostgreSQL: a ReadyForQuery message). Until then the bytes are held back; once it
   * holds, the connection is cut and none of them reach the client. Default: the first
   * chunk the server sends.
   */
  replyComplete?: (received: Buffer) => boolean;
}

/** A TCP proxy in front of a real server whose connections a test can cut. */
export interface TcpProxy {
  /** The target's URL with host and port replaced by the proxy's (credentials, path and query kept). */
  readonly url: string;
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** How many connections the proxy has cut so far (by {@link TcpProxy.cut}, {@link TcpProxy.pause} or {@link TcpProxy.failNext}). */
  readonly cuts: number;
  /** Cuts every open connection, as a network failure would; new ones are accepted. @returns how many sockets it closed */
  cut(): number;
  /** Cuts the open connections and refuses new ones (the server is unreachable) until {@link TcpProxy.resume}. */
  pause(): void;
  /** Accepts connections again after {@link TcpProxy.pause}. */
  resume(): void;
  /**
   * Cuts the connection that next sends bytes containing `fragment` (as UTF-8), at `point`.
   *
   * @returns resolves once it has cut
   */
  failNext(fragment: string, point: ProxyCutPoint, options?: FailNextOptions): Promise<void>;
  /**
   * The local ports of the proxy's open connections to the server, as the server sees
   * them (PostgreSQL's `pg_stat_activity.client_port`), so a test can find its own
   * sessions on a shared server and only those.
   */
  serverSidePorts(): number[];
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

interface Armed {
  fragment: string;
  point: ProxyCutPoint;
  replyComplete: (received: Buffer) => boolean;
  done: () => void;
}

/**
 * Starts a TCP proxy on 127.0.0.1 (port 0) in front of the server of `targetUrl`, so a
 * test can drop its own connections (all at once, at a chosen request, or for a while)
 * without touching anyone else's on a shared PostgreSQL, Redis or broker.
 *
 * @param targetUrl - the real server, e.g. `redis://127.0.0.1:6379` (its port is required
 *   unless `defaultPort` is given)
 * @param options - `defaultPort` for URLs without a port
 * @returns the running proxy
 * @example
 * ```ts
 * import { startTcpProxy } from "@distro/core/testing";
 *
 * const proxy = await startTcpProxy("postgres://postgres@127.0.0.1:5432/test");
 * // connect the client under test to proxy.url, then:
 * const cut = proxy.failNext("UPDATE distro_outbox", "before-reply", {
 *   replyComplete: (bytes) => bytes.includes(Buffer.from([0x5a, 0, 0, 0, 5])), // ReadyForQuery
 * });
 * // ... run the statement: it commits on the server, the client never hears back
 * await cut;
 * proxy.pause(); // the server is unreachable
 * proxy.resume();
 * await proxy.close();
 * ```
 */
export async function startTcpProxy(
  targetUrl: string,
  options: { defaultPort?: number } = {},
): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || options.defaultPort);
  if (!Number.isInteger(targetPort) || targetPort <= 0) {
    throw new Error(`startTcpProxy: ${target.protocol}//${target.host} has no port; pass defaultPort`);
  }
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const armed: Armed[] = [];
  let paused = false;
  let cuts = 0;

  const server: Server = createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(targetPort, target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    upstreams.add(upstream);
    // Set while this connection's request must run but its reply never arrive.
    let swallow: { received: Buffer; entry: Armed } | undefined;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      upstreams.delete(upstream);
    };
    const cutHere = (entry: Armed) => {
      cuts += 1;
      end();
      entry.done();
    };
    client.on("data", (chunk: Buffer) => {
      if (armed.length > 0) {
        const text = chunk.toString("utf8");
        const index = armed.findIndex((entry) => text.includes(entry.fragment));
        if (index >= 0) {
          const entry = armed.splice(index, 1)[0]!;
          if (entry.point === "before-request") {
            cutHere(entry);
            return;
          }
          swallow = { received: Buffer.alloc(0), entry };
        }
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (swallow === undefined) {
        client.write(chunk);
        return;
      }
      swallow.received = Buffer.concat([swallow.received, chunk]);
      if (swallow.entry.replyComplete(swallow.received)) cutHere(swallow.entry);
    });
    for (const socket of [client, upstream]) {
      socket.on("error", end);
      socket.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const proxied = new URL(targetUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(port);

  const cutAll = (): number => {
    const count = sockets.size;
    if (count > 0) cuts += upstreams.size;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    upstreams.clear();
    return count;
  };

  return {
    url: proxied.toString(),
    port,
    get cuts() {
      return cuts;
    },
    cut: cutAll,
    pause() {
      paused = true;
      cutAll();
    },
    resume() {
      paused = false;
    },
    failNext(fragment, point, failOptions = {}) {
      return new Promise<void>((resolve) => {
        armed.push({
          fragment,
          point,
          replyComplete: failOptions.replyComplete ?? (() => true),
          done: resolve,
        });
      });
    },
    serverSidePorts() {
      return [...upstreams].flatMap((socket) => (socket.localPort === undefined ? [] : [socket.localPort]));
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
