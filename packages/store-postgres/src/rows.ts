/** Reads a bigint column (a string from `pg`, a number or bigint from PGlite) as a number. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

/** Reads an optional bigint column. */
export function toOptionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : toNumber(value);
}

/** Wraps a value so `undefined` survives a round trip through `jsonb`. */
export function boxJson(value: unknown): string {
  return JSON.stringify(value === undefined ? {} : { value });
}

/** Unwraps a value stored with {@link boxJson}. */
export function unboxJson<T>(stored: unknown): T | undefined {
  if (stored === null || stored === undefined) return undefined;
  const box = (typeof stored === "string" ? JSON.parse(stored) : stored) as { value?: T };
  return box.value;
}

/** Reads a `jsonb` column (parsed by both drivers; a string only if a caller cast it to text). */
export function fromJson<T>(stored: unknown): T {
  return (typeof stored === "string" ? JSON.parse(stored) : stored) as T;
}

/**
 * Makes any string storable in a PostgreSQL `text` column, which cannot hold U+0000:
 * `%` becomes `%25` and U+0000 becomes `%00`. The mapping is one-to-one, so keys stay
 * distinct and {@link decodeText} restores the original exactly.
 */
export function encodeText(value: string): string {
  return value.replaceAll("%", "%25").replaceAll("\u0000", "%00");
}

/** Restores a string stored with {@link encodeText}. */
export function decodeText(value: string): string {
  return value.replace(/%(25|00)/g, (_, code: string) => (code === "25" ? "%" : "\u0000"));
}

/** {@link encodeText} for optional values (null for undefined). */
export function encodeOptional(value: string | undefined): string | null {
  return value === undefined ? null : encodeText(value);
}
