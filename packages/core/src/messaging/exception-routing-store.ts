import { createHash } from "node:crypto";
import { DistroError } from "../errors/distro-error";
import { NotFoundError } from "../errors/kinds";
import { EXCEPTION_PRIORITY_RANK, type ExceptionKind, type ExceptionPriority } from "./exception-routing";

/**
 * Where an exception item stands: waiting for someone, taken by someone, or done.
 *
 * @example
 * ```ts
 * const open = await exceptions.list({ status: "open" satisfies ExceptionStatus });
 * ```
 */
export type ExceptionStatus = "open" | "assigned" | "resolved";

/**
 * What an exception item points at, so a person can find the underlying problem. Ids
 * and names only: never a message body or personal data.
 *
 * @example
 * ```ts
 * const reference: ExceptionReference = { deadLetterId: "9f2c…", correlationId: "corr-1", partner: "erp" };
 * ```
 */
export interface ExceptionReference {
  /** The dead letter, for a dead-letter exception (replayable from the item). */
  deadLetterId?: string;
  /** The held flow instance. */
  flowId?: string;
  /** The flow's name. */
  flow?: string;
  /** The step that held. */
  step?: string;
  /** The transaction's correlation id. */
  correlationId?: string;
  /** The partner or system. */
  partner?: string;
  /** The event type. */
  type?: string;
  /** The event source. */
  source?: string;
  /** The subscriber that gave up. */
  subscriber?: string;
}

/**
 * What {@link ExceptionQueueStore.add} takes.
 *
 * @example
 * ```ts
 * const input: NewExceptionItem = {
 *   sourceRef: "dead-letter:9f2c…", kind: "dead-letter", queue: "edi-support", priority: "high",
 *   errorCode: "EDI_REJECTED", summary: "order.submitted for edi-out: EDI_REJECTED", reference: { partner: "acme" },
 *   occurredAt: 1_767_225_600_000,
 * };
 * ```
 */
export interface NewExceptionItem {
  /**
   * What the item stands for, unique per problem (`dead-letter:<id>`, `flow-hold:<instance>@<held at>`).
   * Adding the same reference again returns the existing item.
   */
  sourceRef: string;
  /** What kind of problem. */
  kind: ExceptionKind;
  /** The named queue. */
  queue: string;
  /** The priority. */
  priority: ExceptionPriority;
  /** When it is due, epoch milliseconds. */
  dueAt?: number;
  /** The rule that routed it (absent for the default queue). */
  rule?: string;
  /** The outermost error code. */
  errorCode?: string;
  /** One redacted sentence for people (at most 1,000 characters). */
  summary: string;
  /** Where the underlying problem is. */
  reference: ExceptionReference;
  /** When the problem happened, epoch milliseconds. */
  occurredAt: number;
}

/**
 * How an item was resolved.
 *
 * @example
 * ```ts
 * const resolution: ExceptionResolution = { by: "jane", note: "credit limit raised", at: Date.now() };
 * ```
 */
export interface ExceptionResolution {
  /** Who resolved it. */
  by: string;
  /** What was done, for the next person. */
  note: string;
  /** When, epoch milliseconds. */
  at: number;
  /** The event published when the underlying dead letter was replayed on resolve. */
  replayEventId?: string;
}

/**
 * A stored exception item.
 *
 * @example
 * ```ts
 * const item: ExceptionItem = (await exceptions.add(input, Date.now())).item;
 * item.status; // "open"
 * ```
 */
export interface ExceptionItem extends NewExceptionItem {
  /** Stable id derived from `sourceRef` ({@link exceptionItemId}). */
  id: string;
  /** Open, assigned or resolved. */
  status: ExceptionStatus;
  /** Who has it, once assigned. */
  assignee?: string;
  /** When it was added, epoch milliseconds. */
  createdAt: number;
  /** When it last changed, epoch milliseconds. */
  updatedAt: number;
  /** How it was resolved. */
  resolution?: ExceptionResolution;
}

/**
 * Which items to list. Every given field must match.
 *
 * @example
 * ```ts
 * const filter: ExceptionFilter = { queue: "credit-desk", status: ["open"], limit: 50 };
 * ```
 */
export interface ExceptionFilter {
  /** The queue. */
  queue?: string;
  /** The statuses (default: open and assigned); `all` for every status. */
  status?: ExceptionStatus | ExceptionStatus[] | "all";
  /** The person it is assigned to. */
  assignee?: string;
  /** The kind. */
  kind?: ExceptionKind;
  /** The outermost error code. */
  errorCode?: string;
  /** The partner or system. */
  partner?: string;
  /** The correlation id. */
  correlationId?: string;
  /** At most this many (default 1,000): highest priority first, then oldest. */
  limit?: number;
}

/**
 * The state of one queue, for dashboards and metrics.
 *
 * @example
 * ```ts
 * const [first]: ExceptionQueueStats[] = await exceptions.stats(Date.now());
 * ```
 */
export interface ExceptionQueueStats {
  /** The queue. */
  queue: string;
  /** Items nobody has taken. */
  open: number;
  /** Items someone has taken and not resolved. */
  assigned: number;
  /** Unresolved items past their due time. */
  overdue: number;
  /** When the oldest unresolved item happened, epoch milliseconds. */
  oldestOccurredAt?: number;
}

/**
 * The exception queue port: items for people, one per underlying problem, in named
 * queues; assigned to a person, then resolved with a note. `add` is idempotent by
 * `sourceRef`, so routing the same dead letter twice makes one item.
 *
 * @example
 * ```ts
 * import { createMemoryExceptionQueueStore } from "@distro/core";
 *
 * const exceptions: ExceptionQueueStore = createMemoryExceptionQueueStore();
 * const creditDesk = await exceptions.list({ queue: "credit-desk" });
 * ```
 */
export interface ExceptionQueueStore {
  /**
   * Adds an item, or returns the one already added for the same `sourceRef`.
   *
   * @param item - the routed item
   * @param at - now, epoch milliseconds
   * @returns the stored item and whether this call created it
   * @throws DistroError `EXCEPTION_STORE_FULL` (retryable) when the store cannot take more
   */
  add(item: NewExceptionItem, at: number): Promise<{ created: boolean; item: ExceptionItem }>;
  /**
   * Reads one item.
   *
   * @param id - the item id
   * @returns the item, or undefined
   */
  get(id: string): Promise<ExceptionItem | undefined>;
  /**
   * Lists items: highest priority first, then oldest, then by id.
   *
   * @param filter - what must match
   * @returns the matching items
   */
  list(filter?: ExceptionFilter): Promise<ExceptionItem[]>;
  /**
   * Gives an unresolved item to a person (or to another one).
   *
   * @param id - the item id
   * @param assignee - who takes it
   * @param at - now, epoch milliseconds
   * @returns the updated item
   * @throws NotFoundError when there is no such item
   * @throws DistroError `EXCEPTION_RESOLVED` when it is already resolved
   */
  assign(id: string, assignee: string, at: number): Promise<ExceptionItem>;
  /**
   * Resolves an unresolved item with a note.
   *
   * @param id - the item id
   * @param resolution - who, what and when
   * @returns the updated item
   * @throws NotFoundError when there is no such item
   * @throws DistroError `EXCEPTION_RESOLVED` when it is already resolved
   */
  resolve(id: string, resolution: ExceptionResolution): Promise<ExceptionItem>;
  /**
   * Counts unresolved items per queue, with the oldest and the overdue.
   *
   * @param now - epoch milliseconds, for `overdue`
   * @returns one entry per queue with unresolved items, by queue name
   */
  stats(now: number): Promise<ExceptionQueueStats[]>;
}

/**
 * The stable id of an exception item: a hash of its `sourceRef`.
 *
 * @param sourceRef - what the item stands for
 * @returns 32 hex characters
 * @example
 * ```ts
 * import { exceptionItemId } from "@distro/core";
 *
 * exceptionItemId("dead-letter:abc").length; // 32
 * ```
 */
export function exceptionItemId(sourceRef: string): string {
  return createHash("sha256").update(`exception\u0000${sourceRef}`).digest("hex").slice(0, 32);
}

/**
 * The statuses a filter selects (default: open and assigned).
 *
 * @param filter - the filter
 * @returns the statuses
 * @example
 * ```ts
 * import { exceptionStatusesOf } from "@distro/core";
 *
 * exceptionStatusesOf({}); // ["open", "assigned"]
 * ```
 */
export function exceptionStatusesOf(filter: ExceptionFilter = {}): ExceptionStatus[] {
  const status = filter.status ?? ["open", "assigned"];
  if (status === "all") return ["open", "assigned", "resolved"];
  return typeof status === "string" ? [status] : status;
}

/**
 * Tells whether an item matches a filter (for store adapters that filter in memory).
 *
 * @param item - an item
 * @param filter - the filter (status defaults to open and assigned)
 * @returns true when every given field matches
 * @example
 * ```ts
 * import { matchesExceptionFilter } from "@distro/core";
 *
 * // items.filter((item) => matchesExceptionFilter(item, { queue: "credit-desk" }))
 * ```
 */
export function matchesExceptionFilter(item: ExceptionItem, filter: ExceptionFilter = {}): boolean {
  if (!exceptionStatusesOf(filter).includes(item.status)) return false;
  if (filter.queue !== undefined && item.queue !== filter.queue) return false;
  if (filter.assignee !== undefined && item.assignee !== filter.assignee) return false;
  if (filter.kind !== undefined && item.kind !== filter.kind) return false;
  if (filter.errorCode !== undefined && item.errorCode !== filter.errorCode) return false;
  if (filter.partner !== undefined && item.reference.partner !== filter.partner) return false;
  if (filter.correlationId !== undefined && item.reference.correlationId !== filter.correlationId)
    return false;
  return true;
}

/**
 * Orders items as queues list them: highest priority first, then oldest, then by id.
 *
 * @param left - one item
 * @param right - another
 * @returns negative when `left` comes first
 * @example
 * ```ts
 * import { compareExceptionItems } from "@distro/core";
 *
 * items.sort(compareExceptionItems);
 * ```
 */
export function compareExceptionItems(left: ExceptionItem, right: ExceptionItem): number {
  return (
    EXCEPTION_PRIORITY_RANK[left.priority] - EXCEPTION_PRIORITY_RANK[right.priority] ||
    left.occurredAt - right.occurredAt ||
    (left.id < right.id ? -1 : left.id > right.id ? 1 : 0)
  );
}

/**
 * The error a store throws when it already holds its bound of items: retryable, since
 * items get resolved and pruned.
 *
 * @param maxItems - the store's bound
 * @returns the error (`EXCEPTION_STORE_FULL`, retryable)
 * @example
 * ```ts
 * import { exceptionStoreFullError } from "@distro/core";
 *
 * if (count >= maxItems) throw exceptionStoreFullError(maxItems);
 * ```
 */
export function exceptionStoreFullError(maxItems: number): DistroError {
  return new DistroError("EXCEPTION_STORE_FULL", `The exception store holds ${maxItems} items`, {
    retryable: true,
    details: { maxItems },
  });
}

/**
 * The item a store keeps for a new problem: the input (copied) with its id derived from
 * the source reference, open, created and updated at `at`.
 *
 * @param input - what `add` was given
 * @param at - now, epoch milliseconds
 * @returns the new open item
 * @example
 * ```ts
 * import { openExceptionItem } from "@distro/core";
 *
 * const item = openExceptionItem(input, Date.now());
 * item.status; // "open"
 * ```
 */
export function openExceptionItem(input: NewExceptionItem, at: number): ExceptionItem {
  return {
    ...structuredClone(input),
    id: exceptionItemId(input.sourceRef),
    status: "open",
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * The error thrown when acting on an item that is already resolved.
 *
 * @param item - the resolved item
 * @returns the error (`EXCEPTION_RESOLVED`, not retryable)
 * @example
 * ```ts
 * import { exceptionResolvedError } from "@distro/core";
 *
 * if (item.status === "resolved") throw exceptionResolvedError(item);
 * ```
 */
export function exceptionResolvedError(item: Pick<ExceptionItem, "id">): DistroError {
  return new DistroError("EXCEPTION_RESOLVED", `Exception ${item.id} is already resolved`, {
    details: { id: item.id, status: "resolved" },
  });
}

/**
 * Settings of {@link createMemoryExceptionQueueStore}.
 *
 * @example
 * ```ts
 * const exceptions = createMemoryExceptionQueueStore({ maxItems: 10_000 } satisfies MemoryExceptionQueueStoreSettings);
 * ```
 */
export interface MemoryExceptionQueueStoreSettings {
  /** At most this many items (default 100,000); `add` then fails, retryable, and nothing is dropped. */
  maxItems?: number;
}

/**
 * The in-memory {@link ExceptionQueueStore}. Items are copied in and out.
 *
 * @param settings - size bound
 * @returns the store
 * @example
 * ```ts
 * import { createMemoryExceptionQueueStore } from "@distro/core";
 *
 * const exceptions = createMemoryExceptionQueueStore();
 * ```
 */
export function createMemoryExceptionQueueStore(
  settings: MemoryExceptionQueueStoreSettings = {},
): ExceptionQueueStore {
  const maxItems = Math.max(1, settings.maxItems ?? 100_000);
  const items = new Map<string, ExceptionItem>();

  const unresolved = (id: string): ExceptionItem => {
    const item = items.get(id);
    if (item === undefined) throw new NotFoundError(`No exception ${id}`, { details: { id } });
    if (item.status === "resolved") throw exceptionResolvedError(item);
    return item;
  };

  return {
    async add(input, at) {
      const id = exceptionItemId(input.sourceRef);
      const existing = items.get(id);
      if (existing !== undefined) return { created: false, item: structuredClone(existing) };
      if (items.size >= maxItems) throw exceptionStoreFullError(maxItems);
      const item = openExceptionItem(input, at);
      items.set(id, item);
      return { created: true, item: structuredClone(item) };
    },
    async get(id) {
      const item = items.get(id);
      return item === undefined ? undefined : structuredClone(item);
    },
    async list(filter = {}) {
      const matching = [...items.values()].filter((item) => matchesExceptionFilter(item, filter));
      matching.sort(compareExceptionItems);
      return matching.slice(0, filter.limit ?? 1_000).map((item) => structuredClone(item));
    },
    async assign(id, assignee, at) {
      const item = unresolved(id);
      item.status = "assigned";
      item.assignee = assignee;
      item.updatedAt = at;
      return structuredClone(item);
    },
    async resolve(id, resolution) {
      const item = unresolved(id);
      item.status = "resolved";
      item.resolution = structuredClone(resolution);
      item.updatedAt = resolution.at;
      return structuredClone(item);
    },
    async stats(now) {
      const queues = new Map<string, ExceptionQueueStats>();
      for (const item of items.values()) {
        if (item.status === "resolved") continue;
        const stats = queues.get(item.queue) ?? { queue: item.queue, open: 0, assigned: 0, overdue: 0 };
        stats[item.status] += 1;
        if (item.dueAt !== undefined && item.dueAt < now) stats.overdue += 1;
        if (stats.oldestOccurredAt === undefined || item.occurredAt < stats.oldestOccurredAt)
          stats.oldestOccurredAt = item.occurredAt;
        queues.set(item.queue, stats);
      }
      return [...queues.values()].sort((left, right) => (left.queue < right.queue ? -1 : 1));
    },
  };
}
