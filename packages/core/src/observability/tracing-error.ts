import { isDistroError } from "../errors/distro-error";
import { redactText } from "./redact";

/**
 * What a span records of an error: its type (the `code` of a `DistroError`, else the
 * error's name) and its message with personal data and credentials redacted
 * (see {@link redactText}). Tracer adapters use it so no error text reaches a trace
 * backend unredacted.
 *
 * @param error - what was thrown
 * @returns `type` and `message`
 * @example
 * ```ts
 * import { describeSpanError, UpstreamError } from "@distro/core";
 *
 * describeSpanError(new UpstreamError("erp answered 503", { status: 503, system: "erp" }));
 * // { type: "UPSTREAM_ERROR", message: "erp answered 503" }
 * describeSpanError(new Error("Customer jane@example.com not found"));
 * // { type: "Error", message: "Customer [REDACTED] not found" }
 * ```
 */
export function describeSpanError(error: unknown): { type: string; message: string } {
  if (isDistroError(error)) return { type: error.code, message: redactText(error.message) };
  if (error instanceof Error) return { type: error.name || "Error", message: redactText(error.message) };
  return { type: typeof error, message: redactText(String(error)) };
}
