/**
 * `@distro/core`: the canonical model of a distribution business (customers, items,
 * prices, inventory, orders, shipments, invoices, returns), exact money arithmetic,
 * versioned contracts, the CloudEvents envelope, correlation, the error hierarchy,
 * idempotency, messaging with dead letters, and the HTTP client every connector uses.
 *
 * @example
 * ```ts
 * import { money, multiplyMoney, roundMoney } from "@distro/core";
 *
 * const line = multiplyMoney(money("0.0125", "USD"), "300"); // 3.75 USD, exact
 * roundMoney(line).amount; // "3.75"
 * ```
 *
 * @module
 */
export * from "./contracts/index";
export * from "./correlation/index";
export * from "./envelope/index";
export * from "./errors/index";
export * from "./http/index";
export * from "./idempotency/index";
export * from "./json/index";
export * from "./messaging/index";
export * from "./model/index";
export * from "./money/index";
export * from "./observability/index";
export * from "./ports/index";
export * from "./process/index";
export * from "./retry/index";
export * from "./secrets/index";
