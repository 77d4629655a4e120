/**
 * `@distro/testkit`: Simulated ERP, CRM, shop, WMS and EDI partner servers on loopback that speak the real wire formats, keep a ledger and inject faults.
 *
 * @module
 */

export * from "./business-central/index";
export * from "./hubspot/index";
export * from "./netsuite/index";
export * from "./salesforce/index";
export * from "./shopify/index";
export * from "./wms/index";
