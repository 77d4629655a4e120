import type { RetryClock } from "../retry/index";
import { withSyncInbox } from "./in-process";

/** How a consumer finished with a message. */
export type InboxOutcome = "handled" | "dead_lettered";

/** The answer to {@link InboxStore.begin}. */
export type InboxBegin =
  | { status: "acquired"; token: string }
  | { status: "done"; outcome: InboxOutcome }
  | { status: "busy"; retryAfterMs: number };

/**
 * The consumer-side inbox port: remembers, per subscriber, which messages (by CloudEvents
 * `source` + `id`) have been finished, so a redelivered or duplicated message is not
 * handled twice. `begin` is atomic: of concurrent begins of one message exactly one gets
 * `acquired`; the others see `busy` until the holder finishes or its lease runs out
 * (so a crashed consumer's message is not stuck).
 *
 * @example
 * ```ts
 * import { createMemoryInboxStore } from "@distro/core";
 *
 * const inbox = createMemoryInboxStore();
 * const begin = await inbox.begin("billing", "erp\u0000evt-1", 60_000);
 * if (begin.status === "acquired") await inbox.complete("billing", "erp\u0000evt-1", begin.token, "handled");
 * ```
 */
export interface InboxStore {
  /**
   * Starts handling a message, unless it is finished or being handled.
   *
   * @param subscriber - the subscription's name
   * @param messageKey - the message's `source` and `id`, joined
   * @param leaseMs - how long the claim holds if the consumer never finishes
   * @returns `acquired` with a token, `done` with the earlier outcome, or `busy`
   */
  begin(subscriber: string, messageKey: string, leaseMs: number): Promise<InboxBegin>;
  /**
   * Records how the message ended.
   *
   * @param subscriber - the subscription's name
   * @param messageKey - the message key
   * @param token - the token from `begin`
   * @param outcome - handled, or dead-lettered
   * @returns false when the lease was lost to another consumer
   */
  complete(subscriber: string, messageKey: string, token: string, outcome: InboxOutcome): Promise<boolean>;
  /**
   * Gives a claim back unfinished, so the message can be handled again.
   *
   * @param subscriber - the subscription's name
   * @param messageKey - the message key
   * @param token - the token from `begin`
   * @returns false when the lease was lost
   */
  release(subscriber: string, messageKey: string, token: string): Promise<boolean>;
  /**
   * Forgets a message, so a replay with the same id is handled again.
   *
   * @param subscriber - the subscription's name
   * @param messageKey - the message key
   * @returns when forgotten
   */
  forget(subscriber: string, messageKey: string): Promise<void>;
}

/** Settings of {@link createMemoryInboxStore}. */
export interface MemoryInboxStoreOptions {
  /** At most this many messages are remembered per subscriber; the oldest are forgotten first (default 100,000). */
  maxEntries?: number;
  /** Finished messages are forgotten after this long (default 7 days). */
  retentionMs?: number;
  /** The time source (defaults to `Date`). */
  clock?: RetryClock;
}

interface InboxEntry {
  readonly key: string;
  token: string;
  outcome: InboxOutcome | undefined;
  until: number;
  removed: boolean;
}

/**
 * One subscriber's entries, bounded by count: the oldest (by first claim) are forgotten
 * first, in O(1) amortised time. An entry claimed again after its lease ran out keeps its
 * place; one released or forgotten leaves the order at once (it is skipped when reached).
 */
class SubscriberEntries {
  private readonly entries = new Map<string, InboxEntry>();
  private order: (InboxEntry | undefined)[] = [];
  private head = 0;

  constructor(private readonly max: number) {}

  get(key: string): InboxEntry | undefined {
    return this.entries.get(key);
  }

  /** Adds an entry whose key is not in the map (the caller looked it up). */
  add(entry: InboxEntry): void {
    this.entries.set(entry.key, entry);
    this.order.push(entry);
    while (this.entries.size > this.max && this.head < this.order.length) {
      const oldest = this.order[this.head]!;
      this.order[this.head] = undefined;
      this.head += 1;
      if (!oldest.removed) this.remove(oldest);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    // Released and forgotten entries stay in the order until reached; drop them when they
    // pile up.
    if (this.order.length - this.head > this.max * 2 + 1024) {
      this.order = this.order.slice(this.head).filter((item) => item !== undefined && !item.removed);
      this.head = 0;
    }
  }

  remove(entry: InboxEntry): void {
    entry.removed = true;
    this.entries.delete(entry.key);
  }
}

/**
 * The in-memory {@link InboxStore}: bounded by count and by age, so it never grows
 * without bound. A duplicate older than the bound is handled again; pair the handler
 * with `idempotent` for effects that must never repeat.
 *
 * @param options - size bound, retention and clock
 * @returns the inbox
 * @example
 * ```ts
 * import { createBus, createMemoryInboxStore } from "@distro/core";
 *
 * const bus = createBus({ inbox: createMemoryInboxStore({ maxEntries: 50_000 }) });
 * ```
 */
export function createMemoryInboxStore(options: MemoryInboxStoreOptions = {}): InboxStore {
  const maxEntries = Math.max(1, options.maxEntries ?? 100_000);
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  const clock = options.clock ?? Date;
  // One bounded map per subscriber, keyed by the message key as given: no joined key is
  // built (and hashed) per call.
  const subscribers = new Map<string, SubscriberEntries>();
  const entriesOf = (subscriber: string): SubscriberEntries => {
    let entries = subscribers.get(subscriber);
    if (entries === undefined) {
      entries = new SubscriberEntries(maxEntries);
      subscribers.set(subscriber, entries);
    }
    return entries;
  };
  let serial = 0;

  const held = (
    entries: SubscriberEntries,
    messageKey: string,
    token: string,
    now: number,
  ): InboxEntry | undefined => {
    const entry = entries.get(messageKey);
    if (entry === undefined || entry.outcome !== undefined || entry.token !== token || entry.until <= now) {
      return undefined;
    }
    return entry;
  };

  const begin = (subscriber: string, messageKey: string, leaseMs: number): InboxBegin => {
    const entries = entriesOf(subscriber);
    const now = clock.now();
    const entry = entries.get(messageKey);
    if (entry !== undefined && entry.until > now) {
      if (entry.outcome !== undefined) return { status: "done", outcome: entry.outcome };
      return { status: "busy", retryAfterMs: entry.until - now };
    }
    serial += 1;
    const token = String(serial);
    if (entry === undefined) {
      entries.add({ key: messageKey, token, outcome: undefined, until: now + leaseMs, removed: false });
    } else {
      // Its lease or retention ran out: claimed again, in its place.
      entry.token = token;
      entry.outcome = undefined;
      entry.until = now + leaseMs;
    }
    return { status: "acquired", token };
  };

  const complete = (
    subscriber: string,
    messageKey: string,
    token: string,
    outcome: InboxOutcome,
  ): boolean => {
    const now = clock.now();
    const entry = held(entriesOf(subscriber), messageKey, token, now);
    if (entry === undefined) return false;
    entry.outcome = outcome;
    entry.until = now + retentionMs;
    return true;
  };

  // The bus calls `begin` and `complete` of this very store directly, without a promise
  // per call; the methods below are the same functions behind the port's promises.
  return withSyncInbox(
    {
      async begin(subscriber, messageKey, leaseMs) {
        return begin(subscriber, messageKey, leaseMs);
      },
      async complete(subscriber, messageKey, token, outcome) {
        return complete(subscriber, messageKey, token, outcome);
      },
      async release(subscriber, messageKey, token) {
        const entries = entriesOf(subscriber);
        const entry = held(entries, messageKey, token, clock.now());
        if (entry === undefined) return false;
        entries.remove(entry);
        return true;
      },
      async forget(subscriber, messageKey) {
        const entries = subscribers.get(subscriber);
        const entry = entries?.get(messageKey);
        if (entry !== undefined) entries!.remove(entry);
      },
    },
    { begin, complete },
  );
}
