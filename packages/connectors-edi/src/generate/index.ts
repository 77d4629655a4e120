export * from "./build";
export * from "./control-numbers";
