import {
  type AuditEntry,
  type AuditLog,
  createMemoryIdempotencyStore,
  createRedactor,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterStatus,
  type DeadLetterStore,
  DistroError,
  type FlowFilter,
  type FlowInstance,
  type FlowStatus,
  type IdempotencyStore,
  idempotent,
  isDistroError,
  NotFoundError,
  type RedactionRules,
  type Redactor,
  ValidationError,
  type ValidationIssue,
} from "@distro/core";
import { type MetricsRegistry, prometheusHandler } from "../metrics/registry";
import { CSRF_COOKIE, createCsrfTokens, readCookie } from "./csrf";
import { createExceptionsSection } from "./exceptions-page";
import {
  type Bar,
  badge,
  barChart,
  formatDuration,
  formatNumber,
  type Html,
  html,
  layout,
  type NavItem,
  prettyJson,
  sparkline,
  type TimelinePoint,
  timelineChart,
} from "./html";
import type { ConsoleSources, EdiAcknowledgementLike, UpstreamSnapshot } from "./sources";

/**
 * Settings of {@link createConsole}.
 *
 * @example
 * ```ts
 * const settings: ConsoleSettings = { basePath: "/ops", authorize: (request) => isOps(request), sources: { bus } };
 * ```
 */
export interface ConsoleSettings {
  /** Where the host mounts the console, e.g. `/ops` (default: the root). */
  basePath?: string;
  /**
   * The host's auth hook, asked for every request (pages, API and actions). Only `true`
   * lets a request through; `false`, a throw or anything else is a 403. Required: the
   * console is never open by default.
   */
  authorize: (request: Request) => boolean | Promise<boolean>;
  /** Who acts, for the audit trail of console actions (e.g. the signed-in user). */
  actor?: (request: Request) => string | undefined | Promise<string | undefined>;
  /** What to show. Each page appears only when its source is given. */
  sources: ConsoleSources;
  /** Redaction rules applied to everything shown (defaults as core's `redact`). */
  redact?: RedactionRules;
  /** The key that signs CSRF tokens; give the same one to every process behind one host (default: random per console). */
  csrfSecret?: string | Uint8Array;
  /** How long a CSRF token is accepted, in milliseconds (default 8 hours). */
  csrfTtlMs?: number;
  /** Where action keys are kept, so an action repeated is done once (default: in memory). */
  idempotency?: IdempotencyStore;
  /** How long an action's key is remembered, in milliseconds (default 24 hours). */
  actionRetentionMs?: number;
  /** The most dead letters one bulk replay may touch (default 500). */
  maxBulkReplay?: number;
  /** The clock, epoch milliseconds (default `Date.now`). */
  clock?: () => number;
  /** A metrics registry to serve at `<basePath>/metrics` in the Prometheus text format (behind `authorize`). */
  metrics?: MetricsRegistry;
}

/**
 * A Web-standard `Request` → `Response` handler.
 *
 * @example
 * ```ts
 * const ops: ConsoleHandler = createConsole({ authorize: (request) => isOps(request), sources: { bus } });
 * ```
 */
export type ConsoleHandler = (request: Request) => Promise<Response>;

/**
 * What a replay action returns.
 *
 * @example
 * ```ts
 * const outcome = (await (await fetch(replayUrl, { method: "POST", headers })).json()) as ReplayOutcome;
 * ```
 */
export interface ReplayOutcome {
  /** The dead letter. */
  id: string;
  /** The id of the event published by the replay. */
  eventId: string;
}

/**
 * What a bulk replay returns.
 *
 * @example
 * ```ts
 * const { replayed, failed } = (await (await fetch(bulkUrl, { method: "POST", headers, body })).json()) as BulkReplayOutcome;
 * ```
 */
export interface BulkReplayOutcome {
  /** The entries replayed (or found already replayed by an earlier action). */
  replayed: ReplayOutcome[];
  /** The entries that could not be replayed, and why. */
  failed: { id: string; code: string; message: string }[];
}

const FLOW_STATUSES: readonly FlowStatus[] = [
  "running",
  "waiting",
  "held",
  "completed",
  "failed",
  "compensated",
];
const DEAD_LETTER_STATUSES: readonly (DeadLetterStatus | "all")[] = [
  "pending",
  "replayed",
  "discarded",
  "all",
];
const MAX_BODY_BYTES = 64 * 1024;
const SAFE_ID = /^[A-Za-z0-9._:@\-/]{1,200}$/;

interface Page {
  path: string;
  label: string;
  available: (sources: ConsoleSources) => boolean;
}

const PAGES: readonly Page[] = [
  { path: "/flows", label: "Flows", available: (s) => s.flows !== undefined || s.audit !== undefined },
  {
    path: "/dead-letters",
    label: "Dead letters",
    available: (s) => s.bus !== undefined || s.deadLetters !== undefined,
  },
  { path: "/exceptions", label: "Exceptions", available: (s) => s.exceptions !== undefined },
  { path: "/sync-jobs", label: "Sync jobs", available: (s) => (s.syncJobs?.length ?? 0) > 0 },
  { path: "/upstreams", label: "Upstreams", available: (s) => (s.upstreams?.length ?? 0) > 0 },
  { path: "/edi-partners", label: "EDI partners", available: (s) => s.ediPartners !== undefined },
];

/** An error answered with an HTTP status. */
class HttpProblem extends DistroError {
  readonly status: number;
  constructor(status: number, code: string, message: string, issues?: ValidationIssue[]) {
    super(code, message, issues === undefined ? {} : { details: { issues } });
    this.status = status;
  }
}

function issue(path: (string | number)[], message: string, code = "invalid_value"): ValidationIssue {
  return { code, path, message };
}

function normalizeBase(basePath: string | undefined): string {
  if (basePath === undefined || basePath === "" || basePath === "/") return "";
  const trimmed = basePath.replace(/\/+$/, "");
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** Maps an error to its HTTP status. */
function statusOf(error: unknown): number {
  if (error instanceof HttpProblem) return error.status;
  if (!isDistroError(error)) return 500;
  switch (error.code) {
    case "VALIDATION_FAILED":
      return 400;
    case "NOT_FOUND":
      return 404;
    case "DEAD_LETTER_NOT_PENDING":
    case "EXCEPTION_RESOLVED":
    case "EXCEPTION_NOT_REPLAYABLE":
    case "CONFLICT":
    case "IDEMPOTENCY_IN_PROGRESS":
    case "IDEMPOTENCY_KEY_REUSED":
      return 409;
    default:
      return error.retryable ? 503 : 500;
  }
}

function issuesOf(error: unknown): ValidationIssue[] | undefined {
  if (error instanceof HttpProblem) return error.details.issues as ValidationIssue[] | undefined;
  if (isDistroError(error) && Array.isArray((error as ValidationError).issues))
    return (error as ValidationError).issues;
  return undefined;
}

/**
 * Creates the operations console: a Web-standard `Request` → `Response` handler that a
 * service mounts under a path. Server-rendered pages (inline CSS and SVG charts, no
 * external asset) and a JSON API behind them: flows and their state, each
 * transaction's audit trail as a timeline, dead letters with inspect / replay / discard
 * and bulk replay by filter, exception queues for people with assign / resolve, sync jobs with lag and last checkpoint, upstream health, and
 * EDI partners with acknowledgement status.
 *
 * Every request must pass `authorize`. Actions are POSTs that carry a CSRF token (a
 * signed token, sent both as the `csrf` form field or `x-csrf-token` header and as a
 * cookie); they are validated (4xx with reasons) and idempotent: replaying one entry
 * twice replays it once. Everything shown is redacted first.
 *
 * @param settings - mount path, auth hook, sources, redaction rules
 * @returns the handler
 * @throws ValidationError when `authorize` or `sources` is missing
 * @example
 * ```ts
 * import { createBus, createInMemoryAuditLog } from "@distro/core";
 * import { createConsole } from "@distro/console";
 *
 * const bus = createBus();
 * const audit = createInMemoryAuditLog();
 * const console = createConsole({
 *   basePath: "/ops",
 *   authorize: (request) => request.headers.get("authorization") === `Bearer ${process.env.OPS_TOKEN}`,
 *   sources: { bus, audit },
 * });
 * // Hono: app.all("/ops/*", (c) => console(c.req.raw));
 * const response = await console(new Request("http://localhost/ops/dead-letters"));
 * ```
 */
export function createConsole(settings: ConsoleSettings): ConsoleHandler {
  const problems: ValidationIssue[] = [];
  if (typeof settings?.authorize !== "function")
    problems.push(
      issue(["authorize"], "An authorize(request) hook is required: nothing is open without it", "required"),
    );
  if (typeof settings?.sources !== "object" || settings.sources === null)
    problems.push(issue(["sources"], "Expected an object of sources", "required"));
  if (problems.length > 0) throw new ValidationError("Invalid console settings", problems);

  const base = normalizeBase(settings.basePath);
  const sources = settings.sources;
  const clock = settings.clock ?? Date.now;
  const redactor: Redactor = createRedactor(settings.redact ?? {});
  const csrf = createCsrfTokens(settings.csrfSecret, settings.csrfTtlMs ?? 8 * 3_600_000);
  const actions = settings.idempotency ?? createMemoryIdempotencyStore();
  const retentionMs = settings.actionRetentionMs ?? 86_400_000;
  const maxBulk = settings.maxBulkReplay ?? 500;
  const deadLetterStore: DeadLetterStore | undefined = sources.bus?.deadLetters ?? sources.deadLetters;
  const metrics = settings.metrics ? prometheusHandler(settings.metrics) : undefined;
  const lagHistory = new Map<string, number[]>();
  const utilisationHistory = new Map<string, number[]>();

  const remember = (history: Map<string, number[]>, key: string, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return history.get(key) ?? [];
    const series = history.get(key) ?? [];
    series.push(value);
    if (series.length > 60) series.splice(0, series.length - 60);
    history.set(key, series);
    return series;
  };

  // ---------------------------------------------------------------- reading

  const requireFlows = () => {
    if (!sources.flows) throw new HttpProblem(404, "NOT_FOUND", "No flow source is configured");
    return sources.flows;
  };
  const requireDeadLetters = () => {
    if (!deadLetterStore) throw new HttpProblem(404, "NOT_FOUND", "No dead-letter source is configured");
    return deadLetterStore;
  };

  const flowFilter = (query: URLSearchParams): FlowFilter => {
    const filter: FlowFilter = {};
    const found: ValidationIssue[] = [];
    const status = query
      .getAll("status")
      .flatMap((value) => value.split(","))
      .filter((value) => value !== "");
    for (const value of status) {
      if (!FLOW_STATUSES.includes(value as FlowStatus))
        found.push(
          issue(["status"], `status must be one of ${FLOW_STATUSES.join(", ")}`, "invalid_enum_value"),
        );
    }
    if (status.length > 0) filter.status = status as FlowStatus[];
    for (const name of ["flow", "correlationId", "businessKey"] as const) {
      const value = query.get(name);
      if (value !== null && value !== "") filter[name] = value;
    }
    if (found.length > 0) throw new ValidationError("Invalid flow filter", found);
    return filter;
  };

  const timeline = async (correlationId: string): Promise<AuditEntry[]> =>
    sources.audit ? sources.audit.list({ correlationId, limit: 1_000 }) : [];

  const flowView = (instance: FlowInstance) => ({
    id: instance.id,
    flow: instance.flow,
    correlationId: instance.correlationId,
    businessKey: instance.businessKey,
    status: instance.status,
    completed: instance.completed,
    waiting: instance.waiting,
    hold: instance.hold,
    error: instance.error,
    createdAt: instance.createdAt,
    updatedAt: instance.updatedAt,
  });

  const deadLetterFilter = (
    fields: (name: string) => string | null,
    forAction: boolean,
  ): DeadLetterFilter => {
    const filter: DeadLetterFilter = {};
    const found: ValidationIssue[] = [];
    for (const name of ["type", "source", "errorCode", "subscriber"] as const) {
      const value = fields(name);
      if (value !== null && value !== "") {
        if (value.length > 500) found.push(issue([name], `${name} is longer than 500 characters`, "too_big"));
        else filter[name] = value;
      }
    }
    for (const name of ["from", "to"] as const) {
      const value = fields(name);
      if (value === null || value === "") continue;
      const at = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (!Number.isFinite(at))
        found.push(issue([name], `${name} must be an ISO 8601 time or epoch milliseconds`, "invalid_date"));
      else filter[name] = at;
    }
    const status = fields("status");
    if (status !== null && status !== "") {
      if (forAction && status !== "pending")
        found.push(issue(["status"], "Only pending dead letters can be replayed", "invalid_value"));
      else if (!DEAD_LETTER_STATUSES.includes(status as DeadLetterStatus))
        found.push(
          issue(["status"], `status must be one of ${DEAD_LETTER_STATUSES.join(", ")}`, "invalid_enum_value"),
        );
      else filter.status = status as DeadLetterStatus;
    }
    const limit = fields("limit");
    if (limit !== null && limit !== "") {
      const value = Number(limit);
      const cap = forAction ? maxBulk : 1_000;
      if (!Number.isInteger(value) || value < 1 || value > cap)
        found.push(issue(["limit"], `limit must be a whole number from 1 to ${cap}`, "too_big"));
      else filter.limit = value;
    }
    if (found.length > 0) throw new ValidationError("Invalid dead-letter filter", found);
    return filter;
  };

  /** A dead letter for display: the message parsed when it is JSON, everything redacted later. */
  const deadLetterView = (entry: DeadLetterEntry, full: boolean) => {
    const now = clock();
    const view: Record<string, unknown> = {
      id: entry.id,
      status: entry.status,
      subscriber: entry.subscriber,
      type: entry.type,
      source: entry.source,
      subject: entry.subject,
      correlationId: entry.correlationId,
      eventId: entry.eventId,
      error: { code: entry.error.code, message: entry.error.message },
      attempts: entry.attempts,
      firstFailedAt: new Date(entry.firstFailedAt).toISOString(),
      lastFailedAt: new Date(entry.lastFailedAt).toISOString(),
      ageMs: Math.max(0, now - entry.firstFailedAt),
      replays: entry.replays.map((replay) => ({
        eventId: replay.eventId,
        at: new Date(replay.at).toISOString(),
      })),
      discarded: entry.discarded
        ? { reason: entry.discarded.reason, at: new Date(entry.discarded.at).toISOString() }
        : undefined,
    };
    if (full) {
      view.errorChain = entry.error;
      view.issues = entry.issues;
      try {
        view.message = JSON.parse(entry.message) as unknown;
      } catch {
        view.message = entry.message;
      }
    }
    return view;
  };

  const syncJobsView = async () => {
    const now = clock();
    const out = [];
    for (const source of sources.syncJobs ?? []) {
      const report = source.job?.lastReport();
      const checkpoint = source.checkpoints ? await source.checkpoints.load(source.id) : undefined;
      const lagMs =
        checkpoint?.sourceTime !== undefined ? Math.max(0, now - checkpoint.sourceTime) : report?.lagMs;
      const series = remember(lagHistory, source.id, lagMs);
      out.push({
        id: source.id,
        name: source.name ?? source.id,
        lagMs,
        lagHistory: [...series],
        lastRun: report
          ? {
              runId: report.runId,
              mode: report.mode,
              status: report.error ? "failed" : report.status,
              pages: report.pages,
              read: report.read,
              written: report.written,
              unchanged: report.unchanged,
              invalid: report.invalid,
              cursor: report.cursor,
              lagMs: report.lagMs,
              error: report.error ? { code: report.error.code, message: report.error.message } : undefined,
            }
          : undefined,
        checkpoint: checkpoint
          ? {
              cursor: checkpoint.cursor,
              runId: checkpoint.runId,
              complete: checkpoint.complete,
              sourceTime:
                checkpoint.sourceTime === undefined
                  ? undefined
                  : new Date(checkpoint.sourceTime).toISOString(),
              updatedAt: new Date(checkpoint.updatedAt).toISOString(),
            }
          : undefined,
      });
    }
    return out;
  };

  const upstreamsView = async () => {
    const out: (UpstreamSnapshot & { utilisationHistory: number[] })[] = [];
    for (const source of sources.upstreams ?? []) {
      const snapshot = await source.snapshot();
      const series = remember(utilisationHistory, source.system, snapshot.utilisation);
      out.push({ ...snapshot, system: snapshot.system ?? source.system, utilisationHistory: [...series] });
    }
    return out;
  };

  const ediView = async () => {
    const source = sources.ediPartners;
    if (!source) throw new HttpProblem(404, "NOT_FOUND", "No EDI partner source is configured");
    const now = clock();
    const partners = new Map<
      string,
      { id: string; name: string; counts: Record<AckState, number>; recent: ReturnType<typeof ackView>[] }
    >();
    for (const partner of source.partners ?? [])
      partners.set(partner.id, {
        id: partner.id,
        name: partner.name ?? partner.id,
        counts: emptyCounts(),
        recent: [],
      });
    const acknowledgements = [...(await source.acknowledgements())].sort(
      (left, right) => right.sentAt - left.sentAt,
    );
    for (const acknowledgement of acknowledgements) {
      let partner = partners.get(acknowledgement.partner);
      if (!partner) {
        partner = {
          id: acknowledgement.partner,
          name: acknowledgement.partner,
          counts: emptyCounts(),
          recent: [],
        };
        partners.set(partner.id, partner);
      }
      const view = ackView(acknowledgement, now);
      partner.counts[view.state] += 1;
      if (partner.recent.length < 20) partner.recent.push(view);
    }
    return [...partners.values()];
  };

  // ---------------------------------------------------------------- actions

  const audit = async (log: AuditLog | undefined, entry: Omit<AuditEntry, "at">) => {
    if (!log) return;
    await log.record({ ...entry, at: new Date(clock()) });
  };

  const replayOne = async (id: string, actor: string): Promise<ReplayOutcome> => {
    const bus = sources.bus;
    if (!bus) throw new HttpProblem(409, "REPLAY_UNAVAILABLE", "Replay needs the bus: pass sources.bus");
    return idempotent(
      async () => {
        const entry = await bus.deadLetters.get(id);
        if (entry === undefined) throw new NotFoundError(`No dead letter ${id}`, { details: { id } });
        // Already replayed by an earlier action (whose key may have expired): the same outcome, no second replay.
        const earlier = entry.replays[entry.replays.length - 1];
        if (entry.status === "replayed" && earlier !== undefined) return { id, eventId: earlier.eventId };
        const event = await bus.replay(id);
        await audit(sources.audit, {
          correlationId: entry.correlationId ?? `dead-letter:${id}`,
          system: "console",
          step: "dead-letter.replay",
          outcome: "success",
          actor,
          details: { deadLetterId: id, eventId: event.id, subscriber: entry.subscriber },
        });
        return { id, eventId: event.id };
      },
      {
        store: actions,
        key: id,
        scope: { system: "console", operation: "dead-letter.replay" },
        inProgressExpiryMs: 60_000,
        retentionMs,
        waitForInFlightMs: 10_000,
        pollIntervalMs: 10,
      },
    );
  };

  const discardOne = async (
    id: string,
    reason: string,
    actor: string,
  ): Promise<{ id: string; status: "discarded" }> => {
    const store = requireDeadLetters();
    return idempotent(
      async () => {
        const entry = await store.get(id);
        if (entry === undefined) throw new NotFoundError(`No dead letter ${id}`, { details: { id } });
        if (entry.status === "discarded") return { id, status: "discarded" as const };
        if (sources.bus) await sources.bus.discard(id, reason);
        else await store.discard(id, reason, clock());
        await audit(sources.audit, {
          correlationId: entry.correlationId ?? `dead-letter:${id}`,
          system: "console",
          step: "dead-letter.discard",
          outcome: "success",
          actor,
          details: { deadLetterId: id, reason },
        });
        return { id, status: "discarded" as const };
      },
      {
        store: actions,
        key: id,
        scope: { system: "console", operation: "dead-letter.discard" },
        inProgressExpiryMs: 60_000,
        retentionMs,
        waitForInFlightMs: 10_000,
        pollIntervalMs: 10,
      },
    );
  };

  /** The last release this console made of each flow, so a repeated release answers the same. */
  const releases = new Map<string, { id: string; status: string }>();
  const releaseLocks = new Map<string, Promise<unknown>>();

  /** Releases a held flow once per hold (keyed by the instance and when it was held). */
  const releaseFlow = async (id: string, note: string, actor: string) => {
    const flows = requireFlows();
    if (typeof flows.release !== "function")
      throw new HttpProblem(
        409,
        "RELEASE_UNAVAILABLE",
        "Releasing needs a process manager: pass one as sources.flows",
      );
    const release = flows.release.bind(flows);
    // One release of one flow at a time in this process: a double click waits, then finds it released.
    const previous = releaseLocks.get(id) ?? Promise.resolve();
    const run = previous.then(async () => {
      const instance = await flows.get(id);
      if (!instance) throw new NotFoundError(`No flow instance ${id}`);
      if (instance.status !== "held" || !instance.hold) {
        const earlier = releases.get(id);
        if (earlier) return earlier;
        throw new HttpProblem(409, "FLOW_NOT_HELD", `Flow instance ${id} is ${instance.status}, not held`);
      }
      const hold = instance.hold;
      const outcome = await idempotent(
        async () => {
          const released = await release(id, note.length > 0 ? { note } : {});
          await audit(sources.audit, {
            correlationId: instance.correlationId,
            system: "console",
            step: "flow.release",
            outcome: "success",
            actor,
            details: {
              instanceId: id,
              heldAt: hold.step,
              code: hold.code,
              ...(note.length > 0 ? { note } : {}),
            },
          });
          return { id, status: released.status as string };
        },
        {
          store: actions,
          key: `${id}@${hold.at}`,
          scope: { system: "console", operation: "flow.release" },
          inProgressExpiryMs: 60_000,
          retentionMs,
          waitForInFlightMs: 10_000,
          pollIntervalMs: 10,
        },
      );
      releases.delete(id);
      releases.set(id, outcome);
      if (releases.size > 10_000) releases.delete(releases.keys().next().value as string);
      return outcome;
    });
    const settled = run.catch(() => undefined);
    releaseLocks.set(id, settled);
    void settled.then(() => {
      if (releaseLocks.get(id) === settled) releaseLocks.delete(id);
    });
    return run;
  };

  const replayBulk = async (
    filter: DeadLetterFilter,
    key: string | undefined,
    actor: string,
  ): Promise<BulkReplayOutcome> => {
    const store = requireDeadLetters();
    const run = async (): Promise<BulkReplayOutcome> => {
      const entries = await store.list({
        ...filter,
        status: "pending",
        limit: Math.min(filter.limit ?? maxBulk, maxBulk),
      });
      const outcome: BulkReplayOutcome = { replayed: [], failed: [] };
      for (const entry of entries) {
        try {
          outcome.replayed.push(await replayOne(entry.id, actor));
        } catch (error) {
          outcome.failed.push({
            id: entry.id,
            code: isDistroError(error) ? error.code : "REPLAY_FAILED",
            message: isDistroError(error) ? error.message : "Replay failed",
          });
        }
      }
      return outcome;
    };
    if (key === undefined) return run();
    return idempotent(run, {
      store: actions,
      key,
      scope: { system: "console", operation: "dead-letter.replay-many" },
      fingerprint: filter,
      inProgressExpiryMs: 300_000,
      retentionMs,
      waitForInFlightMs: 30_000,
      pollIntervalMs: 20,
    });
  };

  const exceptions = sources.exceptions
    ? createExceptionsSection({
        base,
        source: sources.exceptions,
        redactor,
        clock,
        actions,
        retentionMs,
        audit: (entry) => audit(sources.audit, entry),
        ...(sources.bus ? { replay: (id: string, actor: string) => replayOne(id, actor) } : {}),
        refuse: (status, code, message) => new HttpProblem(status, code, message),
      })
    : undefined;
  const requireExceptions = () => {
    if (!exceptions) throw new HttpProblem(404, "NOT_FOUND", "No exception queue source is configured");
    return exceptions;
  };

  // ---------------------------------------------------------------- HTTP plumbing

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(redactor(body)), {
      status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
    });

  const problem = (error: unknown) => {
    const status = statusOf(error);
    const code = isDistroError(error) ? error.code : "INTERNAL";
    const detail =
      status >= 500 && !isDistroError(error) ? "The console failed to answer" : (error as Error).message;
    const body: Record<string, unknown> = {
      type: `https://distro.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`,
      title: code,
      status,
      detail,
      code,
    };
    const issues = issuesOf(error);
    if (issues) body.issues = issues;
    // The console's own refusals are shown as written; anything else is redacted.
    return new Response(JSON.stringify(error instanceof HttpProblem ? body : redactor(body)), {
      status,
      headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
    });
  };

  const nav = (current: string): NavItem[] =>
    PAGES.filter((page) => page.available(sources)).map((page) => ({
      href: `${base}${page.path}`,
      label: page.label,
      active: current.startsWith(page.path),
    }));

  const page = (current: string, title: string, body: Html, token: string, secure: boolean, status = 200) =>
    new Response(layout(title, nav(current), body), {
      status,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy":
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "set-cookie": csrfCookie(token, secure),
      },
    });

  const csrfCookie = (token: string, secure: boolean) =>
    `${CSRF_COOKIE}=${token}; Path=${base || "/"}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;

  /** The CSRF token of this browser: its valid cookie, or a new one. */
  const tokenFor = (request: Request) => {
    const cookie = readCookie(request.headers.get("cookie"), CSRF_COOKIE);
    if (cookie !== undefined && csrf.check(cookie, cookie, clock()) === undefined) return cookie;
    return csrf.issue(clock());
  };

  const readBody = async (request: Request): Promise<{ fields: Map<string, string>; form: boolean }> => {
    const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > MAX_BODY_BYTES)
      throw new HttpProblem(413, "BODY_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES} bytes`);
    const text = await readCapped(request);
    const fields = new Map<string, string>();
    if (type === "application/x-www-form-urlencoded") {
      for (const [name, value] of new URLSearchParams(text)) fields.set(name, value);
      return { fields, form: true };
    }
    if (type === "application/json" || (type === "" && text.trim() === "")) {
      if (text.trim() === "") return { fields, form: false };
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ValidationError("The body is not JSON", [
          issue([], "Expected a JSON object", "invalid_json"),
        ]);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new ValidationError("The body must be a JSON object", [
          issue([], "Expected a JSON object", "invalid_type"),
        ]);
      const found: ValidationIssue[] = [];
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value === "string") fields.set(name, value);
        else if (typeof value === "number" && Number.isFinite(value)) fields.set(name, String(value));
        else if (value !== null) found.push(issue([name], `${name} must be a string`, "invalid_type"));
      }
      if (found.length > 0) throw new ValidationError("Invalid request body", found);
      return { fields, form: false };
    }
    throw new HttpProblem(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      "Send application/json or application/x-www-form-urlencoded",
    );
  };

  const checkOrigin = (request: Request, url: URL) => {
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== "null" && origin !== url.origin)
      throw new HttpProblem(403, "CSRF_INVALID", "The request comes from another origin");
    if (request.headers.get("sec-fetch-site") === "cross-site")
      throw new HttpProblem(403, "CSRF_INVALID", "The request comes from another site");
  };

  const deadLetterIdFrom = (segment: string): string => {
    const id = decodeSegment(segment);
    if (!SAFE_ID.test(id))
      throw new ValidationError("Invalid dead-letter id", [
        issue(["id"], "The id has characters a dead-letter id never has"),
      ]);
    return id;
  };

  // ---------------------------------------------------------------- routes

  const api = async (request: Request, url: URL, parts: string[]): Promise<Response> => {
    const [resource, id, action] = parts;
    if (request.method === "GET" || request.method === "HEAD") {
      switch (resource) {
        case "csrf": {
          const token = tokenFor(request);
          // Not redacted: the value is the point of this answer.
          return new Response(JSON.stringify({ token }), {
            status: 200,
            headers: {
              "content-type": "application/json; charset=utf-8",
              "cache-control": "no-store",
              "set-cookie": csrfCookie(token, url.protocol === "https:"),
            },
          });
        }
        case "flows": {
          const flows = requireFlows();
          if (id === undefined)
            return json(200, { flows: (await flows.list(flowFilter(url.searchParams))).map(flowView) });
          const instance = await flows.get(decodeSegment(id));
          if (!instance) throw new NotFoundError(`No flow instance ${decodeSegment(id)}`);
          return json(200, {
            flow: { ...flowView(instance), input: instance.input, results: instance.results },
            timeline: await timeline(instance.correlationId),
          });
        }
        case "audit": {
          if (!sources.audit) throw new HttpProblem(404, "NOT_FOUND", "No audit source is configured");
          if (id === undefined)
            throw new ValidationError("A correlation id is needed", [
              issue(["correlationId"], "Add /<correlationId>", "required"),
            ]);
          return json(200, {
            correlationId: decodeSegment(id),
            timeline: await timeline(decodeSegment(id)),
          });
        }
        case "dead-letters": {
          const store = requireDeadLetters();
          if (id === undefined) {
            const filter = deadLetterFilter((name) => url.searchParams.get(name), false);
            return json(200, {
              deadLetters: (await store.list(filter)).map((entry) => deadLetterView(entry, false)),
            });
          }
          const entry = await store.get(deadLetterIdFrom(id));
          if (!entry) throw new NotFoundError(`No dead letter ${id}`);
          return json(200, { deadLetter: deadLetterView(entry, true) });
        }
        case "exceptions":
          if (id === undefined) return json(200, await requireExceptions().listJson(url.searchParams));
          return json(200, await requireExceptions().itemJson(decodeSegment(id)));
        case "sync-jobs":
          return json(200, { syncJobs: await syncJobsView() });
        case "upstreams":
          return json(200, { upstreams: await upstreamsView() });
        case "edi-partners":
          return json(200, { partners: await ediView() });
        default:
          throw new HttpProblem(404, "NOT_FOUND", `No API resource ${url.pathname}`);
      }
    }
    if (request.method !== "POST") throw new HttpProblem(405, "METHOD_NOT_ALLOWED", "Use GET or POST");
    const result = await act(request, url, resource, id, action);
    return json(200, result.body);
  };

  /** Runs an action after checking origin, body and CSRF token. */
  const act = async (
    request: Request,
    url: URL,
    resource: string | undefined,
    id: string | undefined,
    action: string | undefined,
  ): Promise<{ body: unknown; form: boolean; redirect: string }> => {
    checkOrigin(request, url);
    if (
      resource !== "dead-letters" &&
      !(resource === "flows" && action === "release") &&
      !(resource === "exceptions" && id !== undefined && action !== undefined)
    )
      throw new HttpProblem(404, "NOT_FOUND", `No action at ${url.pathname}`);
    const { fields, form } = await readBody(request);
    const token = request.headers.get("x-csrf-token") ?? fields.get("csrf");
    const refused = csrf.check(
      token ?? undefined,
      readCookie(request.headers.get("cookie"), CSRF_COOKIE),
      clock(),
    );
    if (refused !== undefined) throw new HttpProblem(403, "CSRF_INVALID", refused);
    const actor = (await settings.actor?.(request)) ?? "console";
    if (resource === "exceptions") {
      const outcome = await requireExceptions().act(decodeSegment(id!), action!, fields, actor);
      return { body: outcome.body, form, redirect: outcome.redirect };
    }
    if (resource === "flows" && id !== undefined) {
      const flowId = decodeSegment(id);
      const note = (fields.get("note") ?? "").trim();
      if (note.length > 1_000)
        throw new ValidationError("The note is too long", [
          issue(["note"], "Expected at most 1000 characters", "too_big"),
        ]);
      const outcome = await releaseFlow(flowId, note, actor);
      return { body: outcome, form, redirect: `${base}/flows/${encodeURIComponent(flowId)}?done=released` };
    }
    if (id === "replay" && action === undefined) {
      const key = request.headers.get("idempotency-key") ?? fields.get("idempotencyKey");
      if (key !== undefined && key !== null && (key.length === 0 || key.length > 200))
        throw new ValidationError("Invalid idempotency key", [
          issue(["idempotencyKey"], "Expected 1 to 200 characters"),
        ]);
      const filter = deadLetterFilter((name) => fields.get(name) ?? null, true);
      const outcome = await replayBulk(filter, key ?? undefined, actor);
      return {
        body: outcome,
        form,
        redirect: `${base}/dead-letters?done=bulk&replayed=${outcome.replayed.length}&failed=${outcome.failed.length}`,
      };
    }
    if (id === undefined || action === undefined)
      throw new HttpProblem(404, "NOT_FOUND", `No action at ${url.pathname}`);
    const entryId = deadLetterIdFrom(id);
    if (action === "replay") {
      const outcome = await replayOne(entryId, actor);
      return {
        body: outcome,
        form,
        redirect: `${base}/dead-letters/${encodeURIComponent(entryId)}?done=replayed`,
      };
    }
    if (action === "discard") {
      const reason = (fields.get("reason") ?? "").trim();
      if (reason.length === 0)
        throw new ValidationError("A discard needs a reason", [
          issue(["reason"], "Expected a non-empty reason", "required"),
        ]);
      if (reason.length > 1_000)
        throw new ValidationError("The reason is too long", [
          issue(["reason"], "Expected at most 1000 characters", "too_big"),
        ]);
      const outcome = await discardOne(entryId, reason, actor);
      return {
        body: outcome,
        form,
        redirect: `${base}/dead-letters/${encodeURIComponent(entryId)}?done=discarded`,
      };
    }
    throw new HttpProblem(404, "NOT_FOUND", `No action ${action}`);
  };

  const pages = async (request: Request, url: URL, parts: string[]): Promise<Response> => {
    const secure = url.protocol === "https:";
    const [resource, id, action] = parts;
    if (request.method === "POST") {
      try {
        const result = await act(request, url, resource, id, action);
        if (!result.form) return json(200, result.body);
        return new Response(null, {
          status: 303,
          headers: { location: result.redirect, "cache-control": "no-store" },
        });
      } catch (error) {
        const wantsHtml = (request.headers.get("content-type") ?? "").includes("form");
        if (!wantsHtml) throw error;
        const token = tokenFor(request);
        return page(`/${resource ?? ""}`, "Action refused", errorBody(error), token, secure, statusOf(error));
      }
    }
    if (request.method !== "GET" && request.method !== "HEAD")
      throw new HttpProblem(405, "METHOD_NOT_ALLOWED", "Use GET or POST");
    const token = tokenFor(request);
    const first = PAGES.find((candidate) => candidate.available(sources));
    if (resource === undefined) {
      if (!first)
        return page(
          "/",
          "Nothing to show",
          html`<div class="card"><h1>Nothing to show</h1><p>No source is configured.</p></div>`,
          token,
          secure,
        );
      return new Response(null, { status: 303, headers: { location: `${base}${first.path}` } });
    }
    try {
      switch (resource) {
        case "flows":
          if (id === undefined) return page("/flows", "Flows", await flowsPage(url), token, secure);
          return page("/flows", "Flow", await flowPage(decodeSegment(id), url, token), token, secure);
        case "audit":
          if (id === undefined) throw new HttpProblem(404, "NOT_FOUND", "Add a correlation id");
          return page("/flows", "Audit trail", await auditPage(decodeSegment(id)), token, secure);
        case "dead-letters":
          if (id === undefined)
            return page("/dead-letters", "Dead letters", await deadLettersPage(url, token), token, secure);
          return page(
            "/dead-letters",
            "Dead letter",
            await deadLetterPage(deadLetterIdFrom(id), url, token),
            token,
            secure,
          );
        case "exceptions":
          if (id === undefined)
            return page("/exceptions", "Exceptions", await requireExceptions().listPage(url), token, secure);
          return page(
            "/exceptions",
            "Exception",
            await requireExceptions().itemPage(decodeSegment(id), url, token),
            token,
            secure,
          );
        case "sync-jobs":
          return page("/sync-jobs", "Sync jobs", await syncJobsPage(), token, secure);
        case "upstreams":
          return page("/upstreams", "Upstreams", await upstreamsPage(), token, secure);
        case "edi-partners":
          return page("/edi-partners", "EDI partners", await ediPage(), token, secure);
        default:
          throw new HttpProblem(404, "NOT_FOUND", `No page ${url.pathname}`);
      }
    } catch (error) {
      return page(`/${resource}`, "Error", errorBody(error), token, secure, statusOf(error));
    }
  };

  const errorBody = (error: unknown): Html => {
    const status = statusOf(error);
    const code = isDistroError(error) ? error.code : "INTERNAL";
    const message =
      status >= 500 && !isDistroError(error) ? "The console failed to answer" : (error as Error).message;
    const issues = issuesOf(error) ?? [];
    return html`<div class="card" data-problem="${code}"><h1>${status} · ${code}</h1><p>${error instanceof HttpProblem ? message : String(redactor(message))}</p>${
      issues.length > 0
        ? html`<ul>${issues.map((found) => html`<li><span class="mono">${found.path.join(".") || "(body)"}</span>: ${found.message}</li>`)}</ul>`
        : ""
    }</div>`;
  };

  // ---------------------------------------------------------------- pages

  const flowsPage = async (url: URL): Promise<Html> => {
    if (!sources.flows) {
      return html`<div class="card"><h1>Audit trail</h1><form method="get" class="filters" action="${base}/flows">
        <label>Correlation id<input name="correlationId" value="${url.searchParams.get("correlationId") ?? ""}"></label><button>Show</button></form></div>${
          url.searchParams.get("correlationId") ? await auditPage(url.searchParams.get("correlationId")!) : ""
        }`;
    }
    const filter = flowFilter(url.searchParams);
    const instances = redactor((await sources.flows.list(filter)).map(flowView)) as ReturnType<
      typeof flowView
    >[];
    instances.sort((left, right) => right.updatedAt.localeCompare(left.updatedAt));
    const counts = new Map<string, number>();
    for (const instance of instances) counts.set(instance.status, (counts.get(instance.status) ?? 0) + 1);
    const bars: Bar[] = FLOW_STATUSES.filter((status) => counts.has(status)).map((status) => ({
      label: status,
      value: counts.get(status) ?? 0,
      tone:
        status === "completed"
          ? "ok"
          : status === "held" || status === "failed" || status === "compensated"
            ? "bad"
            : "warn",
    }));
    return html`<h1>Flows</h1>
<div class="card"><form method="get" class="filters" action="${base}/flows">
<label>Status<select name="status"><option value="">any</option>${FLOW_STATUSES.map(
      (status) => html`<option${filter.status?.includes(status) ? html` selected` : ""}>${status}</option>`,
    )}</select></label>
<label>Flow<input name="flow" value="${filter.flow ?? ""}"></label>
<label>Correlation id<input name="correlationId" value="${filter.correlationId ?? ""}"></label>
<label>Business key<input name="businessKey" value="${filter.businessKey ?? ""}"></label><button>Filter</button></form></div>
<div class="card"><h2>By status</h2>${barChart("Flows by status", bars)}</div>
<div class="card"><table data-table="flows"><thead><tr><th>Instance</th><th>Flow</th><th>Status</th><th>Step / reason</th><th>Correlation id</th><th>Updated</th></tr></thead><tbody>
${instances.map(
  (instance) =>
    html`<tr data-flow-id="${instance.id}"><td><a href="${base}/flows/${encodeURIComponent(instance.id)}">${instance.id}</a>${
      instance.businessKey ? html`<div class="muted">${instance.businessKey}</div>` : ""
    }</td><td>${instance.flow}</td><td>${badge(instance.status)}</td><td>${
      instance.hold
        ? html`<b>${instance.hold.step}</b>: ${instance.hold.code} · ${instance.hold.reason}`
        : instance.waiting
          ? html`waiting at <b>${instance.waiting.step}</b> for ${instance.waiting.eventTypes.join(" or ")} (${instance.waiting.key})`
          : instance.error
            ? html`${instance.error.code}: ${instance.error.message}`
            : html`<span class="muted">${instance.completed.length} steps done</span>`
    }</td><td class="mono"><a href="${base}/audit/${encodeURIComponent(instance.correlationId)}">${instance.correlationId}</a></td><td class="mono">${instance.updatedAt}</td></tr>`,
)}
</tbody></table>${instances.length === 0 ? html`<p class="muted">No flow matches.</p>` : ""}</div>`;
  };

  const timelineBody = (entries: AuditEntry[]): Html => {
    const points: TimelinePoint[] = entries.map((entry) => ({
      at: Date.parse(entry.at),
      label: `${entry.step} (${entry.system}): ${entry.outcome}`,
      tone:
        entry.outcome === "success"
          ? "ok"
          : entry.outcome === "failure"
            ? "bad"
            : entry.outcome === "retry"
              ? "warn"
              : "info",
    }));
    return html`${timelineChart("Audit timeline", points)}
<table data-table="timeline"><thead><tr><th>At</th><th>System</th><th>Step</th><th>Outcome</th><th>Duration</th><th>Actor</th><th>Details</th></tr></thead><tbody>
${entries.map(
  (entry) =>
    html`<tr><td class="mono">${entry.at}</td><td>${entry.system}</td><td>${entry.step}</td><td>${badge(entry.outcome)}</td><td>${formatDuration(entry.durationMs)}</td><td>${entry.actor ?? ""}</td><td class="mono">${
      entry.details ? prettyJson(entry.details) : ""
    }</td></tr>`,
)}</tbody></table>`;
  };

  const flowPage = async (id: string, url: URL, token: string): Promise<Html> => {
    const instance = await requireFlows().get(id);
    if (!instance) throw new NotFoundError(`No flow instance ${id}`);
    const view = redactor({
      ...flowView(instance),
      input: instance.input,
      results: instance.results,
    }) as ReturnType<typeof flowView> & { input: unknown; results: unknown };
    const entries = redactor(await timeline(instance.correlationId)) as AuditEntry[];
    return html`<h1>Flow ${view.id} ${badge(view.status)}</h1>${doneNotice(url)}
<div class="card"><table><tbody>
<tr><th>Flow</th><td>${view.flow}</td></tr><tr><th>Correlation id</th><td class="mono">${view.correlationId}</td></tr>
${view.businessKey ? html`<tr><th>Business key</th><td>${view.businessKey}</td></tr>` : ""}
<tr><th>Steps done</th><td>${view.completed.join(" → ") || "none"}</td></tr>
${view.hold ? html`<tr><th>Held</th><td><b>${view.hold.step}</b> · ${view.hold.code} · ${view.hold.reason} <span class="muted">since ${view.hold.at}</span></td></tr>` : ""}
${view.waiting ? html`<tr><th>Waiting</th><td><b>${view.waiting.step}</b> for ${view.waiting.eventTypes.join(" or ")} with key ${view.waiting.key}</td></tr>` : ""}
${view.error ? html`<tr><th>Error</th><td>${view.error.code}: ${view.error.message}</td></tr>` : ""}
${
  view.hold && typeof sources.flows?.release === "function"
    ? html`<tr><th>Release</th><td><form method="post" class="inline" action="${base}/flows/${encodeURIComponent(view.id)}/release" data-action="release"><input type="hidden" name="csrf" value="${token}"><input name="note" placeholder="note (optional)" maxlength="1000"> <button>Release</button></form></td></tr>`
    : ""
}
<tr><th>Started</th><td class="mono">${view.createdAt}</td></tr><tr><th>Updated</th><td class="mono">${view.updatedAt}</td></tr>
</tbody></table></div>
<div class="card"><h2>Audit trail</h2>${timelineBody(entries)}</div>
<div class="card"><h2>Input</h2><pre>${prettyJson(view.input)}</pre><h2>Results</h2><pre>${prettyJson(view.results)}</pre></div>`;
  };

  const auditPage = async (correlationId: string): Promise<Html> => {
    if (!sources.audit) throw new HttpProblem(404, "NOT_FOUND", "No audit source is configured");
    const entries = redactor(await timeline(correlationId)) as AuditEntry[];
    const flows = sources.flows ? await sources.flows.list({ correlationId }) : [];
    return html`<h1>Audit trail <span class="mono">${String(redactor(correlationId))}</span></h1>
${flows.length > 0 ? html`<div class="card">Flows: ${flows.map((flow) => html`<a href="${base}/flows/${encodeURIComponent(flow.id)}">${String(redactor(flow.id))}</a> ${badge(flow.status)} `)}</div>` : ""}
<div class="card">${timelineBody(entries)}</div>`;
  };

  const doneNotice = (url: URL): Html => {
    const done = url.searchParams.get("done");
    if (done === "replayed") return html`<div class="flash ok" role="status">Replayed.</div>`;
    if (done === "discarded") return html`<div class="flash ok" role="status">Discarded.</div>`;
    if (done === "released") return html`<div class="flash ok" role="status">Released.</div>`;
    if (done === "bulk") {
      const replayed = Number(url.searchParams.get("replayed") ?? "0");
      const failed = Number(url.searchParams.get("failed") ?? "0");
      return html`<div class="flash ${failed > 0 ? "bad" : "ok"}" role="status">Bulk replay: ${Number.isFinite(replayed) ? replayed : 0} replayed, ${Number.isFinite(failed) ? failed : 0} failed.</div>`;
    }
    return html``;
  };

  const deadLettersPage = async (url: URL, token: string): Promise<Html> => {
    const store = requireDeadLetters();
    const filter = deadLetterFilter((name) => url.searchParams.get(name), false);
    const entries = redactor(
      (await store.list(filter)).map((entry) => deadLetterView(entry, false)),
    ) as Record<string, unknown>[];
    const byType = new Map<string, number>();
    for (const entry of entries)
      byType.set(
        String(entry.type ?? "(unreadable)"),
        (byType.get(String(entry.type ?? "(unreadable)")) ?? 0) + 1,
      );
    const ages = bucketAges(entries.map((entry) => entry.ageMs as number));
    const canReplay = sources.bus !== undefined;
    const field = (name: string) => url.searchParams.get(name) ?? "";
    return html`<h1>Dead letters</h1>${doneNotice(url)}
<div class="card"><form method="get" class="filters" action="${base}/dead-letters">
<label>Status<select name="status">${DEAD_LETTER_STATUSES.map((status) => html`<option${(filter.status ?? "pending") === status ? html` selected` : ""}>${status}</option>`)}</select></label>
<label>Type<input name="type" value="${field("type")}"></label><label>Subscriber<input name="subscriber" value="${field("subscriber")}"></label>
<label>Error code<input name="errorCode" value="${field("errorCode")}"></label><label>Source<input name="source" value="${field("source")}"></label><button>Filter</button></form>
${
  canReplay
    ? html`<form method="post" class="filters" action="${base}/dead-letters/replay" style="margin-top:10px" data-action="bulk-replay">
<input type="hidden" name="csrf" value="${token}"><input type="hidden" name="idempotencyKey" value="${`bulk-${token.slice(-12)}-${clock().toString(36)}`}">
${["type", "subscriber", "errorCode", "source"].map((name) => html`<input type="hidden" name="${name}" value="${field(name)}">`)}
<button class="secondary">Replay every pending entry matching this filter</button></form>`
    : ""
}</div>
<div class="grid"><div class="card"><h2>By type</h2>${barChart(
      "Dead letters by type",
      [...byType].map(([label, value]) => ({ label, value, tone: "bad" as const })),
    )}</div>
<div class="card"><h2>By age</h2>${barChart("Dead letters by age", ages)}</div></div>
<div class="card"><table data-table="dead-letters"><thead><tr><th>Entry</th><th>Type</th><th>Subscriber</th><th>Error</th><th>Attempts</th><th>Age</th><th>Status</th><th></th></tr></thead><tbody>
${entries.map(
  (entry) =>
    html`<tr data-dead-letter-id="${entry.id}"><td class="mono"><a href="${base}/dead-letters/${encodeURIComponent(String(entry.id))}">${String(entry.id).slice(0, 12)}</a></td><td>${entry.type}</td><td>${entry.subscriber}</td><td><b>${(entry.error as { code: string }).code}</b> ${(entry.error as { message: string }).message}</td><td>${entry.attempts}</td><td>${formatDuration(entry.ageMs as number)}</td><td>${badge(String(entry.status))}</td><td>${
      canReplay && entry.status === "pending" ? replayButton(String(entry.id), token) : ""
    }</td></tr>`,
)}</tbody></table>${entries.length === 0 ? html`<p class="muted">No dead letter matches.</p>` : ""}</div>`;
  };

  const replayButton = (id: string, token: string): Html =>
    html`<form method="post" class="inline" action="${base}/dead-letters/${encodeURIComponent(id)}/replay" data-action="replay"><input type="hidden" name="csrf" value="${token}"><button>Replay</button></form>`;

  const deadLetterPage = async (id: string, url: URL, token: string): Promise<Html> => {
    const entry = await requireDeadLetters().get(id);
    if (!entry) throw new NotFoundError(`No dead letter ${id}`);
    const view = redactor(deadLetterView(entry, true)) as Record<string, unknown>;
    const error = view.error as { code: string; message: string };
    return html`<h1>Dead letter <span class="mono">${view.id}</span> ${badge(String(view.status))}</h1>${doneNotice(url)}
<div class="card"><table><tbody>
<tr><th>Type</th><td>${view.type}</td></tr><tr><th>Source</th><td>${view.source}</td></tr><tr><th>Subject</th><td>${view.subject}</td></tr>
<tr><th>Subscriber</th><td>${view.subscriber}</td></tr>
<tr><th>Correlation id</th><td class="mono">${view.correlationId ? html`<a href="${base}/audit/${encodeURIComponent(String(view.correlationId))}">${view.correlationId}</a>` : ""}</td></tr>
<tr><th>Error</th><td><b>${error.code}</b> ${error.message}</td></tr><tr><th>Attempts</th><td>${view.attempts}</td></tr>
<tr><th>First failed</th><td class="mono">${view.firstFailedAt}</td></tr><tr><th>Last failed</th><td class="mono">${view.lastFailedAt}</td></tr>
${(view.replays as unknown[]).length > 0 ? html`<tr><th>Replays</th><td class="mono">${(view.replays as { eventId: string; at: string }[]).map((replay) => html`<div>${replay.eventId} at ${replay.at}</div>`)}</td></tr>` : ""}
${view.discarded ? html`<tr><th>Discarded</th><td>${(view.discarded as { reason: string }).reason}</td></tr>` : ""}
</tbody></table>
${
  view.status === "pending"
    ? html`<p>${sources.bus ? replayButton(id, token) : ""}
<form method="post" class="inline" action="${base}/dead-letters/${encodeURIComponent(id)}/discard" data-action="discard"><input type="hidden" name="csrf" value="${token}">
<input name="reason" placeholder="reason (required)" required maxlength="1000"> <button class="danger">Discard</button></form></p>`
    : ""
}</div>
<div class="card"><h2>Message</h2><pre data-field="message">${prettyJson(view.message)}</pre>
<h2>Error chain</h2><pre>${prettyJson(view.errorChain)}</pre>${view.issues ? html`<h2>Issues</h2><pre>${prettyJson(view.issues)}</pre>` : ""}</div>`;
  };

  const syncJobsPage = async (): Promise<Html> => {
    const jobs = redactor(await syncJobsView()) as Awaited<ReturnType<typeof syncJobsView>>;
    return html`<h1>Sync jobs</h1>
<div class="card"><h2>Lag</h2>${barChart(
      "Lag by job (seconds)",
      jobs
        .filter((job) => job.lagMs !== undefined)
        .map((job) => ({ label: job.name, value: (job.lagMs ?? 0) / 1000, tone: "info" as const })),
      " s",
    )}</div>
<div class="card"><table data-table="sync-jobs"><thead><tr><th>Job</th><th>Lag</th><th>Trend</th><th>Last run</th><th>Last checkpoint</th></tr></thead><tbody>
${jobs.map(
  (job) =>
    html`<tr data-job-id="${job.id}"><td><b>${job.name}</b><div class="muted mono">${job.id}</div></td><td>${formatDuration(job.lagMs)}</td><td>${sparkline(`Lag of ${job.name}`, job.lagHistory)}</td><td>${
      job.lastRun
        ? html`${badge(job.lastRun.status)} ${job.lastRun.mode} · read ${job.lastRun.read}, written ${job.lastRun.written}, unchanged ${job.lastRun.unchanged}, invalid ${job.lastRun.invalid}${
            job.lastRun.error ? html`<div>${job.lastRun.error.code}: ${job.lastRun.error.message}</div>` : ""
          }`
        : html`<span class="muted">no run yet</span>`
    }</td><td>${
      job.checkpoint
        ? html`<span class="mono">${job.checkpoint.cursor ?? "(start)"}</span> ${job.checkpoint.complete ? badge("completed") : badge("running")}<div class="muted">saved ${job.checkpoint.updatedAt}</div>`
        : html`<span class="muted">none</span>`
    }</td></tr>`,
)}</tbody></table></div>`;
  };

  const upstreamsPage = async (): Promise<Html> => {
    const upstreams = redactor(await upstreamsView()) as Awaited<ReturnType<typeof upstreamsView>>;
    return html`<h1>Upstreams</h1>
<div class="card"><h2>Rate-limit utilisation</h2>${barChart(
      "Rate-limit utilisation (%)",
      upstreams
        .filter((upstream) => upstream.utilisation !== undefined)
        .map((upstream) => ({
          label: upstream.system,
          value: Math.round((upstream.utilisation ?? 0) * 100),
          tone:
            (upstream.utilisation ?? 0) >= 0.9
              ? ("bad" as const)
              : (upstream.utilisation ?? 0) >= 0.7
                ? ("warn" as const)
                : ("ok" as const),
        })),
      "%",
    )}</div>
<div class="card"><h2>Latency p95</h2>${barChart(
      "Latency p95 (ms)",
      upstreams
        .filter((upstream) => upstream.latency !== undefined)
        .map((upstream) => ({
          label: upstream.system,
          value: upstream.latency?.p95 ?? 0,
          tone: "info" as const,
        })),
      " ms",
    )}</div>
<div class="card"><table data-table="upstreams"><thead><tr><th>System</th><th>Circuit</th><th>Utilisation</th><th>Trend</th><th>Rate</th><th>Queue</th><th>Latency p50 / p95 / p99</th><th>Errors</th></tr></thead><tbody>
${upstreams.map(
  (upstream) =>
    html`<tr data-system="${upstream.system}"><td><b>${upstream.system}</b></td><td>${upstream.circuit ? badge(upstream.circuit) : "—"}${
      upstream.circuitOpened ? html`<div class="muted">opened ${upstream.circuitOpened}×</div>` : ""
    }</td><td>${upstream.utilisation === undefined ? "—" : `${formatNumber(Math.round(upstream.utilisation * 1000) / 10)}%`}</td><td>${sparkline(
      `Utilisation of ${upstream.system}`,
      upstream.utilisationHistory,
      { max: 1 },
    )}</td><td>${upstream.currentRate ?? "—"} / ${upstream.configuredRate ?? "—"} per ${formatDuration(upstream.intervalMs)}${
      upstream.throttled ? html`<div class="muted">throttled ${upstream.throttled}×</div>` : ""
    }</td><td>${upstream.queued ?? "—"} queued, ${upstream.inFlight ?? "—"} in flight${upstream.refused ? html`<div class="muted">${upstream.refused} refused</div>` : ""}</td><td>${
      upstream.latency
        ? `${formatNumber(upstream.latency.p50)} / ${formatNumber(upstream.latency.p95)} / ${formatNumber(upstream.latency.p99)} ms`
        : "—"
    }</td><td>${upstream.errorRate === undefined ? "—" : `${formatNumber(Math.round(upstream.errorRate * 1000) / 10)}%`}</td></tr>`,
)}</tbody></table></div>`;
  };

  const ediPage = async (): Promise<Html> => {
    const partners = redactor(await ediView()) as Awaited<ReturnType<typeof ediView>>;
    const bars: Bar[] = partners.flatMap((partner) => [
      { label: `${partner.name} overdue`, value: partner.counts.overdue, tone: "bad" as const },
      { label: `${partner.name} rejected`, value: partner.counts.rejected, tone: "bad" as const },
    ]);
    return html`<h1>EDI partners</h1>
<div class="card"><h2>Problems by partner</h2>${barChart(
      "Overdue and rejected acknowledgements",
      bars.filter((bar) => bar.value > 0),
    )}</div>
<div class="card"><table data-table="edi-partners"><thead><tr><th>Partner</th><th>Accepted</th><th>Partial</th><th>Rejected</th><th>Received</th><th>Pending</th><th>Overdue</th></tr></thead><tbody>
${partners.map(
  (partner) =>
    html`<tr data-partner="${partner.id}"><td><b>${partner.name}</b><div class="muted mono">${partner.id}</div></td><td>${partner.counts.accepted}</td><td>${partner.counts.partial}</td><td>${partner.counts.rejected}</td><td>${partner.counts.received}</td><td>${partner.counts.pending}</td><td>${partner.counts.overdue}</td></tr>`,
)}</tbody></table></div>
${partners.map(
  (partner) =>
    html`<div class="card"><h2>${partner.name}: latest groups</h2><table><thead><tr><th>Group</th><th>Control number</th><th>Sent</th><th>Due</th><th>Status</th></tr></thead><tbody>${partner.recent.map(
      (ack) =>
        html`<tr><td>${ack.functionalId}</td><td class="mono">${ack.controlNumber}</td><td class="mono">${ack.sentAt}</td><td class="mono">${ack.dueAt}</td><td>${badge(ack.state)} ${ack.code ? html`<span class="mono">${ack.code}</span>` : ""}</td></tr>`,
    )}</tbody></table></div>`,
)}`;
  };

  // ---------------------------------------------------------------- entry

  return async (request: Request): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return problem(new HttpProblem(400, "BAD_REQUEST", "The request URL is invalid"));
    }
    const path = url.pathname;
    if (base !== "" && path !== base && !path.startsWith(`${base}/`))
      return problem(new HttpProblem(404, "NOT_FOUND", `Outside ${base}`));
    let allowed = false;
    try {
      allowed = (await settings.authorize(request)) === true;
    } catch {
      allowed = false;
    }
    if (!allowed)
      return problem(new HttpProblem(403, "FORBIDDEN", "The host's authorize hook refused this request"));
    const parts = path
      .slice(base.length)
      .split("/")
      .filter((part) => part !== "");
    if (parts.length === 1 && parts[0] === "metrics" && metrics) return metrics(request);
    try {
      if (parts[0] === "api") return await api(request, url, parts.slice(1));
      return await pages(request, url, parts);
    } catch (error) {
      return problem(error);
    }
  };
}

/** Decodes one path segment; a malformed escape is bad input (400), never a crash. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ValidationError("The path is not valid percent-encoding", [
      { code: "invalid_string", path: ["path"], message: `Cannot decode ${segment.slice(0, 60)}` },
    ]);
  }
}

/** Reads a body as UTF-8, refusing (413) as soon as it passes the cap, whatever its declared length. */
async function readCapped(request: Request): Promise<string> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new HttpProblem(413, "BODY_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

type AckState = "accepted" | "partial" | "rejected" | "received" | "pending" | "overdue";

function emptyCounts(): Record<AckState, number> {
  return { accepted: 0, partial: 0, rejected: 0, received: 0, pending: 0, overdue: 0 };
}

/**
 * The state of one acknowledgement: AK901 `A` / UCI04 `7` accepted; `E`, `P` partial
 * (accepted with errors); `R`, `M`, `W`, `X` / UCI04 `4` rejected; UCI04 `8` received;
 * no status yet: pending, or overdue once past its due time.
 */
function ackState(acknowledgement: EdiAcknowledgementLike, now: number): AckState {
  const status = acknowledgement.status;
  if (status === undefined || acknowledgement.acknowledgedAt === undefined)
    return now > acknowledgement.dueAt ? "overdue" : "pending";
  if (status === "A" || status === "7") return "accepted";
  if (status === "E" || status === "P") return "partial";
  if (status === "8") return "received";
  return "rejected";
}

function ackView(acknowledgement: EdiAcknowledgementLike, now: number) {
  return {
    functionalId: acknowledgement.functionalId,
    controlNumber: acknowledgement.controlNumber,
    sentAt: new Date(acknowledgement.sentAt).toISOString(),
    dueAt: new Date(acknowledgement.dueAt).toISOString(),
    state: ackState(acknowledgement, now),
    code: acknowledgement.status,
    acknowledgedAt:
      acknowledgement.acknowledgedAt === undefined
        ? undefined
        : new Date(acknowledgement.acknowledgedAt).toISOString(),
  };
}

function bucketAges(ages: number[]): Bar[] {
  const buckets: [string, number][] = [
    ["< 1 min", 60_000],
    ["< 1 h", 3_600_000],
    ["< 1 day", 86_400_000],
    ["≥ 1 day", Number.POSITIVE_INFINITY],
  ];
  const counts = buckets.map(() => 0);
  for (const age of ages) {
    const index = buckets.findIndex(([, limit]) => age < limit);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return buckets.map(([label], index) => ({
    label,
    value: counts[index] ?? 0,
    tone: index >= 2 ? ("bad" as const) : index === 1 ? ("warn" as const) : ("info" as const),
  }));
}
