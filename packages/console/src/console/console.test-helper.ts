import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AuditLog,
  type Bus,
  createBus,
  createEvent,
  createInMemoryAuditLog,
  NotFoundError,
  retryPolicy,
} from "@distro/core";
import { createProcessManager, defineFlow, type ProcessManager, task, waitFor } from "@distro/orchestration";
import { toNodeListener } from "./node-listener";

/** A console (or any fetch handler) served by a real node:http server on 127.0.0.1, port 0. */
export async function serve(
  handler: (request: Request) => Promise<Response>,
): Promise<{ origin: string; server: Server; close(): Promise<void> }> {
  const server = createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A small HTTP client with a cookie jar, as a browser would keep one. */
export function client(origin: string, headers: Record<string, string> = {}) {
  const jar = new Map<string, string>();
  const send = async (path: string, init: RequestInit = {}) => {
    const merged = new Headers({ ...headers, ...(init.headers as Record<string, string> | undefined) });
    if (jar.size > 0 && !merged.has("cookie"))
      merged.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(`${origin}${path}`, { ...init, headers: merged, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const index = pair!.indexOf("=");
      jar.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    return response;
  };
  return {
    jar,
    get: (path: string, extra: Record<string, string> = {}) => send(path, { headers: extra }),
    postJson: (path: string, body: unknown, extra: Record<string, string> = {}) =>
      send(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...extra },
        body: JSON.stringify(body),
      }),
    postForm: (path: string, fields: Record<string, string>, extra: Record<string, string> = {}) =>
      send(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...extra },
        body: new URLSearchParams(fields).toString(),
      }),
    /** Fetches a CSRF token (and its cookie) from the API. */
    async token(basePath: string): Promise<string> {
      const response = await send(`${basePath}/api/csrf`);
      return ((await response.json()) as { token: string }).token;
    },
  };
}

/** The order-to-cash fault this console is built for, in one process. */
export interface OrderScenario {
  bus: Bus;
  audit: AuditLog;
  manager: ProcessManager;
  /** Order ids the ERP knows. */
  orders: Set<string>;
  /** How many times the confirmation handler ran for each event id. */
  handled: Map<string, number>;
  /** Publishes an ERP confirmation for an order (with personal data in it). */
  confirm(orderId: string): Promise<void>;
  /** Books an order: the ERP now knows it, and its flow runs until it waits. */
  book(orderId: string): Promise<void>;
}

/**
 * A process manager running `order-to-cash` (book in the ERP, wait for the ERP's
 * confirmation, notify the customer) and a bus subscriber that hands ERP confirmations
 * to the flow. A confirmation for an order the ERP does not know yet is dead-lettered
 * (not found, not retryable); once the order exists, replaying it completes the flow.
 */
export async function orderScenario(): Promise<OrderScenario> {
  const audit = createInMemoryAuditLog();
  const manager = createProcessManager({
    audit,
    retry: retryPolicy({ maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, jitter: "none" }),
    sleep: async () => {},
  });
  const orders = new Set<string>();
  const handled = new Map<string, number>();
  manager.register(
    defineFlow<{ orderId: string; email: string }>("order-to-cash", [
      task("book-order", async ({ input }) => ({ erpOrder: `SO-${input.orderId}` }), { system: "erp" }),
      waitFor("erp-confirmed", {
        eventTypes: ["erp.order.confirmed"],
        key: ({ input }) => input.orderId,
        system: "erp",
      }),
      task("notify-customer", async ({ input }) => ({ sentTo: input.email }), { system: "crm" }),
    ]),
  );
  const bus = createBus({ sleep: async () => {} });
  await bus.subscribe<{ orderId: string }>({
    name: "erp-confirmations",
    types: ["com.distro.erp.order.confirmed"],
    retry: { maxAttempts: 1 },
    handler: async (event) => {
      handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
      const orderId = event.data?.orderId ?? "";
      if (!orders.has(orderId) || (await manager.get(`o2c:${orderId}`)) === undefined) {
        throw new NotFoundError(`Order ${orderId} is unknown to the ERP`, { details: { orderId } });
      }
      await manager.deliver({ id: event.id, type: "erp.order.confirmed", key: orderId, data: event.data });
    },
  });
  return {
    bus,
    audit,
    manager,
    orders,
    handled,
    async confirm(orderId) {
      await bus.publish(
        createEvent({
          type: "com.distro.erp.order.confirmed",
          source: "/erp/bc",
          subject: orderId,
          correlationid: `corr-${orderId}`,
          data: {
            orderId,
            customer: { name: "Jane Roe", email: "jane.roe@example.com", phone: "+44 20 7946 0958" },
            note: "Confirm with jane.roe@example.com, card 4111 1111 1111 1111",
            accessToken: "tok_live_9f8e7d6c5b4a",
          },
        }),
      );
    },
    async book(orderId) {
      orders.add(orderId);
      await manager.start(
        "order-to-cash",
        { orderId, email: "jane.roe@example.com" },
        { id: `o2c:${orderId}`, correlationId: `corr-${orderId}`, businessKey: orderId },
      );
    },
  };
}

/**
 * Whether the browser test can run: true when the browser binary exists. When it is
 * missing, prints why the test skips, or throws under `DISTRO_REQUIRE_SERVICES=1` so CI
 * cannot pass by skipping.
 */
export function browserPresent(
  executable: string,
  environment: Record<string, string | undefined> = process.env,
  warn: (line: string) => void = console.warn,
): boolean {
  if (existsSync(executable)) return true;
  const missing = `${executable} is missing (apt-get install -y chromium)`;
  if (environment.DISTRO_REQUIRE_SERVICES === "1") {
    throw new Error(`${missing} and DISTRO_REQUIRE_SERVICES=1: the browser test is required`);
  }
  warn(`[distro] ${missing}: skipping the console browser test`);
  return false;
}
