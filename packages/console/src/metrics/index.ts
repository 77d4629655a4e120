export * from "./bus-metrics";
export * from "./console-metrics";
export * from "./contract-metrics";
export * from "./edi-metrics";
export * from "./flow-metrics";
export * from "./http-client-metrics";
export * from "./otel-metrics";
export * from "./registry";
