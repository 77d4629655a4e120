import { getCorrelation } from "../correlation/context";
import { ValidationError, type ValidationIssue } from "../errors/validation-error";
import { createRedactor, type RedactionRules } from "./redact";

/** How a step ended. */
export type AuditOutcome = "success" | "failure" | "retry" | "skipped";

const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(["success", "failure", "retry", "skipped"]);

/** One step of a transaction, as recorded: who did what to which system, when, and how it ended. */
export interface AuditEntry {
  /** The correlation id of the transaction. */
  correlationId: string;
  /** The system acted on, e.g. `erp`, `shopify`, `wms`, `edi:acme`. */
  system: string;
  /** The step, e.g. `book-order`, `send-asn`. */
  step: string;
  /** How it ended. */
  outcome: AuditOutcome;
  /** When the step ended (RFC 3339, UTC). */
  at: string;
  /** How long it took, in milliseconds. */
  durationMs?: number;
  /** Who or what acted: a flow, a service, or a person in the console. */
  actor?: string;
  /** Facts about the step (already redacted when recorded). */
  details?: Record<string, unknown>;
}

/** What {@link AuditLog.record} accepts: an entry whose `at` may be a `Date`. */
export type AuditEntryInput = Omit<AuditEntry, "at"> & { at: string | Date };

/** Which entries {@link AuditLog.list} returns. */
export interface AuditQuery {
  /** Only this transaction's entries. */
  correlationId?: string;
  /** Only entries about this system. */
  system?: string;
  /** At most this many (the oldest first). */
  limit?: number;
}

/**
 * The audit trail port: every step of every transaction, keyed by correlation id, so
 * operations can follow a flow as a timeline. In-memory by default
 * ({@link createInMemoryAuditLog}); durable adapters live in store packages.
 */
export interface AuditLog {
  /**
   * Records a step. The details are redacted before they are kept.
   *
   * @throws ValidationError - when the entry is malformed
   */
  record(entry: AuditEntryInput): Promise<AuditEntry>;
  /** The entries matching a query, oldest first (by `at`, then by arrival). */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** Settings of {@link createInMemoryAuditLog}. */
export interface InMemoryAuditLogSettings {
  /** The most entries kept; the oldest are dropped beyond it (default 100,000). */
  maxEntries?: number;
  /** Redaction rules for `details` (defaults as in `redact`), or `false` for none. */
  redact?: RedactionRules | false;
}

function checkEntry(entry: AuditEntryInput): AuditEntry {
  if (typeof entry !== "object" || entry === null) {
    throw new ValidationError("Invalid audit entry", [
      { code: "invalid_type", path: [], message: "Expected an object" },
    ]);
  }
  const issues: ValidationIssue[] = [];
  const input = entry as Partial<AuditEntryInput>;
  for (const name of ["correlationId", "system", "step"] as const) {
    const value = input[name];
    if (typeof value !== "string" || value.length === 0) {
      issues.push({ code: "invalid_type", path: [name], message: `${name} must be a non-empty string` });
    }
  }
  if (typeof input.outcome !== "string" || !OUTCOMES.has(input.outcome)) {
    issues.push({
      code: "invalid_enum_value",
      path: ["outcome"],
      message: "outcome must be success, failure, retry or skipped",
    });
  }
  let at = "";
  if (input.at instanceof Date && !Number.isNaN(input.at.getTime())) at = input.at.toISOString();
  else if (typeof input.at === "string" && !Number.isNaN(Date.parse(input.at)))
    at = new Date(input.at).toISOString();
  else
    issues.push({
      code: "invalid_date",
      path: ["at"],
      message: "at must be a Date or an ISO 8601 timestamp",
    });
  if (input.durationMs !== undefined && (typeof input.durationMs !== "number" || !(input.durationMs >= 0))) {
    issues.push({ code: "invalid_type", path: ["durationMs"], message: "durationMs must be a number ≥ 0" });
  }
  if (input.actor !== undefined && typeof input.actor !== "string") {
    issues.push({ code: "invalid_type", path: ["actor"], message: "actor must be a string" });
  }
  if (
    input.details !== undefined &&
    (typeof input.details !== "object" || input.details === null || Array.isArray(input.details))
  ) {
    issues.push({ code: "invalid_type", path: ["details"], message: "details must be an object" });
  }
  if (issues.length > 0) throw new ValidationError("Invalid audit entry", issues);
  const out: AuditEntry = {
    correlationId: input.correlationId as string,
    system: input.system as string,
    step: input.step as string,
    outcome: input.outcome as AuditOutcome,
    at,
  };
  if (input.durationMs !== undefined) out.durationMs = input.durationMs;
  if (input.actor !== undefined) out.actor = input.actor;
  if (input.details !== undefined) out.details = input.details;
  return out;
}

/**
 * An {@link AuditLog} kept in memory: bounded, redacting, returning copies (a caller
 * cannot change what was recorded).
 *
 * @param settings - capacity and redaction
 * @returns the audit log
 * @example
 * ```ts
 * import { createInMemoryAuditLog } from "@distro/core";
 *
 * const audit = createInMemoryAuditLog();
 * await audit.record({ correlationId: "order-1001", system: "erp", step: "book-order", outcome: "success", at: new Date() });
 * (await audit.list({ correlationId: "order-1001" })).length; // 1
 * ```
 */
export function createInMemoryAuditLog(settings: InMemoryAuditLogSettings = {}): AuditLog {
  const maxEntries = settings.maxEntries ?? 100_000;
  const redactDetails =
    settings.redact === false
      ? createRedactor({ defaultKeys: false, scanStrings: false })
      : createRedactor(settings.redact ?? {});
  const entries: { entry: AuditEntry; sequence: number; millis: number }[] = [];
  let sequence = 0;

  const copy = (entry: AuditEntry): AuditEntry => structuredClone(entry);

  return {
    async record(input) {
      const entry = checkEntry(input);
      if (entry.details !== undefined)
        entry.details = redactDetails(entry.details) as Record<string, unknown>;
      const millis = Date.parse(entry.at);
      // Keep entries ordered by time; an entry that arrives late goes where it belongs.
      let index = entries.length;
      while (index > 0 && (entries[index - 1]?.millis ?? 0) > millis) index--;
      entries.splice(index, 0, { entry, sequence: sequence++, millis });
      if (entries.length > maxEntries) entries.splice(0, entries.length - maxEntries);
      return copy(entry);
    },
    async list(query = {}) {
      const out: AuditEntry[] = [];
      const limit = query.limit ?? Number.POSITIVE_INFINITY;
      for (const { entry } of entries) {
        if (out.length >= limit) break;
        if (query.correlationId !== undefined && entry.correlationId !== query.correlationId) continue;
        if (query.system !== undefined && entry.system !== query.system) continue;
        out.push(copy(entry));
      }
      return out;
    },
  };
}

/** What {@link auditStep} records about the step it runs. */
export interface AuditStepSettings {
  /** The system acted on. */
  system: string;
  /** The step. */
  step: string;
  /** Who or what acts. */
  actor?: string;
  /** Facts to record with the outcome. */
  details?: Record<string, unknown>;
  /** The correlation id; the current context's by default. */
  correlationId?: string;
  /** The current time (defaults to `new Date()`). */
  clock?: () => Date;
}

/**
 * Runs one step and records it in the audit log: `success` with its duration when it
 * resolves, `failure` with the error's code and message when it throws (the error is
 * then rethrown unchanged). The correlation id comes from the current context.
 *
 * @param log - the audit log
 * @param settings - system, step, actor, details, clock
 * @param fn - the step
 * @returns what the step returns
 * @throws whatever the step throws; ValidationError when there is no correlation id
 * @example
 * ```ts
 * import { auditStep, createInMemoryAuditLog, withCorrelation } from "@distro/core";
 *
 * const audit = createInMemoryAuditLog();
 * await withCorrelation({ correlationId: "order-1001" }, () =>
 *   auditStep(audit, { system: "erp", step: "book-order" }, async () => "SO-1001"),
 * );
 * ```
 */
export async function auditStep<T>(
  log: AuditLog,
  settings: AuditStepSettings,
  fn: () => Promise<T> | T,
): Promise<T> {
  const correlationId = settings.correlationId ?? getCorrelation()?.correlationId;
  if (correlationId === undefined) {
    throw new ValidationError("auditStep needs a correlation id", [
      {
        code: "required",
        path: ["correlationId"],
        message: "Run inside withCorrelation or pass correlationId",
      },
    ]);
  }
  const clock = settings.clock ?? (() => new Date());
  const started = clock().getTime();
  const base = { correlationId, system: settings.system, step: settings.step };
  const extra = settings.actor === undefined ? {} : { actor: settings.actor };
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    const ended = clock();
    const failure: Record<string, unknown> = { ...settings.details, error };
    await log.record({
      ...base,
      ...extra,
      outcome: "failure",
      at: ended,
      durationMs: Math.max(0, ended.getTime() - started),
      details: failure,
    });
    throw error;
  }
  const ended = clock();
  const entry: AuditEntryInput = {
    ...base,
    ...extra,
    outcome: "success",
    at: ended,
    durationMs: Math.max(0, ended.getTime() - started),
  };
  if (settings.details !== undefined) entry.details = settings.details;
  await log.record(entry);
  return result;
}
