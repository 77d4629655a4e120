import { createMemoryFlowStore, DistroError, type FlowInstance, retryPolicy } from "@distro/core";
import { createProcessManager, defineFlow, FlowHold, task, waitFor } from "@distro/orchestration";
import { describe, expect, it } from "vitest";
import { readSamples, sampleValue, scrape, typesOf } from "./exposition.test-helper";
import { flowStoreMetrics } from "./flow-metrics";
import { createMetricsRegistry } from "./registry";

interface OrderInput {
  orderId: string;
  overCredit?: boolean;
  backordered?: boolean;
}

const noRetry = retryPolicy({ maxAttempts: 1 });

function setUp() {
  const metrics = createMetricsRegistry();
  const manager = createProcessManager({
    store: flowStoreMetrics(metrics, createMemoryFlowStore(), { orderFlows: ["order-to-cash"] }),
    retry: noRetry,
    sleep: async () => {},
  });
  manager.register(
    defineFlow<OrderInput>("order-to-cash", [
      task("credit-check", async ({ input }) => {
        if (input.overCredit) throw new FlowHold("CREDIT_LIMIT", "Order total exceeds available credit");
        return { ok: true };
      }),
      task("backorder-split", async ({ input }) => (input.backordered ? { lines: 1 } : null)),
      waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.orderId }),
    ]),
  );
  let undoFails = false;
  manager.register(
    defineFlow<{ undoFails: boolean }>("price-sync", [
      task("read", async () => "read", {
        compensate: async () => {
          if (undoFails) throw new DistroError("UNDO_FAILED", "Could not undo");
        },
      }),
      task(
        "write",
        async () => {
          throw new DistroError("PRICE_REJECTED", "The ERP refused the price list");
        },
        { onError: "fail", retry: false },
      ),
    ]),
  );
  return {
    metrics,
    manager,
    failUndo: () => {
      undoFails = true;
    },
  };
}

describe("flowStoreMetrics", () => {
  it("counts the runs of a real process manager by outcome, with holds and order exceptions", async () => {
    const { metrics, manager, failUndo } = setUp();
    await manager.start("order-to-cash", { orderId: "SO-1" }, { id: "o2c:SO-1" });
    await manager.start("order-to-cash", { orderId: "SO-2", backordered: true }, { id: "o2c:SO-2" });
    const held = await manager.start(
      "order-to-cash",
      { orderId: "SO-3", overCredit: true },
      { id: "o2c:SO-3" },
    );
    expect(held.status).toBe("held");
    await manager.start("order-to-cash", { orderId: "SO-1" }, { id: "o2c:SO-1" }); // known id: not a new run
    await manager.deliver({ id: "evt-1", type: "wms.shipped", key: "SO-1", data: {} });
    await manager.deliver({ id: "evt-2", type: "wms.shipped", key: "SO-2", data: {} });
    expect((await manager.start("price-sync", { undoFails: false }, { id: "ps-1" })).status).toBe(
      "compensated",
    );
    failUndo();
    expect((await manager.start("price-sync", { undoFails: true }, { id: "ps-2" })).status).toBe("failed");

    const text = await metrics.expose();
    expect(typesOf(text).get("distro_flow_runs_total")).toBe("counter");
    const samples = readSamples(text);
    const runs = (flow: string, outcome: string) =>
      sampleValue(samples, "distro_flow_runs_total", { flow, outcome });
    expect(
      ["started", "completed", "held", "failed", "compensated"].map((outcome) =>
        runs("order-to-cash", outcome),
      ),
    ).toEqual([3, 2, 1, undefined, undefined]);
    expect(
      ["started", "completed", "failed", "compensated"].map((outcome) => runs("price-sync", outcome)),
    ).toEqual([2, undefined, 1, 1]);
    expect(
      sampleValue(samples, "distro_flow_holds_total", {
        flow: "order-to-cash",
        step: "credit-check",
        code: "CREDIT_LIMIT",
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, "distro_order_exceptions_total", { flow: "order-to-cash", kind: "held" }),
    ).toBe(1);
    expect(
      sampleValue(samples, "distro_order_exceptions_total", { flow: "order-to-cash", kind: "backordered" }),
    ).toBe(1);
    // Only order flows count as order exceptions; no instance id or business key is a label.
    expect(sampleValue(samples, "distro_order_exceptions_total", { flow: "price-sync" })).toBeUndefined();
    expect(text).not.toMatch(/SO-\d|o2c:|ps-\d/);

    // Released, the held order runs on (waiting, then completed); its one hold stays counted once.
    await manager.release("o2c:SO-3", { result: { ok: true } });
    await manager.deliver({ id: "evt-3", type: "wms.shipped", key: "SO-3", data: {} });
    const after = await scrape(metrics);
    expect(
      sampleValue(after, "distro_flow_runs_total", { flow: "order-to-cash", outcome: "completed" }),
    ).toBe(3);
    expect(sampleValue(after, "distro_flow_runs_total", { flow: "order-to-cash", outcome: "held" })).toBe(1);
  });

  it("a save it did not read through reads the stored state first, and counts an entry into a state once", async () => {
    const inner = createMemoryFlowStore();
    const metrics = createMetricsRegistry();
    const store = flowStoreMetrics(metrics, inner);
    const now = new Date(0).toISOString();
    const instance: FlowInstance = {
      id: "f-1",
      flow: "item-sync",
      correlationId: "c-1",
      status: "running",
      input: {},
      results: {},
      completed: [],
      createdAt: now,
      updatedAt: now,
      revision: 0,
    };
    await inner.create(instance); // another process started it
    const hold = { step: "write", reason: "ERP down", code: "UPSTREAM_ERROR", at: now };
    await store.save({ ...instance, status: "held", hold, revision: 1 });
    await store.save({ ...instance, status: "held", hold, revision: 2 }); // still held: not a new hold
    await expect(store.save({ ...instance, status: "completed", revision: 2 })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await store.save({ ...instance, status: "completed", revision: 3 });
    const samples = await scrape(metrics);
    expect(sampleValue(samples, "distro_flow_runs_total", { flow: "item-sync", outcome: "held" })).toBe(1);
    expect(sampleValue(samples, "distro_flow_runs_total", { flow: "item-sync", outcome: "completed" })).toBe(
      1,
    );
    expect(
      sampleValue(samples, "distro_flow_runs_total", { flow: "item-sync", outcome: "started" }),
    ).toBeUndefined();
  });
});
