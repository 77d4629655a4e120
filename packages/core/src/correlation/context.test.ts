import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  bindCorrelation,
  getCorrelation,
  newCorrelationId,
  resolveContext,
  withCorrelation,
} from "./context";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("correlation context", () => {
  it("is undefined outside any context", () => {
    expect(getCorrelation()).toBeUndefined();
  });

  it("generates a UUID v4 correlation id when none is given", () => {
    withCorrelation({}, () => {
      expect(getCorrelation()?.correlationId).toMatch(UUID_V4);
    });
    expect(newCorrelationId()).toMatch(UUID_V4);
    expect(newCorrelationId()).not.toBe(newCorrelationId());
  });

  it("returns what the function returns", async () => {
    expect(withCorrelation({}, () => 42)).toBe(42);
    await expect(withCorrelation({}, async () => "done")).resolves.toBe("done");
  });

  it("nested calls inherit the outer fields and override the given ones", () => {
    withCorrelation({ correlationId: "c-1", tenant: "acme", traceparent: "tp" }, () => {
      withCorrelation({ causationId: "evt-1" }, () => {
        expect(getCorrelation()).toEqual({
          correlationId: "c-1",
          causationId: "evt-1",
          tenant: "acme",
          traceparent: "tp",
        });
      });
      withCorrelation({ correlationId: "c-2" }, () => {
        expect(getCorrelation()).toEqual({ correlationId: "c-2", tenant: "acme", traceparent: "tp" });
      });
      expect(getCorrelation()).toEqual({ correlationId: "c-1", tenant: "acme", traceparent: "tp" });
    });
  });

  it("does not mutate the given context object", () => {
    const given = { tenant: "acme" };
    withCorrelation(given, () => undefined);
    expect(given).toEqual({ tenant: "acme" });
    expect(resolveContext(given)).not.toBe(given);
  });

  it("is carried across awaits", async () => {
    await withCorrelation({ correlationId: "await-1" }, async () => {
      await Promise.resolve();
      await sleep(1);
      expect(getCorrelation()?.correlationId).toBe("await-1");
    });
    expect(getCorrelation()).toBeUndefined();
  });

  it("is carried into timers and immediates", async () => {
    const seen = await withCorrelation({ correlationId: "timer-1" }, () =>
      Promise.all([
        new Promise<string | undefined>((resolve) =>
          setTimeout(() => resolve(getCorrelation()?.correlationId), 1),
        ),
        new Promise<string | undefined>((resolve) =>
          setImmediate(() => resolve(getCorrelation()?.correlationId)),
        ),
        new Promise<string | undefined>((resolve) =>
          queueMicrotask(() => resolve(getCorrelation()?.correlationId)),
        ),
        new Promise<string | undefined>((resolve) =>
          process.nextTick(() => resolve(getCorrelation()?.correlationId)),
        ),
      ]),
    );
    expect(seen).toEqual(["timer-1", "timer-1", "timer-1", "timer-1"]);
  });

  it("keeps concurrent transactions apart", async () => {
    const run = (id: string, delay: number) =>
      withCorrelation({ correlationId: id }, async () => {
        await sleep(delay);
        const first = getCorrelation()?.correlationId;
        await sleep(5 - delay);
        return [first, getCorrelation()?.correlationId];
      });
    const results = await Promise.all([run("a", 4), run("b", 1), run("c", 2)]);
    expect(results).toEqual([
      ["a", "a"],
      ["b", "b"],
      ["c", "c"],
    ]);
  });

  it("reaches EventEmitter handlers of events emitted inside the context", () => {
    const emitter = new EventEmitter();
    const seen: (string | undefined)[] = [];
    emitter.on("shipped", () => seen.push(getCorrelation()?.correlationId));
    withCorrelation({ correlationId: "emit-1" }, () => emitter.emit("shipped"));
    withCorrelation({ correlationId: "emit-2" }, () => emitter.emit("shipped"));
    expect(seen).toEqual(["emit-1", "emit-2"]);
  });

  it("bindCorrelation keeps a handler in the context it was registered in", async () => {
    const emitter = new EventEmitter();
    const seen: (string | undefined)[] = [];
    withCorrelation({ correlationId: "registered" }, () => {
      emitter.on(
        "picked",
        bindCorrelation((sku: string) => seen.push(`${sku}:${getCorrelation()?.correlationId}`)),
      );
    });
    emitter.emit("picked", "SKU-1");
    await withCorrelation({ correlationId: "other" }, async () => {
      await sleep(1);
      emitter.emit("picked", "SKU-2");
    });
    expect(seen).toEqual(["SKU-1:registered", "SKU-2:registered"]);
  });

  it("bindCorrelation outside a context runs the callback outside any context", () => {
    const bound = bindCorrelation(() => getCorrelation());
    expect(withCorrelation({ correlationId: "x" }, () => bound())).toBeUndefined();
  });

  it("bindCorrelation passes arguments and this through", () => {
    const target = {
      factor: 3,
      scale(value: number) {
        return value * this.factor;
      },
    };
    target.scale = bindCorrelation(target.scale);
    expect(target.scale(2)).toBe(6);
  });
});
