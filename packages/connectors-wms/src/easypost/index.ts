/**
 * `@distro/connectors-wms/easypost`: EasyPost tracker webhooks verified
 * (`X-Hmac-Signature: hmac-sha256-hex=…`, secret normalised NFKD), deduped and mapped
 * to canonical shipment milestones.
 *
 * @module
 */
export * from "./easypost-webhook";
