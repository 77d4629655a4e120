import { DistroError, isDistroError, type SerializedError } from "../errors/distro-error";
import { NotFoundError } from "../errors/kinds";
import type { AuditLog } from "../observability/audit-log";
import { redactText } from "../observability/redact";
import type { FlowFilter, FlowInstance } from "../process/flow-store";
import type { DeadLetterEntry, DeadLetterStore } from "./dead-letter";
import type { ExceptionFacts, ExceptionRouter } from "./exception-routing";
import type {
  ExceptionItem,
  ExceptionQueueStore,
  ExceptionReference,
  ExceptionResolution,
  NewExceptionItem,
} from "./exception-routing-store";

const SUMMARY_LIMIT = 300;

function chainOf(error: SerializedError): SerializedError[] {
  const chain: SerializedError[] = [];
  for (
    let link: SerializedError | undefined = error;
    link !== undefined && chain.length < 9;
    link = link.cause
  )
    chain.push(link);
  return chain;
}

function clip(text: string): string {
  const redacted = redactText(text);
  return redacted.length > SUMMARY_LIMIT ? `${redacted.slice(0, SUMMARY_LIMIT - 1)}…` : redacted;
}

/** The partner or system a dead letter's error chain names in its details (`partner`, then `system`). */
function partnerInChain(error: SerializedError): string | undefined {
  for (const link of chainOf(error)) {
    for (const key of ["partner", "system"]) {
      const value = link.details?.[key];
      if (typeof value === "string" && value.length > 0) return value;
    }
  }
  return undefined;
}

/**
 * The facts a router decides on for a dead letter: every error code of its cause chain
 * (outermost first), its event type, source and subscriber, and the partner or system
 * named in the chain's details (`partner`, else `system`) unless `partner` is given.
 *
 * @param entry - the dead letter
 * @param partner - the partner or system, when the caller knows it better
 * @returns the facts
 * @example
 * ```ts
 * import { deadLetterExceptionFacts } from "@distro/core";
 *
 * const facts = deadLetterExceptionFacts(entry);
 * router.explain(facts).reason;
 * ```
 */
export function deadLetterExceptionFacts(entry: DeadLetterEntry, partner?: string): ExceptionFacts {
  const facts: ExceptionFacts = {
    kind: "dead-letter",
    errorCodes: chainOf(entry.error).map((link) => link.code),
    subscriber: entry.subscriber,
    occurredAt: entry.firstFailedAt,
  };
  const named = partner ?? partnerInChain(entry.error);
  if (named !== undefined) facts.partner = named;
  if (entry.type !== undefined) facts.type = entry.type;
  if (entry.source !== undefined) facts.source = entry.source;
  return facts;
}

/**
 * The facts a router decides on for a held flow: the hold's code, the flow's name and
 * the partner or system when the caller knows it.
 *
 * @param instance - a flow instance with a `hold`
 * @param partner - the partner or system of the held step, when known
 * @returns the facts
 * @throws DistroError `FLOW_NOT_HELD` when the instance has no hold
 * @example
 * ```ts
 * import { flowHoldExceptionFacts } from "@distro/core";
 *
 * const facts = flowHoldExceptionFacts(instance, "erp");
 * ```
 */
export function flowHoldExceptionFacts(instance: FlowInstance, partner?: string): ExceptionFacts {
  if (!instance.hold)
    throw new DistroError("FLOW_NOT_HELD", `Flow instance ${instance.id} is ${instance.status}, not held`, {
      details: { id: instance.id, status: instance.status },
    });
  const at = Date.parse(instance.hold.at);
  const facts: ExceptionFacts = {
    kind: "flow-hold",
    errorCodes: [instance.hold.code],
    flow: instance.flow,
    occurredAt: Number.isFinite(at) ? at : Date.parse(instance.updatedAt),
  };
  if (partner !== undefined) facts.partner = partner;
  return facts;
}

/**
 * The item a routed dead letter becomes: `sourceRef` `dead-letter:<id>`, a redacted
 * one-line summary (error code and message, never the message body), and references.
 *
 * @param entry - the dead letter
 * @param router - the router
 * @param partner - the partner or system, when the caller knows it better
 * @returns the item to add
 * @example
 * ```ts
 * import { deadLetterExceptionItem } from "@distro/core";
 *
 * await exceptions.add(deadLetterExceptionItem(entry, router), Date.now());
 * ```
 */
export function deadLetterExceptionItem(
  entry: DeadLetterEntry,
  router: ExceptionRouter,
  partner?: string,
): NewExceptionItem {
  const facts = deadLetterExceptionFacts(entry, partner);
  const routing = router.route(facts);
  const item: NewExceptionItem = {
    sourceRef: `dead-letter:${entry.id}`,
    kind: "dead-letter",
    queue: routing.queue,
    priority: routing.priority,
    errorCode: entry.error.code,
    summary: clip(
      `${entry.type ?? "unreadable message"} for ${entry.subscriber}: ${entry.error.code}: ${entry.error.message}`,
    ),
    reference: { deadLetterId: entry.id, subscriber: entry.subscriber },
    occurredAt: facts.occurredAt,
  };
  if (routing.dueAt !== undefined) item.dueAt = routing.dueAt;
  if (routing.rule) item.rule = routing.rule.name;
  if (facts.partner !== undefined) item.reference.partner = facts.partner;
  if (entry.correlationId !== undefined) item.reference.correlationId = entry.correlationId;
  if (entry.type !== undefined) item.reference.type = entry.type;
  if (entry.source !== undefined) item.reference.source = entry.source;
  return item;
}

/**
 * The item a held flow becomes: `sourceRef` `flow-hold:<instance>@<held at>` (a flow
 * held again after a release makes a new item), a redacted summary and references.
 *
 * @param instance - a flow instance with a `hold`
 * @param router - the router
 * @param partner - the partner or system of the held step, when known
 * @returns the item to add
 * @throws DistroError `FLOW_NOT_HELD` when the instance has no hold
 * @example
 * ```ts
 * import { flowHoldExceptionItem } from "@distro/core";
 *
 * await exceptions.add(flowHoldExceptionItem(instance, router), Date.now());
 * ```
 */
export function flowHoldExceptionItem(
  instance: FlowInstance,
  router: ExceptionRouter,
  partner?: string,
): NewExceptionItem {
  const facts = flowHoldExceptionFacts(instance, partner);
  const hold = instance.hold!;
  const routing = router.route(facts);
  const item: NewExceptionItem = {
    sourceRef: `flow-hold:${instance.id}@${hold.at}`,
    kind: "flow-hold",
    queue: routing.queue,
    priority: routing.priority,
    errorCode: hold.code,
    summary: clip(`${instance.flow} held at ${hold.step}: ${hold.code}: ${hold.reason}`),
    reference: {
      flowId: instance.id,
      flow: instance.flow,
      step: hold.step,
      correlationId: instance.correlationId,
    },
    occurredAt: facts.occurredAt,
  };
  if (routing.dueAt !== undefined) item.dueAt = routing.dueAt;
  if (routing.rule) item.rule = routing.rule.name;
  if (partner !== undefined) item.reference.partner = partner;
  return item;
}

/**
 * What {@link routedExceptionItem} needs besides the facts: the source reference, a
 * sentence for people and the references.
 *
 * @example
 * ```ts
 * const about: ExceptionItemDetails = { sourceRef: "edi-999:acme:000000123", summary: "855 rejected by acme", reference: { partner: "acme" } };
 * ```
 */
export interface ExceptionItemDetails {
  /** What the item stands for, unique per problem (e.g. `edi-999:<partner>:<control number>`). */
  sourceRef: string;
  /** A sentence for people; it is redacted (`redactText`) and cut to 300 characters. */
  summary: string;
  /** Where the underlying problem is (ids and names only). */
  reference?: ExceptionReference;
}

/**
 * Routes any problem the feed does not read itself (an EDI rejection, a failed file
 * import) into an item: the router decides queue, priority and due time from the facts;
 * the summary is redacted. Add it with `store.add(item, now)`, which is idempotent by
 * `sourceRef`.
 *
 * @param facts - what failed, where and for whom
 * @param router - the router
 * @param details - source reference, summary and references
 * @returns the item to add
 * @example
 * ```ts
 * import { routedExceptionItem } from "@distro/core";
 *
 * // A 999 from the partner rejected our 855 (AK9 "R").
 * const item = routedExceptionItem(
 *   { kind: "edi-rejection", errorCodes: ["EDI_REJECTED", "IK5_R"], partner: "acme", type: "855", occurredAt: Date.now() },
 *   router,
 *   { sourceRef: "edi-999:acme:000000123", summary: "855 for PO 4500012345 rejected by acme (IK304 = 7)", reference: { partner: "acme" } },
 * );
 * await exceptions.add(item, Date.now());
 * ```
 */
export function routedExceptionItem(
  facts: ExceptionFacts,
  router: ExceptionRouter,
  details: ExceptionItemDetails,
): NewExceptionItem {
  const routing = router.route(facts);
  const item: NewExceptionItem = {
    sourceRef: details.sourceRef,
    kind: facts.kind,
    queue: routing.queue,
    priority: routing.priority,
    summary: clip(details.summary),
    reference: { ...(details.reference ?? {}) },
    occurredAt: facts.occurredAt,
  };
  if (facts.errorCodes[0] !== undefined) item.errorCode = facts.errorCodes[0];
  if (routing.dueAt !== undefined) item.dueAt = routing.dueAt;
  if (routing.rule) item.rule = routing.rule.name;
  if (facts.partner !== undefined && item.reference.partner === undefined)
    item.reference.partner = facts.partner;
  return item;
}

/**
 * What the feed reads held flows from: a core `FlowStore` or an orchestration
 * `ProcessManager` (both have `list`).
 *
 * @example
 * ```ts
 * const flows: HeldFlowSource = createProcessManager({ store }); // or the FlowStore itself
 * ```
 */
export interface HeldFlowSource {
  /** Instances matching a filter. */
  list(filter?: FlowFilter): Promise<FlowInstance[]>;
}

/**
 * Settings of {@link createExceptionFeed}.
 *
 * @example
 * ```ts
 * const settings: ExceptionFeedSettings = {
 *   router,
 *   store: exceptions,
 *   deadLetters: bus.deadLetters,
 *   flows: manager,
 *   deadLetterPartner: (entry) => (entry.subscriber.startsWith("edi-") ? entry.subscriber.slice(4) : undefined),
 *   onError: (error) => logger.warn("exception feed", { code: error.code }),
 * };
 * ```
 */
export interface ExceptionFeedSettings {
  /** The rules. */
  router: ExceptionRouter;
  /** Where items go. */
  store: ExceptionQueueStore;
  /** Dead letters to route (pending ones, read with a moving cursor). */
  deadLetters?: DeadLetterStore;
  /** Held flows to route. */
  flows?: HeldFlowSource;
  /** Start reading dead letters that last failed at or after this time (default 0: every pending one). */
  since?: number;
  /**
   * How far back each poll reads again before the cursor, in milliseconds (default
   * 300,000): a dead letter written late with an earlier failure time is still found.
   */
  overlapMs?: number;
  /** Dead letters read per page (default 500). */
  pageSize?: number;
  /** The partner or system of a dead letter, when its error chain does not name one. */
  deadLetterPartner?: (entry: DeadLetterEntry) => string | undefined;
  /** The partner or system of a held flow (e.g. from its held step). */
  flowPartner?: (instance: FlowInstance) => string | undefined;
  /**
   * Resolve an open flow-hold item once its flow is no longer held by that hold (a person
   * released it from the Flows page, or it ended), with the note "The flow is no longer
   * held" by `exception-feed` (default true). Items of flows this source does not know
   * (another service's, sharing the store) are left alone.
   */
  resolveReleasedHolds?: boolean;
  /**
   * Resolve an open dead-letter item once its dead letter was replayed or discarded
   * elsewhere (the Dead letters page, `bus.replayMany`), noting which (default true). It
   * reads each open dead-letter item's dead letter once per poll: turn it off when there
   * are many thousands of open items and polls are frequent.
   */
  resolveSettledDeadLetters?: boolean;
  /** The clock, epoch milliseconds. */
  clock?: () => number;
  /** Told of a failed background poll (the next poll tries again from the same cursor). */
  onError?: (error: DistroError) => void;
}

/**
 * What one poll did.
 *
 * @example
 * ```ts
 * const { created, seen, cursor }: ExceptionFeedReport = await feed.poll();
 * ```
 */
export interface ExceptionFeedReport {
  /** Items created by this poll. */
  created: ExceptionItem[];
  /** Items this poll resolved because their flow is no longer held, or their dead letter was replayed or discarded. */
  resolved: ExceptionItem[];
  /** Dead letters and holds looked at. */
  seen: number;
  /** The dead-letter cursor after the poll (the newest failure time routed). */
  cursor: number;
}

/**
 * Routes new dead letters and flow holds into exception queues.
 *
 * @example
 * ```ts
 * const feed: ExceptionFeed = createExceptionFeed({ router, store: exceptions, deadLetters, flows });
 * feed.start(5_000);
 * ```
 */
export interface ExceptionFeed {
  /**
   * Reads pending dead letters from the cursor (less the overlap) and every held flow,
   * and adds an item for each (idempotent).
   *
   * @returns what it did
   * @throws DistroError from the stores; the cursor does not move, so the next poll retries
   */
  poll(): Promise<ExceptionFeedReport>;
  /**
   * Polls now and then every `intervalMs` (never two at once) until {@link ExceptionFeed.stop}.
   *
   * @param intervalMs - the pause between polls
   */
  start(intervalMs: number): void;
  /**
   * Asks for a poll soon: one now, or one more right after the poll in progress, so what
   * was just written is read. Failures go to `onError`.
   */
  trigger(): void;
  /** Stops polling and waits for a poll in progress. */
  stop(): Promise<void>;
}

/**
 * Creates the feed that routes dead letters and flow holds into exception queues by
 * polling their stores.
 *
 * Polling, not a decorator around `DeadLetterStore.add`: the dead letter and the
 * exception item are two writes to two stores, with no transaction across them. A
 * decorator that routes inside `add` loses the item for good when the process dies
 * between the two writes (the dead letter is stored, nothing routes it again unless the
 * broker redelivers). The feed reads the dead-letter store, which is the durable truth,
 * and moves its cursor only after every item is written; `add` is idempotent by
 * `sourceRef`, so a poll repeated after a crash makes no second item. The same holds for
 * flows: the hold is part of the stored instance, so it is read from the flow store
 * rather than from the audit entry written after it.
 *
 * An item once resolved stays resolved: the same dead letter or hold seen again returns
 * the existing item. A flow-hold item is resolved by the feed when its flow is no longer
 * held by that hold (released from the Flows page, or ended), unless
 * `resolveReleasedHolds` is false; a dead-letter item once its dead letter was replayed
 * or discarded elsewhere, unless `resolveSettledDeadLetters` is false.
 *
 * @param settings - router, store, sources, cursor and clock
 * @returns the feed
 * @example
 * ```ts
 * import { createExceptionFeed, createExceptionRouter, createMemoryExceptionQueueStore } from "@distro/core";
 *
 * const exceptions = createMemoryExceptionQueueStore();
 * const router = createExceptionRouter({ rules: [{ match: { errorCode: "CREDIT_*" }, queue: "credit-desk" }] });
 * const feed = createExceptionFeed({ router, store: exceptions, deadLetters: bus.deadLetters, flows: manager });
 * await feed.poll();
 * ```
 */
export function createExceptionFeed(settings: ExceptionFeedSettings): ExceptionFeed {
  const clock = settings.clock ?? Date.now;
  const overlapMs = Math.max(0, settings.overlapMs ?? 300_000);
  const pageSize = Math.max(1, settings.pageSize ?? 500);
  let cursor = settings.since ?? 0;
  /** Dead letters routed within the overlap window, so a re-read does not write again. */
  const routed = new Map<string, number>();
  /** Holds routed and still held. */
  let routedHolds = new Set<string>();
  let running: Promise<ExceptionFeedReport> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = true;

  const pollDeadLetters = async (report: ExceptionFeedReport) => {
    const deadLetters = settings.deadLetters;
    if (!deadLetters) return;
    let from = Math.max(0, cursor - overlapMs);
    let newest = cursor;
    let limit = pageSize;
    for (;;) {
      const page = await deadLetters.list({ status: "pending", from, limit });
      for (const entry of page) {
        report.seen += 1;
        newest = Math.max(newest, entry.lastFailedAt);
        if (routed.has(entry.id)) continue;
        const partner = settings.deadLetterPartner?.(entry);
        const { created, item } = await settings.store.add(
          deadLetterExceptionItem(entry, settings.router, partner),
          clock(),
        );
        if (created) report.created.push(item);
        routed.set(entry.id, entry.lastFailedAt);
      }
      if (page.length < limit) break;
      const last = page[page.length - 1]!.lastFailedAt;
      // A full page of one failure time cannot move the cursor: read a bigger page instead.
      if (last === from) limit *= 2;
      else {
        from = last;
        limit = pageSize;
      }
    }
    cursor = newest;
    for (const [id, lastFailedAt] of routed) if (lastFailedAt < cursor - overlapMs) routed.delete(id);
    if (settings.resolveSettledDeadLetters === false) return;
    for (const item of await settings.store.list({ kind: "dead-letter", limit: 100_000 })) {
      const deadLetterId = item.reference.deadLetterId;
      if (deadLetterId === undefined) continue;
      const entry = await deadLetters.get(deadLetterId);
      // Unknown here: another service's dead letters may share the exception store.
      if (entry === undefined || entry.status === "pending") continue;
      const replay = entry.replays[entry.replays.length - 1];
      await settle(report, item, {
        by: "exception-feed",
        note:
          entry.status === "replayed"
            ? "The dead letter was replayed"
            : `The dead letter was discarded: ${entry.discarded?.reason ?? ""}`,
        at: clock(),
        ...(entry.status === "replayed" && replay ? { replayEventId: replay.eventId } : {}),
      });
    }
  };

  /** Resolves an item the feed found settled; someone resolving it first is fine. */
  const settle = async (
    report: ExceptionFeedReport,
    item: ExceptionItem,
    resolution: ExceptionResolution,
  ) => {
    try {
      report.resolved.push(await settings.store.resolve(item.id, resolution));
    } catch (error) {
      if (!(isDistroError(error) && error.code === "EXCEPTION_RESOLVED")) throw error;
    }
  };

  const pollHolds = async (report: ExceptionFeedReport) => {
    if (!settings.flows) return;
    // The open items are read before the flows: an item added after this read (by another
    // process) is never taken for a released hold.
    const open =
      settings.resolveReleasedHolds === false
        ? []
        : await settings.store.list({ kind: "flow-hold", limit: 100_000 });
    const held = await settings.flows.list({ status: ["held"] });
    const still = new Set<string>();
    for (const instance of held) {
      if (!instance.hold) continue;
      report.seen += 1;
      const reference = `${instance.id}@${instance.hold.at}`;
      still.add(reference);
      if (routedHolds.has(reference)) continue;
      const { created, item } = await settings.store.add(
        flowHoldExceptionItem(instance, settings.router, settings.flowPartner?.(instance)),
        clock(),
      );
      if (created) report.created.push(item);
    }
    routedHolds = still;
    for (const item of open) {
      if (still.has(item.sourceRef.slice("flow-hold:".length))) continue;
      // Only a flow this source knows: another service's flows may share the exception store.
      const { flowId, correlationId } = item.reference;
      if (flowId === undefined || correlationId === undefined) continue;
      const known = (await settings.flows.list({ correlationId })).find((instance) => instance.id === flowId);
      if (known === undefined) continue;
      if (
        known.status === "held" &&
        known.hold &&
        `flow-hold:${known.id}@${known.hold.at}` === item.sourceRef
      )
        continue;
      await settle(report, item, { by: "exception-feed", note: "The flow is no longer held", at: clock() });
    }
  };

  const poll = (): Promise<ExceptionFeedReport> => {
    if (running) return running;
    running = (async () => {
      const report: ExceptionFeedReport = { created: [], resolved: [], seen: 0, cursor };
      try {
        await pollDeadLetters(report);
        await pollHolds(report);
        report.cursor = cursor;
        return report;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const report = (error: unknown) => {
    const typed = isDistroError(error)
      ? error
      : new DistroError("EXCEPTION_FEED_FAILED", "An exception feed poll failed", {
          cause: error,
          retryable: true,
        });
    settings.onError?.(typed);
  };

  let again = false;
  const trigger = () => {
    if (running) {
      again = true;
      return;
    }
    poll()
      .catch(report)
      .finally(() => {
        if (!again) return;
        again = false;
        trigger();
      });
  };

  const loop = (intervalMs: number) => {
    if (stopped) return;
    poll()
      .catch(report)
      .finally(() => {
        if (!stopped) timer = setTimeout(() => loop(intervalMs), intervalMs);
      });
  };

  return {
    poll,
    trigger,
    start(intervalMs) {
      if (!stopped) return;
      stopped = false;
      loop(Math.max(10, intervalMs));
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}

/**
 * Settings of {@link resolveException}.
 *
 * @example
 * ```ts
 * const settings: ResolveExceptionSettings = { store: exceptions, id, by: "jane", note: "resent", at: Date.now() };
 * ```
 */
export interface ResolveExceptionSettings {
  /** The store. */
  store: ExceptionQueueStore;
  /** The item. */
  id: string;
  /** Who resolves it. */
  by: string;
  /** What was done. */
  note: string;
  /** Now, epoch milliseconds. */
  at: number;
  /**
   * Replays the item's dead letter first and returns the replayed event's id (e.g.
   * `(id) => bus.replay(id)`). It must be idempotent per dead letter (the console's is),
   * since a resolve repeated after a crash calls it again.
   */
  replay?: (deadLetterId: string) => Promise<{ id: string }>;
}

/**
 * Resolves an exception item, optionally replaying its dead letter first; resolving an
 * item already resolved returns it unchanged, so a repeated resolve is harmless.
 *
 * @param settings - store, item, person, note and the replay callback
 * @returns the resolved item
 * @throws NotFoundError when there is no such item
 * @throws DistroError `EXCEPTION_NOT_REPLAYABLE` when a replay is asked for an item without a dead letter
 * @example
 * ```ts
 * import { resolveException } from "@distro/core";
 *
 * await resolveException({ store: exceptions, id, by: "jane", note: "ERP fixed", at: Date.now(), replay: (deadLetterId) => bus.replay(deadLetterId) });
 * ```
 */
export async function resolveException(settings: ResolveExceptionSettings): Promise<ExceptionItem> {
  const { store, id } = settings;
  const item = await store.get(id);
  if (item === undefined) throw new NotFoundError(`No exception ${id}`, { details: { id } });
  if (item.status === "resolved") return item;
  let replayEventId: string | undefined;
  if (settings.replay) {
    const deadLetterId = item.reference.deadLetterId;
    if (deadLetterId === undefined)
      throw new DistroError("EXCEPTION_NOT_REPLAYABLE", `Exception ${id} has no dead letter to replay`, {
        details: { id, kind: item.kind },
      });
    replayEventId = (await settings.replay(deadLetterId)).id;
  }
  try {
    return await store.resolve(id, {
      by: settings.by,
      note: settings.note,
      at: settings.at,
      ...(replayEventId === undefined ? {} : { replayEventId }),
    });
  } catch (error) {
    if (isDistroError(error) && error.code === "EXCEPTION_RESOLVED") {
      const resolved = await store.get(id);
      if (resolved) return resolved;
    }
    throw error;
  }
}

/**
 * Wraps an audit log so that each flow hold or release it records (the `held` and
 * `released` phases a process manager writes) asks the feed for a poll at once: people
 * see a hold in their queue without waiting for the next timed poll. The audit entry is
 * written after the hold is saved, so this is only a shortcut; the feed's polls of the
 * flow store remain what guarantees every hold is routed.
 *
 * @param audit - the audit log the process manager writes to
 * @param feed - the feed to nudge
 * @returns an audit log that records through `audit`
 * @example
 * ```ts
 * import { createInMemoryAuditLog, triggerExceptionFeedOnHolds } from "@distro/core";
 *
 * const feed = createExceptionFeed({ router, store: exceptions, flows: flowStore });
 * const audit = triggerExceptionFeedOnHolds(createInMemoryAuditLog(), feed);
 * const manager = createProcessManager({ store: flowStore, audit });
 * feed.start(30_000);
 * ```
 */
export function triggerExceptionFeedOnHolds(audit: AuditLog, feed: Pick<ExceptionFeed, "trigger">): AuditLog {
  return {
    async record(entry) {
      const recorded = await audit.record(entry);
      const phase = entry.details?.phase;
      if (phase === "held" || phase === "released") feed.trigger();
      return recorded;
    },
    list: (query) => audit.list(query),
  };
}
