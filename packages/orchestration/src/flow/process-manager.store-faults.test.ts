import {
  type AuditEntry,
  createInMemoryAuditLog,
  createMemoryFlowStore,
  createMemoryIdempotencyStore,
  DistroError,
  type FlowInstance,
  type FlowStore,
  type IdempotencyStore,
  idempotent,
  retryPolicy,
} from "@distro/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineFlow, FlowHold, task, waitFor } from "./flow-definition";
import { createProcessManager } from "./process-manager";

/** Where a failing save fails: before the store applies it, or after (its reply lost). */
type SavePoint = "before" | "after";
const points: SavePoint[] = ["before", "after"];

const lostConnection = () =>
  new DistroError("DATABASE_ERROR", "Connection terminated unexpectedly", { retryable: true });
const retryableStoreError = { code: "DATABASE_ERROR", retryable: true };

/**
 * A memory flow store whose chosen saves fail the way a lost database connection does:
 * the write never applied, or applied with the reply lost. A save is chosen by a test
 * on the instance being saved, or by its ordinal among all saves.
 */
function faultyFlowStore() {
  const inner = createMemoryFlowStore();
  const byInstance: { matches: (instance: FlowInstance) => boolean; point: SavePoint }[] = [];
  const byOrdinal = new Map<number, SavePoint>();
  let saves = 0;
  const store: FlowStore = {
    ...inner,
    async save(instance) {
      saves += 1;
      const index = byInstance.findIndex((fault) => fault.matches(instance));
      const point = index === -1 ? byOrdinal.get(saves) : byInstance.splice(index, 1)[0]!.point;
      if (point === undefined) return inner.save(instance);
      if (point === "after") await inner.save(instance);
      throw lostConnection();
    },
  };
  return {
    store,
    /** Fails the next save of an instance that `matches`. */
    failSave(matches: (instance: FlowInstance) => boolean, point: SavePoint) {
      byInstance.push({ matches, point });
    },
    /** Fails the `ordinal`-th save (from 1). */
    failSaveNumber(ordinal: number, point: SavePoint) {
      byOrdinal.set(ordinal, point);
    },
  };
}

function recorder() {
  const entries: (AuditEntry & { details: { phase: string } })[] = [];
  const log = createInMemoryAuditLog();
  return {
    entries,
    audit: {
      record: async (entry: Parameters<typeof log.record>[0]) => {
        const stored = await log.record(entry);
        entries.push(stored as (typeof entries)[number]);
        return stored;
      },
      list: log.list,
    },
  };
}

/** An ERP booking with an outside effect, made idempotent by the order id as the flows do. */
function erp(store: IdempotencyStore = createMemoryIdempotencyStore()) {
  const bookings: string[] = [];
  let runs = 0;
  return {
    bookings,
    get runs() {
      return runs;
    },
    book: (orderId: string) => {
      runs += 1;
      return idempotent(
        async () => {
          bookings.push(orderId);
          return `ERP-${orderId}`;
        },
        {
          store,
          key: orderId,
          scope: { system: "erp", operation: "book-order" },
          inProgressExpiryMs: 60_000,
          retentionMs: 86_400_000,
        },
      );
    },
  };
}

const fastRetry = retryPolicy({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, jitter: "none" });
const noSleep = async () => {};
const lastCompleted = (step: string) => (instance: FlowInstance) =>
  instance.status === "running" && instance.completed.at(-1) === step;

describe("process manager on a flow store that fails a save", () => {
  it.each(points)(
    "a step whose result cannot be saved (%s it applies) fails the start with the store's retryable error, not the step; the retry completes and books once",
    async (point) => {
      const faulty = faultyFlowStore();
      const { entries, audit } = recorder();
      const system = erp();
      const manager = createProcessManager({ store: faulty.store, audit, retry: fastRetry, sleep: noSleep });
      manager.register(
        defineFlow<{ orderId: string }>("book", [
          task("book", ({ input }) => system.book(input.orderId), { system: "erp" }),
          task("confirm", async ({ results }) => ({ confirmed: results.book })),
        ]),
      );
      faulty.failSave(lastCompleted("book"), point);

      const failed = await manager.start("book", { orderId: "SO-1" }, { id: "book:SO-1" }).catch((e) => e);
      expect(failed).toMatchObject(retryableStoreError);
      const stored = await manager.get("book:SO-1");
      expect(stored?.status).toBe("running");
      expect(stored?.hold).toBeUndefined();
      expect(stored?.completed).toEqual(point === "after" ? ["book"] : []);

      // The caller (a bus handler) retries: no ConflictError from a stale revision.
      const done = await manager.start("book", { orderId: "SO-1" }, { id: "book:SO-1" });
      expect(done).toMatchObject({
        status: "completed",
        results: { book: "ERP-SO-1", confirm: { confirmed: "ERP-SO-1" } },
      });
      expect(system.bookings).toEqual(["SO-1"]);
      // Stored before the fault: the step is not run again; lost: it runs again, idempotently.
      expect(system.runs).toBe(point === "after" ? 1 : 2);
      expect(entries.some((entry) => entry.details.phase === "held")).toBe(false);
      expect(entries.filter((entry) => entry.details.phase === "flow_completed")).toHaveLength(1);
    },
  );

  it("a step that itself fails with a retryable DATABASE_ERROR is still a step failure: retried, then held", async () => {
    let attempts = 0;
    const manager = createProcessManager({ retry: fastRetry, sleep: noSleep });
    manager.register(
      defineFlow("own-database", [
        task("lookup", async () => {
          attempts += 1;
          throw lostConnection();
        }),
      ]),
    );
    const held = await manager.start("own-database", {}, { id: "own:1" });
    expect(attempts).toBe(3);
    expect(held).toMatchObject({ status: "held", hold: { step: "lookup", code: "DATABASE_ERROR" } });
  });

  it.each(points)(
    "a hold that cannot be saved (%s it applies) fails the start; the retry holds with the step's reason",
    async (point) => {
      const faulty = faultyFlowStore();
      let checks = 0;
      const manager = createProcessManager({ store: faulty.store, sleep: noSleep });
      manager.register(
        defineFlow("credit", [
          task("check", async () => {
            checks += 1;
            throw new FlowHold("CREDIT_LIMIT", "Order total exceeds available credit");
          }),
        ]),
      );
      faulty.failSave((instance) => instance.status === "held", point);
      await expect(manager.start("credit", {}, { id: "credit:1" })).rejects.toMatchObject(
        retryableStoreError,
      );
      expect((await manager.get("credit:1"))?.status).toBe(point === "after" ? "held" : "running");

      const held = await manager.start("credit", {}, { id: "credit:1" });
      expect(held).toMatchObject({ status: "held", hold: { step: "check", code: "CREDIT_LIMIT" } });
      expect(checks).toBe(point === "after" ? 1 : 2);
    },
  );

  it.each(points)(
    "a received event that cannot be saved (%s it applies) fails the delivery; its redelivery finishes the flow once",
    async (point) => {
      const faulty = faultyFlowStore();
      const notified: string[] = [];
      const manager = createProcessManager({ store: faulty.store, sleep: noSleep });
      manager.register(
        defineFlow<{ orderId: string }>("ship", [
          waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.orderId }),
          task("notify", async ({ results }) => {
            const tracking = (results.shipped as { data: { tracking: string } }).data.tracking;
            notified.push(tracking);
            return tracking;
          }),
        ]),
      );
      expect((await manager.start("ship", { orderId: "A" }, { id: "ship:A" })).status).toBe("waiting");
      faulty.failSave(lastCompleted("shipped"), point);
      const event = { id: "wms-1", type: "wms.shipped", key: "A", data: { tracking: "1Z1" } };
      await expect(manager.deliver(event)).rejects.toMatchObject(retryableStoreError);
      expect((await manager.get("ship:A"))?.status).toBe(point === "after" ? "running" : "waiting");

      const [done] = await manager.deliver(event);
      expect(done).toMatchObject({ status: "completed", results: { notify: "1Z1" } });
      // Once it is through, the same id again changes nothing.
      expect(await manager.deliver(event)).toEqual([]);
      expect(notified).toEqual(["1Z1"]);
    },
  );

  it.each(points)(
    "a release that cannot be saved (%s it applies) fails; releasing again finishes the flow",
    async (point) => {
      const faulty = faultyFlowStore();
      let approved = false;
      const manager = createProcessManager({ store: faulty.store, sleep: noSleep });
      manager.register(
        defineFlow("credit", [
          task("check", async () => {
            if (!approved) throw new FlowHold("CREDIT_LIMIT", "Order total exceeds available credit");
            return "approved";
          }),
          task("book", async () => "booked"),
        ]),
      );
      expect((await manager.start("credit", {}, { id: "credit:2" })).status).toBe("held");
      approved = true;
      faulty.failSave((instance) => instance.status === "running" && instance.completed.length === 0, point);
      await expect(manager.release("credit:2")).rejects.toMatchObject(retryableStoreError);
      expect((await manager.get("credit:2"))?.status).toBe(point === "after" ? "running" : "held");

      const released = await manager.release("credit:2");
      expect(released).toMatchObject({ status: "completed", results: { check: "approved", book: "booked" } });
    },
  );

  it("a failed flow whose end cannot be saved finishes compensating on the retry and never runs the failed step again", async () => {
    const faulty = faultyFlowStore();
    const undone: string[] = [];
    let shipRuns = 0;
    const manager = createProcessManager({ store: faulty.store, retry: fastRetry, sleep: noSleep });
    manager.register(
      defineFlow("saga", [
        task("reserve", async () => "r", { compensate: async () => void undone.push("reserve") }),
        task(
          "ship",
          async () => {
            shipRuns += 1;
            throw new DistroError("CARRIER_REJECTED", "no carrier", { retryable: false });
          },
          { onError: "fail" },
        ),
      ]),
    );
    faulty.failSave((instance) => instance.status === "compensated", "before");
    await expect(manager.start("saga", {}, { id: "saga:1" })).rejects.toMatchObject(retryableStoreError);
    // The failure was stored before the compensations ran.
    expect(await manager.get("saga:1")).toMatchObject({
      status: "running",
      error: { code: "CARRIER_REJECTED" },
    });

    const ended = await manager.start("saga", {}, { id: "saga:1" });
    expect(ended).toMatchObject({ status: "compensated", error: { code: "CARRIER_REJECTED" } });
    expect(shipRuns).toBe(1);
    // Compensations, like steps, run at least once: the retry cannot know the first run finished.
    expect(undone).toEqual(["reserve", "reserve"]);
  });

  it("any saves failing before or after they apply, with the event early or late: the retried calls complete the flow, book once, never hold", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { maxLength: 4 }),
        fc.array(fc.constantFrom<SavePoint>("before", "after"), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        async (ordinals, pointsOf, eventFirst) => {
          const faulty = faultyFlowStore();
          ordinals.forEach((ordinal, index) => void faulty.failSaveNumber(ordinal, pointsOf[index]!));
          const { entries, audit } = recorder();
          const booking = erp();
          const posting = erp();
          const manager = createProcessManager({
            store: faulty.store,
            audit,
            retry: fastRetry,
            sleep: noSleep,
          });
          manager.register(
            defineFlow<{ orderId: string }>("o2c", [
              task("book", ({ input }) => booking.book(input.orderId), { system: "erp" }),
              task("crm", async () => "skipped", { when: () => false }),
              waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.orderId }),
              task("post", ({ input }) => posting.book(input.orderId), { system: "erp" }),
            ]),
          );
          const event = { id: "wms-9", type: "wms.shipped", key: "SO-9", data: {} };
          let storeFaults = 0;
          const untilDone = async <T>(call: () => Promise<T>): Promise<T> => {
            for (;;) {
              try {
                return await call();
              } catch (error) {
                expect(error).toMatchObject(retryableStoreError);
                storeFaults += 1;
              }
            }
          };
          const start = () => untilDone(() => manager.start("o2c", { orderId: "SO-9" }, { id: "o2c:SO-9" }));
          const deliver = () => untilDone(() => manager.deliver(event));
          if (eventFirst) {
            await deliver();
            await start();
          } else {
            await start();
            await deliver();
          }
          expect(await manager.get("o2c:SO-9")).toMatchObject({
            status: "completed",
            results: { book: "ERP-SO-9", crm: null, shipped: { id: "wms-9" }, post: "ERP-SO-9" },
          });
          expect(booking.bookings).toEqual(["SO-9"]);
          expect(posting.bookings).toEqual(["SO-9"]);
          expect(storeFaults).toBeLessThanOrEqual(ordinals.length);
          expect(entries.some((entry) => entry.details.phase === "held")).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
