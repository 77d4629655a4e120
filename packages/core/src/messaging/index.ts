export * from "./bus";
export * from "./dead-letter";
export * from "./inbox";
export * from "./memory-transport";
export * from "./outbox";
export * from "./transport";
