export * from "./decode";
export * from "./ebcdic";
export * from "./model";
export * from "./parse";
export * from "./serialize";
