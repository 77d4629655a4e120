import { createHash } from "node:crypto";
import { ValidationError } from "../errors/index";

function canonical(value: unknown, path: (string | number)[], seen: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "undefined":
      return "null";
    case "object":
      break;
    default:
      throw new ValidationError("Value cannot be fingerprinted", [
        { code: "invalid_type", path, message: `A ${typeof value} is not JSON-safe` },
      ]);
  }
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === "function") {
    return canonical((object.toJSON as () => unknown)(), path, seen);
  }
  if (value instanceof Map || value instanceof Set) {
    throw new ValidationError("Value cannot be fingerprinted", [
      {
        code: "invalid_type",
        path,
        message: "A Map or Set is not JSON-safe; convert it to an object or array",
      },
    ]);
  }
  if (seen.has(object)) {
    throw new ValidationError("Value cannot be fingerprinted", [
      { code: "invalid_type", path, message: "The value contains a cycle" },
    ]);
  }
  seen.add(object);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((item, index) => canonical(item, [...path, index], seen)).join(",")}]`;
  } else {
    const parts: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const item = object[key];
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      parts.push(`${JSON.stringify(key)}:${canonical(item, [...path, key], seen)}`);
    }
    out = `{${parts.join(",")}}`;
  }
  seen.delete(object);
  return out;
}

/**
 * Serialises a JSON-safe value canonically: object keys sorted at every depth,
 * `undefined` properties left out, non-finite numbers as `null`, `toJSON` honoured.
 * Two values that mean the same JSON give the same string whatever their key order.
 *
 * @param value - a JSON-safe value
 * @returns the canonical JSON text
 * @throws ValidationError when the value holds a function, symbol, bigint, Map, Set or a
 *   cycle (the path names where)
 * @example
 * ```ts
 * import { canonicalJson } from "@distro/core";
 *
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, [], new Set());
}

/**
 * The fingerprint of a payload: the SHA-256 (hex) of its {@link canonicalJson}.
 * Independent of key order; computed once, before any handler can mutate the payload.
 *
 * @param value - a JSON-safe payload
 * @returns 64 hex characters
 * @throws ValidationError when the payload is not JSON-safe
 * @example
 * ```ts
 * import { fingerprintPayload } from "@distro/core";
 *
 * fingerprintPayload({ a: 1, b: 2 }) === fingerprintPayload({ b: 2, a: 1 }); // true
 * ```
 */
export function fingerprintPayload(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
