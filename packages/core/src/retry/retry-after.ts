const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 section 5.6.7). */
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete RFC 850 form: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete ANSI C asctime() form: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
const DELAY_SECONDS = /^\d+$/;

/**
 * Reads a `Retry-After` header value (RFC 9110 section 10.2.3) as milliseconds to wait
 * from `now`. Both forms are understood: delay-seconds (`120`) and an HTTP-date in any of
 * the three forms a recipient must accept (IMF-fixdate, RFC 850 with a two-digit year,
 * asctime). A date in the past means "now" (0). Anything else is not a valid value and
 * gives `undefined`, so the caller falls back to its own backoff.
 *
 * @param value - the header value (`null` or `undefined` when absent)
 * @param now - the current time in epoch milliseconds (or a Date); injectable for tests
 * @returns milliseconds to wait (0 or more), or `undefined` when absent or invalid
 * @example
 * ```ts
 * import { parseRetryAfter } from "@distro/core";
 *
 * parseRetryAfter("120"); // 120000
 * parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 7)); // 30000
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number | Date = Date.now(),
): number | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (DELAY_SECONDS.test(text)) {
    const seconds = Number(text);
    return Math.min(seconds * 1000, Number.MAX_SAFE_INTEGER);
  }
  const nowMs = typeof now === "number" ? now : now.getTime();
  if (!Number.isFinite(nowMs)) return undefined;
  const at = parseHttpDate(text, nowMs);
  if (at === undefined) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Parses an HTTP-date (RFC 9110 section 5.6.7) to epoch milliseconds, in the fixed form
 * and the two obsolete ones. `now` resolves the century of an RFC 850 two-digit year:
 * a year more than 50 years ahead is taken as the most recent past year with those digits.
 */
function parseHttpDate(text: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    return utc(Number(match[3]), match[2]!, Number(match[1]), match[4]!, match[5]!, match[6]!);
  }
  match = RFC850_DATE.exec(text);
  if (match) {
    const twoDigits = Number(match[3]);
    const currentYear = new Date(nowMs).getUTCFullYear();
    let year = currentYear - (currentYear % 100) + twoDigits;
    if (year > currentYear + 50) year -= 100;
    return utc(year, match[2]!, Number(match[1]), match[4]!, match[5]!, match[6]!);
  }
  match = ASCTIME_DATE.exec(text);
  if (match) {
    return utc(Number(match[6]), match[1]!, Number(match[2]!.trim()), match[3]!, match[4]!, match[5]!);
  }
  return undefined;
}

function utc(
  year: number,
  monthName: string,
  day: number,
  hourText: string,
  minuteText: string,
  secondText: string,
): number | undefined {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const hour = Number(hourText);
  const minute = Number(minuteText);
  // A leap second (60) is allowed by the grammar; count it as the last second of the minute.
  const second = Math.min(Number(secondText), 59);
  if (month < 0 || hour > 23 || minute > 59 || Number(secondText) > 60 || day < 1) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, 0);
  // Reject days that roll over into the next month (31 Feb).
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined;
  return date.getTime();
}
