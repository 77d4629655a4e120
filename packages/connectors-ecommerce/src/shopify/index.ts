/**
 * `@distro/connectors-ecommerce/shopify`.
 *
 * @module
 */
export {};
