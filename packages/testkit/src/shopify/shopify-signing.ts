import { createHmac } from "node:crypto";

/**
 * Signs a webhook body as Shopify does: base64 of HMAC-SHA256 over the raw body bytes,
 * keyed with the app's client secret; the value of `X-Shopify-Hmac-Sha256`.
 *
 * @param secret - the app's client secret (API secret key)
 * @param rawBody - the exact body bytes or text sent
 * @returns the base64 signature
 * @example
 * ```ts
 * const signature = signShopifyWebhook("shpss_secret", '{"id":1}');
 * ```
 */
export function signShopifyWebhook(secret: string, rawBody: string | Uint8Array): string {
  return createHmac("sha256", secret)
    .update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody)
    .digest("base64");
}
