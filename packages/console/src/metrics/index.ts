export * from "./console-metrics";
export * from "./otel-metrics";
export * from "./registry";
