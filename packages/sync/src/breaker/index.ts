export * from "./circuit-breaker";
