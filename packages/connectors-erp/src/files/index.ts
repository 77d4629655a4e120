/**
 * `@distro/connectors-erp/files`.
 *
 * @module
 */
export {};
