export * from "./default-policies";
export * from "./policy-registry";
export * from "./serve-decision";
export * from "./sync-policy";
