export * from "./cached-secret-provider";
export * from "./env-secret-provider";
export * from "./file-secret-provider";
export * from "./rotating-secret";
export * from "./secret";
export * from "./secret-not-found-error";
export * from "./secret-provider";
