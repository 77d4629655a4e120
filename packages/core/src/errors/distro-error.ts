const DISTRO_ERROR_MARKER = Symbol.for("@distro/core/DistroError");

/** Options every {@link DistroError} accepts. */
export interface DistroErrorOptions {
  /** The underlying error that caused this one. */
  cause?: unknown;
  /** Overrides the class default for whether retrying the operation can succeed. */
  retryable?: boolean;
  /** Extra structured facts for operators (never secrets or personal data). */
  details?: Record<string, unknown>;
}

/**
 * The base of every error distro throws across a package boundary.
 *
 * Each error knows its stable `code`, whether the failed operation is worth retrying
 * (`retryable`) and its `cause`. Use {@link isDistroError} rather than `instanceof` so
 * the check holds when two copies of `@distro/core` are installed.
 *
 * @example
 * ```ts
 * import { DistroError, isDistroError } from "@distro/core";
 *
 * try {
 *   throw new DistroError("ERP_UNAVAILABLE", "ERP is down", { retryable: true });
 * } catch (error) {
 *   if (isDistroError(error) && error.retryable) {
 *     // schedule a retry
 *   }
 * }
 * ```
 */
export class DistroError extends Error {
  /** Stable, machine-readable error code, e.g. `VALIDATION_FAILED`. */
  readonly code: string;
  /** Whether retrying the same operation later can succeed. */
  readonly retryable: boolean;
  /** Extra structured facts about the failure. */
  readonly details: Record<string, unknown>;

  /**
   * @param code - stable machine-readable code
   * @param message - a sentence for people
   * @param options - cause, retryability and details
   */
  constructor(code: string, message: string, options: DistroErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
    Object.defineProperty(this, DISTRO_ERROR_MARKER, { value: true, enumerable: false });
  }

  /**
   * A plain-object form, safe to log or store (the cause chain is flattened).
   *
   * @returns code, name, message, retryable, details and the causes' messages
   * @example
   * ```ts
   * const json = new DistroError("X", "boom").toJSON();
   * json.code; // "X"
   * ```
   */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/**
 * Tells whether a value is a {@link DistroError}, from any copy of `@distro/core`.
 *
 * @param value - anything caught
 * @returns true when the value carries the DistroError marker
 * @example
 * ```ts
 * if (isDistroError(error)) console.log(error.code);
 * ```
 */
export function isDistroError(value: unknown): value is DistroError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[DISTRO_ERROR_MARKER] === true
  );
}

/** A JSON-safe description of an error and its causes. */
export interface SerializedError {
  /** The error's class name. */
  name: string;
  /** The error code (`UNKNOWN` for errors that are not {@link DistroError}s). */
  code: string;
  /** The message. */
  message: string;
  /** Whether retrying can succeed. */
  retryable: boolean;
  /** Structured details, if any. */
  details?: Record<string, unknown>;
  /** The cause, serialised the same way. */
  cause?: SerializedError;
}

/**
 * Turns any thrown value into a JSON-safe {@link SerializedError}, following `cause`
 * links (at most 8 deep, so a cycle cannot loop).
 *
 * @param error - anything that was thrown
 * @returns the serialised chain
 * @example
 * ```ts
 * serializeError(new Error("x")).code; // "UNKNOWN"
 * ```
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (isDistroError(error)) {
    const out: SerializedError = {
      name: error.name,
      code: error.code,
      message: error.message,
      retryable: error.retryable,
    };
    if (Object.keys(error.details).length > 0) out.details = error.details;
    if (error.cause !== undefined && depth < 8) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  if (error instanceof Error) {
    const out: SerializedError = {
      name: error.name,
      code: "UNKNOWN",
      message: error.message,
      retryable: false,
    };
    if (error.cause !== undefined && depth < 8) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  return { name: "NonError", code: "UNKNOWN", message: String(error), retryable: false };
}
