/**
 * `@distro/connectors-erp/odata`: a client for OData services, V4 and SAP-style V2:
 * server-driven paging, ETag + `If-Match` with typed conflicts, JSON `$batch` with
 * per-operation results, CSRF tokens for SAP, a limiter in front of every call.
 *
 * @module
 */
export * from "./odata-client";
export * from "./odata-errors";
