import { createHash } from "node:crypto";
import { DistroError, NotFoundError, type SerializedError, type ValidationIssue } from "../errors/index";

/** Where a dead letter stands: waiting for an operator, replayed, or discarded. */
export type DeadLetterStatus = "pending" | "replayed" | "discarded";

/** What a consumer hands to {@link DeadLetterStore.add}. */
export interface NewDeadLetter {
  /** The subscription whose handler gave up on the message. */
  subscriber: string;
  /** The message exactly as it was delivered (serialised), never modified. */
  message: string;
  /** The event's `id`, when the message was a readable envelope. */
  eventId?: string;
  /** The event's `type`, when readable. */
  type?: string;
  /** The event's `source`, when readable. */
  source?: string;
  /** The event's `subject`, when readable. */
  subject?: string;
  /** The event's correlation id, when readable. */
  correlationId?: string;
  /** The last failure and its cause chain. */
  error: SerializedError;
  /** The validation issues, when the message was refused as invalid. */
  issues?: ValidationIssue[];
  /** How many times the handler was tried (0 when the message was refused unread). */
  attempts: number;
  /** When the first attempt failed, epoch milliseconds. */
  firstFailedAt: number;
  /** When the last attempt failed, epoch milliseconds. */
  lastFailedAt: number;
}

/** A stored dead letter. */
export interface DeadLetterEntry extends NewDeadLetter {
  /** Stable id: the same message failed by the same subscriber always gets the same id. */
  id: string;
  /** Pending, replayed or discarded. */
  status: DeadLetterStatus;
  /** The ids of the events published by each replay, oldest first. */
  replays: { eventId: string; at: number }[];
  /** Why and when it was discarded. */
  discarded?: { reason: string; at: number };
}

/** Which dead letters to list or replay. Every given field must match. */
export interface DeadLetterFilter {
  /** The event type. */
  type?: string;
  /** The event source. */
  source?: string;
  /** The error code of the last failure. */
  errorCode?: string;
  /** The subscriber. */
  subscriber?: string;
  /** Last failure at or after this time, epoch milliseconds. */
  from?: number;
  /** Last failure before this time, epoch milliseconds. */
  to?: number;
  /** The status (default `pending`); `all` for every status. */
  status?: DeadLetterStatus | "all";
  /** At most this many, oldest failure first (default 1,000). */
  limit?: number;
}

/**
 * The dead-letter port: every message a consumer gave up on, kept untouched with its
 * error chain, attempts and failure times, until an operator replays or discards it.
 * `add` is idempotent: adding the same message for the same subscriber again returns
 * the existing entry (so a redelivery never makes two entries).
 *
 * @example
 * ```ts
 * import { createMemoryDeadLetterStore } from "@distro/core";
 *
 * const deadLetters = createMemoryDeadLetterStore();
 * const failed = await deadLetters.list({ type: "order.submitted", errorCode: "VALIDATION_FAILED" });
 * ```
 */
export interface DeadLetterStore {
  /**
   * Stores a dead letter, or returns the existing one for the same message and subscriber.
   *
   * @param entry - the message, error and attempts
   * @returns the stored entry
   * @throws DistroError `DEAD_LETTER_STORE_FULL` (retryable) when the store cannot take more
   */
  add(entry: NewDeadLetter): Promise<DeadLetterEntry>;
  /**
   * Reads one entry.
   *
   * @param id - the entry id
   * @returns the entry, or undefined
   */
  get(id: string): Promise<DeadLetterEntry | undefined>;
  /**
   * Lists entries, oldest failure first.
   *
   * @param filter - what must match
   * @returns the matching entries
   */
  list(filter?: DeadLetterFilter): Promise<DeadLetterEntry[]>;
  /**
   * Records that a pending entry was replayed as a new event.
   *
   * @param id - the entry id
   * @param eventId - the id of the replayed event
   * @param at - when, epoch milliseconds
   * @returns the updated entry
   * @throws NotFoundError when there is no such entry
   * @throws DistroError `DEAD_LETTER_NOT_PENDING` when it was already replayed or discarded
   */
  markReplayed(id: string, eventId: string, at: number): Promise<DeadLetterEntry>;
  /**
   * Discards a pending entry, keeping it with the reason.
   *
   * @param id - the entry id
   * @param reason - why, for the audit trail
   * @param at - when, epoch milliseconds
   * @returns the updated entry
   * @throws NotFoundError when there is no such entry
   * @throws DistroError `DEAD_LETTER_NOT_PENDING` when it was already replayed or discarded
   */
  discard(id: string, reason: string, at: number): Promise<DeadLetterEntry>;
}

/**
 * The stable id of a dead letter: a hash of the subscriber and the event's `source` and
 * `id` (or of the whole message, when it has no readable id).
 *
 * @param entry - subscriber, message and event identity
 * @returns 32 hex characters
 * @example
 * ```ts
 * import { deadLetterId } from "@distro/core";
 *
 * deadLetterId({ subscriber: "billing", message: "{}", source: "/shop", eventId: "1" }).length; // 32
 * ```
 */
export function deadLetterId(
  entry: Pick<NewDeadLetter, "subscriber" | "message" | "source" | "eventId">,
): string {
  const identity =
    entry.eventId !== undefined && entry.source !== undefined
      ? `event\u0000${entry.source}\u0000${entry.eventId}`
      : `body\u0000${entry.message}`;
  return createHash("sha256").update(`${entry.subscriber}\u0000${identity}`).digest("hex").slice(0, 32);
}

/**
 * Tells whether an entry matches a filter.
 *
 * @param entry - a dead letter
 * @param filter - the filter (status defaults to `pending`)
 * @returns true when every given field matches
 * @example
 * ```ts
 * import { matchesDeadLetterFilter } from "@distro/core";
 *
 * // inside a store adapter: entries.filter((entry) => matchesDeadLetterFilter(entry, filter))
 * ```
 */
export function matchesDeadLetterFilter(entry: DeadLetterEntry, filter: DeadLetterFilter = {}): boolean {
  const status = filter.status ?? "pending";
  if (status !== "all" && entry.status !== status) return false;
  if (filter.type !== undefined && entry.type !== filter.type) return false;
  if (filter.source !== undefined && entry.source !== filter.source) return false;
  if (filter.subscriber !== undefined && entry.subscriber !== filter.subscriber) return false;
  if (filter.errorCode !== undefined && entry.error.code !== filter.errorCode) return false;
  if (filter.from !== undefined && entry.lastFailedAt < filter.from) return false;
  if (filter.to !== undefined && entry.lastFailedAt >= filter.to) return false;
  return true;
}

/** Settings of {@link createMemoryDeadLetterStore}. */
export interface MemoryDeadLetterStoreOptions {
  /**
   * At most this many entries (default 100,000). When full, `add` fails (retryable) so the
   * consumer keeps the message and tries again: dead letters are never dropped.
   */
  maxEntries?: number;
}

/**
 * The in-memory {@link DeadLetterStore}. Entries are copied in and out, so nobody can
 * change a stored message.
 *
 * @param options - size bound
 * @returns the store
 * @example
 * ```ts
 * import { createBus, createMemoryDeadLetterStore } from "@distro/core";
 *
 * const deadLetters = createMemoryDeadLetterStore();
 * const bus = createBus({ deadLetters });
 * ```
 */
export function createMemoryDeadLetterStore(options: MemoryDeadLetterStoreOptions = {}): DeadLetterStore {
  const maxEntries = Math.max(1, options.maxEntries ?? 100_000);
  const entries = new Map<string, DeadLetterEntry>();

  const pending = (id: string): DeadLetterEntry => {
    const entry = entries.get(id);
    if (entry === undefined) throw new NotFoundError(`No dead letter ${id}`, { details: { id } });
    if (entry.status !== "pending") {
      throw new DistroError("DEAD_LETTER_NOT_PENDING", `Dead letter ${id} is already ${entry.status}`, {
        details: { id, status: entry.status },
      });
    }
    return entry;
  };

  return {
    async add(input) {
      const id = deadLetterId(input);
      const existing = entries.get(id);
      if (existing !== undefined) return structuredClone(existing);
      if (entries.size >= maxEntries) {
        throw new DistroError("DEAD_LETTER_STORE_FULL", `The dead-letter store holds ${maxEntries} entries`, {
          retryable: true,
          details: { maxEntries },
        });
      }
      const entry: DeadLetterEntry = { ...structuredClone(input), id, status: "pending", replays: [] };
      entries.set(id, entry);
      return structuredClone(entry);
    },
    async get(id) {
      const entry = entries.get(id);
      return entry === undefined ? undefined : structuredClone(entry);
    },
    async list(filter = {}) {
      const limit = filter.limit ?? 1_000;
      const matching = [...entries.values()].filter((entry) => matchesDeadLetterFilter(entry, filter));
      matching.sort((left, right) => left.lastFailedAt - right.lastFailedAt);
      return matching.slice(0, limit).map((entry) => structuredClone(entry));
    },
    async markReplayed(id, eventId, at) {
      const entry = pending(id);
      entry.status = "replayed";
      entry.replays.push({ eventId, at });
      return structuredClone(entry);
    },
    async discard(id, reason, at) {
      const entry = pending(id);
      entry.status = "discarded";
      entry.discarded = { reason, at };
      return structuredClone(entry);
    },
  };
}
