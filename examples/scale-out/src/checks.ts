import type { DeadLetterEntry } from "@distro/core";
import type { DeliveryPlan } from "./orders";

/** One guarantee of the run, whether it held, and the numbers behind it. */
export interface RunCheck {
  /** What must hold. */
  name: string;
  /** Whether it held. */
  held: boolean;
  /** The figures. */
  detail: string;
}

/**
 * The most requests that arrived in any window of `windowMs` (a sliding window, the way
 * the ERP counts its budget: `(t - windowMs, t]`).
 *
 * @param times - arrival times in milliseconds, in any order
 * @param windowMs - the window (default 1,000)
 * @returns the count of the busiest window
 * @example
 * ```ts
 * busiestWindow([0, 100, 999, 1000, 1500]); // 3: (0, 1000] holds 100, 999 and 1000
 * ```
 */
export function busiestWindow(times: readonly number[], windowMs = 1_000): number {
  const sorted = [...times].sort((left, right) => left - right);
  let busiest = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[first] as number) <= (sorted[last] as number) - windowMs) first += 1;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

/**
 * Requests per calendar second from `start`, for a report.
 *
 * @param times - arrival times in milliseconds
 * @param start - the time of second 0
 * @returns one count per second
 * @example
 * ```ts
 * perSecond([10, 20, 1_010], 0); // [2, 1]
 * ```
 */
export function perSecond(times: readonly number[], start: number): number[] {
  const counts: number[] = [];
  for (const time of times) {
    const second = Math.max(0, Math.floor((time - start) / 1_000));
    while (counts.length <= second) counts.push(0);
    counts[second] = (counts[second] ?? 0) + 1;
  }
  return counts;
}

/** How the ERP's bookings compare with the plan. */
export interface BookingCount {
  /** Valid orders booked at least once. */
  booked: number;
  /** Bookings beyond the first of one order (must be 0). */
  duplicatesBooked: number;
  /** Valid orders not booked (must be none). */
  missing: string[];
  /** Bookings of orders that must never be booked (poison orders) or that were never planned. */
  unexpected: string[];
}

/**
 * Compares the ERP's bookings per external document number with the plan.
 *
 * @param plan - what was fed
 * @param bookingsByKey - the ERP's bookings per external document number
 * @returns booked, duplicated, missing and unexpected orders
 * @example
 * ```ts
 * const count = countBookings(plan, erp.bookingsByKey());
 * count.duplicatesBooked; // 0
 * ```
 */
export function countBookings(plan: DeliveryPlan, bookingsByKey: ReadonlyMap<string, number>): BookingCount {
  const planned = new Set(plan.orderNumbers);
  const missing = plan.orderNumbers.filter((orderNumber) => !bookingsByKey.has(orderNumber));
  let duplicatesBooked = 0;
  const unexpected: string[] = [];
  for (const [key, count] of bookingsByKey) {
    if (!planned.has(key)) unexpected.push(key);
    duplicatesBooked += count - 1;
  }
  return { booked: plan.orderNumbers.length - missing.length, duplicatesBooked, missing, unexpected };
}

/** A dead letter and why it is there. */
export interface ExplainedDeadLetter {
  /** The dead letter's id. */
  id: string;
  /** The event it holds. */
  eventId: string | undefined;
  /** Why it is there. */
  reason: string;
}

/**
 * Sorts dead letters into the explained ones (a poison order of the plan, refused for
 * failing validation, with the issues that name the field) and the rest, which a
 * correct run never has.
 *
 * @param entries - the dead-letter store's entries
 * @param plan - what was fed
 * @returns explained and unexplained entries
 * @example
 * ```ts
 * const { unexplained } = explainDeadLetters(await deadLetters.list({ status: "all" }), plan);
 * unexplained.length; // 0
 * ```
 */
export function explainDeadLetters(
  entries: readonly DeadLetterEntry[],
  plan: DeliveryPlan,
): { explained: ExplainedDeadLetter[]; unexplained: DeadLetterEntry[] } {
  const poison = new Set(plan.poisonEventIds);
  const explained: ExplainedDeadLetter[] = [];
  const unexplained: DeadLetterEntry[] = [];
  for (const entry of entries) {
    const paths = (entry.issues ?? []).map((issue) => issue.path.join("."));
    if (
      entry.eventId !== undefined &&
      poison.has(entry.eventId) &&
      entry.error.code === "VALIDATION_FAILED"
    ) {
      explained.push({
        id: entry.id,
        eventId: entry.eventId,
        reason: `poison order published on purpose, refused before booking: ${paths.join(", ")}`,
      });
    } else {
      unexplained.push(entry);
    }
  }
  return { explained, unexplained };
}
