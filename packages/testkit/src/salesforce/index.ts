/**
 * `@distro/testkit/salesforce`.
 *
 * @module
 */
export {};
