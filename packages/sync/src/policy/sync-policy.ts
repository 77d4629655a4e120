import { ValidationError, type ValidationIssue } from "@distro/core";

/**
 * How a data flow is kept in step:
 * - `realtime`: pushed by events within seconds (fast-moving inventory);
 * - `near-realtime`: read through a cache with a short bound (prices);
 * - `scheduled`: loaded in batches on a schedule (catalog content, slow inventory);
 * - `on-demand`: asked for at the moment of use and never served past its bound (credit).
 */
export type SyncMode = "realtime" | "near-realtime" | "scheduled" | "on-demand";

/** How much the business suffers when the data is wrong or late. */
export type Criticality = "critical" | "high" | "normal" | "low";

/** Who is waiting for a read: a customer (served first) or back-office batch work. */
export type ReadPriority = "interactive" | "batch";

/**
 * A volatility policy: how fresh a flow's data must be and how it is served.
 *
 * A cached value younger than `freshForMs` is served as is. Between `freshForMs` and
 * `maxStalenessMs` it is still served, and a refresh is started in the background
 * (stale-while-revalidate). Older than `maxStalenessMs` it is never served: the read
 * waits for the upstream. `maxStalenessMs: 0` means every read goes upstream.
 */
export interface SyncPolicy {
  /** A stable name, e.g. `price`, `inventory.fast`. */
  name: string;
  /** How the flow is kept in step. */
  mode: SyncMode;
  /** How much wrong or late data costs. */
  criticality: Criticality;
  /** A value younger than this is served without asking the upstream. */
  freshForMs: number;
  /** The hard bound: a value older than this is never served. */
  maxStalenessMs: number;
  /** How long an upstream "not found" is remembered (0: not remembered). */
  notFoundForMs: number;
  /** When a refresh fails, keep serving the cached value (still within `maxStalenessMs`). */
  serveStaleOnError: boolean;
  /** Who usually waits for this flow's reads; sets its place in the upstream queue. */
  priority: ReadPriority;
  /** A sentence for people: why the policy is what it is. */
  description: string;
}

/**
 * Checks a policy's numbers and builds it: durations are finite and not negative, and
 * `freshForMs ≤ maxStalenessMs`.
 *
 * @param policy - the policy fields
 * @returns the same policy, frozen
 * @throws ValidationError naming every wrong field
 * @example
 * ```ts
 * import { definePolicy } from "@distro/sync";
 *
 * const contractPrices = definePolicy({
 *   name: "price.contract",
 *   mode: "near-realtime",
 *   criticality: "high",
 *   freshForMs: 60_000,
 *   maxStalenessMs: 300_000,
 *   notFoundForMs: 30_000,
 *   serveStaleOnError: true,
 *   priority: "interactive",
 *   description: "Contract prices change rarely; a five-minute bound is agreed with sales.",
 * });
 * ```
 */
export function definePolicy(policy: SyncPolicy): Readonly<SyncPolicy> {
  const issues: ValidationIssue[] = [];
  const modes: SyncMode[] = ["realtime", "near-realtime", "scheduled", "on-demand"];
  const criticalities: Criticality[] = ["critical", "high", "normal", "low"];
  if (typeof policy.name !== "string" || policy.name.length === 0) {
    issues.push({ code: "invalid_name", path: ["name"], message: "A policy needs a non-empty name" });
  }
  if (!modes.includes(policy.mode)) {
    issues.push({ code: "invalid_enum", path: ["mode"], message: `Mode must be one of ${modes.join(", ")}` });
  }
  if (!criticalities.includes(policy.criticality)) {
    issues.push({
      code: "invalid_enum",
      path: ["criticality"],
      message: `Criticality must be one of ${criticalities.join(", ")}`,
    });
  }
  if (policy.priority !== "interactive" && policy.priority !== "batch") {
    issues.push({ code: "invalid_enum", path: ["priority"], message: "Priority is interactive or batch" });
  }
  for (const field of ["freshForMs", "maxStalenessMs", "notFoundForMs"] as const) {
    const value = policy[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      issues.push({ code: "invalid_duration", path: [field], message: "Must be a finite number ≥ 0" });
    }
  }
  if (policy.freshForMs > policy.maxStalenessMs) {
    issues.push({
      code: "fresh_beyond_bound",
      path: ["freshForMs"],
      message: "freshForMs cannot exceed maxStalenessMs",
    });
  }
  if (issues.length > 0) throw new ValidationError(`Policy ${String(policy.name)} is invalid`, issues);
  return Object.freeze({ ...policy });
}
