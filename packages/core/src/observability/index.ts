export * from "./audit-log";
export * from "./logger";
export * from "./redact";
export * from "./tracing";
export * from "./tracing-error";
