/**
 * `@distro/testkit/business-central`.
 *
 * @module
 */
export {};
