/**
 * `@distro/testkit/business-central`: a Business Central-like OData v4 ERP on loopback
 * with real business behaviour (prices, credit, allocation, backorders, posting), limits,
 * fault injection and a booking ledger.
 *
 * @module
 */
export {
  type BusinessCentralFault,
  type BusinessCentralFaultTarget,
  type BusinessCentralSimulator,
  type BusinessCentralSimulatorSettings,
  type BusinessCentralTraffic,
  createBusinessCentralSimulator,
} from "./business-central-simulator";
export type { BusinessCentralBooking, BusinessCentralSeed } from "./business-central-store";
