import {
  type AuditEntry,
  DistroError,
  type ExceptionFilter,
  type ExceptionItem,
  type ExceptionKind,
  type ExceptionQueueStats,
  type ExceptionStatus,
  type IdempotencyStore,
  idempotent,
  NotFoundError,
  type Redactor,
  resolveException,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import { type Bar, badge, barChart, formatDuration, type Html, html } from "./html";
import type { ExceptionsSource } from "./sources";

const STATUSES: readonly (ExceptionStatus | "unresolved" | "all")[] = [
  "unresolved",
  "open",
  "assigned",
  "resolved",
  "all",
];
const KINDS: readonly ExceptionKind[] = ["dead-letter", "flow-hold", "edi-rejection", "other"];
const TEXT_FILTERS = ["queue", "assignee", "errorCode", "partner", "correlationId"] as const;
const ITEM_ID = /^[0-9a-f]{32}$/;

/**
 * What the exceptions section needs from the console around it (internal to the console).
 *
 * @example
 * ```ts
 * const section = createExceptionsSection({ base: "/ops", source, redactor, clock, actions, retentionMs, audit, refuse });
 * ```
 */
export interface ExceptionsContext {
  base: string;
  source: ExceptionsSource;
  redactor: Redactor;
  clock: () => number;
  actions: IdempotencyStore;
  retentionMs: number;
  /** Records a console action in the audit trail (when one is configured). */
  audit: (entry: Omit<AuditEntry, "at">) => Promise<void>;
  /** Replays a dead letter once per dead letter (the console's own replay), when a bus is given. */
  replay?: (deadLetterId: string, actor: string) => Promise<{ eventId: string }>;
  /** Builds the console's answered refusal (status, code, message). */
  refuse: (status: number, code: string, message: string) => Error;
}

function invalid(message: string, path: string, text: string, code = "invalid_value"): ValidationError {
  return new ValidationError(message, [{ code, path: [path], message: text }]);
}

/**
 * The Exceptions section of the console (internal; `createConsole` mounts it when
 * `sources.exceptions` is given): queues with counts, overdue items and the age
 * of the oldest; items by queue, status and filters; one item with its references; and
 * the assign and resolve actions (resolve may replay the item's dead letter).
 *
 * @param context - what it needs from the console
 * @returns the JSON answers, the pages and the actions
 * @example
 * ```ts
 * const section = createExceptionsSection(context);
 * const body = await section.listJson(new URLSearchParams("queue=credit-desk"));
 * ```
 */
export function createExceptionsSection(context: ExceptionsContext) {
  const { base, source, redactor, clock } = context;
  const store = source.store;

  const filterOf = (fields: (name: string) => string | null): ExceptionFilter => {
    const filter: ExceptionFilter = {};
    const found: ValidationIssue[] = [];
    for (const name of TEXT_FILTERS) {
      const value = fields(name);
      if (value === null || value === "") continue;
      if (value.length > 200)
        found.push({ code: "too_big", path: [name], message: `${name} is longer than 200 characters` });
      else filter[name] = value;
    }
    const status = fields("status");
    if (status !== null && status !== "") {
      if (!STATUSES.includes(status as ExceptionStatus))
        found.push({
          code: "invalid_enum_value",
          path: ["status"],
          message: `status must be one of ${STATUSES.join(", ")}`,
        });
      else if (status !== "unresolved") filter.status = status as ExceptionStatus | "all";
    }
    const kind = fields("kind");
    if (kind !== null && kind !== "") {
      if (!KINDS.includes(kind as ExceptionKind))
        found.push({
          code: "invalid_enum_value",
          path: ["kind"],
          message: `kind must be one of ${KINDS.join(", ")}`,
        });
      else filter.kind = kind as ExceptionKind;
    }
    const limit = fields("limit");
    if (limit !== null && limit !== "") {
      const value = Number(limit);
      if (!Number.isInteger(value) || value < 1 || value > 1_000)
        found.push({
          code: "too_big",
          path: ["limit"],
          message: "limit must be a whole number from 1 to 1000",
        });
      else filter.limit = value;
    }
    if (found.length > 0) throw new ValidationError("Invalid exception filter", found);
    return filter;
  };

  const idFrom = (segment: string): string => {
    if (!ITEM_ID.test(segment))
      throw invalid("Invalid exception id", "id", "An exception id is 32 hex digits");
    return segment;
  };

  const itemView = (item: ExceptionItem) => {
    const now = clock();
    return {
      id: item.id,
      queue: item.queue,
      priority: item.priority,
      status: item.status,
      kind: item.kind,
      errorCode: item.errorCode,
      rule: item.rule,
      summary: item.summary,
      assignee: item.assignee,
      reference: item.reference,
      occurredAt: new Date(item.occurredAt).toISOString(),
      ageMs: Math.max(0, now - item.occurredAt),
      dueAt: item.dueAt === undefined ? undefined : new Date(item.dueAt).toISOString(),
      overdue: item.status !== "resolved" && item.dueAt !== undefined && item.dueAt < now,
      createdAt: new Date(item.createdAt).toISOString(),
      updatedAt: new Date(item.updatedAt).toISOString(),
      resolution: item.resolution
        ? {
            by: item.resolution.by,
            note: item.resolution.note,
            at: new Date(item.resolution.at).toISOString(),
            replayEventId: item.resolution.replayEventId,
          }
        : undefined,
    };
  };

  type ItemView = ReturnType<typeof itemView>;

  /** Every queue with its counts: the configured queues first (even when empty), then any other. */
  const queuesView = async () => {
    const now = clock();
    const stats = new Map<string, ExceptionQueueStats>();
    for (const queue of source.queues ?? []) stats.set(queue, { queue, open: 0, assigned: 0, overdue: 0 });
    for (const found of await store.stats(now)) stats.set(found.queue, found);
    return [...stats.values()].map((found) => ({
      queue: found.queue,
      open: found.open,
      assigned: found.assigned,
      overdue: found.overdue,
      oldestAgeMs:
        found.oldestOccurredAt === undefined ? undefined : Math.max(0, now - found.oldestOccurredAt),
    }));
  };

  const load = async (id: string) => {
    const item = await store.get(id);
    if (!item) throw new NotFoundError(`No exception ${id}`, { details: { id } });
    return item;
  };

  // ---------------------------------------------------------------- actions

  /** One assign of one item at a time in this process: a double click waits, then finds it assigned. */
  const assignLocks = new Map<string, Promise<unknown>>();

  const assign = (id: string, assignee: string, actor: string) => {
    const previous = assignLocks.get(id) ?? Promise.resolve();
    const run = previous.then(() => assignNow(id, assignee, actor));
    const settled = run.catch(() => undefined);
    assignLocks.set(id, settled);
    void settled.then(() => {
      if (assignLocks.get(id) === settled) assignLocks.delete(id);
    });
    return run;
  };

  const assignNow = async (id: string, assignee: string, actor: string) => {
    const item = await load(id);
    if (item.status === "resolved")
      throw new DistroError("EXCEPTION_RESOLVED", `Exception ${id} is already resolved`, {
        details: { id, status: item.status },
      });
    // Assigning to whoever has it already changes nothing: a double click writes once.
    if (item.assignee === assignee) return itemView(item);
    const assigned = await store.assign(id, assignee, clock());
    await context.audit({
      correlationId: item.reference.correlationId ?? `exception:${id}`,
      system: "console",
      step: "exception.assign",
      outcome: "success",
      actor,
      details: { exceptionId: id, queue: item.queue, assignee, previous: item.assignee },
    });
    return itemView(assigned);
  };

  const resolve = async (id: string, note: string, replay: boolean, actor: string) =>
    idempotent(
      async () => {
        const item = await load(id);
        if (item.status === "resolved") return itemView(item);
        if (replay && item.reference.deadLetterId === undefined)
          throw context.refuse(
            409,
            "EXCEPTION_NOT_REPLAYABLE",
            `Exception ${id} has no dead letter to replay`,
          );
        const replayer = context.replay;
        if (replay && !replayer)
          throw context.refuse(409, "REPLAY_UNAVAILABLE", "Replay needs the bus: pass sources.bus");
        const resolved = await resolveException({
          store,
          id,
          by: actor,
          note,
          at: clock(),
          ...(replay && replayer
            ? {
                replay: async (deadLetterId: string) => ({
                  id: (await replayer(deadLetterId, actor)).eventId,
                }),
              }
            : {}),
        });
        await context.audit({
          correlationId: item.reference.correlationId ?? `exception:${id}`,
          system: "console",
          step: "exception.resolve",
          outcome: "success",
          actor,
          details: {
            exceptionId: id,
            queue: item.queue,
            note,
            ...(resolved.resolution?.replayEventId
              ? { replayEventId: resolved.resolution.replayEventId }
              : {}),
          },
        });
        return itemView(resolved);
      },
      {
        store: context.actions,
        key: id,
        scope: { system: "console", operation: "exception.resolve" },
        inProgressExpiryMs: 60_000,
        retentionMs: context.retentionMs,
        waitForInFlightMs: 10_000,
        pollIntervalMs: 10,
      },
    );

  /** Runs an action on one item; answers the body and where a form goes next. */
  const act = async (
    segment: string,
    action: string,
    fields: Map<string, string>,
    actor: string,
  ): Promise<{ body: unknown; redirect: string }> => {
    const id = idFrom(segment);
    const page = `${base}/exceptions/${id}`;
    if (action === "assign") {
      const assignee = (fields.get("assignee") ?? "").trim() || actor;
      if (assignee.length > 200)
        throw invalid("The assignee is too long", "assignee", "Expected at most 200 characters", "too_big");
      return { body: await assign(id, assignee, actor), redirect: `${page}?done=assigned` };
    }
    if (action === "resolve") {
      const note = (fields.get("note") ?? "").trim();
      if (note.length === 0)
        throw invalid("A resolution needs a note", "note", "Expected a non-empty note", "required");
      if (note.length > 2_000)
        throw invalid("The note is too long", "note", "Expected at most 2000 characters", "too_big");
      const replayField = fields.get("replay") ?? "false";
      if (!["true", "false", "on"].includes(replayField))
        throw invalid("Invalid replay flag", "replay", "replay must be true or false");
      const replay = replayField === "true" || replayField === "on";
      return { body: await resolve(id, note, replay, actor), redirect: `${page}?done=resolved` };
    }
    throw context.refuse(404, "NOT_FOUND", `No action ${action}`);
  };

  // ---------------------------------------------------------------- JSON

  const listJson = async (query: URLSearchParams) => {
    const filter = filterOf((name) => query.get(name));
    return {
      queues: await queuesView(),
      exceptions: (await store.list(filter)).map(itemView),
    };
  };

  const itemJson = async (segment: string) => ({ exception: itemView(await load(idFrom(segment))) });

  // ---------------------------------------------------------------- pages

  const referenceCell = (view: ItemView): Html => {
    const reference = view.reference;
    return html`${
      reference.deadLetterId
        ? html`<div>dead letter <a class="mono" href="${base}/dead-letters/${encodeURIComponent(reference.deadLetterId)}">${reference.deadLetterId.slice(0, 12)}</a></div>`
        : ""
    }${
      reference.flowId
        ? html`<div>flow <a class="mono" href="${base}/flows/${encodeURIComponent(reference.flowId)}">${reference.flowId}</a>${reference.step ? html` at <b>${reference.step}</b>` : ""}</div>`
        : ""
    }${reference.partner ? html`<div>partner <b>${reference.partner}</b></div>` : ""}${
      reference.correlationId
        ? html`<div class="mono"><a href="${base}/audit/${encodeURIComponent(reference.correlationId)}">${reference.correlationId}</a></div>`
        : ""
    }`;
  };

  const listPage = async (url: URL): Promise<Html> => {
    const filter = filterOf((name) => url.searchParams.get(name));
    const queues = redactor(await queuesView()) as Awaited<ReturnType<typeof queuesView>>;
    const items = redactor((await store.list(filter)).map(itemView)) as ItemView[];
    const field = (name: string) => url.searchParams.get(name) ?? "";
    const bars: Bar[] = queues.flatMap((queue) => [
      { label: `${queue.queue} open`, value: queue.open + queue.assigned, tone: "warn" as const },
      { label: `${queue.queue} overdue`, value: queue.overdue, tone: "bad" as const },
    ]);
    return html`<h1>Exceptions</h1>
<div class="card"><table data-table="exception-queues"><thead><tr><th>Queue</th><th>Open</th><th>Assigned</th><th>Overdue</th><th>Oldest</th></tr></thead><tbody>
${queues.map(
  (queue) =>
    html`<tr data-queue="${queue.queue}"><td><a href="${base}/exceptions?queue=${encodeURIComponent(queue.queue)}"><b>${queue.queue}</b></a></td><td>${queue.open}</td><td>${queue.assigned}</td><td>${
      queue.overdue > 0 ? badge("overdue") : ""
    } ${queue.overdue}</td><td>${formatDuration(queue.oldestAgeMs)}</td></tr>`,
)}</tbody></table>${queues.length === 0 ? html`<p class="muted">No queue has an item.</p>` : ""}</div>
<div class="card"><h2>By queue</h2>${barChart(
      "Unresolved and overdue exceptions by queue",
      bars.filter((bar) => bar.value > 0),
    )}</div>
<div class="card"><form method="get" class="filters" action="${base}/exceptions">
<label>Queue<input name="queue" value="${field("queue")}"></label>
<label>Status<select name="status">${STATUSES.map(
      (status) =>
        html`<option${(field("status") || "unresolved") === status ? html` selected` : ""}>${status}</option>`,
    )}</select></label>
<label>Kind<select name="kind"><option value="">any</option>${KINDS.map(
      (kind) => html`<option${field("kind") === kind ? html` selected` : ""}>${kind}</option>`,
    )}</select></label>
<label>Assignee<input name="assignee" value="${field("assignee")}"></label>
<label>Error code<input name="errorCode" value="${field("errorCode")}"></label>
<label>Partner<input name="partner" value="${field("partner")}"></label><button>Filter</button></form></div>
<div class="card"><table data-table="exceptions"><thead><tr><th>Priority</th><th>Queue</th><th>Summary</th><th>Refers to</th><th>Age</th><th>Due</th><th>Status</th></tr></thead><tbody>
${items.map(
  (item) =>
    html`<tr data-exception-id="${item.id}"><td>${badge(item.priority)}</td><td>${item.queue}</td><td><a href="${base}/exceptions/${item.id}">${item.summary}</a><div class="muted">${item.kind}${item.rule ? ` · ${item.rule}` : ""}</div></td><td>${referenceCell(item)}</td><td>${formatDuration(item.ageMs)}</td><td class="mono">${item.dueAt ?? ""}${item.overdue ? html` ${badge("overdue")}` : ""}</td><td>${badge(item.status)}${item.assignee ? html`<div>${item.assignee}</div>` : ""}</td></tr>`,
)}</tbody></table>${items.length === 0 ? html`<p class="muted">No exception matches.</p>` : ""}</div>`;
  };

  const notice = (url: URL): Html => {
    const done = url.searchParams.get("done");
    if (done === "assigned") return html`<div class="flash ok" role="status">Assigned.</div>`;
    if (done === "resolved") return html`<div class="flash ok" role="status">Resolved.</div>`;
    return html``;
  };

  const itemPage = async (segment: string, url: URL, token: string): Promise<Html> => {
    const view = redactor(itemView(await load(idFrom(segment)))) as ItemView;
    const action = (name: string) => `${base}/exceptions/${view.id}/${name}`;
    const canReplay = view.reference.deadLetterId !== undefined && context.replay !== undefined;
    return html`<h1>Exception ${badge(view.priority)} ${badge(view.status)}</h1>${notice(url)}
<div class="card"><table><tbody>
<tr><th>Summary</th><td data-field="summary">${view.summary}</td></tr>
<tr><th>Queue</th><td><a href="${base}/exceptions?queue=${encodeURIComponent(view.queue)}">${view.queue}</a>${view.rule ? html` <span class="muted">by rule ${view.rule}</span>` : html` <span class="muted">(no rule matched)</span>`}</td></tr>
<tr><th>Kind</th><td>${view.kind}</td></tr><tr><th>Error code</th><td class="mono">${view.errorCode ?? ""}</td></tr>
<tr><th>Refers to</th><td>${referenceCell(view)}</td></tr>
<tr><th>Happened</th><td class="mono">${view.occurredAt} <span class="muted">(${formatDuration(view.ageMs)} ago)</span></td></tr>
<tr><th>Due</th><td class="mono">${view.dueAt ?? "no SLA"}${view.overdue ? html` ${badge("overdue")}` : ""}</td></tr>
<tr><th>Assignee</th><td>${view.assignee ?? html`<span class="muted">nobody</span>`}</td></tr>
${view.resolution ? html`<tr><th>Resolved</th><td>by <b>${view.resolution.by}</b> at <span class="mono">${view.resolution.at}</span>: ${view.resolution.note}${view.resolution.replayEventId ? html`<div class="muted mono">replayed as ${view.resolution.replayEventId}</div>` : ""}</td></tr>` : ""}
</tbody></table></div>
${
  view.status === "resolved"
    ? ""
    : html`<div class="card"><h2>Act</h2>
<form method="post" class="filters" action="${action("assign")}" data-action="assign"><input type="hidden" name="csrf" value="${token}">
<label>Assign to<input name="assignee" placeholder="me" maxlength="200"></label><button class="secondary">Assign</button></form>
<form method="post" class="filters" action="${action("resolve")}" data-action="resolve" style="margin-top:10px"><input type="hidden" name="csrf" value="${token}">
<label>Resolution note<input name="note" required maxlength="2000" size="60"></label>${
        canReplay
          ? html`<label>Replay the dead letter<input type="checkbox" name="replay" value="true"></label>`
          : ""
      }<button>Resolve</button></form></div>`
}`;
  };

  return { act, listJson, itemJson, listPage, itemPage };
}
