export * from "./exact-json";
