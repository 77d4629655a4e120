import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector, type StatusFault } from "./faults";
import { stringifyJson } from "./json";
import { Ledger, type LedgerFault } from "./ledger";
import { jsonResponse, type SimulatorRequest, type SimulatorResponse, type SimulatorRouter } from "./router";

/** The clock, randomness and sleep every simulator accepts, so tests are exact. */
export interface SimulatorEnvironment {
  /** The current time in epoch milliseconds (default `Date.now`). */
  clock?: () => number;
  /** A source of randomness returning [0, 1) (default `Math.random`); drives `ratio` faults. */
  random?: () => number;
  /** Waits the given milliseconds (default a real timer); used by latency faults. */
  sleep?: (ms: number) => Promise<void>;
}

/** Settings for {@link startSimulatorServer}. */
export interface SimulatorServerSettings extends SimulatorEnvironment {
  /** The simulator's name, used in default error bodies (e.g. `shopify`). */
  name: string;
  /** The routes it serves. */
  router: SimulatorRouter;
  /** The answer when no route matches (default 404 `{"error":"Not Found"}`). */
  notFound?: (request: SimulatorRequest) => SimulatorResponse;
  /**
   * Renders an injected 429 or 5xx in the platform's own body shape. The base sets
   * `Retry-After` on a 429 itself when the rendered headers do not.
   */
  renderFault?: (fault: StatusFault, request: SimulatorRequest) => SimulatorResponse;
  /**
   * Runs before routing, after faults: may answer for the route (e.g. a rate limiter
   * or an auth check) by returning a response, or return undefined to continue.
   */
  before?: (
    request: SimulatorRequest,
  ) => SimulatorResponse | undefined | Promise<SimulatorResponse | undefined>;
  /** Adds headers to every routed answer (e.g. a call-limit header); not to resets. */
  decorate?: (request: SimulatorRequest, response: SimulatorResponse) => Record<string, string> | undefined;
  /** Host to bind (default `127.0.0.1`). */
  host?: string;
  /** Port to bind (default 0: any free port). */
  port?: number;
}

/** A running simulator: its base URL, ledger and faults. */
export interface SimulatorServer {
  /** The base URL, e.g. `http://127.0.0.1:49152` (no trailing slash). */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** Every request served, in order. */
  readonly ledger: Ledger;
  /** Inject latency, 429s, 5xx and connection resets. */
  readonly faults: FaultInjector;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Waits the given number of milliseconds on a real timer.
 *
 * @param ms - how long
 * @returns a promise that resolves after `ms`
 * @example
 * ```ts
 * await realSleep(10);
 * ```
 */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Starts a simulator on loopback: a real `node:http` server on 127.0.0.1 and a free
 * port, that records every request in a {@link Ledger} and applies injected faults
 * (latency, 429 with `Retry-After`, 5xx, connection reset) before routing. Every
 * vendor simulator in the testkit is built on it; build your own the same way.
 *
 * @param settings - name, routes, hooks, clock and randomness
 * @returns the running server
 * @example
 * ```ts
 * import { SimulatorRouter, jsonResponse, startSimulatorServer } from "@distro/testkit";
 *
 * const router = new SimulatorRouter().on("GET", "/ping", () => jsonResponse(200, { ok: true }));
 * const server = await startSimulatorServer({ name: "ping", router });
 * server.faults.inject({ kind: "rate-limit", retryAfterSeconds: 1, times: 1 });
 * await fetch(`${server.url}/ping`); // 429, Retry-After: 1
 * await fetch(`${server.url}/ping`); // 200
 * server.ledger.count({ status: 429 }); // 1
 * await server.close();
 * ```
 */
export async function startSimulatorServer(settings: SimulatorServerSettings): Promise<SimulatorServer> {
  const clock = settings.clock ?? Date.now;
  const sleep = settings.sleep ?? realSleep;
  const ledger = new Ledger();
  const faults = new FaultInjector(settings.random ?? Math.random);
  let origin = "";

  const server = createServer((incoming, outgoing) => {
    const receivedAt = clock();
    readBody(incoming)
      .then(async (body) => {
        const url = new URL(incoming.url ?? "/", origin);
        const request: SimulatorRequest = {
          method: (incoming.method ?? "GET").toUpperCase(),
          path: url.pathname,
          url,
          query: url.searchParams,
          headers: flattenHeaders(incoming.headers),
          body,
          params: {},
        };
        const applied: LedgerFault[] = [];
        const decision = faults.decide(request);
        if (decision.latencyMs > 0) {
          applied.push("latency");
          await sleep(decision.latencyMs);
        }
        const base = {
          receivedAt,
          method: request.method,
          path: request.path,
          query: url.search.replace(/^\?/, ""),
          requestHeaders: request.headers,
          requestBody: body,
        };
        if (decision.terminal?.kind === "reset") {
          applied.push("reset");
          ledger.record({ ...base, status: 0, responseHeaders: {}, responseBody: "", faults: applied });
          incoming.socket.resetAndDestroy();
          return;
        }
        let response: SimulatorResponse;
        if (decision.terminal !== undefined) {
          applied.push("status");
          response = renderStatusFault(settings, decision.terminal, request);
        } else {
          response = await route(settings, request);
          const extra = settings.decorate?.(request, response);
          if (extra) response = { ...response, headers: { ...response.headers, ...extra } };
        }
        const text = bodyText(response.body);
        const headers = lowerCaseKeys(response.headers ?? {});
        ledger.record({
          ...base,
          status: response.status,
          responseHeaders: headers,
          responseBody: text,
          faults: applied,
          ...(response.operation === undefined ? {} : { operation: response.operation }),
        });
        send(outgoing, response.status, headers, text);
      })
      .catch((error: unknown) => {
        if (!outgoing.headersSent) {
          send(
            outgoing,
            500,
            { "content-type": "application/json" },
            stringifyJson({ error: String(error) }),
          );
        }
      });
  });
  // Clients keep connections open: Node's fetch (undici) takes 1 s off the server's
  // Keep-Alive hint, so a hint of 1 s would make it open a new connection per request.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port ?? 0, settings.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  return {
    url: origin,
    port: address.port,
    ledger,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(
  settings: SimulatorServerSettings,
  request: SimulatorRequest,
): Promise<SimulatorResponse> {
  try {
    const early = await settings.before?.(request);
    if (early) return early;
    const answer = await settings.router.handle(request);
    if (answer) return answer;
    return settings.notFound?.(request) ?? jsonResponse(404, { error: "Not Found" });
  } catch (error) {
    return jsonResponse(500, { error: `${settings.name} simulator failed: ${String(error)}` });
  }
}

function renderStatusFault(
  settings: SimulatorServerSettings,
  fault: StatusFault,
  request: SimulatorRequest,
): SimulatorResponse {
  const status = fault.kind === "rate-limit" ? 429 : (fault.status ?? 503);
  const rendered =
    settings.renderFault?.(fault, request) ??
    jsonResponse(status, { error: status === 429 ? "Too Many Requests" : "Service Unavailable" });
  const headers = lowerCaseKeys(rendered.headers ?? {});
  if (fault.kind === "rate-limit" && headers["retry-after"] === undefined) {
    headers["retry-after"] = String(fault.retryAfterSeconds ?? 1);
  }
  return { ...rendered, status, headers };
}

function readBody(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    incoming.on("error", reject);
  });
}

function flattenHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function bodyText(body: unknown): string {
  if (body === undefined) return "";
  return typeof body === "string" ? body : stringifyJson(body);
}

function send(outgoing: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  outgoing.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(text)) });
  outgoing.end(text);
}
