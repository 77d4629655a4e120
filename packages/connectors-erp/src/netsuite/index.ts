/**
 * `@distro/connectors-erp/netsuite`: NetSuite SuiteTalk SOAP with token-based
 * authentication: signed passports, add / upsert / addList / get / search with paging,
 * record-level errors told apart from SOAP faults, idempotent order booking by upsert.
 *
 * @module
 */
export * from "./netsuite";
export * from "./netsuite-soap";
