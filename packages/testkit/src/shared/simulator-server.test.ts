import { ValidationError } from "@distro/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { triggerFires } from "./faults";
import { parseJsonExact, stringifyJson } from "./json";
import { LeakyBucket } from "./leaky-bucket";
import { jsonResponse, SimulatorRouter } from "./router";
import { type SimulatorServer, startSimulatorServer } from "./simulator-server";
import { WebhookSender } from "./webhook-sender";

const servers: SimulatorServer[] = [];
async function start(settings: Partial<Parameters<typeof startSimulatorServer>[0]> = {}) {
  const router = new SimulatorRouter()
    .on("GET", "/items/:id.json", (request) => ({
      ...jsonResponse(200, { id: request.params.id }),
      operation: "items.get",
    }))
    .on("POST", "/echo", (request) => jsonResponse(200, { body: request.body }));
  const server = await startSimulatorServer({ name: "test", router, ...settings });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("startSimulatorServer", () => {
  it("listens on loopback, routes with params and records a ledger", async () => {
    const server = await start({ clock: () => 1234 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/items/42.json?x=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "42" });
    const echo = await fetch(`${server.url}/echo`, { method: "POST", body: "raw text" });
    expect(await echo.json()).toEqual({ body: "raw text" });
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const entries = server.ledger.entries();
    expect(entries.map((entry) => [entry.sequence, entry.method, entry.path, entry.status])).toEqual([
      [1, "GET", "/items/42.json", 200],
      [2, "POST", "/echo", 200],
      [3, "GET", "/nope", 404],
    ]);
    expect(entries[0]).toMatchObject({ query: "x=1", receivedAt: 1234, operation: "items.get" });
    expect(entries[1]?.requestBody).toBe("raw text");
  });

  it("injects 429 with Retry-After for N requests, then serves normally", async () => {
    const server = await start();
    const handle = server.faults.inject({ kind: "rate-limit", retryAfterSeconds: 2, times: 2 });
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await fetch(`${server.url}/items/1.json`);
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get("retry-after")).toBe("2");
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([429, 429, 200]);
    expect(handle.applied).toBe(2);
    expect(handle.active).toBe(false);
    expect(server.ledger.count({ status: 429 })).toBe(2);
  });

  it("renders faults in the simulator's own body shape and targets by path", async () => {
    const server = await start({
      renderFault: (fault) =>
        jsonResponse(fault.kind === "rate-limit" ? 429 : 500, { errors: "vendor shape" }),
    });
    server.faults.inject({ kind: "server-error", status: 502, path: /^\/echo$/ });
    expect((await fetch(`${server.url}/items/1.json`)).status).toBe(200);
    const failed = await fetch(`${server.url}/echo`, { method: "POST", body: "x" });
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ errors: "vendor shape" });
  });

  it("applies ratio faults from the injected random", async () => {
    const draws = [0.9, 0.1, 0.9, 0.1];
    const server = await start({ random: () => draws.shift() ?? 0.9 });
    server.faults.inject({ kind: "server-error", ratio: 0.5 });
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) {
      const response = await fetch(`${server.url}/items/1.json`);
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 503, 200, 503]);
  });

  it("resets the connection and adds latency through the injected sleep", async () => {
    const slept: number[] = [];
    const server = await start({
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    server.faults.inject({ kind: "latency", ms: 250, times: 1 });
    server.faults.inject({ kind: "reset", times: 1 });
    await expect(fetch(`${server.url}/items/1.json`)).rejects.toThrow();
    expect(slept).toEqual([250]);
    expect((await fetch(`${server.url}/items/1.json`)).status).toBe(200);
    expect(server.ledger.entries()[0]).toMatchObject({ status: 0, faults: ["latency", "reset"] });
  });

  it("refuses an invalid fault with a ValidationError", async () => {
    const server = await start();
    expect(() => server.faults.inject({ kind: "server-error", status: 404 })).toThrow(ValidationError);
    expect(() => server.faults.inject({ kind: "reset", ratio: 2 })).toThrow(ValidationError);
  });
});

describe("triggerFires", () => {
  it("fires at most `times` times and with probability `ratio`", () => {
    fc.assert(
      fc.property(fc.nat(20), fc.nat(40), (times, calls) => {
        let fired = 0;
        for (let index = 0; index < calls; index++) if (triggerFires({ times }, fired, Math.random)) fired++;
        return fired === Math.min(times, calls);
      }),
    );
    expect(triggerFires({ ratio: 0.3 }, 0, () => 0.29)).toBe(true);
    expect(triggerFires({ ratio: 0.3 }, 0, () => 0.3)).toBe(false);
  });
});

describe("stringifyJson", () => {
  it("writes bigints as exact JSON numbers", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.string(), (id, text) => {
        const json = stringifyJson({ id, text, nested: [{ id }] });
        return json === `{"id":${id},"text":${JSON.stringify(text)},"nested":[{"id":${id}}]}`;
      }),
    );
  });
});

describe("LeakyBucket", () => {
  it("refuses what overflows and drains at its leak rate", () => {
    let now = 0;
    const bucket = new LeakyBucket({ capacity: 40, leakPerSecond: 2, clock: () => now });
    for (let index = 0; index < 40; index++) expect(bucket.tryPour(1)).toBe(true);
    expect(bucket.tryPour(1)).toBe(false);
    expect(bucket.secondsUntilRoom(1)).toBeCloseTo(0.5);
    now = 500;
    expect(bucket.tryPour(1)).toBe(true);
    expect(bucket.level()).toBeCloseTo(40);
    now = 20_500;
    expect(bucket.level()).toBe(0);
  });
});

describe("WebhookSender", () => {
  it("retries on non-2xx, sends duplicates with the same id and reorders on demand", async () => {
    const answers = [500, 200];
    const received: string[] = [];
    const server = await start();
    const router = new SimulatorRouter().on("POST", "/hook", (request) => {
      received.push(request.body);
      return jsonResponse(answers.shift() ?? 200, {});
    });
    const receiver = await startSimulatorServer({ name: "receiver", router });
    servers.push(receiver);
    const delays: number[] = [];
    const sender = new WebhookSender({
      retryDelaysMs: [5, 10],
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const delivery = (id: string) => ({ id, url: `${receiver.url}/hook`, headers: {}, body: id });
    const first = await sender.send(delivery("a"));
    expect(first.outcome).toBe("delivered");
    expect(first.attempts.map((attempt) => attempt.status)).toEqual([500, 200]);
    expect(delays).toEqual([5]);

    sender.inject({ kind: "duplicate", times: 1 });
    await sender.send(delivery("b"));
    sender.inject({ kind: "out-of-order", times: 1 });
    expect((await sender.send(delivery("c"))).outcome).toBe("held");
    expect(sender.heldCount()).toBe(1);
    await sender.send(delivery("d"));
    expect(received).toEqual(["a", "a", "b", "b", "d", "c"]);
    expect(
      sender
        .attempts()
        .filter((attempt) => attempt.duplicate)
        .map((attempt) => attempt.deliveryId),
    ).toEqual(["b"]);
    expect(server.ledger.count()).toBe(0);
  });

  it("gives up after the retry schedule and records network failures", async () => {
    const sender = new WebhookSender({ retryDelaysMs: [0], sleep: async () => {} });
    const result = await sender.send({ id: "x", url: "http://127.0.0.1:1/none", headers: {}, body: "{}" });
    expect(result.outcome).toBe("failed");
    expect(result.attempts.map((attempt) => attempt.status)).toEqual([0, 0]);
    expect(result.attempts[0]?.error).toBeTruthy();
  });
});

describe("parseJsonExact", () => {
  it("keeps every digit of big integers and leaves the rest as JSON.parse does", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
        fc.string(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (id, text, real) => {
          const parsed = parseJsonExact(
            `{"id":${id},"text":${JSON.stringify(text)},"real":${JSON.stringify(real)},"list":[${id}]}`,
          ) as Record<string, unknown>;
          const expected = Number.isSafeInteger(Number(id)) ? Number(id) : id.toString();
          return (
            parsed.id === expected &&
            parsed.text === text &&
            Object.is(
              parsed.real,
              /^-?\d+$/.test(JSON.stringify(real)) && !Number.isSafeInteger(real)
                ? JSON.stringify(real)
                : JSON.parse(JSON.stringify(real)),
            ) &&
            (parsed.list as unknown[])[0] === expected
          );
        },
      ),
    );
  });

  it("does not touch digits inside strings, including escaped quotes", () => {
    expect(parseJsonExact('{"a":"x\\"9007199254740993","b":9007199254740993}')).toEqual({
      a: 'x"9007199254740993',
      b: "9007199254740993",
    });
  });
});
