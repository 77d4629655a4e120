export * from "./edifact";
export * from "./x12";
