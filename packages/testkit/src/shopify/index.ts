/**
 * `@distro/testkit/shopify`.
 *
 * @module
 */
export {};
