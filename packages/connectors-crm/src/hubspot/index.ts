/**
 * `@distro/connectors-crm/hubspot`: the HubSpot CRM adapter (CRM v3). Companies upserted
 * by the ERP customer number with `batch/upsert` and `idProperty`, contacts, tier and
 * segment for pricing, milestones as tasks, incremental reads by `hs_lastmodifieddate`;
 * CRM-owned properties are never written.
 *
 * @module
 */
export * from "./hubspot-api";
export * from "./hubspot-client";
