/**
 * A simulated ERP price API for the benchmark, run in a worker thread so its event loop
 * is not the load generator's. It allows `limit` requests in any sliding second and
 * answers 429 with `Retry-After: 1` above it; it records every arrival. Its pricing rule is a
 * list price per SKU and a discount per customer: `GET /prices/:customer/:sku` gives one
 * account price; `/price-list` and `/customer-terms` page the rule's inputs (500 a page)
 * and their `/query` forms fetch up to 500 of them in one call.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const limit: number = workerData?.limit ?? 50;
let arrivals: number[] = [];
let accepted: number[] = [];
let throttled = 0;
let throttleTimes: number[] = [];
let served = 0;

/** The list price of a SKU, in cents. */
function listCents(sku: number): number {
  return 100 + ((sku * 7919) % 90_000);
}

/** The customer's discount in whole percent (0 to 24). */
function discount(customer: number): number {
  return (customer * 37) % 25;
}

function cents(value: number): string {
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}

/** The account price the ERP's pricing rules give: list × (100 − discount) / 100, rounded half-even to cents. */
function accountPrice(customer: number, sku: number): string {
  const scaled = listCents(sku) * (100 - discount(customer));
  let whole = Math.floor(scaled / 100);
  const rest = scaled % 100;
  if (rest > 50 || (rest === 50 && whole % 2 === 1)) whole++;
  return cents(whole);
}

const SKUS: number = workerData?.skus ?? 5000;
const CUSTOMERS: number = workerData?.customers ?? 1000;

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      try {
        resolve(JSON.parse(body));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function reply(response: ServerResponse, body: unknown): void {
  setTimeout(() => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }, 2);
}

const listLine = (sku: number) => ({ sku, amount: cents(listCents(sku)), currency: "USD" });
const termsLine = (customer: number) => ({ customer, discountPercent: String(discount(customer)) });

function page<T>(url: URL, total: number, line: (id: number) => T) {
  const after = Number(url.searchParams.get("after") ?? "-1");
  const limit = Math.min(500, Number(url.searchParams.get("limit") ?? "500"));
  const items: T[] = [];
  for (let id = after + 1; id < Math.min(total, after + 1 + limit); id++) items.push(line(id));
  const last = after + items.length;
  return { items, next: last < total - 1 ? String(last) : null };
}

const server = createServer((request, response) => {
  const now = performance.timeOrigin + performance.now();
  arrivals.push(now);
  while (accepted.length > 0 && now - accepted[0]! >= 1000) accepted.shift();
  if (accepted.length >= limit) {
    throttled++;
    throttleTimes.push(now);
    response.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
    response.end('{"error":"rate limit exceeded"}');
    return;
  }
  accepted.push(now);
  served++;
  const url = new URL(request.url ?? "/", "http://erp");
  const single = /^\/prices\/(\d+)\/(\d+)$/.exec(url.pathname);
  if (request.method === "GET" && single) {
    const customer = Number(single[1]);
    const sku = Number(single[2]);
    reply(response, { customer, sku, amount: accountPrice(customer, sku), currency: "USD" });
  } else if (request.method === "GET" && url.pathname === "/price-list") {
    reply(response, page(url, SKUS, listLine));
  } else if (request.method === "GET" && url.pathname === "/customer-terms") {
    reply(response, page(url, CUSTOMERS, termsLine));
  } else if (request.method === "POST" && url.pathname === "/price-list/query") {
    void readBody(request).then((body) => {
      const skus = (body as { skus: number[] }).skus.slice(0, 500);
      reply(response, { items: skus.map(listLine) });
    });
  } else if (request.method === "POST" && url.pathname === "/customer-terms/query") {
    void readBody(request).then((body) => {
      const customers = (body as { customers: number[] }).customers.slice(0, 500);
      reply(response, { items: customers.map(termsLine) });
    });
  } else {
    response.writeHead(404);
    response.end();
  }
});

function maxPerSecond(times: number[]): number {
  let most = 0;
  let left = 0;
  for (let right = 0; right < times.length; right++) {
    while (times[right]! - times[left]! >= 1000) left++;
    most = Math.max(most, right - left + 1);
  }
  return most;
}

server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  parentPort?.postMessage({ type: "ready", port: (server.address() as AddressInfo).port });
});

parentPort?.on("message", (message: { type: string }) => {
  if (message.type === "stats") {
    parentPort?.postMessage({
      type: "stats",
      calls: arrivals.length,
      served,
      throttled,
      maxPerSecond: maxPerSecond(arrivals),
      throttleTimes,
    });
  } else if (message.type === "reset") {
    arrivals = [];
    accepted = [];
    throttled = 0;
    throttleTimes = [];
    served = 0;
    parentPort?.postMessage({ type: "reset" });
  } else if (message.type === "close") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
