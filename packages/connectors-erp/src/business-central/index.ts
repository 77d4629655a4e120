/**
 * `@distro/connectors-erp/business-central`: the Dynamics 365 Business Central adapter
 * (API v2.0, OData v4) in canonical terms: prices, availability, credit, idempotent
 * order booking (single and `$batch`), order status, posted invoices and shipments, and
 * incremental change reads.
 *
 * @module
 */
export * from "../shared/erp-types";
export * from "./business-central";
export * from "./business-central-api";
export * from "./business-central-erp-system";
