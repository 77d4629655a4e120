/**
 * `@distro/connectors-erp/odata`.
 *
 * @module
 */
export {};
