/**
 * `@distro/connectors-crm/hubspot`.
 *
 * @module
 */
export {};
