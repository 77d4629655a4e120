/**
 * `@distro/testkit/shopify`: a Shopify shop on loopback. Admin REST with cursor paging
 * and the leaky bucket, Admin GraphQL with cost throttling, signed webhooks with
 * retries, duplicates and out-of-order delivery; a ledger and fault injection. The
 * loopback base (`startSimulatorServer`, `Ledger`, faults) is re-exported for building
 * your own simulators.
 *
 * @module
 */
export * from "../shared/index";
export * from "./shopify-graphql";
export * from "./shopify-signing";
export * from "./shopify-simulator";
export * from "./shopify-types";
