import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CircuitOpenError, RateLimitedError, TimeoutError, UpstreamError } from "@distro/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createCircuitBreaker } from "../breaker/index";
import { createManualClock } from "../clock/index";
import { createRateGate } from "./rate-gate";
import { createUpstreamLimiter } from "./upstream-limiter";

function maxInWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  let left = 0;
  for (let right = 0; right < sorted.length; right++) {
    while (sorted[right]! - sorted[left]! >= windowMs) left++;
    most = Math.max(most, right - left + 1);
  }
  return most;
}

describe("rate gate", () => {
  it("never lets a window of the interval exceed the rate, under arbitrary bursts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 1000 }),
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 3000 }), count: fc.integer({ min: 1, max: 30 }) }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        async (rate, intervalMs, bursts) => {
          const clock = createManualClock();
          const gate = createRateGate({ ratePerInterval: rate, intervalMs, clock });
          const starts: number[] = [];
          const waiting: Promise<void>[] = [];
          const ordered = [...bursts].sort((a, b) => a.at - b.at);
          for (const burst of ordered) {
            await clock.advance(burst.at - clock.now());
            for (let index = 0; index < burst.count; index++) {
              waiting.push(gate.acquire().then(() => void starts.push(clock.now())));
            }
          }
          const total = ordered.reduce((sum, burst) => sum + burst.count, 0);
          while (starts.length < total) await clock.advance(intervalMs);
          await Promise.all(waiting);
          expect(maxInWindow(starts, intervalMs)).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("does not reserve a slot later than the caller's deadline", async () => {
    const clock = createManualClock();
    const gate = createRateGate({ ratePerInterval: 1, intervalMs: 1000, clock });
    expect(await gate.acquire()).toBe(true);
    expect(await gate.acquire(100)).toBe(false);
    expect(gate.nextSlotAt()).toBe(1000);
    const next = gate.acquire(1000);
    await clock.advance(1000);
    expect(await next).toBe(true);
  });

  it("holds every start until a Retry-After pause is over, even slots already reserved", async () => {
    const clock = createManualClock();
    const gate = createRateGate({ ratePerInterval: 1, intervalMs: 100, clock });
    await gate.acquire();
    let started = false;
    const next = gate.acquire().then(() => {
      started = true;
    });
    gate.pauseUntil(1000);
    await clock.advance(500);
    expect(started).toBe(false);
    await clock.advance(600);
    await next;
    expect(started).toBe(true);
    expect(clock.now()).toBeGreaterThanOrEqual(1000);
  });
});

describe("upstream limiter", () => {
  it("keeps the rate under arbitrary bursts through the queue, with priorities and concurrency", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 6 }),
        async (rate, bursts) => {
          const clock = createManualClock();
          const limiter = createUpstreamLimiter({
            system: "erp",
            ratePerInterval: rate,
            intervalMs: 1000,
            concurrency: 3,
            queueCapacity: 10_000,
            adaptive: false,
            clock,
          });
          const starts: number[] = [];
          const runs: Promise<unknown>[] = [];
          for (const count of bursts) {
            for (let index = 0; index < count; index++) {
              runs.push(limiter.run(async () => void starts.push(clock.now())));
            }
            await clock.advance(137);
          }
          const total = bursts.reduce((sum, count) => sum + count, 0);
          while (starts.length < total) await clock.advance(250);
          await Promise.all(runs);
          expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(rate);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("starts customer-facing reads ahead of queued batch work", async () => {
    const clock = createManualClock();
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 1,
      intervalMs: 1000,
      concurrency: 1,
      adaptive: false,
      clock,
    });
    const order: string[] = [];
    const runs = [
      limiter.run(async () => void order.push("batch-1"), { priority: "batch" }),
      limiter.run(async () => void order.push("batch-2"), { priority: "batch" }),
      limiter.run(async () => void order.push("batch-3"), { priority: "batch" }),
    ];
    await clock.advance(0);
    runs.push(limiter.run(async () => void order.push("checkout-price"), { priority: "interactive" }));
    for (let step = 0; step < 6; step++) await clock.advance(1000);
    await Promise.all(runs);
    expect(order.indexOf("checkout-price")).toBeLessThan(order.indexOf("batch-3"));
    expect(order[0]).toBe("batch-1");
  });

  it("refuses with RateLimitedError when the queue is full, so memory stays bounded", async () => {
    const clock = createManualClock();
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 1,
      concurrency: 1,
      queueCapacity: 2,
      adaptive: false,
      clock,
    });
    const accepted = [1, 2, 3].map(() => limiter.run(async () => "ok"));
    const refused = await limiter.run(async () => "no").catch((error) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect(limiter.stats()).toMatchObject({ refused: 1, queued: 2 });
    for (let step = 0; step < 4; step++) await clock.advance(1000);
    expect(await Promise.all(accepted)).toEqual(["ok", "ok", "ok"]);
  });

  it("makes callers wait for room in wait mode, and times them out with TimeoutError", async () => {
    const clock = createManualClock();
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 1,
      concurrency: 1,
      queueCapacity: 1,
      whenFull: "wait",
      waitTimeoutMs: 300,
      adaptive: false,
      clock,
    });
    const first = limiter.run(async () => {
      await clock.sleep(2000);
      return 1;
    });
    const second = limiter.run(async () => 2);
    await clock.advance(0);
    const third = limiter.run(async () => 3).catch((error) => error);
    await clock.advance(400);
    expect(await third).toBeInstanceOf(TimeoutError);
    expect(limiter.stats().refused).toBe(1);
    await clock.advance(2000);
    await clock.advance(1000);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
  });

  it("refuses a call that cannot start within maxWaitMs instead of queueing it", async () => {
    const clock = createManualClock();
    const limiter = createUpstreamLimiter({ system: "erp", ratePerInterval: 1, adaptive: false, clock });
    await limiter.run(async () => 1);
    const late = await limiter.run(async () => 2, { maxWaitMs: 100 }).catch((error) => error);
    expect(late).toBeInstanceOf(RateLimitedError);
    expect(limiter.stats().refused).toBe(1);
  });

  it("halves its rate on a 429, honours Retry-After, and climbs back when healthy", async () => {
    const clock = createManualClock();
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 10,
      adaptive: { increaseStep: 1, ceilingHoldMs: 3000 },
      clock,
    });
    const throttled = limiter
      .run(async () => {
        throw new UpstreamError("ERP answered 429", { status: 429, retryAfterMs: 2000 });
      })
      .catch((error) => error);
    await clock.advance(0);
    expect(await throttled).toBeInstanceOf(UpstreamError);
    expect(limiter.stats()).toMatchObject({ rate: 5, throttled: 1 });

    let startedAt = -1;
    const after = limiter.run(async () => {
      startedAt = clock.now();
    });
    await clock.advance(1500);
    expect(startedAt).toBe(-1);
    await clock.advance(600);
    await after;
    expect(startedAt).toBeGreaterThanOrEqual(2000);

    for (let second = 0; second < 12; second++) {
      await clock.advance(1000);
      await limiter.run(async () => undefined);
    }
    expect(limiter.stats().rate).toBe(10);
  });

  it("learns from RateLimitedError and slow calls", async () => {
    const clock = createManualClock();
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 8,
      adaptive: { latencyThresholdMs: 500 },
      clock,
    });
    await limiter
      .run(async () => {
        throw new RateLimitedError("slow down");
      })
      .catch(() => undefined);
    expect(limiter.stats().rate).toBe(4);
    await clock.advance(1000);
    const slow = limiter.run(() => clock.sleep(800));
    await clock.advance(800);
    await slow;
    expect(limiter.stats().rate).toBe(2);
  });

  it("runs calls through its circuit breaker", async () => {
    const clock = createManualClock();
    const breaker = createCircuitBreaker({ system: "erp", failureThreshold: 1, openForMs: 1000, clock });
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 100,
      breaker,
      adaptive: false,
      clock,
    });
    await limiter
      .run(async () => {
        throw new UpstreamError("ERP answered 500", { status: 500 });
      })
      .catch(() => undefined);
    await expect(limiter.run(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });
});

describe("upstream limiter against a real ERP on loopback", () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) {
      server.close();
      await once(server, "close");
      server = undefined;
    }
  });

  it("adapts to the server's 429 and Retry-After and stops being throttled", async () => {
    const arrivals: number[] = [];
    let throttledResponses = 0;
    server = createServer((_request, response) => {
      const now = Date.now();
      arrivals.push(now);
      const recent = arrivals.filter((at) => now - at < 1000).length;
      if (recent > 4) {
        throttledResponses++;
        response.writeHead(429, { "retry-after": "1" });
        response.end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"price":"1.25"}');
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const limiter = createUpstreamLimiter({
      system: "erp",
      ratePerInterval: 8,
      concurrency: 4,
      marginMs: 300,
    });
    const call = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/price`);
      await response.arrayBuffer();
      if (response.status === 429) {
        throw new UpstreamError("ERP answered 429", {
          status: 429,
          retryAfterMs: Number(response.headers.get("retry-after")) * 1000,
        });
      }
      return response.status;
    };
    const results = await Promise.allSettled(Array.from({ length: 16 }, () => limiter.run(call)));
    const rejected = results.filter((result) => result.status === "rejected").length;
    expect(rejected).toBe(throttledResponses);
    expect(limiter.stats().rate).toBeLessThanOrEqual(4);
    const before = throttledResponses;
    const second = await Promise.allSettled(Array.from({ length: 6 }, () => limiter.run(call)));
    expect(second.every((result) => result.status === "fulfilled")).toBe(true);
    expect(throttledResponses).toBe(before);
  });
});
