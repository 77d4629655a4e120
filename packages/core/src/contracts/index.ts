export * from "./canonical";
export * from "./compatibility";
export * from "./compatibility-report";
export * from "./contract";
export * from "./contract-validator";
export * from "./lifecycle";
export * from "./registry";
