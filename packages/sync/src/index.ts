/**
 * `@distro/sync`.
 *
 * @module
 */
export {};
