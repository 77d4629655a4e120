export * from "./stream-edi";
