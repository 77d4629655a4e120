import { NotFoundError, UpstreamError } from "@distro/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createManualClock } from "../clock/index";
import { defaultPolicies, type SyncPolicy } from "../policy/index";
import { createReadThroughCache, type InvalidationEvent } from "./read-through-cache";
import { createMemorySecondTier } from "./second-tier";

const policy: SyncPolicy = {
  ...defaultPolicies.price!,
  name: "test.price",
  freshForMs: 1000,
  maxStalenessMs: 5000,
  notFoundForMs: 2000,
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe("read-through cache", () => {
  it("serves fresh, then stale while revalidating in the background, then loads again past the bound", async () => {
    const clock = createManualClock();
    let version = 0;
    const calls: { key: string; background: boolean }[] = [];
    const cache = createReadThroughCache<string>({
      entity: "price",
      policy,
      clock,
      load: async (key, context) => {
        calls.push({ key, background: context.background });
        version++;
        return `${key}@${version}`;
      },
    });
    const first = await cache.read("C1:A");
    expect(first.value).toBe("C1:A@1");
    expect(first.decision).toMatchObject({ outcome: "miss", source: "upstream", policy: "test.price" });

    await clock.advance(500);
    const hit = await cache.read("C1:A");
    expect(hit.decision.outcome).toBe("hit");
    expect(hit.decision.reason).toBe("age 500 ms < fresh 1000 ms of policy test.price");

    await clock.advance(1000);
    const stale = await cache.read("C1:A");
    expect(stale.value).toBe("C1:A@1");
    expect(stale.decision).toMatchObject({ outcome: "stale", revalidating: true, ageMs: 1500 });
    await clock.advance(0);
    expect(calls).toEqual([
      { key: "C1:A", background: false },
      { key: "C1:A", background: true },
    ]);
    expect((await cache.read("C1:A")).value).toBe("C1:A@2");

    await clock.advance(6000);
    const expired = await cache.read("C1:A");
    expect(expired.decision.outcome).toBe("miss");
    expect(expired.decision.reason).toContain("≥ bound 5000 ms");
    expect(cache.metrics()).toMatchObject({ hits: 2, stale: 1, misses: 2, loads: 3 });
  });

  it("makes one upstream call for many concurrent misses of one key", async () => {
    const gate = deferred<string>();
    let loads = 0;
    const cache = createReadThroughCache<string>({
      entity: "price",
      policy,
      load: () => {
        loads++;
        return gate.promise;
      },
    });
    const reads = Array.from({ length: 50 }, () => cache.read("C1:A"));
    gate.resolve("12.50");
    const results = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(results.every((result) => result.value === "12.50")).toBe(true);
    expect(results.filter((result) => result.decision.outcome === "coalesced")).toHaveLength(49);
    expect(cache.metrics()).toMatchObject({ misses: 1, coalesced: 49 });
  });

  it("remembers not-found for the policy's time, from undefined or NotFoundError", async () => {
    const clock = createManualClock();
    let loads = 0;
    const cache = createReadThroughCache<string>({
      entity: "price",
      policy,
      clock,
      load: async (key) => {
        loads++;
        if (key === "thrown") throw new NotFoundError("no price");
        return undefined;
      },
    });
    expect(await cache.read("gone")).toMatchObject({ found: false, value: undefined });
    const remembered = await cache.read("gone");
    expect(remembered.decision.outcome).toBe("negative-hit");
    expect((await cache.read("thrown")).found).toBe(false);
    expect((await cache.read("thrown")).decision.outcome).toBe("negative-hit");
    expect(loads).toBe(2);
    await clock.advance(2000);
    await cache.read("gone");
    expect(loads).toBe(3);
  });

  it("never serves credit (maxStaleness 0) from cache", async () => {
    let loads = 0;
    const cache = createReadThroughCache<string>({
      entity: "credit",
      load: async () => String(++loads),
    });
    await cache.read("C1");
    const second = await cache.read("C1");
    expect(second.decision.outcome).toBe("miss");
    expect(second.value).toBe("2");
  });

  it("bounds memory by entries and by bytes, evicting the least recently used", async () => {
    const byEntries = createReadThroughCache<string>({
      entity: "price",
      policy,
      maxEntries: 3,
      load: async (k) => k,
    });
    for (const key of ["a", "b", "c", "d"]) await byEntries.read(key);
    expect(byEntries.metrics().entries).toBe(3);
    expect(byEntries.explain("a").action).toBe("fetch");

    const byBytes = createReadThroughCache<string>({
      entity: "price",
      policy,
      maxBytes: 1000,
      sizeOf: () => 300,
      load: async (k) => k,
    });
    for (const key of ["a", "b", "c", "d", "e"]) await byBytes.read(key);
    expect(byBytes.metrics().entries).toBe(3);
    expect(byBytes.metrics().bytes).toBeLessThanOrEqual(1000);
  });

  it("invalidates by key, by prefix and by events from any bus", async () => {
    let version = 0;
    const cache = createReadThroughCache<string>({
      entity: "inventory",
      policy,
      load: async (key) => `${key}#${++version}`,
      invalidateOn: {
        "inventory.changed": "subject",
        "pricelist.published": (event) => ({ prefix: `${String(event.data)}:` }),
      },
    });
    const handlers = new Map<string, (event: InvalidationEvent) => unknown>();
    cache.subscribeTo({ subscribe: (type, handler) => handlers.set(type, handler) });
    for (const key of ["SKU-1", "C1:A", "C1:B", "C2:A"]) await cache.read(key);

    await handlers.get("inventory.changed")!({ type: "inventory.changed", subject: "SKU-1" });
    expect(cache.explain("SKU-1").action).toBe("fetch");
    expect(cache.explain("C1:A").action).toBe("fresh");

    expect(await cache.handleEvent({ type: "pricelist.published", data: "C1" })).toBe(1);
    expect(cache.explain("C1:A").action).toBe("fetch");
    expect(cache.explain("C1:B").action).toBe("fetch");
    expect(cache.explain("C2:A").action).toBe("fresh");

    await cache.invalidate("C2:A");
    expect(cache.explain("C2:A").action).toBe("fetch");
    expect(await cache.handleEvent({ type: "order.submitted" })).toBe(0);
  });

  it("does not store a load that was in flight when its key was invalidated", async () => {
    const slow = deferred<string>();
    const cache = createReadThroughCache<string>({ entity: "price", policy, load: () => slow.promise });
    const reading = cache.read("A");
    await cache.invalidate("A");
    slow.resolve("old");
    expect((await reading).value).toBe("old");
    expect(cache.explain("A").action).toBe("fetch");
  });

  it("shares loads through the second tier", async () => {
    const clock = createManualClock();
    const shared = createMemorySecondTier({ clock });
    let loads = 0;
    const load = async (key: string) => `${key}:${++loads}`;
    const first = createReadThroughCache<string>({
      entity: "price",
      policy,
      clock,
      load,
      secondTier: shared,
    });
    const second = createReadThroughCache<string>({
      entity: "price",
      policy,
      clock,
      load,
      secondTier: shared,
    });
    await first.read("A");
    await clock.advance(300);
    const fromShared = await second.read("A");
    expect(fromShared.value).toBe("A:1");
    expect(fromShared.decision).toMatchObject({ outcome: "hit", source: "second-tier", ageMs: 300 });
    expect(loads).toBe(1);
    expect(second.metrics().secondTierHits).toBe(1);
    await first.invalidatePrefix("A");
    expect(await shared.get("A")).toBeUndefined();
  });

  it("serves a value within its bound when the upstream fails, and a typed error past it", async () => {
    const clock = createManualClock();
    let fail = false;
    const cache = createReadThroughCache<string>({
      entity: "price",
      policy: { ...policy, freshForMs: 0 },
      clock,
      load: async () => {
        if (fail) throw new Error("socket hang up");
        return "9.99";
      },
    });
    await cache.read("A");
    fail = true;
    await clock.advance(100);
    const stale = await cache.read("A");
    expect(stale.value).toBe("9.99");
    await clock.advance(0);
    await clock.advance(5000);
    await expect(cache.read("A")).rejects.toBeInstanceOf(UpstreamError);
    expect(cache.metrics().loadErrors).toBeGreaterThan(0);
  });

  it("never serves a value older than the policy bound, whatever the read and time pattern", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ key: fc.constantFrom("a", "b", "c"), wait: fc.integer({ min: 0, max: 3000 }) }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        async (steps) => {
          const clock = createManualClock();
          const cache = createReadThroughCache<number>({
            entity: "price",
            policy,
            clock,
            load: async () => clock.now(),
          });
          for (const step of steps) {
            await clock.advance(step.wait);
            const read = await cache.read(step.key);
            const age = clock.now() - read.value!;
            expect(age).toBeLessThan(policy.maxStalenessMs);
            expect(read.decision.ageMs).toBe(age);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("gathers concurrent misses into batch loads of at most maxBatchSize keys", async () => {
    const clock = createManualClock();
    const calls: { keys: string[]; priority: string; background: boolean }[] = [];
    const cache = createReadThroughCache<string>({
      entity: "price",
      policy,
      clock,
      batchWindowMs: 20,
      maxBatchSize: 3,
      loadMany: async (keys, context) => {
        calls.push({ keys, ...context });
        return new Map(keys.filter((key) => key !== "missing").map((key) => [key, `price of ${key}`]));
      },
    });
    const reads = ["a", "b", "c", "d", "missing", "a"].map((key) => cache.read(key));
    await clock.advance(20);
    const results = await Promise.all(reads);
    expect(calls.map((call) => call.keys)).toEqual([
      ["a", "b", "c"],
      ["d", "missing"],
    ]);
    expect(calls[0]).toMatchObject({ priority: "interactive", background: false });
    expect(results.map((result) => result.value)).toEqual([
      "price of a",
      "price of b",
      "price of c",
      "price of d",
      undefined,
      "price of a",
    ]);
    expect(results[5]?.decision.outcome).toBe("coalesced");
    expect(cache.explain("missing").reason).toContain("not found");
  });

  it("refuses to be built without a loader", () => {
    expect(() => createReadThroughCache({ entity: "price" })).toThrow(/needs a loader/);
  });
});
