export * from "./rate-gate";
export * from "./upstream-limiter";
