export * from "./distro-error";
export * from "./from-zod";
export * from "./kinds";
export * from "./validation-error";
