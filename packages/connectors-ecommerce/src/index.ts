/**
 * `@distro/connectors-ecommerce`: Ecommerce channel adapters (Shopify) mapping orders, fulfilments, inventory and catalog to distro's canonical model.
 *
 * @module
 */
export * from "./shopify/index";
