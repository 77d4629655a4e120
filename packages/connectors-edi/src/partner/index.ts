export * from "./x12-partner";
