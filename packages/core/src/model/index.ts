export {
  type BillingDocument,
  type BillingLine,
  BillingLineSchema,
  billingTotals,
  type TaxLine,
  TaxLineSchema,
} from "./billing";
export * from "./common";
export * from "./customer";
export * from "./gs1";
export * from "./inventory";
export * from "./invoice";
export * from "./item";
export * from "./json-schema";
export * from "./order";
export * from "./order-status";
export * from "./parse";
export * from "./price";
export * from "./returns";
export * from "./shipment";
