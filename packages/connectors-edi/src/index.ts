/**
 * `@distro/connectors-edi`.
 *
 * @module
 */
export {};
