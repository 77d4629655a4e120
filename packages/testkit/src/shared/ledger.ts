/** The fault that shaped a response, as recorded in the {@link Ledger}. */
export type LedgerFault = "latency" | "status" | "reset";

/** One request a simulator received and what it answered. */
export interface LedgerEntry {
  /** Position in the ledger, from 1. */
  sequence: number;
  /** When the request arrived, in epoch milliseconds from the simulator's clock. */
  receivedAt: number;
  /** HTTP method, upper-case. */
  method: string;
  /** The path without the query string, e.g. `/admin/api/2024-10/orders.json`. */
  path: string;
  /** The query string without `?` (empty when none). */
  query: string;
  /** Request headers, names lower-case. */
  requestHeaders: Record<string, string>;
  /** The raw request body (empty string when none). */
  requestBody: string;
  /** The status answered; 0 when the connection was reset. */
  status: number;
  /** Response headers, names lower-case. */
  responseHeaders: Record<string, string>;
  /** The raw response body. */
  responseBody: string;
  /** The faults that applied to this request, in the order they applied. */
  faults: LedgerFault[];
  /** A label the simulator gave the operation (e.g. `orders.list`, `sobject.upsert`). */
  operation?: string;
}

/**
 * The record of every request a simulator served, in arrival order, for tests and
 * demos to inspect ("how many 429s did the client get?", "what did it send?").
 *
 * @example
 * ```ts
 * const ledger = new Ledger();
 * ledger.record({ receivedAt: 0, method: "GET", path: "/x", query: "", requestHeaders: {},
 *   requestBody: "", status: 200, responseHeaders: {}, responseBody: "{}", faults: [] });
 * ledger.count({ status: 200 }); // 1
 * ```
 */
export class Ledger {
  private readonly items: LedgerEntry[] = [];

  /**
   * Appends an entry; the ledger assigns its sequence number.
   *
   * @param entry - the request and its answer
   * @returns the stored entry
   * @example
   * ```ts
   * ledger.record({ receivedAt: 0, method: "GET", path: "/x", query: "", requestHeaders: {},
   *   requestBody: "", status: 200, responseHeaders: {}, responseBody: "", faults: [] });
   * ```
   */
  record(entry: Omit<LedgerEntry, "sequence">): LedgerEntry {
    const stored: LedgerEntry = { sequence: this.items.length + 1, ...entry };
    this.items.push(stored);
    return stored;
  }

  /**
   * Every entry so far, oldest first (a copy: later requests do not change it).
   *
   * @returns the entries
   * @example
   * ```ts
   * for (const entry of ledger.entries()) console.log(entry.method, entry.path, entry.status);
   * ```
   */
  entries(): LedgerEntry[] {
    return [...this.items];
  }

  /**
   * The entries that match every given criterion.
   *
   * @param criteria - method, status, operation, a path (exact string or RegExp) or a predicate
   * @returns the matching entries, oldest first
   * @example
   * ```ts
   * ledger.filter({ method: "POST", path: /inventory_levels\/set/ });
   * ```
   */
  filter(criteria: LedgerCriteria = {}): LedgerEntry[] {
    return this.items.filter((entry) => matchesCriteria(entry, criteria));
  }

  /**
   * How many entries match every given criterion.
   *
   * @param criteria - as for {@link Ledger.filter}
   * @returns the count
   * @example
   * ```ts
   * ledger.count({ status: 429 }); // 0 when the client paced itself
   * ```
   */
  count(criteria: LedgerCriteria = {}): number {
    return this.filter(criteria).length;
  }

  /**
   * Forgets every entry (sequence numbers start again at 1).
   *
   * @example
   * ```ts
   * ledger.clear();
   * ```
   */
  clear(): void {
    this.items.length = 0;
  }
}

/** What {@link Ledger.filter} and {@link Ledger.count} select on; all given criteria must hold. */
export interface LedgerCriteria {
  /** HTTP method, upper-case. */
  method?: string;
  /** Exact path, or a pattern tested against the path. */
  path?: string | RegExp;
  /** The status answered. */
  status?: number;
  /** The operation label. */
  operation?: string;
  /** Any other test. */
  where?: (entry: LedgerEntry) => boolean;
}

function matchesCriteria(entry: LedgerEntry, criteria: LedgerCriteria): boolean {
  if (criteria.method !== undefined && entry.method !== criteria.method) return false;
  if (criteria.status !== undefined && entry.status !== criteria.status) return false;
  if (criteria.operation !== undefined && entry.operation !== criteria.operation) return false;
  if (criteria.path !== undefined) {
    if (typeof criteria.path === "string" ? entry.path !== criteria.path : !criteria.path.test(entry.path)) {
      return false;
    }
  }
  if (criteria.where !== undefined && !criteria.where(entry)) return false;
  return true;
}
