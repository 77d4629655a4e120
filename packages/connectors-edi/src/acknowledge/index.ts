export * from "./acknowledge";
export * from "./tracker";
