export * from "./create-console";
export * from "./exception-metrics";
export * from "./node-listener";
export * from "./sources";
export * from "./upstream-probe";
