/**
 * `@distro/store-redis`: Redis adapters for running many worker processes: a second cache
 * tier for `@distro/sync` shared by every process with invalidation across them, a
 * distributed rate limiter so all workers together stay within one upstream's limit,
 * an idempotency store with atomic claims and safe takeover of orphaned claims, and an
 * inbox store for the bus.
 *
 * @module
 */
export * from "./idempotency-store";
export * from "./inbox-store";
export * from "./rate-limiter";
export { redisError } from "./redis-error";
export * from "./second-tier";
