export * from "./flow-definition";
export * from "./flow-store";
export * from "./process-manager";
