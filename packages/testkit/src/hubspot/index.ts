/**
 * `@distro/testkit/hubspot`.
 *
 * @module
 */
export {};
