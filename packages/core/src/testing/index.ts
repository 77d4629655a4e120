/**
 * `@distro/core/testing`: conformance suites that every store and transport adapter
 * runs with one call, and test helpers.
 *
 * @module
 */
export * from "../observability/tracing-recorder";
export * from "./environment";
export * from "./exception-queue-conformance";
export * from "./flow-store-conformance";
export * from "./idempotency-store-conformance";
export * from "./manual-clock";
export * from "./store-conformance";
export * from "./tcp-proxy";
export * from "./transport-conformance";
export * from "./wait-until";
