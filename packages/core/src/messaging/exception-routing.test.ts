import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEvent } from "../envelope/index";
import { DistroError } from "../errors/index";
import { createInMemoryAuditLog } from "../observability/audit-log";
import { createMemoryFlowStore, type FlowInstance } from "../process/flow-store";
import { describeExceptionQueueStoreConformance } from "../testing/exception-queue-conformance";
import { waitUntil } from "../testing/wait-until";
import { createBus } from "./bus";
import { createMemoryDeadLetterStore, type DeadLetterStore, type NewDeadLetter } from "./dead-letter";
import { createExceptionRouter, type ExceptionFacts } from "./exception-routing";
import {
  createExceptionFeed,
  deadLetterExceptionFacts,
  deadLetterExceptionItem,
  resolveException,
  routedExceptionItem,
  triggerExceptionFeedOnHolds,
} from "./exception-routing-feed";
import { createMemoryExceptionQueueStore, type ExceptionQueueStore } from "./exception-routing-store";

describeExceptionQueueStoreConformance("memory", () => createMemoryExceptionQueueStore());

describe("createMemoryExceptionQueueStore", () => {
  it("refuses a new item when full (retryable), never an existing one", async () => {
    const store = createMemoryExceptionQueueStore({ maxItems: 1 });
    const input = {
      sourceRef: "a",
      kind: "other" as const,
      queue: "q",
      priority: "low" as const,
      summary: "a",
      reference: {},
      occurredAt: 1,
    };
    await store.add(input, 1);
    await expect(store.add({ ...input, sourceRef: "b" }, 1)).rejects.toMatchObject({
      code: "EXCEPTION_STORE_FULL",
      retryable: true,
    });
    expect((await store.add(input, 2)).created).toBe(false);
  });
});

const router = createExceptionRouter({
  rules: [
    {
      name: "credit holds",
      match: { kind: "flow-hold", errorCode: "CREDIT_*" },
      queue: "credit-desk",
      priority: "high",
      slaMs: 4 * 3_600_000,
    },
    { name: "edi partners", match: { partner: ["acme", "globex"] }, queue: "edi-support" },
    {
      name: "stock",
      match: { errorCode: ["wms.*", "SHORT_STOCK"] },
      queue: "warehouse-ops",
      priority: "urgent",
    },
    {
      name: "big erp failures",
      match: { errorCode: "erp.*", when: (facts) => facts.type === "order.submitted" },
      queue: "erp-support",
      slaMs: 60_000,
    },
  ],
  defaultQueue: "integration-support",
  defaultPriority: "low",
});

const facts = (overrides: Partial<ExceptionFacts> = {}): ExceptionFacts => ({
  kind: "dead-letter",
  errorCodes: ["HANDLER_FAILED"],
  occurredAt: 1_000,
  ...overrides,
});

describe("createExceptionRouter", () => {
  it("routes by the first rule that matches, with its priority and due time", () => {
    expect(router.route(facts({ kind: "flow-hold", errorCodes: ["CREDIT_LIMIT"], flow: "o2c" }))).toEqual({
      queue: "credit-desk",
      priority: "high",
      dueAt: 1_000 + 4 * 3_600_000,
      rule: { index: 0, name: "credit holds" },
    });
    // A credit code on a dead letter is not a flow hold: rule 0 does not match, and the partner rule does.
    expect(router.route(facts({ errorCodes: ["CREDIT_LIMIT"], partner: "acme" })).queue).toBe("edi-support");
    expect(router.route(facts({ errorCodes: ["SHORT_STOCK"] }))).toMatchObject({
      queue: "warehouse-ops",
      priority: "urgent",
    });
  });

  it("matches an error code anywhere in the cause chain, with globs", () => {
    expect(router.route(facts({ errorCodes: ["HANDLER_FAILED", "wms.timeout"] })).queue).toBe(
      "warehouse-ops",
    );
    expect(router.route(facts({ errorCodes: ["wmsX"] })).queue).toBe("integration-support");
  });

  it("runs the predicate only after the patterns matched, and routes elsewhere when it says no", () => {
    const erp = facts({ errorCodes: ["erp.down"], type: "order.submitted" });
    expect(router.route(erp)).toMatchObject({ queue: "erp-support", dueAt: 61_000 });
    expect(router.route({ ...erp, type: "invoice.posted" })).toEqual({
      queue: "integration-support",
      priority: "low",
    });
  });

  it("sends what no rule matches to the default queue and lists every queue", () => {
    expect(router.route(facts())).toEqual({ queue: "integration-support", priority: "low" });
    expect(router.queues).toEqual([
      "credit-desk",
      "edi-support",
      "warehouse-ops",
      "erp-support",
      "integration-support",
    ]);
    expect(createExceptionRouter({ rules: [] }).route(facts()).queue).toBe("unrouted");
  });

  it("explains which rule matched and why, and which rules were tried before", () => {
    const decision = router.explain(facts({ errorCodes: ["HANDLER_FAILED", "wms.timeout"], partner: "erp" }));
    expect(decision.routing.queue).toBe("warehouse-ops");
    expect(decision.rules.map((rule) => [rule.name, rule.matched])).toEqual([
      ["credit holds", false],
      ["edi partners", false],
      ["stock", true],
    ]);
    expect(decision.rules[0]!.checks).toEqual([
      { field: "kind", patterns: ["flow-hold"], values: ["dead-letter"], matched: undefined },
    ]);
    expect(decision.rules[2]!.checks).toEqual([
      {
        field: "errorCode",
        patterns: ["wms.*", "SHORT_STOCK"],
        values: ["HANDLER_FAILED", "wms.timeout"],
        matched: "wms.timeout",
      },
    ]);
    expect(decision.reason).toBe(
      "stock (rule 2) matched: errorCode wms.*|SHORT_STOCK = wms.timeout; queue warehouse-ops",
    );
    const predicate = router.explain(facts({ errorCodes: ["erp.down"], type: "invoice.posted" }));
    expect(predicate.rules[3]!.checks.at(-1)).toEqual({
      field: "when",
      patterns: ["(predicate)"],
      values: [],
    });
    expect(predicate.reason).toBe("no rule matched (4 tried); default queue integration-support");
  });

  it("treats regular-expression characters in patterns as text", () => {
    const literal = createExceptionRouter({ rules: [{ match: { source: "/shop/(eu)+*" }, queue: "shop" }] });
    expect(literal.route(facts({ source: "/shop/(eu)+/orders" })).queue).toBe("shop");
    expect(literal.route(facts({ source: "/shop/eueu/orders" })).queue).toBe("unrouted");
  });

  it("refuses malformed rules with a ValidationError naming the rule index and field", () => {
    const attempt = () =>
      createExceptionRouter({
        rules: [
          { match: {}, queue: "ok" },
          { match: { errorCode: "" }, queue: "has space", priority: "asap" as never, slaMs: -1 },
          { match: { partnr: "acme" } as never, queue: "edi" },
          { match: { kind: "hold" as never, when: "yes" as never }, queue: "x" },
        ],
        defaultQueue: "",
      });
    expect(attempt).toThrowError(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    let issues: { path: (string | number)[]; code: string }[] = [];
    try {
      attempt();
    } catch (error) {
      issues = (error as { issues: typeof issues }).issues;
    }
    expect(issues.map((found) => found.path.join("."))).toEqual([
      "rules.1.queue",
      "rules.1.priority",
      "rules.1.slaMs",
      "rules.1.match.errorCode",
      "rules.2.match.partnr",
      "rules.3.match.kind",
      "rules.3.match.when",
      "defaultQueue",
    ]);
    expect(() => createExceptionRouter({ rules: "x" as never })).toThrowError(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ["rules"] })] }),
    );
  });
});

function letter(index: number, overrides: Partial<NewDeadLetter> = {}): NewDeadLetter {
  return {
    subscriber: "erp-booking",
    message: JSON.stringify({ id: `e${index}`, data: { email: "jane@example.com" } }),
    eventId: `e${index}`,
    source: "/shop",
    type: "order.submitted",
    correlationId: `corr-${index}`,
    error: {
      name: "DistroError",
      code: "HANDLER_FAILED",
      message: "Booking failed for jane@example.com",
      retryable: false,
      cause: { name: "DistroError", code: "wms.short", message: "short", retryable: false },
    },
    attempts: 1,
    firstFailedAt: 10_000 + index,
    lastFailedAt: 10_000 + index,
    ...overrides,
  };
}

describe("dead letters into exception queues", () => {
  it("makes a redacted item that references the dead letter and never carries its body", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    const entry = await deadLetters.add(
      letter(1, {
        error: {
          name: "DistroError",
          code: "EDI_REJECTED",
          message: "Rejected for jane@example.com",
          retryable: false,
          details: { partner: "acme" },
        },
      }),
    );
    expect(deadLetterExceptionFacts(entry)).toEqual({
      kind: "dead-letter",
      errorCodes: ["EDI_REJECTED"],
      partner: "acme",
      subscriber: "erp-booking",
      type: "order.submitted",
      source: "/shop",
      occurredAt: 10_001,
    });
    const item = deadLetterExceptionItem(entry, router);
    expect(item).toEqual({
      sourceRef: `dead-letter:${entry.id}`,
      kind: "dead-letter",
      queue: "edi-support",
      priority: "normal",
      rule: "edi partners",
      errorCode: "EDI_REJECTED",
      summary: "order.submitted for erp-booking: EDI_REJECTED: Rejected for [REDACTED]",
      reference: {
        deadLetterId: entry.id,
        subscriber: "erp-booking",
        partner: "acme",
        correlationId: "corr-1",
        type: "order.submitted",
        source: "/shop",
      },
      occurredAt: 10_001,
    });
    expect(JSON.stringify(item)).not.toContain("jane@example.com");
  });

  it("routes what a real bus dead-letters, once, however often it polls", async () => {
    const bus = createBus();
    const subscription = await bus.subscribe({
      name: "erp-booking",
      handler: (event) => {
        throw new DistroError("HANDLER_FAILED", `Cannot book ${event.subject}`, {
          cause: new DistroError("SHORT_STOCK", "Only 3 of 5 on hand"),
        });
      },
    });
    for (const subject of ["1001", "1002"])
      await bus.publish(createEvent({ type: "order.submitted", source: "/shop", subject, data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 2);
    const store = createMemoryExceptionQueueStore();
    const feed = createExceptionFeed({ router, store, deadLetters: bus.deadLetters, clock: () => 50 });
    const first = await feed.poll();
    // The two orders are handled concurrently (different keys): compare in order number order.
    const summaries = first.created.map((item) => [item.queue, item.priority, item.summary]);
    expect(summaries.sort((left, right) => left[2]!.localeCompare(right[2]!))).toEqual([
      ["warehouse-ops", "urgent", "order.submitted for erp-booking: HANDLER_FAILED: Cannot book 1001"],
      ["warehouse-ops", "urgent", "order.submitted for erp-booking: HANDLER_FAILED: Cannot book 1002"],
    ]);
    expect((await feed.poll()).created).toEqual([]);
    // A second feed (another process, or this one after a restart) makes no second item either.
    const again = createExceptionFeed({ router, store, deadLetters: bus.deadLetters });
    expect((await again.poll()).created).toEqual([]);
    expect(await store.list({ status: "all" })).toHaveLength(2);
    await bus.close();
  });

  it("loses nothing when the exception store fails mid-poll: the cursor does not move", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    for (let index = 0; index < 5; index++) await deadLetters.add(letter(index));
    const inner = createMemoryExceptionQueueStore();
    let failAfter = 2;
    const flaky: ExceptionQueueStore = {
      ...inner,
      add: async (item, at) => {
        if (failAfter-- <= 0) throw new DistroError("DATABASE_ERROR", "connection lost", { retryable: true });
        return inner.add(item, at);
      },
    };
    const feed = createExceptionFeed({ router, store: flaky, deadLetters, since: 10_000, overlapMs: 0 });
    await expect(feed.poll()).rejects.toMatchObject({ code: "DATABASE_ERROR" });
    failAfter = Number.POSITIVE_INFINITY;
    const report = await feed.poll();
    expect(report.created).toHaveLength(3);
    expect(report.cursor).toBe(10_004);
    expect(await inner.list({ status: "all" })).toHaveLength(5);
  });

  it("resolves items whose dead letter was replayed or discarded elsewhere, and leaves the rest", async () => {
    const bus = createBus();
    let fail = true;
    const subscription = await bus.subscribe({
      name: "erp-booking",
      handler: () => {
        if (fail) throw new DistroError("SHORT_STOCK", "Only 3 of 5 on hand");
      },
    });
    for (const subject of ["1", "2", "3"])
      await bus.publish(createEvent({ type: "order.submitted", source: "/shop", subject, data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 3);
    const store = createMemoryExceptionQueueStore();
    const feed = createExceptionFeed({ router, store, deadLetters: bus.deadLetters });
    const created = (await feed.poll()).created;
    const [one, two] = await bus.deadLetters.list();
    fail = false;
    const replayed = await bus.replay(one!.id);
    await bus.discard(two!.id, "duplicate order");
    const { resolved } = await feed.poll();
    // Items failed in the same millisecond list in id order: compare in dead-letter order.
    const byDeadLetter = (id: string) => (id === one!.id ? 0 : id === two!.id ? 1 : 2);
    resolved.sort(
      (left, right) =>
        byDeadLetter(left.reference.deadLetterId!) - byDeadLetter(right.reference.deadLetterId!),
    );
    expect(resolved.map((item) => [item.reference.deadLetterId, item.resolution])).toEqual([
      [
        one!.id,
        {
          by: "exception-feed",
          note: "The dead letter was replayed",
          at: expect.any(Number),
          replayEventId: replayed.id,
        },
      ],
      [
        two!.id,
        {
          by: "exception-feed",
          note: "The dead letter was discarded: duplicate order",
          at: expect.any(Number),
        },
      ],
    ]);
    const left = created.filter(
      (item) => item.reference.deadLetterId !== one!.id && item.reference.deadLetterId !== two!.id,
    );
    expect(left).toHaveLength(1);
    expect((await store.list()).map((item) => item.id)).toEqual([left[0]!.id]);
    await bus.close();
  });

  it("finds a dead letter written late with an earlier failure time, within the overlap", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    await deadLetters.add(letter(100));
    const store = createMemoryExceptionQueueStore();
    const feed = createExceptionFeed({ router, store, deadLetters, overlapMs: 1_000 });
    expect((await feed.poll()).created).toHaveLength(1);
    await deadLetters.add(letter(1));
    expect((await feed.poll()).created.map((item) => item.reference.correlationId)).toEqual(["corr-1"]);
  });

  it("pages through many dead letters with one failure time", async () => {
    const deadLetters = createMemoryDeadLetterStore();
    for (let index = 0; index < 7; index++)
      await deadLetters.add(letter(index, { firstFailedAt: 20_000, lastFailedAt: 20_000 }));
    await deadLetters.add(letter(9, { firstFailedAt: 20_001, lastFailedAt: 20_001 }));
    const store = createMemoryExceptionQueueStore();
    const feed = createExceptionFeed({ router, store, deadLetters, pageSize: 2 });
    expect((await feed.poll()).created).toHaveLength(8);
  });

  it("any interleaving of new dead letters, failing writes and restarts ends with one item per dead letter", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("add" as const), at: fc.integer({ min: 0, max: 50 }) }),
            fc.record({ kind: fc.constant("poll" as const), failAfter: fc.integer({ min: 0, max: 4 }) }),
            fc.constant({ kind: "restart" as const }),
          ),
          { maxLength: 30 },
        ),
        async (steps) => {
          const deadLetters: DeadLetterStore = createMemoryDeadLetterStore();
          const inner = createMemoryExceptionQueueStore();
          let budget = Number.POSITIVE_INFINITY;
          const store: ExceptionQueueStore = {
            ...inner,
            add: async (item, at) => {
              if (budget-- <= 0) throw new DistroError("DATABASE_ERROR", "lost", { retryable: true });
              return inner.add(item, at);
            },
          };
          const open = () => createExceptionFeed({ router, store, deadLetters, overlapMs: 60, pageSize: 3 });
          let feed = open();
          let next = 0;
          let now = 1_000;
          for (const step of steps) {
            now += 10;
            if (step.kind === "add") {
              const failed = now - step.at;
              await deadLetters.add(letter(next++, { firstFailedAt: failed, lastFailedAt: failed }));
            } else if (step.kind === "poll") {
              budget = step.failAfter;
              await feed.poll().catch(() => undefined);
              budget = Number.POSITIVE_INFINITY;
            } else {
              feed = open();
            }
          }
          await feed.poll();
          const items = await inner.list({ status: "all" });
          expect(items).toHaveLength(next);
          expect(new Set(items.map((item) => item.reference.deadLetterId)).size).toBe(next);
        },
      ),
      { numRuns: 150 },
    );
  });
});

function held(id: string, at: string, code = "CREDIT_LIMIT"): FlowInstance {
  return {
    id,
    flow: "order-to-cash",
    correlationId: `corr-${id}`,
    businessKey: id,
    status: "held",
    input: { customer: { email: "jane@example.com" } },
    results: {},
    completed: ["validate"],
    hold: { step: "credit-check", code, reason: "Over the credit limit for jane@example.com", at },
    createdAt: at,
    updatedAt: at,
    revision: 0,
  };
}

describe("routedExceptionItem", () => {
  it("routes an EDI rejection to the partner's queue with a redacted summary, idempotently", async () => {
    const store = createMemoryExceptionQueueStore();
    const item = routedExceptionItem(
      {
        kind: "edi-rejection",
        errorCodes: ["EDI_REJECTED", "IK5_R"],
        partner: "acme",
        type: "855",
        occurredAt: 5,
      },
      router,
      {
        sourceRef: "edi-999:acme:000000123",
        summary: "855 rejected by acme; contact edi@acme.example",
        reference: { correlationId: "corr-855" },
      },
    );
    expect(item).toEqual({
      sourceRef: "edi-999:acme:000000123",
      kind: "edi-rejection",
      queue: "edi-support",
      priority: "normal",
      rule: "edi partners",
      errorCode: "EDI_REJECTED",
      summary: "855 rejected by acme; contact [REDACTED]",
      reference: { correlationId: "corr-855", partner: "acme" },
      occurredAt: 5,
    });
    expect((await store.add(item, 6)).created).toBe(true);
    expect((await store.add(item, 7)).created).toBe(false);
  });
});

describe("flow holds into exception queues", () => {
  it("routes each hold once, and a new hold after a release again", async () => {
    const flows = createMemoryFlowStore();
    await flows.create(held("o2c:1", "2026-03-01T09:00:00.000Z"));
    await flows.create({ ...held("o2c:2", "2026-03-01T09:00:00.000Z"), status: "running", hold: undefined });
    const store = createMemoryExceptionQueueStore();
    const feed = createExceptionFeed({ router, store, flows, flowPartner: () => "erp" });
    const [item] = (await feed.poll()).created;
    expect(item).toMatchObject({
      sourceRef: "flow-hold:o2c:1@2026-03-01T09:00:00.000Z",
      kind: "flow-hold",
      queue: "credit-desk",
      priority: "high",
      dueAt: Date.parse("2026-03-01T09:00:00.000Z") + 4 * 3_600_000,
      summary: "order-to-cash held at credit-check: CREDIT_LIMIT: Over the credit limit for [REDACTED]",
      reference: {
        flowId: "o2c:1",
        flow: "order-to-cash",
        step: "credit-check",
        correlationId: "corr-o2c:1",
        partner: "erp",
      },
    });
    expect((await feed.poll()).created).toEqual([]);
    const again = (await flows.get("o2c:1"))!;
    again.hold = { ...again.hold!, at: "2026-03-02T09:00:00.000Z" };
    again.revision += 1;
    await flows.save(again);
    const rehold = await feed.poll();
    expect(rehold.created.map((created) => created.sourceRef)).toEqual([
      "flow-hold:o2c:1@2026-03-02T09:00:00.000Z",
    ]);
    // The first hold is gone (released, then held again): its item is resolved by the feed.
    expect(rehold.resolved.map((resolved) => [resolved.sourceRef, resolved.resolution!.by])).toEqual([
      ["flow-hold:o2c:1@2026-03-01T09:00:00.000Z", "exception-feed"],
    ]);
    const released = (await flows.get("o2c:1"))!;
    released.status = "completed";
    delete released.hold;
    released.revision += 1;
    await flows.save(released);
    expect((await feed.poll()).resolved.map((resolved) => resolved.sourceRef)).toEqual([
      "flow-hold:o2c:1@2026-03-02T09:00:00.000Z",
    ]);
    expect(await store.list()).toEqual([]);
  });

  it("routes a hold as soon as the process manager audits it, through the audit decorator", async () => {
    const flows = createMemoryFlowStore();
    const store = createMemoryExceptionQueueStore();
    const errors: unknown[] = [];
    const feed = createExceptionFeed({ router, store, flows, onError: (error) => errors.push(error) });
    const audit = triggerExceptionFeedOnHolds(createInMemoryAuditLog(), feed);
    // What a process manager does on a hold: save the instance, then audit the "held" phase.
    await flows.create(held("o2c:7", "2026-03-01T09:00:00.000Z"));
    await audit.record({
      correlationId: "corr-o2c:7",
      system: "erp",
      step: "credit-check",
      outcome: "failure",
      at: "2026-03-01T09:00:00.000Z",
      details: { phase: "held", instanceId: "o2c:7", code: "CREDIT_LIMIT" },
    });
    await waitUntil(async () => (await store.list()).length === 1);
    expect((await store.list())[0]!.queue).toBe("credit-desk");
    expect(await audit.list({ correlationId: "corr-o2c:7" })).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it("leaves alone the items of flows it does not know (another service sharing the store)", async () => {
    const ours = createMemoryFlowStore();
    const theirs = createMemoryFlowStore();
    await theirs.create(held("o2c:9", "2026-03-01T09:00:00.000Z"));
    const store = createMemoryExceptionQueueStore();
    await createExceptionFeed({ router, store, flows: theirs }).poll();
    const report = await createExceptionFeed({ router, store, flows: ours }).poll();
    expect(report.resolved).toEqual([]);
    expect(await store.list()).toHaveLength(1);
  });

  it("leaves items of released flows open when told to", async () => {
    const flows = createMemoryFlowStore();
    await flows.create(held("o2c:1", "2026-03-01T09:00:00.000Z"));
    const store = createMemoryExceptionQueueStore();
    const feed = createExceptionFeed({ router, store, flows, resolveReleasedHolds: false });
    await feed.poll();
    const released = (await flows.get("o2c:1"))!;
    released.status = "completed";
    delete released.hold;
    released.revision += 1;
    await flows.save(released);
    expect((await feed.poll()).resolved).toEqual([]);
    expect(await store.list()).toHaveLength(1);
  });
});

describe("resolveException", () => {
  it("replays the dead letter through the callback, resolves with the event id, and does it once", async () => {
    const bus = createBus();
    let fail = true;
    const handled: string[] = [];
    const subscription = await bus.subscribe({
      name: "erp-booking",
      handler: (event) => {
        if (fail) throw new DistroError("SHORT_STOCK", "Only 3 of 5 on hand");
        handled.push(event.subject!);
      },
    });
    await bus.publish(createEvent({ type: "order.submitted", source: "/shop", subject: "1001", data: {} }));
    await waitUntil(() => subscription.stats.deadLettered === 1);
    const store = createMemoryExceptionQueueStore();
    const [item] = (await createExceptionFeed({ router, store, deadLetters: bus.deadLetters }).poll())
      .created;
    fail = false;
    let replays = 0;
    const replay = async (deadLetterId: string) => {
      replays += 1;
      return bus.replay(deadLetterId);
    };
    const resolved = await resolveException({
      store,
      id: item!.id,
      by: "jane",
      note: "stock counted",
      at: 9,
      replay,
    });
    await waitUntil(() => handled.length === 1);
    expect(resolved).toMatchObject({
      status: "resolved",
      resolution: { by: "jane", note: "stock counted", at: 9 },
    });
    expect(resolved.resolution!.replayEventId).toBe(
      (await bus.deadLetters.get(item!.reference.deadLetterId!))!.replays[0]!.eventId,
    );
    expect(await resolveException({ store, id: item!.id, by: "li", note: "again", at: 10, replay })).toEqual(
      resolved,
    );
    expect(replays).toBe(1);
    await expect(resolveException({ store, id: "missing", by: "x", note: "n", at: 1 })).rejects.toMatchObject(
      {
        code: "NOT_FOUND",
      },
    );
    await bus.close();
  });

  it("refuses a replay for an item without a dead letter", async () => {
    const store = createMemoryExceptionQueueStore();
    const flows = createMemoryFlowStore();
    await flows.create(held("o2c:1", "2026-03-01T09:00:00.000Z"));
    const [item] = (await createExceptionFeed({ router, store, flows }).poll()).created;
    await expect(
      resolveException({ store, id: item!.id, by: "x", note: "n", at: 1, replay: async () => ({ id: "e" }) }),
    ).rejects.toMatchObject({ code: "EXCEPTION_NOT_REPLAYABLE" });
    expect((await resolveException({ store, id: item!.id, by: "x", note: "released", at: 1 })).status).toBe(
      "resolved",
    );
  });
});
