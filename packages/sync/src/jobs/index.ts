export * from "./checkpoint-store";
export * from "./content-hash";
export * from "./csv-load";
export * from "./record-hash-store";
export * from "./record-schema";
export * from "./sync-job";
