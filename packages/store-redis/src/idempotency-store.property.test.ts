import { createManualClock } from "@distro/core/testing";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createRedisIdempotencyStore } from "./idempotency-store";
import { openTestRedis, redisService } from "./test-redis.test-helper";

describe.skipIf(!redisService.url)("Redis idempotency store, property", () => {
  const opened = Array.from({ length: 4 }, () => openTestRedis());
  afterAll(async () => {
    for (const { cleanup } of opened) await cleanup();
  });

  it("4 workers, duplicates and crashed claims in any interleaving: every order is booked exactly once", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            order: fc.integer({ min: 0, max: 9 }),
            worker: fc.integer({ min: 0, max: 3 }),
            crashes: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (deliveries) => {
          run += 1;
          const clock = createManualClock();
          // Four workers, each with its own connection, sharing the records through Redis.
          const shared = `${opened[0]!.prefix}${run}:`;
          const stores = opened.map(({ redis }) =>
            createRedisIdempotencyStore({ redis, keyPrefix: shared, clock }),
          );
          const booked = new Map<number, number>();
          let pending = deliveries.map((delivery) => ({ ...delivery }));
          for (let round = 0; pending.length > 0; round++) {
            expect(round).toBeLessThan(100);
            const again: typeof pending = [];
            await Promise.all(
              pending.map(async (delivery) => {
                const store = stores[delivery.worker]!;
                const request = {
                  key: `order-${delivery.order}`,
                  fingerprint: `payload-${delivery.order}`,
                  inProgressExpiryMs: 30_000,
                  retentionMs: 86_400_000,
                };
                const claim = await store.claim(request);
                if (claim.outcome === "existing") {
                  // Running elsewhere (or abandoned by a crash): delivered again later.
                  if (claim.record.status === "in_progress") again.push(delivery);
                  return;
                }
                if (delivery.crashes) {
                  // The worker dies holding the claim: the message is redelivered, to another worker.
                  again.push({ ...delivery, crashes: false, worker: (delivery.worker + 1) % 4 });
                  return;
                }
                booked.set(delivery.order, (booked.get(delivery.order) ?? 0) + 1);
                expect(
                  await store.complete(request.key, claim.record.claimToken, { booked: true }, 86_400_000),
                ).toBe(true);
              }),
            );
            pending = again;
            // Time passes between redeliveries: abandoned claims expire and can be taken over.
            clock.advance(30_001);
          }
          const orders = new Set(deliveries.map((delivery) => delivery.order));
          expect([...booked.keys()].sort()).toEqual([...orders].sort());
          for (const count of booked.values()) expect(count).toBe(1);
        },
      ),
      { numRuns: 40 },
    );
  });
});
