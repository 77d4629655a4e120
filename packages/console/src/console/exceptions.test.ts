import {
  createExceptionFeed,
  createExceptionRouter,
  createInMemoryAuditLog,
  createMemoryExceptionQueueStore,
  createMemoryFlowStore,
  type ExceptionItem,
  type ExceptionQueueStore,
  triggerExceptionFeedOnHolds,
} from "@distro/core";
import { waitUntil } from "@distro/core/testing";
import { createProcessManager, defineFlow, FlowHold, task } from "@distro/orchestration";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "../metrics/registry";
import { client, orderScenario, serve } from "./console.test-helper";
import { createConsole } from "./create-console";
import { registerExceptionMetrics } from "./exception-metrics";

const KEY = "ops-key-123";
const authorize = (request: Request) => request.headers.get("x-ops-key") === KEY;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const router = createExceptionRouter({
  rules: [
    {
      name: "credit holds",
      match: { kind: "flow-hold", errorCode: "CREDIT_*" },
      queue: "credit-desk",
      priority: "high",
      slaMs: 3_600_000,
    },
    {
      name: "unknown orders",
      match: { errorCode: "NOT_FOUND", subscriber: "erp-confirmations" },
      queue: "erp-support",
    },
    { name: "edi", match: { partner: "acme" }, queue: "edi-support" },
  ],
  defaultQueue: "integration-support",
});

/**
 * The order-to-cash scenario with exception queues: a confirmation for an unknown order
 * is dead-lettered (it carries a customer's email, phone and card number), and a credit
 * flow is held for a person; the feed routes both.
 */
async function setup(options: { slowAssign?: boolean } = {}) {
  const scenario = await orderScenario();
  closers.push(() => scenario.bus.close());
  let approved = false;
  scenario.manager.register(
    defineFlow("credit", [
      task("credit-check", async () => {
        if (!approved) throw new FlowHold("CREDIT_LIMIT", "Over the limit for jane.roe@example.com");
        return "approved";
      }),
    ]),
  );
  await scenario.manager.start("credit", {}, { id: "credit:1", correlationId: "corr-credit-1" });
  await scenario.confirm("1001");
  await waitUntil(async () => (await scenario.bus.deadLetters.list()).length === 1);
  const memory = createMemoryExceptionQueueStore();
  // A store whose writes take a while, so two requests both read before either writes.
  const store: ExceptionQueueStore = options.slowAssign
    ? {
        ...memory,
        assign: async (id, assignee, at) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return memory.assign(id, assignee, at);
        },
      }
    : memory;
  const feed = createExceptionFeed({
    router,
    store,
    deadLetters: scenario.bus.deadLetters,
    flows: scenario.manager,
  });
  const { created } = await feed.poll();
  let now = Date.now();
  const handler = createConsole({
    basePath: "/ops",
    authorize,
    actor: (request) => request.headers.get("x-ops-user") ?? undefined,
    clock: () => now,
    sources: {
      flows: scenario.manager,
      audit: scenario.audit,
      bus: scenario.bus,
      exceptions: { store, queues: router.queues },
    },
  });
  const server = await serve(handler);
  closers.push(server.close);
  const http = client(server.origin, { "x-ops-key": KEY, "x-ops-user": "ops:jane" });
  const byQueue = (queue: string) => created.find((item) => item.queue === queue)!;
  return {
    scenario,
    store,
    server,
    http,
    held: byQueue("credit-desk"),
    dead: byQueue("erp-support"),
    approve: () => {
      approved = true;
    },
    advance: (milliseconds: number) => {
      now += milliseconds;
    },
  };
}

describe("Exceptions page", () => {
  it("lists every queue with counts and the items, redacted, behind the auth hook", async () => {
    const { http, server, held, dead } = await setup();
    expect(held).toMatchObject({ kind: "flow-hold", priority: "high" });
    expect(dead).toMatchObject({ kind: "dead-letter", errorCode: "NOT_FOUND" });

    const response = await http.get("/ops/api/exceptions");
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      queues: { queue: string; open: number }[];
      exceptions: { id: string; queue: string; summary: string }[];
    };
    expect(body.queues.map((queue) => [queue.queue, queue.open])).toEqual([
      ["credit-desk", 1],
      ["erp-support", 1],
      ["edi-support", 0],
      ["integration-support", 0],
    ]);
    expect(body.exceptions.map((item) => item.queue)).toEqual(["credit-desk", "erp-support"]);
    const text = JSON.stringify(body);
    for (const secret of ["jane.roe@example.com", "4111 1111 1111 1111", "tok_live_9f8e7d6c5b4a", "+44 20"])
      expect(text).not.toContain(secret);

    const page = await (await http.get("/ops/exceptions?queue=credit-desk")).text();
    expect(page).toContain('href="/ops/exceptions"');
    expect(page).toContain('data-table="exception-queues"');
    expect(page).toContain(`data-exception-id="${held.id}"`);
    expect(page).not.toContain(`data-exception-id="${dead.id}"`);
    expect(page).toContain("CREDIT_LIMIT");
    expect(page).not.toContain("jane.roe@example.com");

    const stranger = client(server.origin);
    for (const path of ["/ops/exceptions", "/ops/api/exceptions", `/ops/api/exceptions/${held.id}`])
      expect((await stranger.get(path)).status, path).toBe(403);
  });

  it("validates filters and ids with 400s that name the field", async () => {
    const { http } = await setup();
    const bad = await http.get("/ops/api/exceptions?status=closed&kind=x&limit=0");
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { issues: { path: string[] }[] }).issues.map((found) => found.path),
    ).toEqual([["status"], ["kind"], ["limit"]]);
    expect((await http.get("/ops/api/exceptions/not-an-id")).status).toBe(400);
    expect((await http.get(`/ops/api/exceptions/${"0".repeat(32)}`)).status).toBe(404);
  });

  it("assigns with CSRF, once per double click, and audits who did it", async () => {
    const { http, held, store, scenario } = await setup({ slowAssign: true });
    const path = `/ops/api/exceptions/${held.id}/assign`;
    expect((await http.postJson(path, { assignee: "li" })).status).toBe(403);
    expect((await store.get(held.id))!.status).toBe("open");
    const token = await http.token("/ops");
    const [first, second] = await Promise.all([
      http.postJson(path, {}, { "x-csrf-token": token }),
      http.postJson(path, {}, { "x-csrf-token": token }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await store.get(held.id))!).toMatchObject({ status: "assigned", assignee: "ops:jane" });
    const entries = (await scenario.audit.list({ correlationId: "corr-credit-1" })).filter(
      (entry) => entry.step === "exception.assign",
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: "ops:jane", details: { assignee: "ops:jane" } });
    // Reassigning to someone else is a new action.
    const reassigned = await http.postJson(path, { assignee: "li" }, { "x-csrf-token": token });
    expect(((await reassigned.json()) as ExceptionItem).assignee).toBe("li");
  });

  it("resolves with a note and replays the dead letter once, however often the form is sent", async () => {
    const { http, dead, store, scenario } = await setup();
    await scenario.book("1001");
    const page = await (await http.get(`/ops/exceptions/${dead.id}`)).text();
    expect(page).toContain('data-action="resolve"');
    expect(page).toContain('name="replay"');
    const token = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const form = { csrf: token, note: "order booked; replaying the confirmation", replay: "true" };
    const answers = await Promise.all([
      http.postForm(`/ops/exceptions/${dead.id}/resolve`, form),
      http.postForm(`/ops/exceptions/${dead.id}/resolve`, form),
      http.postJson(`/ops/api/exceptions/${dead.id}/resolve`, form, { "x-csrf-token": token }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([303, 303, 200]);
    expect(answers[0]!.headers.get("location")).toBe(`/ops/exceptions/${dead.id}?done=resolved`);
    const resolved = (await store.get(dead.id))!;
    expect(resolved).toMatchObject({
      status: "resolved",
      resolution: { by: "ops:jane", note: "order booked; replaying the confirmation" },
    });
    const entry = (await scenario.bus.deadLetters.get(dead.reference.deadLetterId!))!;
    expect(entry.status).toBe("replayed");
    expect(entry.replays).toHaveLength(1);
    expect(resolved.resolution!.replayEventId).toBe(entry.replays[0]!.eventId);
    await waitUntil(async () => (await scenario.manager.get("o2c:1001"))?.status === "completed");
    expect([...scenario.handled.values()].reduce((sum, count) => sum + count, 0)).toBe(2);

    const after = await (await http.get(`/ops/exceptions/${dead.id}?done=resolved`)).text();
    expect(after).toContain("Resolved.");
    expect(after).not.toContain('data-action="resolve"');
    // Assigning a resolved item is a conflict, not a change.
    const late = await http.postJson(`/ops/api/exceptions/${dead.id}/assign`, {}, { "x-csrf-token": token });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ code: "EXCEPTION_RESOLVED" });
  });

  it("refuses a resolve without a note, and a replay for a held flow, changing nothing", async () => {
    const { http, held, store, approve, scenario } = await setup();
    const token = await http.token("/ops");
    const path = `/ops/api/exceptions/${held.id}/resolve`;
    const noNote = await http.postJson(path, { note: "  " }, { "x-csrf-token": token });
    expect(noNote.status).toBe(400);
    expect(await noNote.json()).toMatchObject({ issues: [{ path: ["note"] }] });
    const replay = await http.postJson(path, { note: "x", replay: "true" }, { "x-csrf-token": token });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ code: "EXCEPTION_NOT_REPLAYABLE" });
    expect((await store.get(held.id))!.status).toBe("open");
    // The person releases the flow, then resolves the item with what they did.
    approve();
    await scenario.manager.release("credit:1", { note: "approved" });
    const done = await http.postJson(
      path,
      { note: "credit approved, flow released" },
      { "x-csrf-token": token },
    );
    expect(done.status).toBe(200);
    expect(((await done.json()) as ExceptionItem).status).toBe("resolved");
  });

  it("shows overdue items once their SLA has passed", async () => {
    const { http, advance, held } = await setup();
    advance(2 * 3_600_000);
    const body = (await (await http.get("/ops/api/exceptions")).json()) as {
      queues: { queue: string; overdue: number; oldestAgeMs: number }[];
      exceptions: { id: string; overdue: boolean }[];
    };
    expect(body.queues.find((queue) => queue.queue === "credit-desk")).toMatchObject({ overdue: 1 });
    expect(body.queues[0]!.oldestAgeMs).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(body.exceptions.find((item) => item.id === held.id)!.overdue).toBe(true);
    const page = await (await http.get(`/ops/exceptions/${held.id}`)).text();
    expect(page).toContain('data-status="overdue"');
  });

  it("exposes counts, overdue items and the oldest age per queue as metrics", async () => {
    const { store, held } = await setup();
    let now = Date.now();
    const metrics = registerExceptionMetrics(
      createMetricsRegistry(),
      { store, queues: router.queues },
      { clock: () => now },
    );
    now += 2 * 3_600_000;
    await store.assign(held.id, "jane", now);
    const text = await metrics.expose();
    expect(text).toContain('distro_exceptions{queue="credit-desk",status="assigned"} 1');
    expect(text).toContain('distro_exceptions{queue="erp-support",status="open"} 1');
    expect(text).toContain('distro_exceptions{queue="edi-support",status="open"} 0');
    expect(text).toContain('distro_exceptions_overdue{queue="credit-desk"} 1');
    const age = /distro_exception_oldest_age_seconds\{queue="credit-desk"\} ([0-9.]+)/.exec(text);
    expect(Number(age![1])).toBeGreaterThanOrEqual(7_200);
  });

  it("routes a real process manager's hold at once and resolves its item when the flow is released here", async () => {
    const store = createMemoryExceptionQueueStore();
    const flowStore = createMemoryFlowStore();
    const feed = createExceptionFeed({ router, store, flows: flowStore, flowPartner: () => "erp" });
    const audit = triggerExceptionFeedOnHolds(createInMemoryAuditLog(), feed);
    const manager = createProcessManager({ store: flowStore, audit });
    let approved = false;
    manager.register(
      defineFlow("credit", [
        task(
          "credit-check",
          async () => {
            if (!approved) throw new FlowHold("CREDIT_LIMIT", "Over the limit");
            return "approved";
          },
          { system: "erp" },
        ),
      ]),
    );
    await manager.start("credit", {}, { id: "credit:9", correlationId: "corr-credit-9" });
    await waitUntil(async () => (await store.list({ queue: "credit-desk" })).length === 1);
    const [item] = await store.list({ queue: "credit-desk" });
    expect(item!.reference).toMatchObject({ flowId: "credit:9", partner: "erp", step: "credit-check" });

    const server = await serve(
      createConsole({
        basePath: "/ops",
        authorize,
        sources: { flows: manager, audit, exceptions: { store, queues: router.queues } },
      }),
    );
    closers.push(server.close);
    const http = client(server.origin, { "x-ops-key": KEY });
    const page = await (await http.get(`/ops/exceptions/${item!.id}`)).text();
    expect(page).toContain('href="/ops/flows/credit%3A9"');
    expect(page).not.toContain('name="replay"');
    approved = true;
    const token = await http.token("/ops");
    const released = await http.postJson("/ops/api/flows/credit%3A9/release", {}, { "x-csrf-token": token });
    expect(released.status).toBe(200);
    await waitUntil(async () => (await store.get(item!.id))?.status === "resolved");
    expect((await store.get(item!.id))!.resolution).toMatchObject({
      by: "exception-feed",
      note: "The flow is no longer held",
    });
    await feed.stop();
  });

  it("any interleaving of assigns and resolves, doubled and concurrent, resolves once and replays at most once (property)", async () => {
    type Step = { kind: "assign"; who: string } | { kind: "resolve"; replay: boolean };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant("assign" as const), who: fc.constantFrom("li", "sam") }),
      fc.record({ kind: fc.constant("resolve" as const), replay: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          const scenario = await orderScenario();
          try {
            await scenario.confirm("1001");
            await waitUntil(async () => (await scenario.bus.deadLetters.list()).length === 1);
            await scenario.book("1001");
            const store = createMemoryExceptionQueueStore();
            const feed = createExceptionFeed({ router, store, deadLetters: scenario.bus.deadLetters });
            const [item] = (await feed.poll()).created;
            const handler = createConsole({
              basePath: "/ops",
              authorize,
              actor: () => "ops:jane",
              sources: { bus: scenario.bus, audit: scenario.audit, exceptions: { store } },
            });
            const csrf = await handler(
              new Request("http://127.0.0.1/ops/api/csrf", { headers: { "x-ops-key": KEY } }),
            );
            const { token } = (await csrf.json()) as { token: string };
            const post = (action: string, body: Record<string, string>) =>
              handler(
                new Request(`http://127.0.0.1/ops/api/exceptions/${item!.id}/${action}`, {
                  method: "POST",
                  headers: {
                    "x-ops-key": KEY,
                    "content-type": "application/json",
                    "x-csrf-token": token,
                    cookie: `distro_console_csrf=${token}`,
                  },
                  body: JSON.stringify(body),
                }),
              );
            for (const batch of batches) {
              const answers = await Promise.all(
                batch.map((one) =>
                  one.kind === "assign"
                    ? post("assign", { assignee: one.who })
                    : post("resolve", { note: "done", replay: String(one.replay) }),
                ),
              );
              for (const answer of answers) expect([200, 409]).toContain(answer.status);
            }
            const final = (await store.get(item!.id))!;
            const entry = (await scenario.bus.deadLetters.get(item!.reference.deadLetterId!))!;
            const resolves = (await scenario.audit.list({ correlationId: "corr-1001" })).filter(
              (audited) => audited.step === "exception.resolve",
            );
            const asked = batches.flat().some((one) => one.kind === "resolve");
            expect(final.status === "resolved").toBe(asked);
            expect(resolves).toHaveLength(asked ? 1 : 0);
            expect(entry.replays.length).toBeLessThanOrEqual(1);
            expect(final.resolution?.replayEventId).toBe(entry.replays[0]?.eventId);
          } finally {
            await scenario.bus.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});
