export * from "./canonical";
export * from "./compatibility";
export * from "./contract";
export * from "./registry";
