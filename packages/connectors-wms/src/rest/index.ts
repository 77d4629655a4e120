/**
 * `@distro/connectors-wms/rest`: the REST / webhook WMS adapter: fulfilment requests out;
 * pick, pack, ship, cancel and exception events in, HMAC-verified, deduped by message id
 * and applied in any arrival order.
 *
 * @module
 */
export * from "./fulfilment-state";
export * from "./wms-api";
export * from "./wms-rest";
