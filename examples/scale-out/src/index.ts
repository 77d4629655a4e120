/**
 * The scale-out example's machinery, for the proof script, its test and the
 * `@distro/store-postgres` benchmark: the worker, the worker pool and its chaos loop, the
 * feeder's plan, the checks, and `runScaleOut`, which puts them together.
 *
 * @module
 */
export * from "./chaos";
export * from "./checks";
export * from "./feeder";
export * from "./orders";
export * from "./pool";
export * from "./run";
export * from "./worker";
