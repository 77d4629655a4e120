/**
 * `@distro/connectors-wms/rest`.
 *
 * @module
 */
export {};
