/**
 * `@distro/testkit/salesforce`: a Salesforce org on loopback. OAuth 2.0 client
 * credentials with expiring tokens, sObject upsert by external id, composite sObject
 * collections with `allOrNone`, SOQL query paging and `Sforce-Limit-Info`; a ledger and
 * fault injection. The loopback base is re-exported.
 *
 * @module
 */
export * from "../shared/index";
export * from "./salesforce-simulator";
export * from "./soql";
