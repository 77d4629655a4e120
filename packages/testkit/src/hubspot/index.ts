/**
 * `@distro/testkit/hubspot`: a HubSpot account on loopback. CRM v3 objects with batch
 * upsert by `idProperty`, search paging, associations, the documented error body and
 * 429 with `policyName`; a ledger and fault injection. The loopback base is re-exported.
 *
 * @module
 */
export * from "../shared/index";
export * from "./hubspot-simulator";
