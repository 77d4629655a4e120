/**
 * `@distro/testkit/wms`: a warehouse simulator: a fulfilment API on loopback and an
 * emitter of signed pick / pack / ship / cancel / exception events with retries,
 * duplicates and out-of-order delivery.
 *
 * @module
 */
export * from "./wms-simulator";
