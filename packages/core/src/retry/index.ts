export * from "./policy";
export * from "./retry";
export * from "./retry-after";
