export * from "./context";
export * from "./headers";
export * from "./traceparent";
