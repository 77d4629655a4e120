/**
 * `@distro/connectors-erp/business-central`.
 *
 * @module
 */
export {};
