/**
 * `@distro/connectors-erp/netsuite`.
 *
 * @module
 */
export {};
