import { describe, expect, it } from "vitest";
import type { DistroError } from "../errors/index";
import { beginIdempotent, type IdempotencyOptions, idempotent } from "../idempotency/idempotent";
import type { IdempotencyStore } from "../idempotency/store";
import { createManualClock, type ManualClock } from "./manual-clock";
import { waitUntil } from "./wait-until";

/** What a store factory receives from a conformance suite. */
export interface ConformanceContext {
  /** The clock the store must read time from; the suite moves it. */
  clock: ManualClock;
}

/** Builds a fresh, empty store for one test. */
export type IdempotencyStoreFactory = (
  context: ConformanceContext,
) => IdempotencyStore | Promise<IdempotencyStore>;

async function rejection(promise: Promise<unknown>): Promise<DistroError> {
  try {
    await promise;
  } catch (error) {
    return error as DistroError;
  }
  throw new Error("Expected the promise to reject");
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * Registers the idempotency conformance suite (vitest) for one {@link IdempotencyStore}
 * adapter: the nine semantics of `idempotent`, checked only through the port. Every
 * adapter (memory, PostgreSQL, Redis) runs it with one call.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createStore - builds a fresh, empty store that reads time from `context.clock`
 * @example
 * ```ts
 * import { createMemoryIdempotencyStore } from "@distro/core";
 * import { describeIdempotencyStoreConformance } from "@distro/core/testing";
 *
 * describeIdempotencyStoreConformance("memory", ({ clock }) => createMemoryIdempotencyStore({ clock }));
 * ```
 */
export function describeIdempotencyStoreConformance(
  name: string,
  createStore: IdempotencyStoreFactory,
): void {
  describe(`IdempotencyStore conformance: ${name}`, () => {
    const setup = async () => {
      const clock = createManualClock();
      const store = await createStore({ clock });
      let serial = 0;
      const options = (overrides: Partial<IdempotencyOptions> = {}): IdempotencyOptions => ({
        store,
        key: "order-1001",
        scope: { tenant: "acme", system: "shopify", operation: "book-order" },
        inProgressExpiryMs: 30_000,
        retentionMs: 3_600_000,
        clock,
        ...overrides,
      });
      const effects: string[] = [];
      const bookOrder = async () => {
        serial += 1;
        effects.push(`SO-${serial}`);
        return { orderNumber: `SO-${serial}` };
      };
      return { clock, store, options, effects, bookOrder };
    };

    it("1. returns the stored result for a completed key without running again", async () => {
      const { options, effects, bookOrder } = await setup();
      const first = await idempotent(bookOrder, options());
      const second = await idempotent(bookOrder, options());
      expect(first).toEqual({ orderNumber: "SO-1" });
      expect(second).toEqual({ orderNumber: "SO-1" });
      expect(effects).toEqual(["SO-1"]);
    });

    it("2. refuses the same key with a different payload, with the existing record attached", async () => {
      const { options, effects, bookOrder } = await setup();
      await idempotent(bookOrder, options({ fingerprint: { sku: "M8", quantity: "300" } }));
      const error = await rejection(
        idempotent(bookOrder, options({ fingerprint: { sku: "M8", quantity: "301" } })),
      );
      expect(error.code).toBe("IDEMPOTENCY_KEY_REUSED");
      expect(error.retryable).toBe(false);
      const record = (error as unknown as { record: { status: string; result: unknown } }).record;
      expect(record.status).toBe("completed");
      expect(record.result).toEqual({ orderNumber: "SO-1" });
      expect(effects).toEqual(["SO-1"]);
      const same = await idempotent(bookOrder, options({ fingerprint: { quantity: "300", sku: "M8" } }));
      expect(same).toEqual({ orderNumber: "SO-1" });
    });

    it("3. refuses a duplicate while the first is running, retryable, and never runs it twice", async () => {
      const { options } = await setup();
      const gate = deferred();
      let runs = 0;
      const slow = async () => {
        runs += 1;
        await gate.promise;
        return "done";
      };
      const first = idempotent(slow, options());
      await new Promise((resolve) => setImmediate(resolve));
      const error = await rejection(idempotent(slow, options()));
      expect(error.code).toBe("IDEMPOTENCY_IN_PROGRESS");
      expect(error.retryable).toBe(true);
      gate.resolve();
      expect(await first).toBe("done");
      expect(runs).toBe(1);
    });

    it("3b. can wait, with a bound, for the first run and return its result", async () => {
      const { options } = await setup();
      const gate = deferred();
      let runs = 0;
      const slow = async () => {
        runs += 1;
        await gate.promise;
        return "done";
      };
      const first = idempotent(slow, options());
      // The first call holds the claim once its function runs (a store may need a round trip).
      await waitUntil(() => runs === 1);
      const waiting = idempotent(slow, options({ waitForInFlightMs: 5_000, pollIntervalMs: 1 }));
      setTimeout(() => gate.resolve(), 5);
      expect(await waiting).toBe("done");
      expect(await first).toBe("done");
      expect(runs).toBe(1);
      const hung = deferred();
      let hungStarted = false;
      const blocked = idempotent(
        () => {
          hungStarted = true;
          return hung.promise;
        },
        options({ key: "order-1002" }),
      );
      await waitUntil(() => hungStarted);
      const bounded = await rejection(
        idempotent(
          async () => undefined,
          options({ key: "order-1002", waitForInFlightMs: 3, pollIntervalMs: 1 }),
        ),
      );
      expect(bounded.code).toBe("IDEMPOTENCY_IN_PROGRESS");
      hung.resolve();
      await blocked;
    });

    it("4. claims atomically: of many concurrent callers with one key exactly one runs", async () => {
      const { options } = await setup();
      let runs = 0;
      const calls = Array.from({ length: 25 }, () =>
        idempotent(async () => {
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 2));
          return "booked";
        }, options()),
      );
      const outcomes = await Promise.allSettled(calls);
      expect(runs).toBe(1);
      const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const rejected = outcomes.filter((outcome) => outcome.status === "rejected");
      expect(fulfilled.length).toBeGreaterThanOrEqual(1);
      for (const outcome of rejected) {
        expect((outcome.reason as DistroError).code).toBe("IDEMPOTENCY_IN_PROGRESS");
      }
    });

    it("5. leaves a crashed or hung run's key reclaimable after its in-progress expiry", async () => {
      const { clock, options, effects, bookOrder } = await setup();
      const crashed = await beginIdempotent(options());
      expect(crashed.outcome).toBe("run");
      clock.advance(29_999);
      expect((await rejection(idempotent(bookOrder, options()))).code).toBe("IDEMPOTENCY_IN_PROGRESS");
      clock.advance(1);
      expect(await idempotent(bookOrder, options())).toEqual({ orderNumber: "SO-1" });
      expect(effects).toEqual(["SO-1"]);
      if (crashed.outcome === "run") {
        expect(await crashed.handle.complete({ orderNumber: "late" })).toBe(false);
        expect(await crashed.handle.release()).toBe(false);
      }
      expect(await idempotent(bookOrder, options())).toEqual({ orderNumber: "SO-1" });
    });

    it("5b. an expired claim is not taken over with a different payload", async () => {
      const { clock, options, bookOrder } = await setup();
      await beginIdempotent(options({ fingerprint: { quantity: "1" } }));
      clock.advance(60_000);
      const error = await rejection(idempotent(bookOrder, options({ fingerprint: { quantity: "2" } })));
      expect(error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    });

    it("6. a failed run releases the key so a retry runs; stored failures replay instead", async () => {
      const { options, effects, bookOrder } = await setup();
      let attempts = 0;
      const flaky = async () => {
        attempts += 1;
        if (attempts === 1) throw new Error("ERP timed out");
        return bookOrder();
      };
      await expect(idempotent(flaky, options())).rejects.toThrow("ERP timed out");
      expect(await idempotent(flaky, options())).toEqual({ orderNumber: "SO-1" });
      expect(attempts).toBe(2);

      let permanentRuns = 0;
      const permanent = async () => {
        permanentRuns += 1;
        throw Object.assign(new Error("credit limit exceeded"), { permanent: true });
      };
      const storeFailures = (error: unknown) => (error as { permanent?: boolean }).permanent === true;
      await expect(idempotent(permanent, options({ key: "order-2", storeFailures }))).rejects.toThrow(
        "credit limit exceeded",
      );
      const replayed = await rejection(idempotent(permanent, options({ key: "order-2", storeFailures })));
      expect(replayed.message).toContain("credit limit exceeded");
      expect(replayed.retryable).toBe(false);
      expect(permanentRuns).toBe(1);
      expect(effects).toEqual(["SO-1"]);
    });

    it("7. forgets records after their retention; an expired key runs again", async () => {
      const { clock, store, options, effects, bookOrder } = await setup();
      await idempotent(bookOrder, options());
      clock.advance(3_599_999);
      expect(await idempotent(bookOrder, options())).toEqual({ orderNumber: "SO-1" });
      clock.advance(1);
      expect(await store.get("acme/shopify/book-order/order-1001")).toBeUndefined();
      expect(await idempotent(bookOrder, options())).toEqual({ orderNumber: "SO-2" });
      expect(effects).toEqual(["SO-1", "SO-2"]);
    });

    it("8. computes key and fingerprint before fn runs, so fn mutating its input changes nothing", async () => {
      const { options, effects } = await setup();
      const order = { id: "1001", lines: [{ sku: "M8", quantity: "300" }] };
      const mutate = async () => {
        order.id = "9999";
        order.lines.push({ sku: "M10", quantity: "1" });
        effects.push("booked");
        return "SO-1";
      };
      const settings = options({ key: order.id, fingerprint: order });
      await idempotent(mutate, settings);
      const original = { id: "1001", lines: [{ sku: "M8", quantity: "300" }] };
      expect(await idempotent(mutate, options({ key: "1001", fingerprint: original }))).toBe("SO-1");
      expect(effects).toEqual(["booked"]);
    });

    it("9. scopes keys by tenant, system and operation so ids never collide", async () => {
      const { options, effects, bookOrder } = await setup();
      await idempotent(
        bookOrder,
        options({ scope: { tenant: "acme", system: "shopify", operation: "book-order" } }),
      );
      await idempotent(
        bookOrder,
        options({ scope: { tenant: "acme", system: "edi", operation: "book-order" } }),
      );
      await idempotent(
        bookOrder,
        options({ scope: { tenant: "beta", system: "shopify", operation: "book-order" } }),
      );
      await idempotent(bookOrder, options({ scope: { system: "shopify", operation: "book-order" } }));
      await idempotent(
        bookOrder,
        options({ scope: { tenant: "acme", system: "shopify", operation: "refund" } }),
      );
      await idempotent(
        bookOrder,
        options({ scope: { tenant: "acme", system: "shopify/book-order", operation: "x" } }),
      );
      expect(effects).toHaveLength(6);
      await idempotent(
        bookOrder,
        options({ scope: { tenant: "acme", system: "edi", operation: "book-order" } }),
      );
      expect(effects).toHaveLength(6);
    });

    it("keeps stored results apart from the caller's objects", async () => {
      const { options } = await setup();
      const first = await idempotent(async () => ({ lines: ["a"] }), options());
      first.lines.push("mutated");
      const second = await idempotent(async () => ({ lines: ["b"] }), options());
      expect(second).toEqual({ lines: ["a"] });
    });

    it("only the claim holder can complete, fail or release", async () => {
      const { store } = await setup();
      const request = { key: "k", fingerprint: undefined, inProgressExpiryMs: 1_000, retentionMs: 10_000 };
      const claim = await store.claim(request);
      expect(claim.outcome).toBe("claimed");
      expect((await store.claim(request)).outcome).toBe("existing");
      expect(await store.complete("k", "not-the-token", 1, 10_000)).toBe(false);
      expect(await store.release("k", "not-the-token")).toBe(false);
      expect(
        await store.fail(
          "k",
          "not-the-token",
          { name: "E", code: "X", message: "x", retryable: false },
          10_000,
        ),
      ).toBe(false);
      expect(await store.complete("k", claim.record.claimToken, 42, 10_000)).toBe(true);
      const record = await store.get("k");
      expect(record?.status).toBe("completed");
      expect(record?.result).toBe(42);
      expect(await store.release("k", claim.record.claimToken)).toBe(false);
    });
  });
}
