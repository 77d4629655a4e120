import { isDistroError, ValidationError } from "@distro/core";
import { describe, expect, it } from "vitest";
import {
  classifyByVelocity,
  classifyTopSellers,
  createPolicyRegistry,
  decideServe,
  defaultPolicies,
  definePolicy,
} from "./index";

describe("domain default policies", () => {
  it("serve credit on demand and never from cache", () => {
    expect(defaultPolicies.credit?.mode).toBe("on-demand");
    expect(decideServe(defaultPolicies.credit!, 0).action).toBe("fetch");
  });
  it("push fast inventory by events within seconds and batch the long tail", () => {
    expect(defaultPolicies["inventory.fast"]?.mode).toBe("realtime");
    expect(defaultPolicies["inventory.fast"]!.maxStalenessMs).toBeLessThanOrEqual(10_000);
    expect(defaultPolicies["inventory.slow"]?.mode).toBe("scheduled");
    expect(defaultPolicies.catalog?.mode).toBe("scheduled");
    expect(defaultPolicies.price?.mode).toBe("near-realtime");
  });
});

describe("decideServe", () => {
  const price = defaultPolicies.price!;
  it("serves fresh, then stale while revalidating, then never past the bound", () => {
    expect(decideServe(price, undefined)).toEqual({ action: "fetch", reason: "nothing cached" });
    expect(decideServe(price, price.freshForMs - 1).action).toBe("fresh");
    const stale = decideServe(price, price.freshForMs);
    expect(stale.action).toBe("stale-revalidate");
    expect(stale.reason).toContain("within bound");
    expect(decideServe(price, price.maxStalenessMs).action).toBe("fetch");
  });
});

describe("definePolicy", () => {
  it("names every wrong field", () => {
    try {
      definePolicy({
        name: "x",
        mode: "sometimes" as never,
        criticality: "high",
        freshForMs: 10,
        maxStalenessMs: 5,
        notFoundForMs: -1,
        serveStaleOnError: true,
        priority: "interactive",
        description: "",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).issues.map((issue) => issue.path.join("."));
      expect(paths).toEqual(expect.arrayContaining(["mode", "notFoundForMs", "freshForMs"]));
    }
  });
});

describe("policy registry", () => {
  it("classifies inventory per SKU velocity and explains why", () => {
    const registry = createPolicyRegistry({
      classifiers: {
        inventory: [
          classifyTopSellers({
            rankOf: (sku) => (sku === "TOP-1" ? 1 : undefined),
            top: 100,
            policy: "inventory.fast",
          }),
          classifyByVelocity({ tiers: [{ atLeast: 50, policy: "inventory.fast" }] }),
        ],
      },
    });
    const top = registry.resolve({ entity: "inventory", sku: "TOP-1" });
    expect(top.policy.name).toBe("inventory.fast");
    expect(top.reason).toBe("SKU TOP-1 ranks 1 of the top 100: inventory.fast");
    const fast = registry.resolve({ entity: "inventory", sku: "B", velocity: 80 });
    expect(fast.policy.name).toBe("inventory.fast");
    expect(fast.reason).toContain("velocity 80 ≥ 50");
    const slow = registry.resolve({ entity: "inventory", sku: "C", velocity: 2 });
    expect(slow.policy.name).toBe("inventory.slow");
    expect(slow.reason).toBe("domain default policy of entity inventory");
  });

  it("takes per-entity policies and reports unknown entities and policies as typed errors", () => {
    const registry = createPolicyRegistry({
      policies: {
        "price.contract": { ...defaultPolicies.price!, freshForMs: 1000, maxStalenessMs: 2000 },
      },
      entities: { price: "price.contract" },
    });
    const resolved = registry.resolve({ entity: "price", key: "C1:A" });
    expect(resolved.policy.name).toBe("price.contract");
    expect(resolved.reason).toBe("configured policy of entity price");
    expect(() => registry.resolve({ entity: "warehouse" })).toThrow(ValidationError);
    expect(() => registry.policy("nope")).toThrow(/No policy named nope/);
    const bad = createPolicyRegistry({
      classifiers: { price: [() => ({ policy: "missing", reason: "x" })] },
    });
    try {
      bad.resolve({ entity: "price" });
      expect.unreachable();
    } catch (error) {
      expect(isDistroError(error)).toBe(true);
    }
  });
});
