import { randomUUID } from "node:crypto";
import type { CloudEvent } from "../envelope/index";
import { parseEvent } from "../envelope/index";
import { type SerializedError, serializeError } from "../errors/index";
import type { RetryClock } from "../retry/index";

/** One event waiting in (or sent from) an outbox. */
export interface OutboxRecord {
  /** The record id. */
  id: string;
  /** The event to publish. */
  event: CloudEvent;
  /** Pending until a relay has published it. */
  status: "pending" | "sent";
  /** When it was recorded, epoch milliseconds. */
  createdAt: number;
  /** How many publish attempts failed. */
  attempts: number;
  /** Not handed to a relay before this time (a lease, or a backoff after a failure). */
  availableAt: number;
  /** When it was sent. */
  sentAt?: number;
  /** The last publish failure. */
  lastError?: SerializedError;
}

/**
 * The relay side of the transactional outbox port. How events are recorded together with
 * the state change is the adapter's own: a SQL transaction for PostgreSQL,
 * `transaction(fn)` for the memory outbox. A relay claims pending records (each claim is
 * a lease, so two relays do not publish the same record at once), publishes them, and
 * marks them sent; a record whose lease runs out is claimed again (at least once).
 * Records of one `subject` are claimed in order: while an earlier one is unavailable
 * (leased, or waiting after a failure), later ones of that subject are not handed out.
 *
 * @example
 * ```ts
 * import { createMemoryOutbox } from "@distro/core";
 *
 * const outbox = createMemoryOutbox();
 * const due = await outbox.claimPending(100, 30_000);
 * ```
 */
export interface OutboxStore {
  /**
   * Claims up to `limit` pending records that are available now, oldest first, and
   * makes them unavailable to other relays for `leaseMs`.
   *
   * @param limit - at most this many
   * @param leaseMs - how long the claim holds
   * @returns the claimed records
   */
  claimPending(limit: number, leaseMs: number): Promise<OutboxRecord[]>;
  /**
   * Marks records sent.
   *
   * @param ids - the record ids
   * @returns when stored
   */
  markSent(ids: readonly string[]): Promise<void>;
  /**
   * Records a failed publish; the record becomes available again at `retryAt`.
   *
   * @param id - the record id
   * @param error - the failure
   * @param retryAt - when to try again, epoch milliseconds
   * @returns when stored
   */
  markFailed(id: string, error: SerializedError, retryAt: number): Promise<void>;
  /**
   * Makes claimed records available again at once (a relay that will not publish them).
   *
   * @param ids - the record ids
   * @returns when stored
   */
  release(ids: readonly string[]): Promise<void>;
  /**
   * Lists records by status, oldest first.
   *
   * @param status - pending or sent
   * @returns the records
   */
  list(status: "pending" | "sent"): Promise<OutboxRecord[]>;
}

/** The unit of work inside {@link MemoryOutbox.transaction}. */
export interface MemoryOutboxTransaction {
  /**
   * Reads a state value (as it stands inside this transaction).
   *
   * @param key - the state key
   * @returns the value, or undefined
   */
  get<T = unknown>(key: string): T | undefined;
  /**
   * Writes a state value.
   *
   * @param key - the state key
   * @param value - a JSON-safe value
   */
  set(key: string, value: unknown): void;
  /**
   * Deletes a state value.
   *
   * @param key - the state key
   */
  delete(key: string): void;
  /**
   * Records an event to publish once the transaction commits.
   *
   * @param event - a valid CloudEvent
   * @throws ValidationError when it is not a valid CloudEvent (the transaction then fails)
   */
  addEvent(event: CloudEvent): void;
}

/** The in-memory outbox: a small state store and its outbox, committed together. */
export interface MemoryOutbox extends OutboxStore {
  /**
   * Runs `fn` as one unit: its state changes and events are all stored when it returns,
   * and none are when it throws. Transactions run one at a time.
   *
   * @param fn - the unit of work
   * @returns what `fn` returns
   * @throws whatever `fn` throws, after discarding its changes
   */
  transaction<T>(fn: (transaction: MemoryOutboxTransaction) => T | Promise<T>): Promise<T>;
  /**
   * Reads committed state.
   *
   * @param key - the state key
   * @returns the value, or undefined
   */
  getState<T = unknown>(key: string): T | undefined;
}

/** Settings of {@link createMemoryOutbox}. */
export interface MemoryOutboxOptions {
  /** The time source (defaults to `Date`). */
  clock?: RetryClock;
  /** Sent records beyond this many are forgotten, oldest first (default 10,000). */
  maxSentRecords?: number;
}

/**
 * The in-memory transactional outbox: state changes and their events are committed
 * together by `transaction(fn)`, then published at least once by an {@link OutboxRelay}.
 *
 * @param options - clock and how many sent records to keep
 * @returns the outbox
 * @example
 * ```ts
 * import { createEvent, createMemoryOutbox } from "@distro/core";
 *
 * const outbox = createMemoryOutbox();
 * await outbox.transaction((transaction) => {
 *   transaction.set("order:1001", { status: "booked" });
 *   transaction.addEvent(createEvent({ type: "com.distro.order.booked", source: "/erp", subject: "1001" }));
 * });
 * ```
 */
export function createMemoryOutbox(options: MemoryOutboxOptions = {}): MemoryOutbox {
  const clock = options.clock ?? Date;
  const maxSent = options.maxSentRecords ?? 10_000;
  const state = new Map<string, unknown>();
  const records = new Map<string, OutboxRecord>();
  const sent: string[] = [];
  let queue: Promise<unknown> = Promise.resolve();

  const run = async <T>(fn: (transaction: MemoryOutboxTransaction) => T | Promise<T>): Promise<T> => {
    const writes = new Map<string, { value: unknown } | undefined>();
    const events: CloudEvent[] = [];
    let open = true;
    const guard = () => {
      if (!open) throw new Error("The transaction has ended");
    };
    const transaction: MemoryOutboxTransaction = {
      get<V>(key: string) {
        guard();
        if (writes.has(key)) return structuredClone(writes.get(key)?.value) as V | undefined;
        return structuredClone(state.get(key)) as V | undefined;
      },
      set(key, value) {
        guard();
        writes.set(key, { value: structuredClone(value) });
      },
      delete(key) {
        guard();
        writes.set(key, undefined);
      },
      addEvent(event) {
        guard();
        parseEvent(event);
        events.push(structuredClone(event));
      },
    };
    try {
      const result = await fn(transaction);
      const now = clock.now();
      for (const [key, write] of writes) {
        if (write === undefined) state.delete(key);
        else state.set(key, write.value);
      }
      for (const event of events) {
        const id = randomUUID();
        records.set(id, { id, event, status: "pending", createdAt: now, attempts: 0, availableAt: now });
      }
      return result;
    } finally {
      open = false;
    }
  };

  return {
    transaction(fn) {
      const next = queue.then(
        () => run(fn),
        () => run(fn),
      );
      queue = next.catch(() => undefined);
      return next;
    },
    getState<T>(key: string) {
      return structuredClone(state.get(key)) as T | undefined;
    },
    async claimPending(limit, leaseMs) {
      const now = clock.now();
      const claimed: OutboxRecord[] = [];
      const blocked = new Set<string>();
      for (const record of records.values()) {
        if (claimed.length >= limit) break;
        if (record.status !== "pending") continue;
        const subject = record.event.subject;
        if (subject !== undefined && blocked.has(subject)) continue;
        if (record.availableAt > now) {
          if (subject !== undefined) blocked.add(subject);
          continue;
        }
        record.availableAt = now + leaseMs;
        claimed.push(structuredClone(record));
      }
      return claimed;
    },
    async markSent(ids) {
      const now = clock.now();
      for (const id of ids) {
        const record = records.get(id);
        if (record === undefined || record.status === "sent") continue;
        record.status = "sent";
        record.sentAt = now;
        sent.push(id);
      }
      while (sent.length > maxSent) records.delete(sent.shift()!);
    },
    async markFailed(id, error, retryAt) {
      const record = records.get(id);
      if (record === undefined || record.status === "sent") return;
      record.attempts += 1;
      record.lastError = structuredClone(error);
      record.availableAt = retryAt;
    },
    async release(ids) {
      const now = clock.now();
      for (const id of ids) {
        const record = records.get(id);
        if (record !== undefined && record.status === "pending") record.availableAt = now;
      }
    },
    async list(status) {
      return [...records.values()]
        .filter((record) => record.status === status)
        .map((record) => structuredClone(record));
    },
  };
}

/** Settings of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  /** The outbox to drain. */
  outbox: OutboxStore;
  /** Publishes one event (for example `bus.publish`). */
  publish: (event: CloudEvent) => Promise<void>;
  /** Records per claim (default 100). */
  batchSize?: number;
  /** How long a claim holds before another relay may take the records (default 30 s). */
  leaseMs?: number;
  /** How long a failed record waits before the next try (default 1 s). */
  retryDelayMs?: number;
  /** The time source (defaults to `Date`). */
  clock?: RetryClock;
  /** Told about each failed publish (with its record), and failures of the outbox itself. */
  onError?: (error: unknown, record?: OutboxRecord) => void;
}

/** Drains an outbox: publishes pending events at least once and marks them sent. */
export interface OutboxRelay {
  /**
   * Claims and publishes one batch.
   *
   * @returns how many were sent and how many failed
   */
  runOnce(): Promise<{ sent: number; failed: number }>;
  /**
   * Runs batches until a round sends nothing (the outbox has nothing available now, or
   * everything available failed).
   *
   * @returns totals
   */
  drain(): Promise<{ sent: number; failed: number }>;
  /**
   * Drains every `intervalMs` until stopped.
   *
   * @param intervalMs - the pause between rounds (default 1 s)
   */
  start(intervalMs?: number): void;
  /**
   * Stops the loop started by `start`, after the round in progress.
   *
   * @returns when stopped
   */
  stop(): Promise<void>;
}

/**
 * Creates a relay that publishes an outbox's pending events in the order they were
 * recorded, at least once: a record is marked sent only after its publish succeeded, so
 * a crash between the two publishes it again (consumers dedupe by `source` + `id`).
 *
 * @param options - outbox, publish function, batch size, lease, retry delay
 * @returns the relay
 * @example
 * ```ts
 * import { createBus, createMemoryOutbox, createOutboxRelay } from "@distro/core";
 *
 * const bus = createBus();
 * const outbox = createMemoryOutbox();
 * const relay = createOutboxRelay({ outbox, publish: (event) => bus.publish(event) });
 * await relay.drain();
 * ```
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const clock = options.clock ?? Date;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;

  const runOnce = async () => {
    const records = await options.outbox.claimPending(batchSize, leaseMs);
    let sent = 0;
    let failed = 0;
    const held: string[] = [];
    const failedSubjects = new Set<string>();
    for (const record of records) {
      const subject = record.event.subject;
      if (subject !== undefined && failedSubjects.has(subject)) {
        held.push(record.id);
        continue;
      }
      try {
        await options.publish(record.event);
      } catch (error) {
        failed += 1;
        options.onError?.(error, record);
        await options.outbox.markFailed(record.id, serializeError(error), clock.now() + retryDelayMs);
        if (subject !== undefined) failedSubjects.add(subject);
        continue;
      }
      await options.outbox.markSent([record.id]);
      sent += 1;
    }
    // Later events of a subject whose publish failed wait for it, to keep their order.
    if (held.length > 0) await options.outbox.release(held);
    return { sent, failed };
  };

  const drain = async () => {
    const total = { sent: 0, failed: 0 };
    for (;;) {
      const round = await runOnce();
      total.sent += round.sent;
      total.failed += round.failed;
      if (round.sent === 0) return total;
    }
  };

  return {
    runOnce,
    drain,
    start(intervalMs = 1_000) {
      if (!stopped) return;
      stopped = false;
      const tick = () => {
        running = drain()
          .catch((error) => options.onError?.(error))
          .then(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
