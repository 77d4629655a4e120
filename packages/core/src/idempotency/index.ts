export * from "./errors";
export * from "./fingerprint";
export * from "./idempotent";
export * from "./key";
export * from "./store";
