export * from "./flow-store";
