/**
 * A simulated ERP price API for the benchmark, run in a worker thread so its event loop
 * is not the load generator's. It allows `limit` requests in any sliding second and
 * answers 429 with `Retry-After: 1` above it; it records every arrival. Prices are read one
 * by one (`GET /prices/:customer/:sku`) or up to 500 lines per call (`POST /prices/query`),
 * like an ERP price simulation for a list of items.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const limit: number = workerData?.limit ?? 50;
let arrivals: number[] = [];
let accepted: number[] = [];
let throttled = 0;
let throttleTimes: number[] = [];
let served = 0;

function price(customer: number, sku: number): string {
  // A deterministic contract price with four decimals, as a decimal string.
  const base = 1000 + ((sku * 7919) % 90_000);
  const discount = 100 - (customer % 25);
  const tenThousandths = Math.floor((base * discount) / 100);
  return `${Math.floor(tenThousandths / 10_000)}.${String(tenThousandths % 10_000).padStart(4, "0")}`;
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
  if (request.method === "POST" && request.url === "/prices/query") {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      const query = JSON.parse(body) as { lines: { customer: number; sku: number }[] };
      const lines = query.lines.slice(0, 500).map(({ customer, sku }) => ({
        customer,
        sku,
        amount: price(customer, sku),
        currency: "USD",
      }));
      served++;
      setTimeout(() => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ prices: lines }));
      }, 2);
    });
    return;
  }
  const match = /^\/prices\/(\d+)\/(\d+)$/.exec(request.url ?? "");
  if (!match) {
    response.writeHead(404);
    response.end();
    return;
  }
  const customer = Number(match[1]);
  const sku = Number(match[2]);
  served++;
  setTimeout(() => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ customer, sku, amount: price(customer, sku), currency: "USD" }));
  }, 2);
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
