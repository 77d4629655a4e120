export * from "./auth";
export * from "./http-client";
export * from "./oauth2";
export * from "./upstream-code";
