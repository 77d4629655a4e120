/**
 * `@distro/orchestration`: process APIs (order-to-cash, return-to-credit,
 * quote-to-order) on a small durable process manager, with an audit trail keyed by
 * correlation id, master-data ownership rules, and experience API handlers.
 *
 * @module
 */

export * from "./experience/index";
export * from "./flow/index";
export * from "./flows/index";
export * from "./ownership/index";
