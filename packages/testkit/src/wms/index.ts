/**
 * `@distro/testkit/wms`.
 *
 * @module
 */
export {};
