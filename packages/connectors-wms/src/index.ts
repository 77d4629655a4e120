/**
 * `@distro/connectors-wms`: Warehouse and carrier adapters: fulfilment requests out; pick, pack, ship events and EasyPost tracking in.
 *
 * @module
 */

export * from "./easypost/index";
export * from "./rest/index";
