/**
 * `@distro/connectors-crm/salesforce`.
 *
 * @module
 */
export {};
