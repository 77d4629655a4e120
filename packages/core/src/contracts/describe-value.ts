/**
 * Renders any value for an error message without ever throwing (a value like
 * `{ toString: null }` makes `String(value)` throw a TypeError). Internal.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") {
    return typeof value === "symbol" ? (value.description ?? "symbol") : String(value);
  }
  try {
    return JSON.stringify(value).slice(0, 100);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
