export * from "./dictionary";
export * from "./validate";
