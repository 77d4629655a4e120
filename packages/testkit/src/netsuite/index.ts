/**
 * `@distro/testkit/netsuite`.
 *
 * @module
 */
export {};
