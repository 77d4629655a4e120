import { ValidationError } from "@distro/core";
import { defaultPolicies } from "./default-policies";
import { definePolicy, type SyncPolicy } from "./sync-policy";

/** What is known about one read or change when its policy is chosen. */
export interface FlowContext {
  /** The entity, e.g. `price`, `inventory`, `credit`, `catalog`, `customer`. */
  entity: string;
  /** The record's key, when there is one. */
  key?: string;
  /** The SKU the read is about, when there is one. */
  sku?: string;
  /** Sales velocity of the SKU (units per day, or any scale the classifiers agree on). */
  velocity?: number;
  /** Anything else a classifier wants to look at (segment, channel…). */
  attributes?: Record<string, unknown>;
}

/** A classifier's verdict: the policy (by name or inline) and why. */
export interface PolicyClassification {
  /** A registered policy name, or a policy. */
  policy: string | SyncPolicy;
  /** Why this policy: a sentence shown in decisions. */
  reason: string;
}

/** Picks a policy for a flow, or returns undefined to let the next rule decide. */
export type PolicyClassifier = (context: FlowContext) => PolicyClassification | undefined;

/** The policy chosen for a flow and the reason, for inspection. */
export interface PolicyResolution {
  /** The entity asked about. */
  entity: string;
  /** The policy that applies. */
  policy: Readonly<SyncPolicy>;
  /** Why it applies. */
  reason: string;
}

/** Settings of {@link createPolicyRegistry}. */
export interface PolicyRegistrySettings {
  /** Policies added to (or replacing) {@link defaultPolicies}, by name. */
  policies?: Record<string, SyncPolicy>;
  /** Entity → policy name; merged over the default mapping. */
  entities?: Record<string, string>;
  /** Entity → classifiers tried in order before the entity's policy. */
  classifiers?: Record<string, PolicyClassifier[]>;
}

/** Chooses the policy of every flow and explains its choice. */
export interface PolicyRegistry {
  /**
   * The policy of one read or change, and why.
   * @throws ValidationError when the entity has no policy, or a classifier names an unknown one
   */
  resolve(context: FlowContext): PolicyResolution;
  /**
   * A registered policy by name.
   * @throws ValidationError when there is none
   */
  policy(name: string): Readonly<SyncPolicy>;
  /** Every registered policy. */
  policies(): Readonly<SyncPolicy>[];
}

/** The entity → policy mapping that ships by default. */
const DEFAULT_ENTITIES: Record<string, string> = {
  inventory: "inventory.slow",
  credit: "credit",
  price: "price",
  catalog: "catalog",
  item: "catalog",
  customer: "customer",
};

/**
 * Builds the registry that classifies every flow: classifiers of the entity first (per
 * SKU velocity, top sellers, segment…), then the entity's policy, with the domain
 * defaults underneath. By default inventory is `inventory.slow` unless a classifier
 * promotes a SKU (see {@link classifyByVelocity}).
 *
 * @param settings - extra policies, entity mapping and classifiers
 * @returns the registry
 * @example
 * ```ts
 * import { classifyByVelocity, createPolicyRegistry } from "@distro/sync";
 *
 * const registry = createPolicyRegistry({
 *   classifiers: {
 *     inventory: [classifyByVelocity({ tiers: [{ atLeast: 50, policy: "inventory.fast" }] })],
 *   },
 * });
 * registry.resolve({ entity: "inventory", sku: "BOLT-M8", velocity: 120 }).policy.name; // "inventory.fast"
 * registry.resolve({ entity: "inventory", sku: "RARE-1", velocity: 1 }).reason; // says why
 * ```
 */
export function createPolicyRegistry(settings: PolicyRegistrySettings = {}): PolicyRegistry {
  const byName = new Map<string, Readonly<SyncPolicy>>(Object.entries(defaultPolicies));
  for (const [name, policy] of Object.entries(settings.policies ?? {})) {
    byName.set(name, definePolicy({ ...policy, name }));
  }
  const entities = { ...DEFAULT_ENTITIES, ...(settings.entities ?? {}) };
  const classifiers = settings.classifiers ?? {};

  const policy = (name: string): Readonly<SyncPolicy> => {
    const found = byName.get(name);
    if (!found) {
      throw new ValidationError(`No policy named ${name}`, [
        { code: "unknown_policy", path: ["policy"], message: `No policy named ${name} is registered` },
      ]);
    }
    return found;
  };

  return {
    policy,
    policies: () => [...byName.values()],
    resolve(context) {
      for (const classifier of classifiers[context.entity] ?? []) {
        const verdict = classifier(context);
        if (!verdict) continue;
        const chosen =
          typeof verdict.policy === "string" ? policy(verdict.policy) : definePolicy(verdict.policy);
        return { entity: context.entity, policy: chosen, reason: verdict.reason };
      }
      const name = entities[context.entity];
      if (name === undefined) {
        throw new ValidationError(`No policy for entity ${context.entity}`, [
          {
            code: "unknown_entity",
            path: ["entity"],
            message: `Entity ${context.entity} has no policy; map it in settings.entities`,
          },
        ]);
      }
      const isDefault = settings.entities?.[context.entity] === undefined;
      return {
        entity: context.entity,
        policy: policy(name),
        reason: `${isDefault ? "domain default" : "configured"} policy of entity ${context.entity}`,
      };
    },
  };
}

/** One velocity tier: SKUs selling at least `atLeast` get `policy`. */
export interface VelocityTier {
  /** The lowest velocity of the tier (inclusive). */
  atLeast: number;
  /** The policy name for SKUs in this tier. */
  policy: string;
}

/** Settings of {@link classifyByVelocity}. */
export interface VelocityClassifierSettings {
  /** The tiers, in any order; the highest tier a SKU reaches wins. */
  tiers: VelocityTier[];
  /** Where the velocity comes from (default: `context.velocity`). */
  velocityOf?: (context: FlowContext) => number | undefined;
}

/**
 * A classifier by SKU sales velocity: the top sellers get near-realtime inventory, the
 * long tail falls through to the entity's (hourly) policy.
 *
 * @param settings - the tiers and where the velocity comes from
 * @returns a classifier for {@link PolicyRegistrySettings.classifiers}
 * @example
 * ```ts
 * import { classifyByVelocity } from "@distro/sync";
 *
 * const byVelocity = classifyByVelocity({
 *   tiers: [{ atLeast: 100, policy: "inventory.fast" }],
 *   velocityOf: (context) => (context.sku ? 150 : undefined),
 * });
 * byVelocity({ entity: "inventory", sku: "A" })?.policy; // "inventory.fast"
 * ```
 */
export function classifyByVelocity(settings: VelocityClassifierSettings): PolicyClassifier {
  const tiers = [...settings.tiers].sort((a, b) => b.atLeast - a.atLeast);
  const velocityOf = settings.velocityOf ?? ((context: FlowContext) => context.velocity);
  return (context) => {
    const velocity = velocityOf(context);
    if (velocity === undefined || !Number.isFinite(velocity)) return undefined;
    const tier = tiers.find((candidate) => velocity >= candidate.atLeast);
    if (!tier) return undefined;
    return {
      policy: tier.policy,
      reason: `SKU ${context.sku ?? context.key ?? "?"} velocity ${velocity} ≥ ${tier.atLeast}: ${tier.policy}`,
    };
  };
}

/** Settings of {@link classifyTopSellers}. */
export interface TopSellerClassifierSettings {
  /** The SKU's sales rank (1 = best seller), or undefined when unranked. */
  rankOf: (sku: string) => number | undefined;
  /** How many of the best sellers get `policy`. */
  top: number;
  /** The policy name for the top sellers. */
  policy: string;
}

/**
 * A classifier by sales rank: the first `top` SKUs get `policy` (e.g. the 500 best
 * sellers get `inventory.fast`); the rest fall through.
 *
 * @param settings - the rank lookup, the cut-off and the policy
 * @returns a classifier
 * @example
 * ```ts
 * import { classifyTopSellers } from "@distro/sync";
 *
 * const ranks = new Map([["BOLT-M8", 3]]);
 * const top = classifyTopSellers({ rankOf: (sku) => ranks.get(sku), top: 500, policy: "inventory.fast" });
 * top({ entity: "inventory", sku: "BOLT-M8" })?.reason; // "SKU BOLT-M8 ranks 3 of the top 500: inventory.fast"
 * ```
 */
export function classifyTopSellers(settings: TopSellerClassifierSettings): PolicyClassifier {
  return (context) => {
    if (context.sku === undefined) return undefined;
    const rank = settings.rankOf(context.sku);
    if (rank === undefined || rank > settings.top) return undefined;
    return {
      policy: settings.policy,
      reason: `SKU ${context.sku} ranks ${rank} of the top ${settings.top}: ${settings.policy}`,
    };
  };
}
