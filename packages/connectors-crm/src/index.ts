/**
 * `@distro/connectors-crm`: CRM adapters (Salesforce, HubSpot): accounts, contacts, segmentation and activity milestones in canonical terms.
 *
 * @module
 */

export * from "./hubspot/index";
export * from "./salesforce/index";
