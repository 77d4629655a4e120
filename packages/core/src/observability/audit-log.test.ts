import { describe, expect, it } from "vitest";
import { withCorrelation } from "../correlation/context";
import { UpstreamError } from "../errors/kinds";
import { ValidationError } from "../errors/validation-error";
import { auditStep, createInMemoryAuditLog } from "./audit-log";

describe("in-memory audit log", () => {
  it("records and lists entries by correlation id and system, oldest first", async () => {
    const audit = createInMemoryAuditLog();
    await audit.record({
      correlationId: "c-1",
      system: "erp",
      step: "book-order",
      outcome: "success",
      at: "2026-11-30T00:00:02Z",
      durationMs: 40,
    });
    await audit.record({
      correlationId: "c-2",
      system: "erp",
      step: "book-order",
      outcome: "failure",
      at: new Date("2026-11-30T00:00:01Z"),
    });
    await audit.record({
      correlationId: "c-1",
      system: "wms",
      step: "release",
      outcome: "success",
      at: "2026-11-30T00:00:03Z",
      actor: "order-to-cash",
    });
    await audit.record({
      correlationId: "c-1",
      system: "shop",
      step: "receive",
      outcome: "success",
      at: "2026-11-30T00:00:00Z",
    });
    expect((await audit.list({ correlationId: "c-1" })).map((entry) => entry.step)).toEqual([
      "receive",
      "book-order",
      "release",
    ]);
    expect((await audit.list({ system: "erp" })).map((entry) => entry.correlationId)).toEqual(["c-2", "c-1"]);
    expect(await audit.list({ correlationId: "c-1", limit: 1 })).toEqual([
      {
        correlationId: "c-1",
        system: "shop",
        step: "receive",
        outcome: "success",
        at: "2026-11-30T00:00:00.000Z",
      },
    ]);
    expect(await audit.list()).toHaveLength(4);
  });

  it("redacts details and keeps its entries safe from the caller", async () => {
    const audit = createInMemoryAuditLog();
    const details = { orderNumber: "1001", customer: { email: "jane@example.com" } };
    const recorded = await audit.record({
      correlationId: "c",
      system: "crm",
      step: "milestone",
      outcome: "success",
      at: new Date(0),
      details,
    });
    expect(details.customer.email).toBe("jane@example.com");
    expect(recorded.details).toEqual({ orderNumber: "1001", customer: { email: "[REDACTED]" } });
    recorded.step = "changed";
    const [listed] = await audit.list({ correlationId: "c" });
    expect(listed?.step).toBe("milestone");
    (listed?.details as Record<string, unknown>)["orderNumber"] = "changed";
    expect((await audit.list({ correlationId: "c" }))[0]?.details?.["orderNumber"]).toBe("1001");
  });

  it("drops the oldest entries beyond its capacity", async () => {
    const audit = createInMemoryAuditLog({ maxEntries: 2 });
    for (const second of [1, 2, 3]) {
      await audit.record({
        correlationId: "c",
        system: "erp",
        step: `s${second}`,
        outcome: "success",
        at: new Date(second * 1000),
      });
    }
    expect((await audit.list()).map((entry) => entry.step)).toEqual(["s2", "s3"]);
  });

  it("rejects malformed entries with a ValidationError naming each field", async () => {
    const audit = createInMemoryAuditLog();
    const bad = {
      correlationId: "",
      system: 1,
      outcome: "done",
      at: "yesterday",
      durationMs: -1,
      details: [],
    } as never;
    const error = await audit.record(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path[0])).toEqual([
      "correlationId",
      "system",
      "step",
      "outcome",
      "at",
      "durationMs",
      "details",
    ]);
    await expect(audit.record(null as never)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("auditStep", () => {
  const ticking = () => {
    let now = Date.parse("2026-11-30T00:00:00Z");
    return () => {
      now += 25;
      return new Date(now);
    };
  };

  it("records a success with its duration in the current correlation context", async () => {
    const audit = createInMemoryAuditLog();
    const result = await withCorrelation({ correlationId: "order-1001" }, () =>
      auditStep(
        audit,
        { system: "erp", step: "book-order", actor: "o2c", details: { lines: 20 }, clock: ticking() },
        async () => "SO-1",
      ),
    );
    expect(result).toBe("SO-1");
    expect(await audit.list({ correlationId: "order-1001" })).toEqual([
      {
        correlationId: "order-1001",
        system: "erp",
        step: "book-order",
        outcome: "success",
        at: "2026-11-30T00:00:00.050Z",
        durationMs: 25,
        actor: "o2c",
        details: { lines: 20 },
      },
    ]);
  });

  it("records a failure with the error and rethrows it unchanged", async () => {
    const audit = createInMemoryAuditLog();
    const failure = new UpstreamError("ERP answered 503", { status: 503, system: "erp" });
    await expect(
      auditStep(audit, { system: "erp", step: "book-order", correlationId: "c-9", clock: ticking() }, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const [entry] = await audit.list({ correlationId: "c-9" });
    expect(entry).toMatchObject({
      outcome: "failure",
      durationMs: 25,
      details: { error: { code: "UPSTREAM_ERROR", message: "ERP answered 503", retryable: true } },
    });
  });

  it("needs a correlation id", async () => {
    await expect(
      auditStep(createInMemoryAuditLog(), { system: "erp", step: "x" }, () => 1),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
