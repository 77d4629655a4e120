import { serializeError } from "../errors/distro-error";

/**
 * The replacement written in place of a redacted value unless a rule says otherwise.
 *
 * @example
 * ```ts
 * redact({ password: "x" }); // { password: DEFAULT_REDACTION_MASK }
 * ```
 */
export const DEFAULT_REDACTION_MASK = "[REDACTED]";

/**
 * Key names whose values are masked by default, compared without case, `-`, `_` or
 * spaces (`apiKey`, `api_key` and `X-Api-Key` all match `apikey`): credentials,
 * payment data and personal contact data.
 *
 * @example
 * ```ts
 * DEFAULT_REDACTED_KEYS.includes("cvv"); // true
 * ```
 */
export const DEFAULT_REDACTED_KEYS: readonly string[] = [
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "secret",
  "clientsecret",
  "token",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "sessiontoken",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "apikey",
  "xapikey",
  "privatekey",
  "cardnumber",
  "creditcardnumber",
  "pan",
  "cvv",
  "cvv2",
  "cvc",
  "securitycode",
  "iban",
  "email",
  "emailaddress",
  "phone",
  "phonenumber",
  "mobile",
  "fax",
  "address1",
  "address2",
  "addressline1",
  "addressline2",
  "streetaddress",
  "street",
  "line1",
  "line2",
  "ssn",
];

/**
 * Endings of key names that are masked whatever comes before (`customerEmail`,
 * `shopifyAccessToken`), compared like {@link DEFAULT_REDACTED_KEYS}.
 *
 * @example
 * ```ts
 * redact({ billingEmail: "a@b.co" }); // { billingEmail: "[REDACTED]" }
 * ```
 */
export const DEFAULT_REDACTED_KEY_SUFFIXES: readonly string[] = [
  "password",
  "secret",
  "token",
  "apikey",
  "authorization",
  "email",
  "phone",
  "cardnumber",
];

/** Where a value sits when a mask function is asked to replace it. */
export interface RedactionContext {
  /** The path from the root: keys and array indexes. */
  path: readonly (string | number)[];
  /** The key of the value (the last path element). */
  key: string | number | undefined;
}

/**
 * What {@link redact} masks. Defaults apply unless turned off: the keys in
 * {@link DEFAULT_REDACTED_KEYS} and {@link DEFAULT_REDACTED_KEY_SUFFIXES}, and secrets
 * found inside free text.
 */
export interface RedactionRules {
  /** More key names to mask (compared like the defaults), or patterns tested on the raw key. */
  keys?: readonly (string | RegExp)[];
  /**
   * Field paths to mask: dot-separated keys, `[0]` or `.0` for an index, `*` for any one
   * key or index, `**` for any number of them. E.g. `customer.contacts[*].name`,
   * `**.taxId`, `lines.*.note`.
   */
  paths?: readonly string[];
  /** Field paths never masked, even when their key matches (e.g. `order.email` if it is a shared mailbox). */
  allowPaths?: readonly string[];
  /** Set to false to mask only the given `keys` and `paths`, without the default key list. */
  defaultKeys?: boolean;
  /**
   * Also mask secrets inside strings: e-mail addresses, payment card numbers (Luhn-valid,
   * 15, 16 or 19 digits), `Bearer`/`Basic` credentials and credential query parameters. On by default.
   */
  scanStrings?: boolean;
  /** The replacement, or a function that returns it (e.g. to keep the last four digits). */
  mask?: string | ((value: unknown, context: RedactionContext) => unknown);
  /** Deeper values are replaced by `"[Truncated]"` (default 32). */
  maxDepth?: number;
}

type PathSegment = string;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const part of path.replace(/\[([^\]]*)\]/g, ".$1").split(".")) {
    if (part.length > 0) segments.push(part);
  }
  return segments;
}

function matchPath(
  pattern: readonly PathSegment[],
  path: readonly (string | number)[],
  from = 0,
  at = 0,
): boolean {
  if (from === pattern.length) return at === path.length;
  const segment = pattern[from];
  if (segment === "**") {
    for (let skip = at; skip <= path.length; skip++) {
      if (matchPath(pattern, path, from + 1, skip)) return true;
    }
    return false;
  }
  if (at === path.length) return false;
  if (segment !== "*" && segment !== String(path[at])) return false;
  return matchPath(pattern, path, from + 1, at + 1);
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const CARD_CANDIDATE = /\b[2-6](?:[ -]?\d){14,18}\b/g;
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+/gi;
const CREDENTIAL_PARAMETER =
  /([?&;](?:access_token|refresh_token|id_token|token|api_key|apikey|key|client_secret|password|secret|signature|sig|x-amz-signature)=)[^&#\s"']+/gi;

function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Masks secrets found inside free text: e-mail addresses, payment card numbers (15, 16 or
 * 19 digits starting with 2–6, optionally grouped by spaces or dashes, that pass the
 * Luhn check; GTINs and SSCCs have other lengths and are left alone), the
 * credential of an `Authorization`-style `Bearer`/`Basic`/`Token` value, and credential
 * query parameters (`access_token=`, `api_key=`, `client_secret=`, ...).
 *
 * @param text - any text, e.g. an error message
 * @param mask - the replacement (default `[REDACTED]`)
 * @returns the text with those secrets replaced
 * @example
 * ```ts
 * redactText("Customer jane@example.com paid with 4111 1111 1111 1111");
 * // "Customer [REDACTED] paid with [REDACTED]"
 * ```
 */
export function redactText(text: string, mask: string = DEFAULT_REDACTION_MASK): string {
  let out = text;
  if (out.includes("@")) out = out.replace(EMAIL, mask);
  out = out.replace(CARD_CANDIDATE, (candidate) => {
    const digits = candidate.replace(/[ -]/g, "");
    const length = digits.length;
    return (length === 15 || length === 16 || length === 19) && isLuhnValid(digits) ? mask : candidate;
  });
  out = out.replace(AUTH_SCHEME, (_match, scheme: string) => `${scheme} ${mask}`);
  if (out.includes("=")) out = out.replace(CREDENTIAL_PARAMETER, (_match, name: string) => `${name}${mask}`);
  return out;
}

/** A compiled set of {@link RedactionRules}; build once with {@link createRedactor}, apply often. */
export type Redactor = (value: unknown) => unknown;

/**
 * Compiles redaction rules into a function, so the key list and paths are parsed once
 * (a logger calls it for every line).
 *
 * @param rules - what to mask (defaults: sensitive keys and secrets inside strings)
 * @returns a function that returns a redacted deep copy of its argument
 * @example
 * ```ts
 * import { createRedactor } from "@distro/core";
 *
 * const redactOrder = createRedactor({ paths: ["shipTo.name"] });
 * redactOrder({ shipTo: { name: "Jane Roe", city: "Leeds" }, email: "jane@example.com" });
 * // { shipTo: { name: "[REDACTED]", city: "Leeds" }, email: "[REDACTED]" }
 * ```
 */
export function createRedactor(rules: RedactionRules = {}): Redactor {
  const exactKeys = new Set<string>(rules.defaultKeys === false ? [] : DEFAULT_REDACTED_KEYS);
  const suffixes = rules.defaultKeys === false ? [] : [...DEFAULT_REDACTED_KEY_SUFFIXES];
  const keyPatterns: RegExp[] = [];
  for (const key of rules.keys ?? []) {
    if (typeof key === "string") exactKeys.add(normalizeKey(key));
    else keyPatterns.push(key);
  }
  const paths = (rules.paths ?? []).map(parsePath);
  const allowPaths = (rules.allowPaths ?? []).map(parsePath);
  const scanStrings = rules.scanStrings !== false;
  const maxDepth = rules.maxDepth ?? 32;
  const mask = rules.mask ?? DEFAULT_REDACTION_MASK;
  const textMask = typeof mask === "string" ? mask : DEFAULT_REDACTION_MASK;
  const keyCache = new Map<string, boolean>();

  const isSensitiveKey = (key: string): boolean => {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const normalized = normalizeKey(key);
    let sensitive = exactKeys.has(normalized) || keyPatterns.some((pattern) => pattern.test(key));
    if (!sensitive) sensitive = suffixes.some((suffix) => normalized.endsWith(suffix));
    if (keyCache.size < 4096) keyCache.set(key, sensitive);
    return sensitive;
  };

  const isAllowed = (path: (string | number)[]): boolean =>
    allowPaths.length > 0 && allowPaths.some((pattern) => matchPath(pattern, path));

  const shouldMask = (key: string | number | undefined, path: (string | number)[]): boolean => {
    if (typeof key === "string" && isSensitiveKey(key)) return true;
    return paths.length > 0 && paths.some((pattern) => matchPath(pattern, path));
  };

  /** Masks the entry at `path`, keeps it as it is (allowed paths), or goes into it. */
  const entryAt = (
    key: string | number,
    entry: unknown,
    path: (string | number)[],
    ancestors: object[],
    allowed: boolean,
  ): unknown => {
    const keep = allowed || isAllowed(path);
    if (!keep && shouldMask(key, path)) return masked(entry, path);
    return visit(entry, path, ancestors, keep);
  };

  const masked = (value: unknown, path: (string | number)[]): unknown => {
    if (value === null || value === undefined) return value;
    return typeof mask === "string" ? mask : mask(value, { path: [...path], key: path[path.length - 1] });
  };

  const visit = (
    value: unknown,
    path: (string | number)[],
    ancestors: object[],
    allowed: boolean,
  ): unknown => {
    if (typeof value === "string") return scanStrings && !allowed ? redactText(value, textMask) : value;
    if (typeof value === "function") return "[Function]";
    if (typeof value === "symbol") return value.toString();
    if (typeof value !== "object" || value === null) return value;
    if (ancestors.includes(value)) return "[Circular]";
    if (ancestors.length >= maxDepth) return "[Truncated]";
    if (value instanceof Error) return visit(serializeError(value), path, ancestors, allowed);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer)
      return `[Binary ${value.byteLength} bytes]`;
    ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length);
        for (let index = 0; index < value.length; index++) {
          path.push(index);
          out[index] = entryAt(index, value[index], path, ancestors, allowed);
          path.pop();
        }
        return out;
      }
      if (value instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [key, entry] of value) out[String(key)] = entry;
        return visitObject(out, path, ancestors, allowed);
      }
      if (value instanceof Set) return visit([...value], path, ancestors, allowed);
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        const json = readSafely(() => toJSON.call(value));
        return json === value
          ? visitObject(value as Record<string, unknown>, path, ancestors, allowed)
          : visit(json, path, ancestors, allowed);
      }
      return visitObject(value as Record<string, unknown>, path, ancestors, allowed);
    } finally {
      ancestors.pop();
    }
  };

  const visitObject = (
    value: Record<string, unknown>,
    path: (string | number)[],
    ancestors: object[],
    allowed: boolean,
  ): unknown => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      path.push(key);
      const entry = readSafely(() => value[key]);
      out[key] = entryAt(key, entry, path, ancestors, allowed);
      path.pop();
    }
    return out;
  };

  return (value: unknown) => visit(value, [], [], isAllowed([]));
}

function readSafely(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return "[Unreadable]";
  }
}

/**
 * Returns a deep copy of `value` with personal and payment data and secrets masked,
 * ready to log, to show in a console, or to keep in a dead-letter entry for display.
 * Never changes its input; cycles become `"[Circular]"`; errors become their
 * serialised form; dates become ISO strings; binary data becomes its size.
 *
 * @param value - anything
 * @param rules - what to mask; defaults to sensitive keys (passwords, tokens, card data,
 *   e-mail, phone, street address) and secrets inside strings
 * @returns the redacted copy
 * @example
 * ```ts
 * import { redact } from "@distro/core";
 *
 * redact({ customer: { email: "jane@example.com", tier: "gold" }, accessToken: "abc" });
 * // { customer: { email: "[REDACTED]", tier: "gold" }, accessToken: "[REDACTED]" }
 * redact({ note: "call 555" }, { paths: ["note"] }); // { note: "[REDACTED]" }
 * ```
 */
export function redact(value: unknown, rules?: RedactionRules): unknown {
  return (rules === undefined ? defaultRedactor() : createRedactor(rules))(value);
}

let sharedDefault: Redactor | undefined;
function defaultRedactor(): Redactor {
  sharedDefault ??= createRedactor();
  return sharedDefault;
}
