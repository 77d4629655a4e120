/**
 * `@distro/connectors-crm/salesforce`: the Salesforce CRM adapter. Accounts upserted by
 * the ERP customer number, contacts, tier and segment for pricing, milestones as Tasks,
 * incremental reads by `SystemModstamp`, composite collections of at most 200 records,
 * OAuth 2.0 client credentials refreshed without failing a call; CRM-owned fields are
 * never written.
 *
 * @module
 */
export * from "./salesforce-api";
export * from "./salesforce-client";
