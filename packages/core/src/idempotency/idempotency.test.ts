import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeIdempotencyStoreConformance } from "../testing/idempotency-store-conformance";
import { createManualClock } from "../testing/manual-clock";
import { BoundedMap } from "./bounded-map";
import { canonicalJson, fingerprintPayload } from "./fingerprint";
import { beginIdempotent, type IdempotencyOptions, idempotent } from "./idempotent";
import { scopedIdempotencyKey } from "./key";
import { createMemoryIdempotencyStore, type IdempotencyStore } from "./store";

describeIdempotencyStoreConformance("memory", ({ clock }) => createMemoryIdempotencyStore({ clock }));

describe("canonical fingerprints", () => {
  it("ignores key order at every depth and drops undefined properties", () => {
    expect(canonicalJson({ b: { d: 1, c: [2, { f: 1, e: 2 }] }, a: undefined })).toBe(
      '{"b":{"c":[2,{"e":2,"f":1}],"d":1}}',
    );
    expect(fingerprintPayload({ a: 1, b: "2" })).toBe(fingerprintPayload({ b: "2", a: 1 }));
    expect(fingerprintPayload({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintPayload({ a: "1" })).not.toBe(fingerprintPayload({ a: 1 }));
  });

  it("refuses values that are not JSON-safe with a ValidationError naming the path", () => {
    const cyclic: Record<string, unknown> = { lines: [{}] };
    (cyclic.lines as Record<string, unknown>[])[0]!.parent = cyclic;
    expect(() => fingerprintPayload(cyclic)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    try {
      fingerprintPayload({ total: 10n });
    } catch (error) {
      expect((error as { issues: { path: unknown[] }[] }).issues[0]!.path).toEqual(["total"]);
    }
    expect(() => fingerprintPayload({ total: 10n })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("scoped keys", () => {
  it("encodes each part so a separator cannot forge another scope", () => {
    expect(scopedIdempotencyKey({ tenant: "acme", system: "shopify", operation: "book-order" }, "1001")).toBe(
      "acme/shopify/book-order/1001",
    );
    expect(scopedIdempotencyKey({ system: "a/b", operation: "c" }, "d")).not.toBe(
      scopedIdempotencyKey({ system: "a", operation: "b/c" }, "d"),
    );
  });

  it("joins safe parts as they are and percent-encodes any part that is not", () => {
    const part = fc.string({
      minLength: 1,
      maxLength: 8,
      unit: fc.constantFrom("a", "Z", "9", "-", "/", "%", " ", "é", "~"),
    });
    fc.assert(
      fc.property(fc.option(part, { nil: undefined }), part, part, part, (tenant, system, operation, key) => {
        const encode = (value: string) =>
          /^[A-Za-z0-9\-_.!~*'()]*$/.test(value) ? value : encodeURIComponent(value);
        expect(scopedIdempotencyKey({ tenant, system, operation }, key)).toBe(
          [tenant ?? "", system, operation, key].map(encode).join("/"),
        );
      }),
    );
  });

  it("refuses an empty key or scope with issues that name the field", async () => {
    const store = createMemoryIdempotencyStore();
    const run = idempotent(async () => 1, {
      store,
      key: "",
      scope: { system: "", operation: "book" },
      inProgressExpiryMs: 1_000,
      retentionMs: 1_000,
    });
    await expect(run).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [
        expect.objectContaining({ path: ["key"] }),
        expect.objectContaining({ path: ["scope", "system"] }),
      ],
    });
  });
});

describe("memory idempotency store", () => {
  it("stays within its size bound, dropping the oldest records", async () => {
    const store = createMemoryIdempotencyStore({ maxRecords: 3 });
    for (const key of ["a", "b", "c", "d"]) {
      const claim = await store.claim({
        key,
        fingerprint: undefined,
        inProgressExpiryMs: 10,
        retentionMs: 10_000,
      });
      await store.complete(key, claim.record.claimToken, key, 10_000);
    }
    expect(await store.get("a")).toBeUndefined();
    expect((await store.get("d"))?.result).toBe("d");
  });
});

describe("idempotency guarantees (properties)", () => {
  type Operation =
    | { kind: "call"; key: number; concurrent: number; fails: boolean }
    | { kind: "crash"; key: number }
    | { kind: "advance"; milliseconds: number };

  const operation: fc.Arbitrary<Operation> = fc.oneof(
    fc.record({
      kind: fc.constant("call" as const),
      key: fc.integer({ min: 0, max: 3 }),
      concurrent: fc.integer({ min: 1, max: 4 }),
      fails: fc.boolean(),
    }),
    fc.record({ kind: fc.constant("crash" as const), key: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant("advance" as const), milliseconds: fc.integer({ min: 0, max: 20_000 }) }),
  );

  it("runs each key's effect at most once and always answers with the first result, across duplicates, failures and crashes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 30 }), async (operations) => {
        const clock = createManualClock();
        const store = createMemoryIdempotencyStore({ clock });
        const effects = new Map<number, string[]>();
        const options = (key: number) => ({
          store,
          key: `order-${key}`,
          scope: { system: "shop", operation: "book-order" },
          fingerprint: { order: key },
          inProgressExpiryMs: 10_000,
          retentionMs: Number.MAX_SAFE_INTEGER / 4,
          clock,
        });
        let serial = 0;
        for (const step of operations) {
          if (step.kind === "advance") {
            clock.advance(step.milliseconds);
          } else if (step.kind === "crash") {
            await beginIdempotent(options(step.key)).catch(() => undefined);
          } else {
            const outcomes = await Promise.allSettled(
              Array.from({ length: step.concurrent }, () =>
                idempotent(async () => {
                  await new Promise((resolve) => setImmediate(resolve));
                  if (step.fails) throw new Error("ERP timed out");
                  serial += 1;
                  const result = `SO-${serial}`;
                  effects.set(step.key, [...(effects.get(step.key) ?? []), result]);
                  return result;
                }, options(step.key)),
              ),
            );
            for (const outcome of outcomes) {
              if (outcome.status === "fulfilled") {
                expect(outcome.value).toBe(effects.get(step.key)?.[0]);
              } else {
                expect(["IDEMPOTENCY_IN_PROGRESS", undefined]).toContain(
                  (outcome.reason as { code?: string }).code,
                );
              }
            }
          }
        }
        for (const list of effects.values()) expect(list).toHaveLength(1);
      }),
      { numRuns: 150 },
    );
  });
});

describe("bounded map", () => {
  it("keeps the key order within about twice its bound while evicting oldest first", () => {
    const map = new BoundedMap<number>(100);
    for (let index = 0; index < 50_000; index++) {
      map.set(`k${index}`, index);
      if (index % 3 === 0) map.delete(`k${index - 1}`);
    }
    expect(map.size).toBeLessThanOrEqual(100);
    expect(map.get("k49999")).toBe(49_999);
    expect(map.get("k0")).toBeUndefined();
    const order = (map as unknown as { order: string[]; head: number }).order;
    expect(order.length).toBeLessThanOrEqual(100 * 2 + 1024 + 1024);
  });
});

describe("idempotent on the memory store's synchronous path", () => {
  // The same store seen only through its async port, so idempotent takes the general path.
  const portOnly = (store: IdempotencyStore): IdempotencyStore => ({
    claim: (request) => store.claim(request),
    complete: (key, token, result, retentionMs) => store.complete(key, token, result, retentionMs),
    fail: (key, token, error, retentionMs) => store.fail(key, token, error, retentionMs),
    release: (key, token) => store.release(key, token),
    get: (key) => store.get(key),
  });

  const settle = (promise: Promise<unknown>) =>
    promise.then(
      (value) => ({ value }),
      (error: { name: string; code?: string; message?: string }) => ({
        error: `${error.name}: ${error.code ?? error.message}`,
      }),
    );

  async function script(store: IdempotencyStore) {
    const options = (key: string, extra: Partial<IdempotencyOptions> = {}): IdempotencyOptions => ({
      store,
      key,
      scope: { tenant: "acme", system: "wms", operation: "adjust-stock" },
      inProgressExpiryMs: 1_000,
      retentionMs: 60_000,
      ...extra,
    });
    const runs: string[] = [];
    const ran = <T>(name: string, result: T): T => {
      runs.push(name);
      return result;
    };
    const outcomes: unknown[] = [];
    const permanent = (error: unknown) => (error as Error).message === "permanent";
    // A synchronous result is stored and replayed.
    outcomes.push(await settle(idempotent(() => ran("a1", { moved: "3" }), options("a"))));
    outcomes.push(await settle(idempotent(() => ran("a2", { moved: "9" }), options("a"))));
    // A synchronous throw releases the key; the retry runs.
    const failing = () => {
      runs.push("b");
      throw new Error("transient");
    };
    outcomes.push(await settle(idempotent(failing, options("b"))));
    outcomes.push(await settle(idempotent(() => ran("b2", 2), options("b"))));
    // A stored failure replays without running again.
    const permanentFailure = () => {
      runs.push("c");
      throw new Error("permanent");
    };
    outcomes.push(await settle(idempotent(permanentFailure, options("c", { storeFailures: permanent }))));
    outcomes.push(await settle(idempotent(() => ran("c2", 3), options("c"))));
    // An async run holds the key: a duplicate is refused, then sees the result.
    let finish!: () => void;
    const first = idempotent(
      () => new Promise<string>((resolve) => (finish = () => resolve("done"))),
      options("d"),
    );
    outcomes.push(await settle(idempotent(() => ran("d2", "again"), options("d"))));
    finish();
    outcomes.push(await settle(first));
    outcomes.push(await settle(idempotent(() => ran("d3", "again"), options("d"))));
    // A different payload on a used key is refused.
    outcomes.push(await settle(idempotent(() => 1, options("e", { fingerprint: { q: "1" } }))));
    outcomes.push(await settle(idempotent(() => 1, options("e", { fingerprint: { q: "2" } }))));
    // The caller's result object is not the stored one.
    const result = { lines: ["x"] };
    await idempotent(() => result, options("f"));
    result.lines.push("mutated");
    outcomes.push(await settle(idempotent(() => ({ lines: [] }), options("f"))));
    return { runs, outcomes };
  }

  it("answers exactly as the async port does", async () => {
    const fast = await script(createMemoryIdempotencyStore());
    const general = await script(portOnly(createMemoryIdempotencyStore()));
    expect(fast).toEqual(general);
    expect(fast.runs).toEqual(["a1", "b", "b2", "c"]);
    expect(fast.outcomes).toEqual([
      { value: { moved: "3" } },
      { value: { moved: "3" } },
      { error: "Error: transient" },
      { value: 2 },
      { error: "Error: permanent" },
      { error: "IdempotentFailureError: UNKNOWN" },
      { error: "IdempotencyInProgressError: IDEMPOTENCY_IN_PROGRESS" },
      { value: "done" },
      { value: "done" },
      { value: 1 },
      { error: "IdempotencyKeyReuseError: IDEMPOTENCY_KEY_REUSED" },
      { value: { lines: ["x"] } },
    ]);
  });

  it("returns a promise, never throws, when the key or scope is invalid", () => {
    const run = () =>
      idempotent(() => 1, {
        store: createMemoryIdempotencyStore(),
        key: "",
        scope: { system: "wms", operation: "adjust-stock" },
        inProgressExpiryMs: 1_000,
        retentionMs: 1_000,
      });
    let promise: Promise<number> | undefined;
    expect(() => {
      promise = run();
    }).not.toThrow();
    return expect(promise).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
