/**
 * `@distro/sync`: volatility policies, a read-through cache whose staleness is set by
 * policy, back-pressure that protects upstream systems (rate, concurrency, bounded
 * queues, adaptive to 429 / `Retry-After`, circuit breaker), and incremental sync jobs
 * with checkpoints, content-hash change detection and streamed CSV loads.
 *
 * @example
 * ```ts
 * import { createPolicyRegistry, createReadThroughCache, createUpstreamLimiter } from "@distro/sync";
 *
 * const policies = createPolicyRegistry();
 * const erp = createUpstreamLimiter({ system: "erp", ratePerInterval: 50 });
 * const prices = createReadThroughCache({
 *   entity: "price",
 *   policies,
 *   load: (key, read) => erp.run(() => fetchPrice(key), { priority: read.priority }),
 * });
 * const { value, decision } = await prices.read("C1001:BOLT-M8");
 * ```
 *
 * @module
 */
export * from "./breaker/index";
export * from "./cache/index";
export * from "./clock/index";
export * from "./jobs/index";
export * from "./limiter/index";
export * from "./policy/index";
