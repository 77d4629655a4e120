export * from "./attributes";
export * from "./cloud-event";
export * from "./create-event";
export * from "./http-binding";
