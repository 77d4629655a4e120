import { DistroError, type DistroErrorOptions } from "../errors/index";

/**
 * A secret provider has no secret of that name. The message and `details` name the
 * secret and where it was looked for, never a value. Code `SECRET_NOT_FOUND`, not
 * retryable.
 *
 * @example
 * ```ts
 * try {
 *   await secrets.get("WMS_API_KEY");
 * } catch (error) {
 *   if (isDistroError(error) && error.code === "SECRET_NOT_FOUND") console.error(error.message);
 * }
 * ```
 */
export class SecretNotFoundError extends DistroError {
  /** The secret's name. */
  readonly secretName: string;

  /**
   * @param name - the secret's name
   * @param where - where it was looked for (a variable name, a file path)
   * @param options - cause and details
   */
  constructor(name: string, where: string, options: DistroErrorOptions = {}) {
    super("SECRET_NOT_FOUND", `Secret ${JSON.stringify(name)} was not found (${where})`, {
      ...options,
      retryable: options.retryable ?? false,
      details: { ...options.details, name, where },
    });
    this.secretName = name;
  }
}
