import type { z } from "zod";
import type { ValidationIssue } from "./validation-error";

/**
 * Converts zod's issues to distro's {@link ValidationIssue}s, keeping each path.
 *
 * @param error - a zod error
 * @param prefix - a path to put in front of every issue's path (e.g. `["data"]`)
 * @returns the issues, in distro's shape
 * @example
 * ```ts
 * const result = schema.safeParse(input);
 * if (!result.success) throw new ValidationError("Bad order", issuesFromZod(result.error));
 * ```
 */
export function issuesFromZod(error: z.ZodError, prefix: (string | number)[] = []): ValidationIssue[] {
  return error.issues.map((issue) => ({
    code: issue.code,
    path: [...prefix, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))],
    message: issue.message,
  }));
}
