/**
 * `@distro/testkit/netsuite`: a NetSuite-like SuiteTalk SOAP endpoint on loopback: token
 * passport verification, concurrency faults, add / upsert / addList / get / search with
 * paging, stock commitment with backorders, and a booking ledger.
 *
 * @module
 */
export * from "./netsuite-simulator";
