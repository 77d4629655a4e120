/**
 * Checks of CloudEvents 1.0 attribute names and values, written by hand (not with a
 * schema library) because every event on the hot path goes through them.
 */

const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const DISALLOWED_CHARACTERS = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;
const URI_CHARACTERS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;.*)?$/s;

/**
 * Whether a name is a valid CloudEvents attribute name: lowercase ASCII letters and
 * digits only (CloudEvents 1.0, "Attribute Naming Convention").
 *
 * @param name - a candidate attribute name
 * @returns true for `correlationid`, false for `correlationId` or `correlation_id`
 * @example
 * ```ts
 * isValidAttributeName("correlationid"); // true
 * isValidAttributeName("correlation-id"); // false
 * ```
 */
export function isValidAttributeName(name: string): boolean {
  return ATTRIBUTE_NAME.test(name);
}

/**
 * Whether a value is a CloudEvents `String`: any Unicode text except control
 * characters (U+0000–U+001F, U+007F–U+009F), noncharacters and unpaired surrogates.
 *
 * @param value - anything
 * @returns true for a string the type system allows
 * @example
 * ```ts
 * isCloudEventString("order.submitted"); // true
 * isCloudEventString("line\nbreak"); // false
 * ```
 */
export function isCloudEventString(value: unknown): value is string {
  if (typeof value !== "string") return false;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code > 0x7e) return !DISALLOWED_CHARACTERS.test(value);
  }
  return true;
}

/**
 * A small set of values already found valid. Sources, types, content types and
 * timestamps repeat from event to event, so most checks on the hot path become one
 * lookup. Bounded: it is emptied when full.
 */
class ValidValues {
  readonly #values = new Set<string>();

  has(value: string): boolean {
    return this.#values.has(value);
  }

  remember(value: string): true {
    if (value.length <= 512) {
      if (this.#values.size >= 256) this.#values.clear();
      this.#values.add(value);
    }
    return true;
  }
}

const validUriReferences = new ValidValues();
const validAbsoluteUris = new ValidValues();
const validTimestamps = new ValidValues();
const validMediaTypes = new ValidValues();

function splitScheme(value: string): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const character = value[index];
    if (character === ":") return value.slice(0, index);
    if (character === "/" || character === "?" || character === "#") return undefined;
  }
  return undefined;
}

function hasUriShape(value: string): boolean {
  if (!URI_CHARACTERS.test(value)) return false;
  const hash = value.indexOf("#");
  return hash === -1 || value.indexOf("#", hash + 1) === -1;
}

/**
 * Whether a value is a URI-reference as RFC 3986 defines it (an absolute URI such as
 * `https://shop.example/orders` or a relative one such as `/erp/orders`). A colon
 * before the first `/`, `?` or `#` must end a valid scheme.
 *
 * @param value - anything
 * @returns true for a non-empty RFC 3986 URI-reference
 * @example
 * ```ts
 * isUriReference("/erp/business-central"); // true
 * isUriReference("has space"); // false
 * ```
 */
export function isUriReference(value: unknown): value is string {
  if (typeof value !== "string") return false;
  if (validUriReferences.has(value)) return true;
  if (value.length === 0 || !hasUriShape(value)) return false;
  const scheme = splitScheme(value);
  return (scheme === undefined || SCHEME.test(scheme)) && validUriReferences.remember(value);
}

/**
 * Whether a value is an absolute URI as CloudEvents' `URI` type requires (RFC 3986
 * section 4.3: a scheme, no fragment).
 *
 * @param value - anything
 * @returns true for `https://distro.dev/schemas/order.json`, false for `/relative`
 * @example
 * ```ts
 * isAbsoluteUri("urn:distro:contract:order.submitted:1"); // true
 * isAbsoluteUri("/schemas/order.json"); // false
 * ```
 */
export function isAbsoluteUri(value: unknown): value is string {
  if (typeof value !== "string") return false;
  if (validAbsoluteUris.has(value)) return true;
  if (value.length === 0 || !hasUriShape(value) || value.includes("#")) return false;
  const scheme = splitScheme(value);
  return (
    scheme !== undefined &&
    SCHEME.test(scheme) &&
    scheme.length < value.length - 1 &&
    validAbsoluteUris.remember(value)
  );
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Whether a value is an RFC 3339 `date-time` (`2026-11-30T00:43:11.123Z`,
 * `2026-11-30T01:43:11+01:00`): real calendar dates, hours 00–23, minutes 00–59,
 * seconds 00–60 (leap second), offset `Z` or `±hh:mm`.
 *
 * @param value - anything
 * @returns true for a valid RFC 3339 timestamp
 * @example
 * ```ts
 * isRfc3339("2026-02-29T00:00:00Z"); // false: 2026 is not a leap year
 * isRfc3339("2028-02-29T23:59:60.5+02:00"); // true
 * ```
 */
export function isRfc3339(value: unknown): value is string {
  if (typeof value !== "string") return false;
  if (validTimestamps.has(value)) return true;
  const match = TIMESTAMP.exec(value);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6]) > 60) return false;
  if (match[7] !== undefined && (Number(match[7]) > 23 || Number(match[8]) > 59)) return false;
  return validTimestamps.remember(value);
}

/**
 * Whether a value is a media type as RFC 2046 writes it (`type/subtype` with optional
 * `; parameters`).
 *
 * @param value - anything
 * @returns true for `application/json; charset=utf-8`
 * @example
 * ```ts
 * isMediaType("application/vnd.distro.order+json"); // true
 * isMediaType("json"); // false
 * ```
 */
export function isMediaType(value: unknown): value is string {
  if (typeof value !== "string") return false;
  if (validMediaTypes.has(value)) return true;
  return isCloudEventString(value) && MEDIA_TYPE.test(value.trim()) && validMediaTypes.remember(value);
}

/**
 * Whether a media type declares JSON content: its subtype, without parameters, is
 * `json` or ends in `+json` (CloudEvents JSON format, section 3.1).
 *
 * @param mediaType - a media type, or `undefined`
 * @returns true for `application/json`, `application/cloudevents+json; charset=utf-8`
 * @example
 * ```ts
 * isJsonMediaType("application/vnd.api+json"); // true
 * isJsonMediaType("text/xml"); // false
 * ```
 */
export function isJsonMediaType(mediaType: string | undefined): boolean {
  if (mediaType === undefined) return false;
  const semicolon = mediaType.indexOf(";");
  const essence = (semicolon === -1 ? mediaType : mediaType.slice(0, semicolon)).trim().toLowerCase();
  const slash = essence.indexOf("/");
  if (slash <= 0) return false;
  const subtype = essence.slice(slash + 1);
  return subtype === "json" || subtype.endsWith("+json");
}
