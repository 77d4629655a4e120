export * from "./read-through-cache";
export * from "./second-tier";
