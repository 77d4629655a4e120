/**
 * `@distro/core/otel`: OpenTelemetry behind distro's tracing port. Needs
 * `@opentelemetry/api` (an optional peer dependency of `@distro/core`); nothing else in
 * `@distro/core` imports it, and no SDK is required by distro: the host sets up its own.
 *
 * @example
 * ```ts
 * import { trace } from "@opentelemetry/api";
 * import { createBus } from "@distro/core";
 * import { createOtelTracer } from "@distro/core/otel";
 *
 * const bus = createBus({ tracer: createOtelTracer(trace.getTracer("order-service")) });
 * ```
 *
 * @module
 */
export * from "./otel-tracer";
