import type { ValidationIssue } from "@distro/core";

/** One issue as a schema reports it (zod's shape). */
export interface SchemaIssue {
  /** The issue kind. */
  code: string;
  /** Where in the record. */
  path: readonly PropertyKey[];
  /** A sentence for people. */
  message: string;
}

/**
 * Anything that validates a record the way zod's `safeParse` does: the canonical
 * model's schemas (`ItemSchema`, `PriceSchema`…) fit as they are.
 */
export interface RecordSchema<T> {
  /** Validates `input`. */
  safeParse(
    input: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

/**
 * Converts a schema's issues to distro's `ValidationIssue`s, paths kept.
 *
 * @param issues - the schema's issues
 * @returns distro issues
 * @example
 * ```ts
 * import { toValidationIssues } from "@distro/sync";
 *
 * toValidationIssues([{ code: "invalid_type", path: ["sku"], message: "Required" }])[0]?.path; // ["sku"]
 * ```
 */
export function toValidationIssues(issues: readonly SchemaIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((part) => (typeof part === "number" ? part : String(part))),
    message: issue.message,
  }));
}
