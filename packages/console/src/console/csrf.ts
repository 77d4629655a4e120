import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The cookie that carries the CSRF token beside the form field or header (double submit). */
export const CSRF_COOKIE = "distro_console_csrf";

/** Issues and checks signed CSRF tokens: `<issued>.<nonce>.<hmac>`, valid for `ttlMs`. */
export interface CsrfTokens {
  issue(now: number): string;
  check(token: string | undefined, cookie: string | undefined, now: number): string | undefined;
}

export function createCsrfTokens(secret: string | Uint8Array | undefined, ttlMs: number): CsrfTokens {
  const key = secret ?? randomBytes(32);
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url");
  return {
    issue(now) {
      const payload = `${now.toString(36)}.${randomBytes(12).toString("base64url")}`;
      return `${payload}.${sign(payload)}`;
    },
    check(token, cookie, now) {
      if (token === undefined || token.length === 0)
        return "The request carries no CSRF proof (the csrf field or the x-csrf-token header)";
      if (cookie === undefined || cookie.length === 0) return "The CSRF cookie is missing";
      if (!equal(token, cookie)) return "The CSRF proof does not match its cookie";
      const parts = token.split(".");
      if (parts.length !== 3) return "The CSRF proof is malformed";
      const [issued, nonce, mac] = parts as [string, string, string];
      if (!equal(mac, sign(`${issued}.${nonce}`))) return "The CSRF signature does not verify";
      const at = Number.parseInt(issued, 36);
      if (!Number.isFinite(at) || at > now + 60_000 || now - at > ttlMs) return "The CSRF proof has expired";
      return undefined;
    },
  };
}

function equal(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
