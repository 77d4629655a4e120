/**
 * The loopback-server base every testkit simulator is built on: a real `node:http`
 * server on 127.0.0.1 port 0 with a ledger of every request, injectable faults (latency,
 * 429 with `Retry-After`, 5xx, connection reset; for N requests or a ratio), a small
 * router, a leaky bucket, exact JSON for big ids, and a webhook sender with retries,
 * duplicates and out-of-order delivery.
 *
 * @module
 */
export * from "./faults";
export * from "./json";
export * from "./leaky-bucket";
export * from "./ledger";
export * from "./router";
export * from "./simulator-server";
export * from "./webhook-sender";
