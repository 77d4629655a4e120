export * from "./console-metrics";
export * from "./registry";
