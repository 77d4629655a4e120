const SECRET_MARKER = Symbol.for("@distro/core/Secret");
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const REDACTED = "[redacted]";

/**
 * A secret value that never prints itself. `String(secret)`, template literals,
 * `JSON.stringify`, `util.inspect` and `console.log` all show `[redacted]`; only
 * {@link Secret.reveal} returns the value, so every place that uses it in clear is one
 * you can search for. Use {@link isSecret} rather than `instanceof` (it holds across
 * duplicate copies of `@distro/core`).
 *
 * @example
 * ```ts
 * import { secret } from "@distro/core";
 *
 * const apiKey = secret(process.env.WMS_API_KEY!);
 * `${apiKey}`; // "[redacted]"
 * JSON.stringify({ apiKey }); // '{"apiKey":"[redacted]"}'
 * headers.set("x-api-key", apiKey.reveal());
 * ```
 */
export class Secret {
  readonly #value: string;

  /**
   * @param value - the value to hide
   */
  constructor(value: string) {
    this.#value = value;
    Object.defineProperty(this, SECRET_MARKER, { value: true, enumerable: false });
  }

  /**
   * The value in clear. Call it only where the value leaves for its destination (a
   * header, an HMAC key), never to log or store it.
   *
   * @returns the value
   * @example
   * ```ts
   * headers.set("authorization", `Bearer ${token.reveal()}`);
   * ```
   */
  reveal(): string {
    return this.#value;
  }

  /**
   * Whether another secret or string holds the same value, compared without an early
   * exit on the first differing character.
   *
   * @param other - a secret or a string
   * @returns true when both values are equal
   * @example
   * ```ts
   * secret("a").equals(secret("a")); // true
   * ```
   */
  equals(other: Secret | string): boolean {
    const theirs = typeof other === "string" ? other : other.reveal();
    const mine = this.#value;
    let difference = mine.length ^ theirs.length;
    const length = Math.max(mine.length, theirs.length);
    for (let index = 0; index < length; index++) {
      difference |= (mine.charCodeAt(index) || 0) ^ (theirs.charCodeAt(index) || 0);
    }
    return difference === 0;
  }

  /**
   * Always `[redacted]`.
   *
   * @returns `[redacted]`
   * @example
   * ```ts
   * String(secret("s3cret")); // "[redacted]"
   * ```
   */
  toString(): string {
    return REDACTED;
  }

  /**
   * Always `[redacted]`, so `JSON.stringify` and loggers never see the value.
   *
   * @returns `[redacted]`
   * @example
   * ```ts
   * JSON.stringify({ token: secret("s3cret") }); // '{"token":"[redacted]"}'
   * ```
   */
  toJSON(): string {
    return REDACTED;
  }

  /**
   * What `util.inspect` and `console.log` print.
   *
   * @returns `Secret([redacted])`
   * @example
   * ```ts
   * console.log(secret("s3cret")); // Secret([redacted])
   * ```
   */
  [INSPECT](): string {
    return `Secret(${REDACTED})`;
  }

  /**
   * Primitive conversion, also `[redacted]` (so `secret + ""` does not leak).
   *
   * @returns `[redacted]`
   * @example
   * ```ts
   * `${secret("s3cret")}`; // "[redacted]"
   * ```
   */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}

/**
 * Wraps a string in a {@link Secret} (a secret is returned as is).
 *
 * @param value - the value in clear, or a secret
 * @returns the secret
 * @example
 * ```ts
 * const password = secret(process.env.ERP_PASSWORD ?? "");
 * ```
 */
export function secret(value: string | Secret): Secret {
  return isSecret(value) ? value : new Secret(value);
}

/**
 * Tells whether a value is a {@link Secret}, from any copy of `@distro/core`.
 *
 * @param value - anything
 * @returns true for a secret
 * @example
 * ```ts
 * isSecret(secret("x")); // true
 * isSecret("x"); // false
 * ```
 */
export function isSecret(value: unknown): value is Secret {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SECRET_MARKER] === true
  );
}
