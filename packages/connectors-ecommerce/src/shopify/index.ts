/**
 * `@distro/connectors-ecommerce/shopify`: the Shopify channel. Webhooks verified on the
 * raw body in constant time and deduplicated by webhook id; orders mapped to canonical
 * orders with exact ids and money; fulfilments with tracking; inventory pushed through
 * REST or GraphQL `inventorySetQuantities`, paced by a throttle that reads the call-limit
 * header and `throttleStatus`; products and prices published from canonical items.
 *
 * @module
 */
export * from "./exact-json";
export * from "./mappers/to-order";
export * from "./shopify-api";
export * from "./shopify-client";
export * from "./shopify-throttle";
export * from "./shopify-webhooks";
