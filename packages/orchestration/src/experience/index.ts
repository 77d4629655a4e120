export * from "./experience-api";
export * from "./problem";
