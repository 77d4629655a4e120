/**
 * `@distro/connectors-erp`: ERP adapters: Business Central OData v4, SAP-style OData, NetSuite SOAP and file exchange, in canonical terms.
 *
 * @module
 */
export * from "./business-central/index";
export * from "./files/index";
export * from "./netsuite/index";
export * from "./odata/index";
