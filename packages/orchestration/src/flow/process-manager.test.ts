import {
  type AuditEntry,
  createInMemoryAuditLog,
  createMemoryFlowStore,
  DistroError,
  RateLimitedError,
  retryPolicy,
} from "@distro/core";
import { describe, expect, it } from "vitest";
import { defineFlow, FlowHold, task, waitFor } from "./flow-definition";
import { createProcessManager } from "./process-manager";

const fastRetry = retryPolicy({ maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, jitter: "none" });
const noSleep = async () => {};

function recorder() {
  const entries: (AuditEntry & { details: { phase: string } })[] = [];
  const log = createInMemoryAuditLog();
  const audit = {
    record: async (entry: Parameters<typeof log.record>[0]) => {
      const stored = await log.record(entry);
      entries.push(stored as (typeof entries)[number]);
      return stored;
    },
    list: log.list,
  };
  return { entries, audit };
}

describe("process manager", () => {
  it("runs steps in order, stores each result and audits every step under the correlation id", async () => {
    const { entries, audit } = recorder();
    const manager = createProcessManager({ audit, retry: fastRetry, sleep: noSleep });
    manager.register(
      defineFlow<{ n: number }>("double", [
        task("first", async ({ input }) => input.n * 2, { system: "erp" }),
        task("second", async ({ results }) => (results.first as number) + 1, { system: "crm" }),
      ]),
    );
    const instance = await manager.start("double", { n: 20 }, { id: "d-1", correlationId: "corr-1" });
    expect(instance.status).toBe("completed");
    expect(instance.results).toEqual({ first: 40, second: 41 });
    expect(entries.every((entry) => entry.correlationId === "corr-1")).toBe(true);
    expect(
      entries
        .filter((entry) => entry.details.phase === "completed")
        .map((entry) => [entry.step, entry.system]),
    ).toEqual([
      ["first", "erp"],
      ["second", "crm"],
    ]);
  });

  it("starting the same id twice, even concurrently, runs the flow once", async () => {
    let runs = 0;
    const manager = createProcessManager();
    manager.register(defineFlow("once", [task("work", async () => ++runs)]));
    const [a, b, c] = await Promise.all([
      manager.start("once", {}, { id: "x" }),
      manager.start("once", {}, { id: "x" }),
      manager.start("once", {}, { id: "x" }),
    ]);
    expect(runs).toBe(1);
    expect([a.status, b.status, c.status]).toEqual(["completed", "completed", "completed"]);
  });

  it("after a crash, another manager on the same store resumes at the first unfinished step", async () => {
    const store = createMemoryFlowStore();
    const calls = { first: 0, second: 0 };
    const crashed = createProcessManager({ store });
    crashed.register(
      defineFlow("resume", [
        task("first", async () => ++calls.first),
        task("second", () => new Promise(() => {})), // the process dies while this runs
      ]),
    );
    void crashed.start("resume", {}, { id: "r-1" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await store.get("r-1"))?.completed).toEqual(["first"]);

    const restarted = createProcessManager({ store });
    restarted.register(
      defineFlow("resume", [
        task("first", async () => ++calls.first),
        task("second", async () => ++calls.second),
      ]),
    );
    const [resumed] = await restarted.recover();
    expect(resumed?.status).toBe("completed");
    expect(calls).toEqual({ first: 1, second: 1 });
  });

  it("retries a transient failure, honouring the step's policy", async () => {
    let attempts = 0;
    const { entries, audit } = recorder();
    const manager = createProcessManager({ audit, retry: fastRetry, sleep: noSleep });
    manager.register(
      defineFlow("flaky", [
        task("call", async () => {
          attempts++;
          if (attempts < 3) throw new RateLimitedError("slow down", { retryAfterMs: 1 });
          return "ok";
        }),
      ]),
    );
    const instance = await manager.start("flaky", {}, { id: "f-1" });
    expect(instance.status).toBe("completed");
    expect(attempts).toBe(3);
    expect(entries.filter((entry) => entry.details.phase === "retried")).toHaveLength(2);
  });

  it("holds for a person with the reason, then continues when released", async () => {
    let approved = false;
    const manager = createProcessManager({ sleep: noSleep });
    manager.register(
      defineFlow("credit", [
        task("check", async () => {
          if (!approved) throw new FlowHold("CREDIT_LIMIT", "Order total exceeds available credit");
          return "approved";
        }),
        task("book", async () => "booked"),
      ]),
    );
    const held = await manager.start("credit", {}, { id: "c-1" });
    expect(held.status).toBe("held");
    expect(held.hold).toMatchObject({
      step: "check",
      code: "CREDIT_LIMIT",
      reason: "Order total exceeds available credit",
    });
    expect(held.results.book).toBeUndefined();

    approved = true;
    const released = await manager.release("c-1");
    expect(released.status).toBe("completed");
    expect(released.results).toEqual({ check: "approved", book: "booked" });
    await expect(manager.release("c-1")).rejects.toMatchObject({ code: "FLOW_NOT_HELD" });
  });

  it("a step that fails for good runs the compensations of finished steps in reverse", async () => {
    const undone: string[] = [];
    const manager = createProcessManager({ retry: fastRetry, sleep: noSleep });
    manager.register(
      defineFlow("saga", [
        task("reserve", async () => "r", { compensate: async () => void undone.push("reserve") }),
        task("charge", async () => "c", { compensate: async () => void undone.push("charge") }),
        task(
          "ship",
          async () => {
            throw new DistroError("CARRIER_REJECTED", "no carrier", { retryable: false });
          },
          { onError: "fail" },
        ),
      ]),
    );
    const instance = await manager.start("saga", {}, { id: "s-1" });
    expect(instance.status).toBe("compensated");
    expect(instance.error?.code).toBe("CARRIER_REJECTED");
    expect(undone).toEqual(["charge", "reserve"]);
  });

  it("waits for a correlated event, whether it arrives before or after the wait", async () => {
    const manager = createProcessManager();
    manager.register(
      defineFlow<{ orderId: string }>("ship", [
        task("request", async () => "requested"),
        waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.orderId }),
        task(
          "notify",
          async ({ results }) => (results.shipped as { data: { tracking: string } }).data.tracking,
        ),
      ]),
    );
    const waiting = await manager.start("ship", { orderId: "A" }, { id: "ship:A" });
    expect(waiting.status).toBe("waiting");
    expect(waiting.waiting).toMatchObject({ step: "shipped", key: "A" });
    const [done] = await manager.deliver({
      id: "e1",
      type: "wms.shipped",
      key: "A",
      data: { tracking: "1Z1" },
    });
    expect(done?.status).toBe("completed");
    expect(done?.results.notify).toBe("1Z1");

    // Early event: kept, then consumed when the flow reaches the wait.
    expect(
      await manager.deliver({ id: "e2", type: "wms.shipped", key: "B", data: { tracking: "1Z2" } }),
    ).toEqual([]);
    const early = await manager.start("ship", { orderId: "B" }, { id: "ship:B" });
    expect(early.status).toBe("completed");
    expect(early.results.notify).toBe("1Z2");

    // A duplicate delivery of the same event id changes nothing.
    expect(
      await manager.deliver({ id: "e1", type: "wms.shipped", key: "A", data: { tracking: "other" } }),
    ).toEqual([]);
    expect((await manager.get("ship:A"))?.results.notify).toBe("1Z1");
  });

  it("holds a flow whose wait passes its deadline", async () => {
    let now = 1_000;
    const manager = createProcessManager({ clock: { now: () => now } });
    manager.register(
      defineFlow("deadline", [
        waitFor("invoice", { eventTypes: ["erp.invoice.posted"], key: () => "SO-1", timeoutMs: 500 }),
      ]),
    );
    await manager.start("deadline", {}, { id: "w-1" });
    expect(await manager.expireWaits()).toEqual([]);
    now += 501;
    const [expired] = await manager.expireWaits();
    expect(expired?.status).toBe("held");
    expect(expired?.hold?.code).toBe("WAIT_TIMEOUT");
  });

  it("a step over its time budget is retried, then held with TIMEOUT", async () => {
    let attempts = 0;
    const manager = createProcessManager({
      retry: retryPolicy({ maxAttempts: 2, baseDelayMs: 1, jitter: "none" }),
    });
    manager.register(
      defineFlow("slow", [
        task(
          "hang",
          ({ signal }) =>
            new Promise((_, reject) => {
              attempts++;
              signal.addEventListener("abort", () => reject(new Error("aborted by test")));
            }),
          { timeoutMs: 10 },
        ),
      ]),
    );
    const instance = await manager.start("slow", {}, { id: "t-1" });
    expect(attempts).toBe(2);
    expect(instance.status).toBe("held");
    expect(instance.hold?.code).toBe("TIMEOUT");
  });

  it("refuses duplicate step names and unknown flows with typed errors", async () => {
    expect(() => defineFlow("dup", [task("a", async () => 1), task("a", async () => 2)])).toThrow(
      /two steps named a/,
    );
    await expect(createProcessManager().start("missing", {}, { id: "m" })).rejects.toMatchObject({
      code: "FLOW_UNKNOWN",
    });
  });
});
