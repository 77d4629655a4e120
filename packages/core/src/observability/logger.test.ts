import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { withCorrelation } from "../correlation/context";
import { ConflictError } from "../errors/kinds";
import { createLogger, createMemoryLogSink } from "./logger";

const clock = () => new Date("2026-11-30T00:00:00.000Z");
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("createLogger", () => {
  it("writes one JSON line per call with time, level and message", () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (line) => lines.push(line), clock });
    logger.info("started", { port: 8080 });
    expect(lines).toEqual([
      '{"time":"2026-11-30T00:00:00.000Z","level":"info","msg":"started","port":8080}\n',
    ]);
  });

  it("adds the correlation fields of the current context to every line, across awaits and event handlers", async () => {
    const sink = createMemoryLogSink();
    const logger = createLogger({ sink, clock });
    const emitter = new EventEmitter();
    emitter.on("picked", () => logger.info("picked"));
    await withCorrelation(
      { correlationId: "order-1001", causationId: "evt-1", traceparent: TRACEPARENT, tenant: "acme" },
      async () => {
        logger.info("received");
        await new Promise((resolve) => setTimeout(resolve, 1));
        emitter.emit("picked");
      },
    );
    logger.info("outside");
    const records = sink.records();
    expect(records.slice(0, 2)).toEqual([
      expect.objectContaining({
        msg: "received",
        correlationId: "order-1001",
        causationId: "evt-1",
        traceparent: TRACEPARENT,
        tenant: "acme",
      }),
      expect.objectContaining({ msg: "picked", correlationId: "order-1001" }),
    ]);
    expect(records[2]).not.toHaveProperty("correlationId");
  });

  it("redacts before writing: nothing sensitive reaches the sink", () => {
    const sink = createMemoryLogSink();
    const logger = createLogger({ sink, clock, redact: { paths: ["order.shipTo.name"] } });
    logger.warn("login failed for jane@example.com", {
      headers: { authorization: "Bearer abc.def", accept: "application/json" },
      order: { number: "1001", shipTo: { name: "Jane Roe", city: "Leeds" } },
      url: "https://shop.example/admin?access_token=shpat_123",
    });
    const [line] = sink.lines;
    expect(line).not.toContain("jane@example.com");
    expect(line).not.toContain("abc.def");
    expect(line).not.toContain("Jane Roe");
    expect(line).not.toContain("shpat_123");
    expect(JSON.parse(line ?? "")).toEqual({
      time: "2026-11-30T00:00:00.000Z",
      level: "warn",
      msg: "login failed for [REDACTED]",
      headers: { authorization: "[REDACTED]", accept: "application/json" },
      order: { number: "1001", shipTo: { name: "[REDACTED]", city: "Leeds" } },
      url: "https://shop.example/admin?access_token=[REDACTED]",
    });
  });

  it("filters by level and reports it", () => {
    const sink = createMemoryLogSink();
    const logger = createLogger({ sink, level: "warn" });
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(sink.records().map((record) => record["level"])).toEqual(["warn", "error"]);
    expect(logger.isLevelEnabled("info")).toBe(false);
    expect(logger.isLevelEnabled("error")).toBe(true);
    const silent = createLogger({ sink, level: "silent" });
    silent.error("nothing");
    expect(sink.lines).toHaveLength(2);
  });

  it("refuses an unknown level with a ValidationError", () => {
    expect(() => createLogger({ level: "verbose" as "info" })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });

  it("child loggers add bindings; fields cannot overwrite time, level or msg", () => {
    const sink = createMemoryLogSink();
    const logger = createLogger({ sink, clock, bindings: { service: "sync" } }).child({ system: "erp" });
    logger.error("call failed", { level: "debug", msg: "x", time: "y", attempt: 2 });
    expect(sink.records()[0]).toEqual({
      time: "2026-11-30T00:00:00.000Z",
      level: "error",
      msg: "call failed",
      service: "sync",
      system: "erp",
      attempt: 2,
    });
  });

  it("serialises errors, bigints and cycles even with redaction off", () => {
    const sink = createMemoryLogSink();
    const logger = createLogger({ sink, clock, redact: false });
    const loop: Record<string, unknown> = {};
    loop["loop"] = loop;
    logger.error("conflict", {
      error: new ConflictError("stale etag", { cause: new Error("412") }),
      total: 12n,
      loop,
      email: "a@b.co",
    });
    expect(sink.records()[0]).toMatchObject({
      error: { name: "ConflictError", code: "CONFLICT", message: "stale etag", cause: { message: "412" } },
      total: "12",
      loop: { loop: "[Circular]" },
      email: "a@b.co",
    });
  });

  it("writes to any object with write(), like a stream", () => {
    const chunks: string[] = [];
    createLogger({ sink: { write: (line: string) => chunks.push(line) }, clock }).info("x");
    expect(chunks[0]?.endsWith("\n")).toBe(true);
  });

  it("the memory sink keeps at most its limit", () => {
    const sink = createMemoryLogSink(2);
    const logger = createLogger({ sink });
    for (const message of ["a", "b", "c"]) logger.info(message);
    expect(sink.records().map((record) => record["msg"])).toEqual(["b", "c"]);
    sink.clear();
    expect(sink.lines).toEqual([]);
  });
});
