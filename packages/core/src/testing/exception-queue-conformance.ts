import { describe, expect, it } from "vitest";
import type { ExceptionQueueStore, NewExceptionItem } from "../messaging/exception-routing-store";

/**
 * Builds a fresh, empty exception queue store for one test.
 *
 * @example
 * ```ts
 * const factory: ExceptionQueueStoreFactory = () => createMemoryExceptionQueueStore();
 * ```
 */
export type ExceptionQueueStoreFactory = () => ExceptionQueueStore | Promise<ExceptionQueueStore>;

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

function item(overrides: Partial<NewExceptionItem> = {}): NewExceptionItem {
  return {
    sourceRef: "dead-letter:aa11",
    kind: "dead-letter",
    queue: "edi-support",
    priority: "normal",
    errorCode: "EDI_REJECTED",
    summary: "order.submitted for edi-out: EDI_REJECTED: 100% of lines refused",
    reference: { deadLetterId: "aa11", partner: "acme", correlationId: "corr-1", subscriber: "edi-out" },
    occurredAt: T0,
    ...overrides,
  };
}

/**
 * Registers the `ExceptionQueueStore` conformance suite (vitest): `add` idempotent by
 * source reference (also when racing), copies in and out, listing by queue, status and
 * filters in priority-then-age order, assign and resolve with their refusals, and
 * per-queue counts with the oldest and overdue items. Every adapter runs it with one call.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createStore - builds a fresh, empty store
 * @example
 * ```ts
 * import { createMemoryExceptionQueueStore } from "@distro/core";
 * import { describeExceptionQueueStoreConformance } from "@distro/core/testing";
 *
 * describeExceptionQueueStoreConformance("memory", () => createMemoryExceptionQueueStore());
 * ```
 */
export function describeExceptionQueueStoreConformance(
  name: string,
  createStore: ExceptionQueueStoreFactory,
): void {
  describe(`ExceptionQueueStore conformance: ${name}`, () => {
    it("adds one item per source reference; a second add returns the first, unchanged", async () => {
      const store = await createStore();
      const first = await store.add(item(), T0 + 10);
      expect(first.created).toBe(true);
      expect(first.item).toMatchObject({ status: "open", queue: "edi-support", createdAt: T0 + 10 });
      expect(first.item.id).toMatch(/^[0-9a-f]{32}$/);
      const second = await store.add(item({ queue: "credit-desk", summary: "other" }), T0 + 20);
      expect(second.created).toBe(false);
      expect(second.item).toEqual(first.item);
      expect(await store.list({ status: "all" })).toHaveLength(1);
      expect(await store.get("missing")).toBeUndefined();
    });

    it("creates one item when the same reference is added concurrently", async () => {
      const store = await createStore();
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, index) => store.add(item({ summary: `try ${index}` }), T0 + index)),
      );
      expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
      expect(new Set(outcomes.map((outcome) => outcome.item.id)).size).toBe(1);
      expect(await store.list({ status: "all" })).toHaveLength(1);
    });

    it("keeps every field exactly, with copies in and out (text with % and NUL included)", async () => {
      const store = await createStore();
      const input = item({
        sourceRef: "flow-hold:o2c:1001@2026-03-01T09:00:00.000Z",
        kind: "flow-hold",
        priority: "urgent",
        dueAt: T0 + 3_600_000,
        rule: "credit holds",
        errorCode: "CREDIT_LIMIT",
        summary: "order-to-cash held at book: 100% over limit \u0000 end",
        reference: { flowId: "o2c:1001", flow: "order-to-cash", step: "book", correlationId: "corr-9" },
      });
      const { item: added } = await store.add(input, T0);
      input.reference.flowId = "changed";
      added.reference.flow = "changed";
      const read = (await store.get(added.id))!;
      expect(read).toEqual({
        ...item({
          sourceRef: "flow-hold:o2c:1001@2026-03-01T09:00:00.000Z",
          kind: "flow-hold",
          priority: "urgent",
          dueAt: T0 + 3_600_000,
          rule: "credit holds",
          errorCode: "CREDIT_LIMIT",
          summary: "order-to-cash held at book: 100% over limit \u0000 end",
          reference: { flowId: "o2c:1001", flow: "order-to-cash", step: "book", correlationId: "corr-9" },
        }),
        id: added.id,
        status: "open",
        createdAt: T0,
        updatedAt: T0,
      });
    });

    it("lists by queue, status and filters, highest priority first, then oldest", async () => {
      const store = await createStore();
      const a = (await store.add(item({ sourceRef: "a", priority: "low", occurredAt: T0 }), T0)).item;
      const b = (await store.add(item({ sourceRef: "b", priority: "high", occurredAt: T0 + 5 }), T0)).item;
      const c = (await store.add(item({ sourceRef: "c", priority: "high", occurredAt: T0 + 1 }), T0)).item;
      const d = (
        await store.add(
          item({
            sourceRef: "d",
            queue: "credit-desk",
            kind: "flow-hold",
            errorCode: "CREDIT_LIMIT",
            reference: { partner: "erp", correlationId: "corr-2" },
          }),
          T0,
        )
      ).item;
      const ids = (items: { id: string }[]) => items.map((found) => found.id);
      expect(ids(await store.list({ queue: "edi-support" }))).toEqual([c.id, b.id, a.id]);
      expect(ids(await store.list())).toEqual([c.id, b.id, d.id, a.id]);
      expect(ids(await store.list({ queue: "edi-support", limit: 2 }))).toEqual([c.id, b.id]);
      expect(ids(await store.list({ kind: "flow-hold" }))).toEqual([d.id]);
      expect(ids(await store.list({ errorCode: "CREDIT_LIMIT" }))).toEqual([d.id]);
      expect(ids(await store.list({ partner: "erp" }))).toEqual([d.id]);
      expect(ids(await store.list({ correlationId: "corr-2" }))).toEqual([d.id]);
      await store.assign(b.id, "jane", T0 + 100);
      await store.resolve(c.id, { by: "li", note: "fixed", at: T0 + 200 });
      expect(ids(await store.list({ queue: "edi-support" }))).toEqual([b.id, a.id]);
      expect(ids(await store.list({ status: "open" }))).toEqual([d.id, a.id]);
      expect(ids(await store.list({ status: ["assigned", "resolved"] }))).toEqual([c.id, b.id]);
      expect(ids(await store.list({ assignee: "jane" }))).toEqual([b.id]);
      expect(ids(await store.list({ status: "all", queue: "edi-support" }))).toEqual([c.id, b.id, a.id]);
    });

    it("assigns and reassigns an unresolved item, then resolves it with a note, once", async () => {
      const store = await createStore();
      const { item: added } = await store.add(item(), T0);
      const assigned = await store.assign(added.id, "jane", T0 + 10);
      expect(assigned).toMatchObject({ status: "assigned", assignee: "jane", updatedAt: T0 + 10 });
      expect((await store.assign(added.id, "li", T0 + 20)).assignee).toBe("li");
      const resolved = await store.resolve(added.id, {
        by: "li",
        note: "partner resent the 850",
        at: T0 + 30,
        replayEventId: "evt-7",
      });
      expect(resolved).toMatchObject({
        status: "resolved",
        assignee: "li",
        updatedAt: T0 + 30,
        resolution: { by: "li", note: "partner resent the 850", at: T0 + 30, replayEventId: "evt-7" },
      });
      expect(await store.get(added.id)).toEqual(resolved);
      await expect(store.resolve(added.id, { by: "x", note: "again", at: T0 + 40 })).rejects.toMatchObject({
        code: "EXCEPTION_RESOLVED",
      });
      await expect(store.assign(added.id, "x", T0 + 40)).rejects.toMatchObject({
        code: "EXCEPTION_RESOLVED",
      });
      await expect(store.assign("missing", "x", T0)).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(store.resolve("missing", { by: "x", note: "n", at: T0 })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      expect((await store.get(added.id))!.resolution!.note).toBe("partner resent the 850");
    });

    it("resolves once when two people resolve at the same time", async () => {
      const store = await createStore();
      const { item: added } = await store.add(item(), T0);
      const outcomes = await Promise.allSettled(
        ["jane", "li", "sam"].map((by) => store.resolve(added.id, { by, note: `by ${by}`, at: T0 + 1 })),
      );
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
      for (const outcome of outcomes)
        if (outcome.status === "rejected")
          expect(outcome.reason).toMatchObject({ code: "EXCEPTION_RESOLVED" });
    });

    it("counts unresolved items per queue, with the oldest and the overdue", async () => {
      const store = await createStore();
      expect(await store.stats(T0)).toEqual([]);
      await store.add(item({ sourceRef: "1", occurredAt: T0 - 500, dueAt: T0 - 1 }), T0);
      const two = (await store.add(item({ sourceRef: "2", occurredAt: T0 - 100, dueAt: T0 + 1_000 }), T0))
        .item;
      const three = (await store.add(item({ sourceRef: "3", occurredAt: T0 - 900 }), T0)).item;
      await store.add(item({ sourceRef: "4", queue: "credit-desk", occurredAt: T0 - 50 }), T0);
      await store.assign(two.id, "jane", T0);
      await store.resolve(three.id, { by: "jane", note: "done", at: T0 });
      expect(await store.stats(T0)).toEqual([
        { queue: "credit-desk", open: 1, assigned: 0, overdue: 0, oldestOccurredAt: T0 - 50 },
        { queue: "edi-support", open: 1, assigned: 1, overdue: 1, oldestOccurredAt: T0 - 500 },
      ]);
      expect((await store.stats(T0 + 2_000)).find((stats) => stats.queue === "edi-support")!.overdue).toBe(2);
    });
  });
}
