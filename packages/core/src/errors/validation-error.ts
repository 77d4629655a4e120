import { DistroError, type DistroErrorOptions } from "./distro-error";

/**
 * One problem found in an input: what kind (`code`), where (`path`: property keys and
 * array indexes, or for EDI the segment position and element), and a message.
 */
export interface ValidationIssue {
  /** Machine-readable kind, e.g. `invalid_type`, `too_small`, `missing_segment`. */
  code: string;
  /** Where the problem is: keys and indexes from the root of the input. */
  path: (string | number)[];
  /** A sentence for people. */
  message: string;
  /** For EDI: the segment's tag and position, when the issue is in a segment. */
  segment?: { tag: string; index: number; element?: number; component?: number };
}

/**
 * Input failed validation. Carries every {@link ValidationIssue} found, each with its
 * path; {@link formatIssues} renders them for people. Never retryable: the same input
 * fails the same way.
 *
 * @example
 * ```ts
 * import { ValidationError, formatIssues } from "@distro/core";
 *
 * const error = new ValidationError("Order is invalid", [
 *   { code: "invalid_type", path: ["lines", 0, "quantity"], message: "Expected a decimal string" },
 * ]);
 * console.log(formatIssues(error.issues)); // "lines[0].quantity: Expected a decimal string"
 * ```
 */
export class ValidationError extends DistroError {
  /** Every problem found. */
  readonly issues: ValidationIssue[];

  /**
   * @param message - a summary sentence
   * @param issues - the problems found, each with its path
   * @param options - cause and details
   */
  constructor(message: string, issues: ValidationIssue[], options: DistroErrorOptions = {}) {
    super("VALIDATION_FAILED", message, { ...options, retryable: false });
    this.issues = issues;
  }

  override toJSON() {
    return { ...super.toJSON(), details: { ...this.details, issues: this.issues } };
  }
}

/**
 * Renders a path as people read it: `lines[0].quantity`.
 *
 * @param path - keys and indexes
 * @returns the dotted form, or `(root)` for an empty path
 * @example
 * ```ts
 * formatPath(["lines", 0, "sku"]); // "lines[0].sku"
 * ```
 */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out.length === 0 ? part : `.${part}`;
  }
  return out;
}

/**
 * Renders issues one per line, path first: `lines[0].quantity: Expected a decimal string`.
 *
 * @param issues - the issues of a {@link ValidationError}
 * @returns one line per issue
 * @example
 * ```ts
 * formatIssues([{ code: "custom", path: ["sku"], message: "Required" }]); // "sku: Required"
 * ```
 */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.segment
        ? `${issue.segment.tag} (segment ${issue.segment.index}${issue.segment.element === undefined ? "" : `, element ${issue.segment.element}`})`
        : formatPath(issue.path);
      return `${where}: ${issue.message}`;
    })
    .join("\n");
}
