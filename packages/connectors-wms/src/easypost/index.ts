/**
 * `@distro/connectors-wms/easypost`.
 *
 * @module
 */
export {};
