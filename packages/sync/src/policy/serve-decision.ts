import type { SyncPolicy } from "./sync-policy";

/** How a read is answered under its policy. */
export type ServeAction = "fresh" | "stale-revalidate" | "fetch";

/** The verdict of {@link decideServe} and the reason in words. */
export interface ServeVerdict {
  /** Serve the cached value, serve it and refresh in the background, or go upstream. */
  action: ServeAction;
  /** Why, in words: the age compared with the policy's bounds. */
  reason: string;
}

/**
 * Decides how to answer a read from the age of the cached value and its policy. A value
 * is never served past `maxStalenessMs`.
 *
 * @param policy - the flow's policy
 * @param ageMs - the cached value's age, or undefined when nothing is cached
 * @returns the action and its reason
 * @example
 * ```ts
 * import { decideServe, defaultPolicies } from "@distro/sync";
 *
 * decideServe(defaultPolicies.price, 90_000).action; // "stale-revalidate"
 * decideServe(defaultPolicies.credit, 0).action; // "fetch"
 * ```
 */
export function decideServe(policy: Readonly<SyncPolicy>, ageMs: number | undefined): ServeVerdict {
  if (ageMs === undefined) return { action: "fetch", reason: "nothing cached" };
  if (policy.maxStalenessMs === 0) {
    return { action: "fetch", reason: `policy ${policy.name} (${policy.mode}) never serves from cache` };
  }
  if (ageMs < policy.freshForMs) {
    return {
      action: "fresh",
      reason: `age ${Math.round(ageMs)} ms < fresh ${policy.freshForMs} ms of policy ${policy.name}`,
    };
  }
  if (ageMs < policy.maxStalenessMs) {
    return {
      action: "stale-revalidate",
      reason: `age ${Math.round(ageMs)} ms within bound ${policy.maxStalenessMs} ms of policy ${policy.name}: served, refreshing`,
    };
  }
  return {
    action: "fetch",
    reason: `age ${Math.round(ageMs)} ms ≥ bound ${policy.maxStalenessMs} ms of policy ${policy.name}`,
  };
}
