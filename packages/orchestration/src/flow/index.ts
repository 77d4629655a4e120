export * from "./flow-definition";
export * from "./process-manager";
