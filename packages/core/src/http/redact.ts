import { DEFAULT_REDACTION_MASK, redactText } from "../observability/redact";

/** JSON keys and form fields whose values are credentials. */
const SECRET_FIELD =
  "access_token|refresh_token|id_token|client_secret|client_assertion|password|passwd|api_key|apikey|api-key|secret|token|assertion";

const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]+=*/gi;
const JSON_SECRET = new RegExp(`("(?:${SECRET_FIELD})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, "gi");
const FORM_SECRET = new RegExp(`\\b(${SECRET_FIELD})=[^&\\s"'<>]+`, "gi");
const XML_SECRET = new RegExp(`<((?:[\\w-]+:)?(?:${SECRET_FIELD}))>[^<]*</\\1>`, "gi");

/** The text that replaces a secret. */
export const REDACTED = DEFAULT_REDACTION_MASK;

/**
 * Blanks the credentials and personal data a response body or message may echo back:
 * `Bearer` / `Basic` credentials, the values of `access_token`, `refresh_token`,
 * `client_secret`, `password`, `api_key` and similar fields in JSON, form-encoded and
 * XML text, and (through observability's `redactText`) e-mail addresses and payment card
 * numbers.
 */
export function redactSecrets(text: string): string {
  return redactText(
    text
      .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
      .replace(JSON_SECRET, `$1"${REDACTED}"`)
      .replace(FORM_SECRET, `$1=${REDACTED}`)
      .replace(XML_SECRET, `<$1>${REDACTED}</$1>`),
    REDACTED,
  );
}

const SECRET_QUERY_NAMES = new Set([
  "access_token",
  "refresh_token",
  "id_token",
  "token",
  "client_secret",
  "secret",
  "password",
  "pwd",
  "api_key",
  "apikey",
  "api-key",
  "key",
  "code",
  "sig",
  "signature",
  "auth",
  "x-amz-credential",
  "x-amz-signature",
  "x-amz-security-token",
]);
const SECRET_QUERY_PATTERN = /token|secret|password|signature|credential/i;

/**
 * A URL safe to log and to put in metrics: user info removed, and the values of query
 * parameters that carry credentials (`access_token`, `api_key`, `signature`, ...) replaced.
 */
export function redactUrl(url: URL | string): string {
  const copy = new URL(String(url));
  copy.username = "";
  copy.password = "";
  const names = new Set(copy.searchParams.keys());
  for (const name of names) {
    if (SECRET_QUERY_NAMES.has(name.toLowerCase()) || SECRET_QUERY_PATTERN.test(name)) {
      const count = copy.searchParams.getAll(name).length;
      copy.searchParams.delete(name);
      for (let index = 0; index < count; index++) copy.searchParams.append(name, "REDACTED");
    }
  }
  return copy.toString();
}

/** The most of a body an error keeps: 2 KB. */
export const BODY_EXCERPT_BYTES = 2048;
/** How much of a body is scanned for secrets before it is cut to the excerpt. */
const REDACTION_WINDOW_CHARS = 16_384;

/**
 * The first {@link BODY_EXCERPT_BYTES} bytes of a body, as UTF-8 text, with secrets
 * redacted first (so a credential straddling the cut cannot leak its start).
 */
export function bodyExcerpt(text: string): string | undefined {
  if (text.length === 0) return undefined;
  const redacted = redactSecrets(text.slice(0, REDACTION_WINDOW_CHARS));
  const bytes = new TextEncoder().encode(redacted);
  if (bytes.length <= BODY_EXCERPT_BYTES) return redacted;
  // Cut at a character boundary: step back over UTF-8 continuation bytes (top bits 10).
  let end = BODY_EXCERPT_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
