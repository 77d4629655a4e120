/**
 * `@distro/connectors-erp/files`: legacy ERP file exchange: CSV and fixed-width imports
 * read as streams, validated whole, archived or rejected with a reason file, never
 * processed twice; exports written atomically.
 *
 * @module
 */
export * from "./erp-files";
