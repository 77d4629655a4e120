import { describe, expect, it } from "vitest";
import { getCorrelation } from "../correlation/index";
import { type CloudEvent, createEvent } from "../envelope/index";
import { RateLimitedError, UpstreamError, ValidationError } from "../errors/index";
import { createBus } from "../messaging/bus";
import { createMemoryDeadLetterStore } from "../messaging/dead-letter";
import { createMemoryInboxStore } from "../messaging/inbox";
import type { Transport, TransportDelivery } from "../messaging/transport";
import type { ConformanceContext } from "./idempotency-store-conformance";
import { createManualClock } from "./manual-clock";
import { waitUntil } from "./wait-until";

/** Builds a fresh transport (with no subscriptions) for one test. */
export type TransportFactory = (context: ConformanceContext) => Transport | Promise<Transport>;

function orderEvent(orderNumber: string, sequence: number, overrides: Partial<CloudEvent> = {}): CloudEvent {
  return {
    ...createEvent({
      type: "com.distro.order.updated",
      source: "/shop/acme",
      subject: orderNumber,
      data: { orderNumber, sequence },
    }),
    ...overrides,
  };
}

/**
 * Registers the transport and bus conformance suite (vitest) for one {@link Transport}
 * adapter: fan-out to subscriptions, shared consumption within one, ack / nack and
 * redelivery after a consumer stops, prefetch bounds; and, with a bus on top, inbox
 * dedupe, per-key ordering, retry, dead letters for failures and bad input, replay and
 * discard. The in-process transport and every broker adapter run it with one call.
 *
 * @param name - the adapter's name, shown in the test report
 * @param createTransport - builds a fresh transport for one test
 * @example
 * ```ts
 * import { createMemoryTransport } from "@distro/core";
 * import { describeTransportConformance } from "@distro/core/testing";
 *
 * describeTransportConformance("memory", () => createMemoryTransport());
 * ```
 */
export function describeTransportConformance(name: string, createTransport: TransportFactory): void {
  describe(`Transport conformance: ${name}`, () => {
    const setup = async () => {
      const clock = createManualClock();
      const transport = await createTransport({ clock });
      return { clock, transport };
    };

    it("delivers every message to every subscription, each body unchanged", async () => {
      const { transport } = await setup();
      const seen: Record<string, string[]> = { billing: [], shipping: [] };
      for (const subscription of ["billing", "shipping"]) {
        await transport.subscribe(subscription, (delivery) => {
          seen[subscription]!.push(delivery.body);
          void delivery.ack();
        });
      }
      for (const body of ["one", "two", '{"three":3}']) await transport.publish({ body, key: "k" });
      await waitUntil(() => seen.billing!.length === 3 && seen.shipping!.length === 3);
      expect(seen.billing).toEqual(["one", "two", '{"three":3}']);
      expect(seen.shipping).toEqual(["one", "two", '{"three":3}']);
      await transport.close();
    });

    it("shares one subscription's messages between its consumers, each once", async () => {
      const { transport } = await setup();
      const seen: string[] = [];
      for (let consumer = 0; consumer < 2; consumer++) {
        await transport.subscribe("billing", (delivery) => {
          seen.push(delivery.body);
          void delivery.ack();
        });
      }
      for (let index = 0; index < 20; index++) await transport.publish({ body: String(index) });
      await waitUntil(() => seen.length === 20);
      expect([...seen].sort()).toEqual(Array.from({ length: 20 }, (_, index) => String(index)).sort());
      await transport.close();
    });

    it("delivers a nacked message again, counting deliveries", async () => {
      const { transport } = await setup();
      const counts: number[] = [];
      await transport.subscribe("billing", (delivery) => {
        counts.push(delivery.deliveryCount);
        if (delivery.deliveryCount < 3) void delivery.nack();
        else void delivery.ack();
      });
      await transport.publish({ body: "retry-me" });
      await waitUntil(() => counts.length === 3);
      expect(counts).toEqual([1, 2, 3]);
      await transport.close();
    });

    it("delivers the unsettled messages of a stopped consumer to the next one", async () => {
      const { transport } = await setup();
      const held: TransportDelivery[] = [];
      const first = await transport.subscribe("billing", (delivery) => {
        held.push(delivery);
      });
      await transport.publish({ body: "a" });
      await transport.publish({ body: "b" });
      await waitUntil(() => held.length === 2);
      await first.close();
      void held[0]!.ack();
      const again: { body: string; count: number }[] = [];
      await transport.subscribe("billing", (delivery) => {
        again.push({ body: delivery.body, count: delivery.deliveryCount });
        void delivery.ack();
      });
      await waitUntil(() => again.length === 2);
      expect(again).toEqual([
        { body: "a", count: 2 },
        { body: "b", count: 2 },
      ]);
      await transport.close();
    });

    it("never hands a consumer more unsettled deliveries than its prefetch", async () => {
      const { transport } = await setup();
      const held: TransportDelivery[] = [];
      await transport.subscribe("billing", (delivery) => held.push(delivery), { prefetch: 3 });
      for (let index = 0; index < 10; index++) await transport.publish({ body: String(index) });
      await waitUntil(() => held.length === 3);
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(held.length).toBe(3);
      for (const delivery of held.splice(0)) void delivery.ack();
      await waitUntil(() => held.length === 3);
      expect(held.map((delivery) => delivery.body)).toEqual(["3", "4", "5"]);
      await transport.close();
    });

    it("publishes to one named subscription only when asked", async () => {
      const { transport } = await setup();
      const seen: string[] = [];
      for (const subscription of ["billing", "shipping"]) {
        await transport.subscribe(subscription, (delivery) => {
          seen.push(`${subscription}:${delivery.body}`);
          void delivery.ack();
        });
      }
      await transport.publish({ body: "only-billing" }, { subscription: "billing" });
      await transport.publish({ body: "all" });
      await waitUntil(() => seen.length === 3);
      expect(seen.sort()).toEqual(["billing:all", "billing:only-billing", "shipping:all"]);
      await transport.close();
    });

    describe("with a bus on top", () => {
      const busSetup = async () => {
        const { clock, transport } = await setup();
        const sleeps: number[] = [];
        const deadLetters = createMemoryDeadLetterStore();
        const bus = createBus({
          transport,
          deadLetters,
          inbox: createMemoryInboxStore({ clock }),
          clock,
          random: () => 0.5,
          sleep: async (milliseconds) => {
            sleeps.push(milliseconds);
            clock.advance(milliseconds);
          },
          generateId: (() => {
            let serial = 0;
            return () => `replay-${++serial}`;
          })(),
        });
        return { clock, transport, bus, deadLetters, sleeps };
      };

      it("handles a duplicated event once (inbox by source + id)", async () => {
        const { bus } = await busSetup();
        const handled: string[] = [];
        const subscription = await bus.subscribe({
          name: "erp-booking",
          handler: (event) => {
            handled.push(event.id);
          },
        });
        const event = orderEvent("1001", 1);
        await bus.publish(event);
        await bus.publish(event);
        await bus.publish({ ...event, source: "/shop/other" });
        await waitUntil(() => subscription.stats.handled + subscription.stats.duplicates === 3);
        expect(handled).toEqual([event.id, event.id]);
        expect(subscription.stats.duplicates).toBe(1);
        await bus.close();
      });

      it("handles events of one key in order and different keys in parallel, within the concurrency", async () => {
        const { bus } = await busSetup();
        const order: Record<string, number[]> = {};
        let running = 0;
        let peak = 0;
        let firstStart: number | undefined;
        const subscription = await bus.subscribe<{ orderNumber: string; sequence: number }>({
          name: "erp-booking",
          concurrency: 3,
          handler: async (event) => {
            running += 1;
            peak = Math.max(peak, running);
            // Hold each handler until another key's handler runs beside it (or 2 s pass), so
            // the check of parallelism does not depend on how fast the broker confirms.
            firstStart ??= Date.now();
            while (peak < 2 && Date.now() - firstStart < 2_000)
              await new Promise((resolve) => setTimeout(resolve, 5));
            await new Promise((resolve) => setTimeout(resolve, 1));
            const list = order[event.data!.orderNumber] ?? [];
            list.push(event.data!.sequence);
            order[event.data!.orderNumber] = list;
            running -= 1;
          },
        });
        for (let sequence = 1; sequence <= 5; sequence++) {
          for (const orderNumber of ["A", "B", "C", "D"])
            await bus.publish(orderEvent(orderNumber, sequence));
        }
        await waitUntil(() => subscription.stats.handled === 20);
        for (const orderNumber of ["A", "B", "C", "D"]) expect(order[orderNumber]).toEqual([1, 2, 3, 4, 5]);
        expect(peak).toBeGreaterThan(1);
        expect(peak).toBeLessThanOrEqual(3);
        await bus.close();
      });

      it("retries transient failures with backoff, honouring Retry-After, then succeeds", async () => {
        const { bus, sleeps, deadLetters } = await busSetup();
        let calls = 0;
        const subscription = await bus.subscribe({
          name: "erp-booking",
          retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, jitter: "none" },
          handler: () => {
            calls += 1;
            if (calls === 1) throw new UpstreamError("ERP answered 503", { status: 503 });
            if (calls === 2) throw new RateLimitedError("ERP rate limit", { retryAfterMs: 7_000 });
          },
        });
        await bus.publish(orderEvent("1001", 1));
        await waitUntil(() => subscription.stats.handled === 1);
        expect(calls).toBe(3);
        expect(sleeps).toEqual([100, 7_000]);
        expect(await deadLetters.list()).toEqual([]);
        await bus.close();
      });

      it("dead-letters after max attempts with the error chain, attempts and failure times", async () => {
        const { bus, deadLetters, clock } = await busSetup();
        const started = clock.now();
        const subscription = await bus.subscribe({
          name: "erp-booking",
          retry: { maxAttempts: 3, baseDelayMs: 10, jitter: "none" },
          handler: () => {
            throw new UpstreamError("ERP answered 503", {
              status: 503,
              cause: new Error("socket hang up"),
            });
          },
        });
        const event = orderEvent("1001", 1);
        await bus.publish(event);
        await waitUntil(() => subscription.stats.deadLettered === 1);
        const [entry] = await deadLetters.list();
        expect(entry).toMatchObject({
          subscriber: "erp-booking",
          eventId: event.id,
          type: event.type,
          source: event.source,
          attempts: 3,
          status: "pending",
          error: { code: "UPSTREAM_ERROR", cause: { message: "socket hang up" } },
        });
        expect(JSON.parse(entry!.message)).toEqual(JSON.parse(JSON.stringify(event)));
        expect(entry!.firstFailedAt).toBe(started);
        expect(entry!.lastFailedAt).toBe(started + 30);
        await bus.close();
      });

      it("sends non-retryable errors straight to dead letter", async () => {
        const { bus, deadLetters } = await busSetup();
        let calls = 0;
        const subscription = await bus.subscribe({
          name: "erp-booking",
          handler: () => {
            calls += 1;
            throw new ValidationError("Unknown SKU", [
              { code: "custom", path: ["lines", 0, "sku"], message: "x" },
            ]);
          },
        });
        await bus.publish(orderEvent("1001", 1));
        await waitUntil(() => subscription.stats.deadLettered === 1);
        expect(calls).toBe(1);
        const [entry] = await deadLetters.list({ errorCode: "VALIDATION_FAILED" });
        expect(entry?.attempts).toBe(1);
        await bus.close();
      });

      it("dead-letters bad input with its issues and keeps consuming", async () => {
        const { bus, deadLetters, transport } = await busSetup();
        const handled: string[] = [];
        const subscription = await bus.subscribe<{ orderNumber: string }>({
          name: "erp-booking",
          validate: (event) => {
            const data = event.data as { orderNumber?: unknown } | undefined;
            if (typeof data?.orderNumber !== "string") {
              throw new ValidationError("order.updated data is invalid", [
                { code: "invalid_type", path: ["data", "orderNumber"], message: "Expected a string" },
              ]);
            }
            return undefined;
          },
          handler: (event) => {
            handled.push(event.data!.orderNumber);
          },
        });
        await transport.publish({ body: "{not json" });
        await transport.publish({ body: JSON.stringify({ specversion: "1.0", id: "x", type: "t" }) });
        await bus.publish({ ...orderEvent("1001", 1), data: { sequence: 1 } });
        await bus.publish(orderEvent("1002", 1));
        await waitUntil(() => subscription.stats.deadLettered === 3 && subscription.stats.handled === 1);
        expect(handled).toEqual(["1002"]);
        const entries = await deadLetters.list({ errorCode: "VALIDATION_FAILED" });
        expect(entries).toHaveLength(3);
        const notJson = entries.find((entry) => entry.message === "{not json");
        expect(notJson?.issues?.[0]?.code).toBe("invalid_json");
        const missingSource = entries.find((entry) => entry.eventId === "x");
        expect(missingSource?.issues?.map((issue) => issue.path)).toContainEqual(["source"]);
        const badData = entries.find((entry) => entry.subject === "1001");
        expect(badData?.issues?.[0]?.path).toEqual(["data", "orderNumber"]);
        expect(badData?.attempts).toBe(0);
        await bus.close();
      });

      it("runs handlers inside the event's correlation context", async () => {
        const { bus } = await busSetup();
        const seen: unknown[] = [];
        const subscription = await bus.subscribe({
          name: "erp-booking",
          handler: () => {
            seen.push(getCorrelation());
          },
        });
        const event = orderEvent("1001", 1, { correlationid: "corr-42" });
        await bus.publish(event);
        await waitUntil(() => subscription.stats.handled === 1);
        expect(seen[0]).toMatchObject({ correlationId: "corr-42", causationId: event.id });
        await bus.close();
      });

      it("replays one dead letter to its subscriber with the correlation id and a causation link", async () => {
        const { bus, deadLetters } = await busSetup();
        let broken = true;
        const handled: CloudEvent[] = [];
        const other: string[] = [];
        await bus.subscribe({ name: "crm", handler: (event) => void other.push(event.id) });
        const subscription = await bus.subscribe({
          name: "erp-booking",
          handler: (event) => {
            if (broken) throw new ValidationError("ERP refused", []);
            handled.push(event);
          },
        });
        const event = orderEvent("1001", 1, { correlationid: "corr-7" });
        await bus.publish(event);
        await waitUntil(() => subscription.stats.deadLettered === 1 && other.length === 1);
        const [entry] = await deadLetters.list();
        broken = false;
        const replayed = await bus.replay(entry!.id);
        await waitUntil(() => handled.length === 1);
        expect(handled[0]).toMatchObject({
          id: "replay-1",
          correlationid: "corr-7",
          causationid: event.id,
          data: event.data,
          type: event.type,
          source: event.source,
        });
        expect(replayed.id).toBe("replay-1");
        expect(other).toEqual([event.id]);
        const after = await deadLetters.get(entry!.id);
        expect(after?.status).toBe("replayed");
        expect(after?.replays.map((replay) => replay.eventId)).toEqual(["replay-1"]);
        await expect(bus.replay(entry!.id)).rejects.toMatchObject({ code: "DEAD_LETTER_NOT_PENDING" });
        await bus.close();
      });

      it("replays many by filter and discards with a reason", async () => {
        const { bus, deadLetters } = await busSetup();
        let broken = true;
        const handled: string[] = [];
        const subscription = await bus.subscribe<{ orderNumber: string }>({
          name: "erp-booking",
          handler: (event) => {
            if (broken) throw new ValidationError("ERP refused", []);
            handled.push(event.data!.orderNumber);
          },
        });
        await bus.publish(orderEvent("1", 1));
        await bus.publish(orderEvent("2", 1));
        await bus.publish({ ...orderEvent("3", 1), type: "com.distro.order.cancelled" });
        await waitUntil(() => subscription.stats.deadLettered === 3);
        broken = false;
        const cancelled = await deadLetters.list({ type: "com.distro.order.cancelled" });
        await bus.discard(cancelled[0]!.id, "cancelled in the ERP by hand");
        await expect(bus.discard(cancelled[0]!.id, " ")).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
        const report = await bus.replayMany({ type: "com.distro.order.updated" });
        expect(report.replayed).toHaveLength(2);
        expect(report.failed).toEqual([]);
        await waitUntil(() => handled.length === 2);
        expect(handled.sort()).toEqual(["1", "2"]);
        const discarded = await deadLetters.get(cancelled[0]!.id);
        expect(discarded?.status).toBe("discarded");
        expect(discarded?.discarded?.reason).toBe("cancelled in the ERP by hand");
        expect(await deadLetters.list()).toEqual([]);
        await bus.close();
      });

      it("refuses to publish an invalid envelope with a ValidationError naming the attribute", async () => {
        const { bus } = await busSetup();
        await expect(bus.publish({ ...orderEvent("1", 1), source: "" })).rejects.toMatchObject({
          code: "VALIDATION_FAILED",
          issues: [expect.objectContaining({ path: ["source"] })],
        });
        await bus.close();
      });

      it("gives started work to the next consumer after an abandoned (crashed) one", async () => {
        const { bus, clock } = await busSetup();
        const first = await bus.subscribe({
          name: "erp-booking",
          handler: () => new Promise<void>(() => undefined),
        });
        const event = orderEvent("1001", 1);
        await bus.publish(event);
        await waitUntil(() => first.stats.received === 1);
        await first.close({ abandon: true });
        const handled: string[] = [];
        const second = await bus.subscribe({
          name: "erp-booking",
          handler: (next) => void handled.push(next.id),
        });
        await waitUntil(() => second.stats.redelivered > 0);
        expect(handled).toEqual([]);
        clock.advance(300_000);
        await waitUntil(() => second.stats.handled === 1);
        expect(handled).toEqual([event.id]);
        await bus.close();
      });
    });
  });
}
