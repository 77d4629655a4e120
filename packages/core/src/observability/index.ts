export * from "./audit-log";
export * from "./logger";
export * from "./redact";
