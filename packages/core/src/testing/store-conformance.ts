import { describe, expect, it } from "vitest";
import { type CloudEvent, createEvent } from "../envelope/index";
import type { DeadLetterStore, NewDeadLetter } from "../messaging/dead-letter";
import type { InboxStore } from "../messaging/inbox";
import { createOutboxRelay, type OutboxStore } from "../messaging/outbox";
import type { ConformanceContext } from "./idempotency-store-conformance";
import { createManualClock } from "./manual-clock";

/** Builds a fresh, empty dead-letter store for one test. */
export type DeadLetterStoreFactory = (
  context: ConformanceContext,
) => DeadLetterStore | Promise<DeadLetterStore>;

/** Builds a fresh, empty inbox that reads time from `context.clock`. */
export type InboxStoreFactory = (context: ConformanceContext) => InboxStore | Promise<InboxStore>;

/** What an outbox adapter gives its conformance suite: the relay port and a way to record events. */
export interface OutboxUnderTest {
  /** The relay side of the outbox; it must read time from the context's clock. */
  outbox: OutboxStore;
  /**
   * Records events the adapter's own way (in one transaction, with a state change).
   *
   * @param events - the events to record together
   */
  record(events: CloudEvent[]): Promise<void>;
  /**
   * Records events in a transaction that then fails: none of them may be stored.
   *
   * @param events - the events of the failing transaction
   */
  recordAndFail(events: CloudEvent[]): Promise<void>;
}

/** Builds a fresh, empty outbox for one test. */
export type OutboxFactory = (context: ConformanceContext) => OutboxUnderTest | Promise<OutboxUnderTest>;

function letter(overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    subscriber: "erp-booking",
    message: '{"specversion":"1.0","id":"e1","source":"/shop","type":"order.submitted"}',
    eventId: "e1",
    source: "/shop",
    type: "order.submitted",
    error: {
      name: "UpstreamError",
      code: "UPSTREAM_ERROR",
      message: "ERP answered 503",
      retryable: true,
      cause: { name: "Error", code: "UNKNOWN", message: "socket hang up", retryable: false },
    },
    attempts: 5,
    firstFailedAt: 1_000,
    lastFailedAt: 2_000,
    ...overrides,
  };
}

/**
 * Registers the dead-letter store conformance suite (vitest): entries kept untouched with
 * their error chain, idempotent `add`, filters, replay marks and discards with reasons.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createStore - builds a fresh, empty store
 * @example
 * ```ts
 * import { createMemoryDeadLetterStore } from "@distro/core";
 * import { describeDeadLetterStoreConformance } from "@distro/core/testing";
 *
 * describeDeadLetterStoreConformance("memory", () => createMemoryDeadLetterStore());
 * ```
 */
export function describeDeadLetterStoreConformance(name: string, createStore: DeadLetterStoreFactory): void {
  describe(`DeadLetterStore conformance: ${name}`, () => {
    const setup = async () => createStore({ clock: createManualClock() });

    it("keeps the message, error chain, attempts and failure times untouched", async () => {
      const store = await setup();
      const input = letter();
      const stored = await store.add(input);
      expect(stored).toMatchObject({ ...input, status: "pending", replays: [] });
      expect(typeof stored.id).toBe("string");
      stored.message = "changed";
      expect((await store.get(stored.id))?.message).toBe(input.message);
      expect((await store.get(stored.id))?.error.cause?.message).toBe("socket hang up");
    });

    it("adds the same message for the same subscriber once", async () => {
      const store = await setup();
      const first = await store.add(letter());
      const again = await store.add(letter({ attempts: 9 }));
      expect(again.id).toBe(first.id);
      expect(again.attempts).toBe(5);
      const other = await store.add(letter({ subscriber: "crm-sync" }));
      expect(other.id).not.toBe(first.id);
      expect(await store.list()).toHaveLength(2);
    });

    it("lists with filters on type, source, error code, subscriber and time range, oldest first", async () => {
      const store = await setup();
      await store.add(letter({ eventId: "a", lastFailedAt: 3_000 }));
      await store.add(letter({ eventId: "b", type: "invoice.posted", lastFailedAt: 1_000 }));
      await store.add(letter({ eventId: "c", source: "/edi", lastFailedAt: 2_000 }));
      await store.add(
        letter({
          eventId: "d",
          lastFailedAt: 2_500,
          error: { name: "E", code: "VALIDATION_FAILED", message: "x", retryable: false },
        }),
      );
      await store.add(letter({ eventId: "e", subscriber: "crm-sync", lastFailedAt: 5_000 }));
      const ids = async (filter: Parameters<DeadLetterStore["list"]>[0]) =>
        (await store.list(filter)).map((entry) => entry.eventId);
      expect(await ids({})).toEqual(["b", "c", "d", "a", "e"]);
      expect(await ids({ type: "invoice.posted" })).toEqual(["b"]);
      expect(await ids({ source: "/edi" })).toEqual(["c"]);
      expect(await ids({ errorCode: "VALIDATION_FAILED" })).toEqual(["d"]);
      expect(await ids({ subscriber: "crm-sync" })).toEqual(["e"]);
      expect(await ids({ from: 2_000, to: 5_000 })).toEqual(["c", "d", "a"]);
      expect(await ids({ limit: 2 })).toEqual(["b", "c"]);
    });

    it("marks replays and discards, only once, and filters by status", async () => {
      const store = await setup();
      const one = await store.add(letter({ eventId: "a" }));
      const two = await store.add(letter({ eventId: "b" }));
      const replayed = await store.markReplayed(one.id, "replay-a", 10_000);
      expect(replayed.status).toBe("replayed");
      expect(replayed.replays).toEqual([{ eventId: "replay-a", at: 10_000 }]);
      const discarded = await store.discard(two.id, "duplicate order, cancelled by hand", 11_000);
      expect(discarded.discarded).toEqual({ reason: "duplicate order, cancelled by hand", at: 11_000 });
      await expect(store.markReplayed(one.id, "again", 12_000)).rejects.toMatchObject({
        code: "DEAD_LETTER_NOT_PENDING",
      });
      await expect(store.discard(two.id, "again", 12_000)).rejects.toMatchObject({
        code: "DEAD_LETTER_NOT_PENDING",
      });
      await expect(store.discard("no-such-id", "x", 12_000)).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await store.list()).toEqual([]);
      expect((await store.list({ status: "replayed" })).map((entry) => entry.id)).toEqual([one.id]);
      expect(await store.list({ status: "all" })).toHaveLength(2);
      expect(await store.get("no-such-id")).toBeUndefined();
    });

    it("keeps a message that is not JSON, identified by its body", async () => {
      const store = await setup();
      const bad = letter({
        message: "\u0000garbage{",
        eventId: undefined,
        source: undefined,
        type: undefined,
      });
      const first = await store.add(bad);
      expect((await store.add(bad)).id).toBe(first.id);
      expect((await store.get(first.id))?.message).toBe("\u0000garbage{");
    });
  });
}

/**
 * Registers the inbox conformance suite (vitest): atomic begin, outcomes remembered,
 * busy while held, leases that expire, release and forget.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createInbox - builds a fresh inbox that reads time from `context.clock`
 * @example
 * ```ts
 * import { createMemoryInboxStore } from "@distro/core";
 * import { describeInboxStoreConformance } from "@distro/core/testing";
 *
 * describeInboxStoreConformance("memory", ({ clock }) => createMemoryInboxStore({ clock }));
 * ```
 */
export function describeInboxStoreConformance(name: string, createInbox: InboxStoreFactory): void {
  describe(`InboxStore conformance: ${name}`, () => {
    const setup = async () => {
      const clock = createManualClock();
      return { clock, inbox: await createInbox({ clock }) };
    };

    it("lets exactly one of many concurrent begins acquire a message", async () => {
      const { inbox } = await setup();
      const begins = await Promise.all(
        Array.from({ length: 20 }, () => inbox.begin("billing", "/shop\u00001", 60_000)),
      );
      expect(begins.filter((begin) => begin.status === "acquired")).toHaveLength(1);
      expect(begins.filter((begin) => begin.status === "busy")).toHaveLength(19);
    });

    it("remembers the outcome per subscriber", async () => {
      const { inbox } = await setup();
      const begin = await inbox.begin("billing", "m1", 60_000);
      if (begin.status !== "acquired") throw new Error("expected to acquire");
      expect(await inbox.complete("billing", "m1", begin.token, "dead_lettered")).toBe(true);
      expect(await inbox.begin("billing", "m1", 60_000)).toEqual({
        status: "done",
        outcome: "dead_lettered",
      });
      expect((await inbox.begin("shipping", "m1", 60_000)).status).toBe("acquired");
    });

    it("frees a message whose holder never finished once its lease runs out", async () => {
      const { inbox, clock } = await setup();
      const stale = await inbox.begin("billing", "m1", 1_000);
      clock.advance(999);
      expect((await inbox.begin("billing", "m1", 1_000)).status).toBe("busy");
      clock.advance(1);
      const fresh = await inbox.begin("billing", "m1", 1_000);
      expect(fresh.status).toBe("acquired");
      if (stale.status !== "acquired" || fresh.status !== "acquired") throw new Error("expected tokens");
      expect(await inbox.complete("billing", "m1", stale.token, "handled")).toBe(false);
      expect(await inbox.complete("billing", "m1", fresh.token, "handled")).toBe(true);
    });

    it("releases and forgets", async () => {
      const { inbox } = await setup();
      const begin = await inbox.begin("billing", "m1", 60_000);
      if (begin.status !== "acquired") throw new Error("expected to acquire");
      expect(await inbox.release("billing", "m1", "wrong-token")).toBe(false);
      expect(await inbox.release("billing", "m1", begin.token)).toBe(true);
      const again = await inbox.begin("billing", "m1", 60_000);
      if (again.status !== "acquired") throw new Error("expected to acquire");
      await inbox.complete("billing", "m1", again.token, "handled");
      await inbox.forget("billing", "m1");
      expect((await inbox.begin("billing", "m1", 60_000)).status).toBe("acquired");
    });
  });
}

/**
 * Registers the outbox conformance suite (vitest): events recorded atomically, claimed
 * oldest first under a lease, per-subject order across failures, sent once marked, and
 * a relay that publishes every event at least once.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createOutbox - builds a fresh outbox with its record functions
 * @example
 * ```ts
 * import { createMemoryOutbox } from "@distro/core";
 * import { describeOutboxConformance } from "@distro/core/testing";
 *
 * describeOutboxConformance("memory", ({ clock }) => {
 *   const outbox = createMemoryOutbox({ clock });
 *   return {
 *     outbox,
 *     record: (events) => outbox.transaction((tx) => events.forEach((event) => tx.addEvent(event))),
 *     recordAndFail: (events) =>
 *       outbox
 *         .transaction((tx) => {
 *           for (const event of events) tx.addEvent(event);
 *           throw new Error("rollback");
 *         })
 *         .catch(() => undefined),
 *   };
 * });
 * ```
 */
export function describeOutboxConformance(name: string, createOutbox: OutboxFactory): void {
  describe(`Outbox conformance: ${name}`, () => {
    const setup = async () => {
      const clock = createManualClock();
      return { clock, ...(await createOutbox({ clock })) };
    };
    const event = (subject: string, sequence: number) =>
      createEvent({ type: "com.distro.order.booked", source: "/erp", subject, data: { sequence } });

    it("stores nothing from a transaction that fails", async () => {
      const { outbox, recordAndFail, record } = await setup();
      await recordAndFail([event("1", 1), event("2", 1)]);
      expect(await outbox.list("pending")).toEqual([]);
      await record([event("1", 1), event("2", 1)]);
      expect(await outbox.list("pending")).toHaveLength(2);
    });

    it("claims oldest first under a lease, and again after the lease runs out", async () => {
      const { outbox, record, clock } = await setup();
      await record([event("1", 1), event("2", 1), event("3", 1)]);
      const first = await outbox.claimPending(2, 1_000);
      expect(first.map((entry) => entry.event.subject)).toEqual(["1", "2"]);
      const second = await outbox.claimPending(10, 1_000);
      expect(second.map((entry) => entry.event.subject)).toEqual(["3"]);
      expect(await outbox.claimPending(10, 1_000)).toEqual([]);
      clock.advance(1_000);
      expect((await outbox.claimPending(10, 1_000)).map((entry) => entry.event.subject)).toEqual([
        "1",
        "2",
        "3",
      ]);
    });

    it("marks sent records, which are never claimed again", async () => {
      const { outbox, record, clock } = await setup();
      await record([event("1", 1), event("2", 1)]);
      const claimed = await outbox.claimPending(10, 1_000);
      await outbox.markSent([claimed[0]!.id]);
      clock.advance(5_000);
      expect((await outbox.claimPending(10, 1_000)).map((entry) => entry.event.subject)).toEqual(["2"]);
      expect((await outbox.list("sent")).map((entry) => entry.event.subject)).toEqual(["1"]);
    });

    it("holds later events of a subject back while an earlier one waits after a failure", async () => {
      const { outbox, record, clock } = await setup();
      await record([event("A", 1), event("B", 1), event("A", 2)]);
      const claimed = await outbox.claimPending(10, 1_000);
      await outbox.markFailed(
        claimed[0]!.id,
        { name: "E", code: "UNKNOWN", message: "broker down", retryable: true },
        clock.now() + 500,
      );
      await outbox.release([claimed[1]!.id, claimed[2]!.id]);
      expect((await outbox.claimPending(10, 1_000)).map((entry) => entry.event.subject)).toEqual(["B"]);
      clock.advance(500);
      const retried = await outbox.claimPending(10, 1_000);
      expect(retried.map((entry) => [entry.event.subject, entry.attempts])).toEqual([
        ["A", 1],
        ["A", 0],
      ]);
      expect(retried[0]!.lastError?.message).toBe("broker down");
    });

    it("relays every event at least once, in order per subject, across publish failures", async () => {
      const { outbox, record, clock } = await setup();
      await record([event("A", 1), event("B", 1), event("A", 2), event("A", 3)]);
      const published: string[] = [];
      let failures = 1;
      const relay = createOutboxRelay({
        outbox,
        clock,
        retryDelayMs: 100,
        publish: async (next) => {
          const label = `${next.subject}${(next.data as { sequence: number }).sequence}`;
          if (label === "A1" && failures > 0) {
            failures -= 1;
            throw new Error("broker down");
          }
          published.push(label);
        },
      });
      expect(await relay.drain()).toEqual({ sent: 1, failed: 1 });
      expect(published).toEqual(["B1"]);
      clock.advance(100);
      expect(await relay.drain()).toEqual({ sent: 3, failed: 0 });
      expect(published).toEqual(["B1", "A1", "A2", "A3"]);
      expect(await outbox.list("pending")).toEqual([]);
    });
  });
}
