import { ValidationError, type ValidationIssue } from "../errors/validation-error";

/**
 * What kind of problem an exception item stands for.
 *
 * @example
 * ```ts
 * const kind: ExceptionKind = "flow-hold";
 * ```
 */
export type ExceptionKind = "dead-letter" | "flow-hold" | "edi-rejection" | "other";

/**
 * How urgent an exception item is; queues list `urgent` first.
 *
 * @example
 * ```ts
 * const priority: ExceptionPriority = "high";
 * ```
 */
export type ExceptionPriority = "urgent" | "high" | "normal" | "low";

/**
 * The rank of each priority, lowest first in a queue listing (`urgent` is 0).
 *
 * @example
 * ```ts
 * import { EXCEPTION_PRIORITY_RANK } from "@distro/core";
 *
 * EXCEPTION_PRIORITY_RANK.urgent < EXCEPTION_PRIORITY_RANK.low; // true
 * ```
 */
export const EXCEPTION_PRIORITY_RANK: Readonly<Record<ExceptionPriority, number>> = {
  urgent: 0,
  high: 1,
  normal: 2,
  low: 3,
};

/**
 * The facts a router decides on: what failed, where and for whom. Built from a dead
 * letter ({@link deadLetterExceptionFacts}) or a held flow ({@link flowHoldExceptionFacts}),
 * or by hand for other sources (an EDI rejection).
 *
 * @example
 * ```ts
 * const facts: ExceptionFacts = { kind: "edi-rejection", errorCodes: ["EDI_REJECTED"], partner: "acme", occurredAt: Date.now() };
 * ```
 */
export interface ExceptionFacts {
  /** What kind of problem. */
  kind: ExceptionKind;
  /** The error codes of the failure, outermost first (the whole cause chain of a dead letter). */
  errorCodes: string[];
  /** The trading partner or system involved (`acme`, `erp`, `shopify`). */
  partner?: string;
  /** The flow's name, for a held flow. */
  flow?: string;
  /** The event type, for a dead letter. */
  type?: string;
  /** The event source, for a dead letter. */
  source?: string;
  /** The subscriber that gave up, for a dead letter. */
  subscriber?: string;
  /** When the problem happened, epoch milliseconds (the SLA counts from here). */
  occurredAt: number;
}

/**
 * A pattern: exact text, or a glob where `*` stands for any run of characters (`erp.*`,
 * `EDI_*`); a list matches when any of its patterns does.
 *
 * @example
 * ```ts
 * const codes: ExceptionPattern = ["erp.*", "UPSTREAM_*"];
 * ```
 */
export type ExceptionPattern = string | readonly string[];

/**
 * What a rule matches. Every given field must match; a field given as a list matches
 * when any of its patterns does.
 *
 * @example
 * ```ts
 * const match: ExceptionMatch = { errorCode: ["CREDIT_*", "ERP_CREDIT_LIMIT"], flow: "order-to-cash" };
 * ```
 */
export interface ExceptionMatch {
  /** The kind of problem. */
  kind?: ExceptionKind | readonly ExceptionKind[];
  /** An error code anywhere in the chain (outermost first). */
  errorCode?: ExceptionPattern;
  /** The partner or system. */
  partner?: ExceptionPattern;
  /** The flow name. */
  flow?: ExceptionPattern;
  /** The event type. */
  type?: ExceptionPattern;
  /** The event source. */
  source?: ExceptionPattern;
  /** The subscriber. */
  subscriber?: ExceptionPattern;
  /** A last test on the facts, run only when every pattern matched. */
  when?: (facts: ExceptionFacts) => boolean;
}

/**
 * One routing rule: what it matches and where it sends what matched.
 *
 * @example
 * ```ts
 * const rule: ExceptionRule = {
 *   name: "credit holds",
 *   match: { kind: "flow-hold", errorCode: "CREDIT_*" },
 *   queue: "credit-desk",
 *   priority: "high",
 *   slaMs: 4 * 3_600_000,
 * };
 * ```
 */
export interface ExceptionRule {
  /** A name for people and for {@link ExceptionRouter.explain} (default `rule <index>`). */
  name?: string;
  /** What it matches; an empty match matches everything. */
  match: ExceptionMatch;
  /** The named queue, e.g. `credit-desk`, `edi-support`, `warehouse-ops`. */
  queue: string;
  /** The priority of its items (default `normal`). */
  priority?: ExceptionPriority;
  /** How long people have to resolve an item, in milliseconds from when it happened. */
  slaMs?: number;
}

/**
 * Settings of {@link createExceptionRouter}.
 *
 * @example
 * ```ts
 * const settings: ExceptionRouterSettings = {
 *   rules: [{ match: { partner: "acme" }, queue: "edi-support" }],
 *   defaultQueue: "integration-support",
 *   defaultSlaMs: 86_400_000,
 * };
 * ```
 */
export interface ExceptionRouterSettings {
  /** The rules, tried in order: the first that matches decides. */
  rules: readonly ExceptionRule[];
  /** Where what no rule matches goes (default `unrouted`). */
  defaultQueue?: string;
  /** The priority of the default queue's items (default `normal`). */
  defaultPriority?: ExceptionPriority;
  /** The SLA of the default queue's items, in milliseconds. */
  defaultSlaMs?: number;
}

/**
 * Where an exception goes.
 *
 * @example
 * ```ts
 * const routing: ExceptionRouting = router.route(facts);
 * routing.queue; // "credit-desk"
 * ```
 */
export interface ExceptionRouting {
  /** The queue. */
  queue: string;
  /** The priority. */
  priority: ExceptionPriority;
  /** When it is due, epoch milliseconds, when the rule has an SLA. */
  dueAt?: number;
  /** The rule that decided (its index and name), or undefined for the default queue. */
  rule?: { index: number; name: string };
}

/**
 * How one field of one rule compared with the facts.
 *
 * @example
 * ```ts
 * const check: ExceptionFieldCheck = { field: "errorCode", patterns: ["erp.*"], values: ["erp.timeout"], matched: "erp.timeout" };
 * ```
 */
export interface ExceptionFieldCheck {
  /** The field of {@link ExceptionMatch}. */
  field: keyof ExceptionMatch;
  /** The rule's patterns (`when` shows as `(predicate)`). */
  patterns: string[];
  /** The values of the facts it was compared with. */
  values: string[];
  /** The value that matched, or undefined when none did. */
  matched?: string;
}

/**
 * Why a router decided as it did: each rule tried in order, with the field checks
 * that passed and the first that failed, and the routing that came out.
 *
 * @example
 * ```ts
 * const decision: ExceptionDecision = router.explain(facts);
 * console.log(decision.reason);
 * // "credit holds (rule 0) matched: kind flow-hold = flow-hold, errorCode CREDIT_* = CREDIT_LIMIT; queue credit-desk"
 * ```
 */
export interface ExceptionDecision {
  /** Where it goes. */
  routing: ExceptionRouting;
  /** Every rule tried, in order, up to and including the one that matched. */
  rules: { index: number; name: string; matched: boolean; checks: ExceptionFieldCheck[] }[];
  /** One sentence for people. */
  reason: string;
}

/**
 * Routes exceptions to named queues for people.
 *
 * @example
 * ```ts
 * const router: ExceptionRouter = createExceptionRouter({ rules: [{ match: { partner: "acme" }, queue: "edi-support" }] });
 * ```
 */
export interface ExceptionRouter {
  /**
   * Decides the queue, priority and due time of an exception.
   *
   * @param facts - what failed, where and for whom
   * @returns the routing
   */
  route(facts: ExceptionFacts): ExceptionRouting;
  /**
   * Decides like {@link ExceptionRouter.route} and says why.
   *
   * @param facts - what failed, where and for whom
   * @returns the routing with the checks of each rule tried
   */
  explain(facts: ExceptionFacts): ExceptionDecision;
  /** Every queue a rule (or the default) can route to, in rule order, the default last. */
  readonly queues: readonly string[];
}

const PRIORITIES = Object.keys(EXCEPTION_PRIORITY_RANK) as ExceptionPriority[];
const KINDS: readonly ExceptionKind[] = ["dead-letter", "flow-hold", "edi-rejection", "other"];
const PATTERN_FIELDS = ["errorCode", "partner", "flow", "type", "source", "subscriber"] as const;
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

type PatternField = (typeof PATTERN_FIELDS)[number];

interface CompiledField {
  field: keyof ExceptionMatch;
  patterns: string[];
  test: (value: string) => boolean;
}

interface CompiledRule {
  index: number;
  name: string;
  rule: ExceptionRule;
  fields: CompiledField[];
}

/** Compiles a glob (`*` for any run of characters) to an anchored expression; plain text matches exactly. */
function compilePattern(pattern: string): (value: string) => boolean {
  if (!pattern.includes("*")) return (value) => value === pattern;
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const expression = new RegExp(`^${source}$`, "s");
  return (value) => expression.test(value);
}

function valuesOf(facts: ExceptionFacts, field: PatternField | "kind"): string[] {
  switch (field) {
    case "kind":
      return [facts.kind];
    case "errorCode":
      return facts.errorCodes;
    default: {
      const value = facts[field];
      return value === undefined ? [] : [value];
    }
  }
}

function checkRules(settings: ExceptionRouterSettings): CompiledRule[] {
  const issues: ValidationIssue[] = [];
  const compiled: CompiledRule[] = [];
  if (!Array.isArray(settings?.rules)) {
    throw new ValidationError("Invalid exception routing rules", [
      { code: "invalid_type", path: ["rules"], message: "Expected a list of rules" },
    ]);
  }
  const queue = (path: (string | number)[], value: unknown) => {
    if (typeof value !== "string" || !QUEUE_NAME.test(value))
      issues.push({
        code: "invalid_string",
        path,
        message: "A queue name is 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit",
      });
  };
  const priority = (path: (string | number)[], value: unknown) => {
    if (value !== undefined && !PRIORITIES.includes(value as ExceptionPriority))
      issues.push({
        code: "invalid_enum_value",
        path,
        message: `priority must be one of ${PRIORITIES.join(", ")}`,
      });
  };
  const sla = (path: (string | number)[], value: unknown) => {
    if (value !== undefined && (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0))
      issues.push({
        code: "too_small",
        path,
        message: "slaMs must be a whole number of milliseconds above 0",
      });
  };
  settings.rules.forEach((rule, index) => {
    const at = ["rules", index];
    if (typeof rule !== "object" || rule === null) {
      issues.push({ code: "invalid_type", path: at, message: "Expected a rule object" });
      return;
    }
    if (rule.name !== undefined && (typeof rule.name !== "string" || rule.name.length === 0))
      issues.push({
        code: "invalid_type",
        path: [...at, "name"],
        message: "name must be a non-empty string",
      });
    queue([...at, "queue"], rule.queue);
    priority([...at, "priority"], rule.priority);
    sla([...at, "slaMs"], rule.slaMs);
    const match = rule.match;
    if (typeof match !== "object" || match === null) {
      issues.push({ code: "invalid_type", path: [...at, "match"], message: "Expected a match object" });
      return;
    }
    const known = new Set<string>(["kind", "when", ...PATTERN_FIELDS]);
    for (const key of Object.keys(match))
      if (!known.has(key))
        issues.push({
          code: "unrecognized_keys",
          path: [...at, "match", key],
          message: `Unknown match field ${key}; use ${[...known].join(", ")}`,
        });
    const fields: CompiledField[] = [];
    if (match.kind !== undefined) {
      const kinds = typeof match.kind === "string" ? [match.kind] : match.kind;
      if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((kind) => !KINDS.includes(kind)))
        issues.push({
          code: "invalid_enum_value",
          path: [...at, "match", "kind"],
          message: `kind must be one or more of ${KINDS.join(", ")}`,
        });
      else fields.push({ field: "kind", patterns: [...kinds], test: (value) => kinds.includes(value) });
    }
    for (const field of PATTERN_FIELDS) {
      const given = match[field];
      if (given === undefined) continue;
      const patterns = typeof given === "string" ? [given] : given;
      if (
        !Array.isArray(patterns) ||
        patterns.length === 0 ||
        patterns.some((pattern) => typeof pattern !== "string" || pattern.length === 0)
      ) {
        issues.push({
          code: "invalid_type",
          path: [...at, "match", field],
          message: `${field} must be a non-empty pattern or a non-empty list of them`,
        });
        continue;
      }
      const tests = patterns.map(compilePattern);
      fields.push({ field, patterns: [...patterns], test: (value) => tests.some((test) => test(value)) });
    }
    if (match.when !== undefined && typeof match.when !== "function")
      issues.push({
        code: "invalid_type",
        path: [...at, "match", "when"],
        message: "when must be a function",
      });
    compiled.push({ index, name: rule.name ?? `rule ${index}`, rule, fields });
  });
  if (settings.defaultQueue !== undefined) queue(["defaultQueue"], settings.defaultQueue);
  priority(["defaultPriority"], settings.defaultPriority);
  sla(["defaultSlaMs"], settings.defaultSlaMs);
  if (issues.length > 0) throw new ValidationError("Invalid exception routing rules", issues);
  return compiled;
}

/**
 * Creates an {@link ExceptionRouter}: ordered rules matching on error code (anywhere in
 * the cause chain), partner or system, flow, event type, source, subscriber and kind,
 * exact or with `*` globs, plus an optional predicate; the first rule that matches
 * decides the queue, priority and due time; what none matches goes to the default queue.
 * Rules are checked once, here.
 *
 * @param settings - the rules in order and the default queue
 * @returns the router
 * @throws ValidationError when a rule is malformed; each issue's `path` names the rule index and field (`rules.2.match.errorCode`)
 * @example
 * ```ts
 * import { createExceptionRouter } from "@distro/core";
 *
 * const router = createExceptionRouter({
 *   rules: [
 *     { name: "credit", match: { kind: "flow-hold", errorCode: "CREDIT_*" }, queue: "credit-desk", priority: "high", slaMs: 14_400_000 },
 *     { name: "edi", match: { partner: ["acme", "globex"] }, queue: "edi-support" },
 *     { name: "stock", match: { errorCode: "wms.*" }, queue: "warehouse-ops" },
 *   ],
 *   defaultQueue: "integration-support",
 * });
 * router.route({ kind: "flow-hold", errorCodes: ["CREDIT_LIMIT"], flow: "order-to-cash", occurredAt: 0 }).queue; // "credit-desk"
 * ```
 */
export function createExceptionRouter(settings: ExceptionRouterSettings): ExceptionRouter {
  const rules = checkRules(settings);
  const defaultQueue = settings.defaultQueue ?? "unrouted";
  const queues = [...new Set([...rules.map((rule) => rule.rule.queue), defaultQueue])];

  const routing = (facts: ExceptionFacts, rule: CompiledRule | undefined): ExceptionRouting => {
    const slaMs = rule ? rule.rule.slaMs : settings.defaultSlaMs;
    const out: ExceptionRouting = {
      queue: rule ? rule.rule.queue : defaultQueue,
      priority: (rule ? rule.rule.priority : settings.defaultPriority) ?? "normal",
    };
    if (slaMs !== undefined && Number.isFinite(facts.occurredAt)) out.dueAt = facts.occurredAt + slaMs;
    if (rule) out.rule = { index: rule.index, name: rule.name };
    return out;
  };

  const decide = (facts: ExceptionFacts, explain: boolean) => {
    const tried: ExceptionDecision["rules"] = [];
    for (const rule of rules) {
      const checks: ExceptionFieldCheck[] = [];
      let matched = true;
      for (const field of rule.fields) {
        const values = valuesOf(facts, field.field as PatternField | "kind");
        const hit = values.find((value) => field.test(value));
        if (explain) checks.push({ field: field.field, patterns: field.patterns, values, matched: hit });
        if (hit === undefined) {
          matched = false;
          break;
        }
      }
      if (matched && rule.rule.match.when !== undefined) {
        const passed = rule.rule.match.when(facts) === true;
        if (explain)
          checks.push({
            field: "when",
            patterns: ["(predicate)"],
            values: [],
            ...(passed ? { matched: "true" } : {}),
          });
        matched = passed;
      }
      if (explain) tried.push({ index: rule.index, name: rule.name, matched, checks });
      if (matched) return { rule, tried };
    }
    return { rule: undefined, tried };
  };

  return {
    queues,
    route(facts) {
      return routing(facts, decide(facts, false).rule);
    },
    explain(facts) {
      const { rule, tried } = decide(facts, true);
      const decided = routing(facts, rule);
      let reason: string;
      if (rule) {
        const why = tried[tried.length - 1]!.checks.map((check) =>
          check.field === "when"
            ? "predicate true"
            : `${check.field} ${check.patterns.join("|")} = ${check.matched}`,
        );
        reason = `${rule.name} (rule ${rule.index}) matched${why.length > 0 ? `: ${why.join(", ")}` : " everything"}; queue ${decided.queue}`;
      } else {
        reason = `no rule matched (${rules.length} tried); default queue ${decided.queue}`;
      }
      return { routing: decided, rules: tried, reason };
    },
  };
}
