import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CloudEvent, createEvent } from "../envelope/index";
import { UpstreamError, ValidationError } from "../errors/index";
import { idempotent } from "../idempotency/idempotent";
import { createMemoryIdempotencyStore } from "../idempotency/store";
import { createManualClock } from "../testing/manual-clock";
import { waitUntil } from "../testing/wait-until";
import { type BusSubscription, createBus } from "./bus";
import { createMemoryDeadLetterStore } from "./dead-letter";
import { createMemoryInboxStore } from "./inbox";
import { createMemoryTransport } from "./memory-transport";

type Fault = { kind: "none" } | { kind: "transient"; failures: number } | { kind: "permanent" };

const faultArbitrary: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant<Fault>({ kind: "none" }),
  fc.integer({ min: 1, max: 5 }).map<Fault>((failures) => ({ kind: "transient", failures })),
  fc.constant<Fault>({ kind: "permanent" }),
);

const scenario = fc
  .array(
    fc.record({
      subject: fc.constantFrom("A", "B", "C"),
      businessKey: fc.constantFrom("k1", "k2", "k3", "k4", "k5"),
      fault: faultArbitrary,
    }),
    { minLength: 1, maxLength: 10 },
  )
  .chain((messages) =>
    fc.record({
      messages: fc.constant(messages),
      // "in-process": the memory transport and inbox as they are (events handed through as
      // objects, the inbox answering at once); "wrapped": copies of them, which the bus
      // drives through the ports only (JSON bodies, an inbox answering with promises).
      path: fc.constantFrom("in-process" as const, "wrapped" as const),
      steps: fc.array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              kind: fc.constant("publish" as const),
              message: fc.integer({ min: 0, max: messages.length - 1 }),
              copies: fc.integer({ min: 1, max: 3 }),
              concurrent: fc.boolean(),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({ kind: fc.constant("restart" as const), abandon: fc.boolean() }),
          },
        ),
        { maxLength: 25 },
      ),
    }),
  );

describe("bus guarantees (properties)", () => {
  it("ends every message exactly once as handled or dead-lettered, effects at most once per key, and replay completes the rest", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ messages, steps, path }) => {
        const clock = createManualClock();
        const memoryTransport = createMemoryTransport({ capacity: 64 });
        const memoryInbox = createMemoryInboxStore({ clock });
        const transport = path === "in-process" ? memoryTransport : { ...memoryTransport };
        const inbox = path === "in-process" ? memoryInbox : { ...memoryInbox };
        const deadLetters = createMemoryDeadLetterStore();
        const idempotency = createMemoryIdempotencyStore({ clock });
        const bus = createBus({
          transport,
          deadLetters,
          inbox,
          clock,
          redeliveryDelayMs: 1,
          sleep: async (milliseconds) => {
            clock.advance(milliseconds);
            await new Promise((resolve) => setImmediate(resolve));
          },
        });
        const events: CloudEvent<{ index: number }>[] = messages.map((spec, index) =>
          createEvent({
            type: "com.distro.order.updated",
            source: "/shop",
            subject: spec.subject,
            data: { index },
          }),
        );
        const remaining = messages.map((spec) => (spec.fault.kind === "transient" ? spec.fault.failures : 0));
        let faultsRemoved = false;
        const effects: string[] = [];
        const successes = new Map<string, number>();

        const subscribe = () =>
          bus.subscribe<{ index: number }>({
            name: "erp-booking",
            concurrency: 3,
            prefetch: 6,
            retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
            handler: async (event) => {
              const index = event.data!.index;
              const spec = messages[index]!;
              await idempotent(
                async () => {
                  await new Promise((resolve) => setImmediate(resolve));
                  if (!faultsRemoved) {
                    if (spec.fault.kind === "permanent")
                      throw new ValidationError("ERP refused the order", []);
                    if (remaining[index]! > 0) {
                      remaining[index]! -= 1;
                      throw new UpstreamError("ERP answered 503", { status: 503 });
                    }
                  }
                  effects.push(spec.businessKey);
                  return "booked";
                },
                {
                  store: idempotency,
                  key: spec.businessKey,
                  scope: { system: "shop", operation: "book-order" },
                  inProgressExpiryMs: 3_600_000,
                  retentionMs: 86_400_000,
                  waitForInFlightMs: 1_000,
                  pollIntervalMs: 1,
                },
              );
              const original = event.causationid ?? event.id;
              successes.set(original, (successes.get(original) ?? 0) + 1);
            },
          });

        let subscription: BusSubscription = await subscribe();
        const published = new Set<number>();
        for (const step of steps) {
          if (step.kind === "restart") {
            await subscription.close({ abandon: step.abandon });
            subscription = await subscribe();
            continue;
          }
          published.add(step.message);
          const event = events[step.message]!;
          if (step.concurrent) {
            await Promise.all(Array.from({ length: step.copies }, () => bus.publish(event)));
          } else {
            for (let copy = 0; copy < step.copies; copy++) await bus.publish(event);
          }
        }

        const ids = [...published].map((index) => events[index]!.id);
        const finished = async () => {
          const letters = await deadLetters.list({ status: "all" });
          const dead = new Set(letters.map((entry) => entry.eventId));
          return ids.every((id) => successes.has(id) || dead.has(id));
        };
        await waitUntil(finished, { timeoutMs: 10_000, description: "every message to finish" });
        for (let round = 0; round < 20; round++) await new Promise((resolve) => setImmediate(resolve));

        const letters = await deadLetters.list({ status: "all" });
        for (const id of ids) {
          const endings = (successes.get(id) ?? 0) + letters.filter((entry) => entry.eventId === id).length;
          expect(endings).toBe(1);
        }
        expect(new Set(effects).size).toBe(effects.length);

        faultsRemoved = true;
        const report = await bus.replayMany();
        expect(report.failed).toEqual([]);
        expect(report.replayed).toHaveLength(letters.length);
        await waitUntil(() => ids.every((id) => successes.has(id)), {
          timeoutMs: 10_000,
          description: "every replay to be handled",
        });
        for (const id of ids) expect(successes.get(id)).toBe(1);
        expect(new Set(effects).size).toBe(effects.length);
        expect(await deadLetters.list()).toEqual([]);
        await bus.close();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
