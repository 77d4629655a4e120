import { describe, expect, it } from "vitest";
import type { FlowInstance, FlowStore } from "../process/flow-store";

/** Builds a fresh, empty flow store for one test. */
export type FlowStoreFactory = () => FlowStore | Promise<FlowStore>;

function instance(overrides: Partial<FlowInstance> = {}): FlowInstance {
  return {
    id: "o2c:1001",
    flow: "order-to-cash",
    correlationId: "corr-1",
    businessKey: "1001",
    status: "running",
    input: { order: { id: "1001", lines: [{ quantity: "0.0125" }] } },
    results: {},
    completed: [],
    createdAt: "2026-03-01T10:00:00.000Z",
    updatedAt: "2026-03-01T10:00:00.000Z",
    revision: 0,
    ...overrides,
  };
}

/**
 * Registers the `FlowStore` conformance suite (vitest): idempotent create, copies in
 * and out, optimistic revisions, waiting look-ups, event buffering with dedupe by id,
 * and filtered listing. Every flow store adapter runs it with one call.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createStore - builds a fresh, empty store
 * @example
 * ```ts
 * import { describeFlowStoreConformance } from "@distro/core/testing";
 * import { createMemoryFlowStore } from "@distro/core";
 *
 * describeFlowStoreConformance("memory", () => createMemoryFlowStore());
 * ```
 */
export function describeFlowStoreConformance(name: string, createStore: FlowStoreFactory): void {
  describe(`FlowStore conformance: ${name}`, () => {
    it("creates once per id and returns the stored instance to later creates", async () => {
      const store = await createStore();
      const first = await store.create(instance());
      expect(first.created).toBe(true);
      const second = await store.create(instance({ input: { other: true } }));
      expect(second.created).toBe(false);
      expect(second.instance.input).toEqual(instance().input);
      expect(await store.get("missing")).toBeUndefined();
    });

    it("copies on the way in and out, keeping decimal strings and nested results exact", async () => {
      const store = await createStore();
      const original = instance();
      await store.create(original);
      (original.input as { order: { id: string } }).order.id = "changed";
      const read = (await store.get("o2c:1001"))!;
      expect((read.input as { order: { id: string; lines: { quantity: string }[] } }).order).toEqual({
        id: "1001",
        lines: [{ quantity: "0.0125" }],
      });
      read.results.book = { erpOrderNumber: "SO-1", allocations: [{ allocated: "0.5" }] };
      read.completed.push("book");
      read.revision = 1;
      await store.save(read);
      const again = (await store.get("o2c:1001"))!;
      expect(again.results.book).toEqual({ erpOrderNumber: "SO-1", allocations: [{ allocated: "0.5" }] });
      expect(again.completed).toEqual(["book"]);
    });

    it("refuses a save from a stale revision with a ConflictError", async () => {
      const store = await createStore();
      await store.create(instance());
      const a = (await store.get("o2c:1001"))!;
      const b = (await store.get("o2c:1001"))!;
      a.revision = 1;
      await store.save(a);
      b.revision = 1;
      await expect(store.save(b)).rejects.toMatchObject({ code: "CONFLICT" });
      expect((await store.get("o2c:1001"))!.revision).toBe(1);
    });

    it("finds waiting instances by event type and key", async () => {
      const store = await createStore();
      await store.create(
        instance({
          status: "waiting",
          waiting: { step: "shipped", eventTypes: ["wms.shipped"], key: "1001" },
        }),
      );
      await store.create(instance({ id: "o2c:1002", businessKey: "1002" }));
      expect((await store.findWaiting("wms.shipped", "1001")).map((found) => found.id)).toEqual(["o2c:1001"]);
      expect(await store.findWaiting("wms.packed", "1001")).toEqual([]);
      expect(await store.findWaiting("wms.shipped", "1002")).toEqual([]);
    });

    it("buffers events once per id and finds the first of the given types by key", async () => {
      const store = await createStore();
      expect(await store.bufferEvent({ id: "e1", type: "wms.packed", key: "1001", data: { n: 1 } })).toBe(
        true,
      );
      expect(await store.bufferEvent({ id: "e1", type: "wms.packed", key: "1001", data: { n: 2 } })).toBe(
        false,
      );
      expect(
        await store.bufferEvent({ id: "e2", type: "wms.shipped", key: "1001", data: { tracking: "1Z" } }),
      ).toBe(true);
      expect(await store.findEvent(["wms.shipped"], "1001")).toEqual({
        id: "e2",
        type: "wms.shipped",
        key: "1001",
        data: { tracking: "1Z" },
      });
      expect((await store.findEvent(["wms.packed", "wms.shipped"], "1001"))?.id).toBe("e1");
      expect(await store.findEvent(["wms.shipped"], "9999")).toBeUndefined();
    });

    it("lists by flow, status, correlation id and business key", async () => {
      const store = await createStore();
      await store.create(instance());
      await store.create(
        instance({ id: "o2c:1002", businessKey: "1002", correlationId: "corr-2", status: "held" }),
      );
      await store.create(
        instance({ id: "r2c:1", flow: "return-to-credit", businessKey: "RMA-1", correlationId: "corr-3" }),
      );
      const ids = async (filter: Parameters<FlowStore["list"]>[0]) =>
        (await store.list(filter)).map((found) => found.id).sort();
      expect(await ids({})).toEqual(["o2c:1001", "o2c:1002", "r2c:1"]);
      expect(await ids({ flow: "order-to-cash" })).toEqual(["o2c:1001", "o2c:1002"]);
      expect(await ids({ status: ["held"] })).toEqual(["o2c:1002"]);
      expect(await ids({ correlationId: "corr-3" })).toEqual(["r2c:1"]);
      expect(await ids({ businessKey: "1001" })).toEqual(["o2c:1001"]);
    });
  });
}
