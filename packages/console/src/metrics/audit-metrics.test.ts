import { createInMemoryAuditLog, RateLimitedError, retryPolicy } from "@distro/core";
import { createProcessManager, defineFlow, FlowHold, task } from "@distro/orchestration";
import { describe, expect, it } from "vitest";
import { auditLogMetrics } from "./audit-metrics";
import { readSamples, sampleValue } from "./exposition.test-helper";
import { createMetricsRegistry } from "./registry";

describe("auditLogMetrics", () => {
  it("counts the steps a real process manager records per flow, system and outcome, and never a person", async () => {
    const metrics = createMetricsRegistry();
    const audit = auditLogMetrics(metrics, createInMemoryAuditLog());
    const manager = createProcessManager({
      audit,
      retry: retryPolicy({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, jitter: "none" }),
      sleep: async () => {},
    });
    let calls = 0;
    manager.register(
      defineFlow<{ credit: boolean }>("order-to-cash", [
        task(
          "book",
          async () => {
            if (calls++ === 0) throw new RateLimitedError("ERP rate limit");
            return "SO-1";
          },
          { system: "erp" },
        ),
        task(
          "crm-booked",
          async ({ input }) => {
            if (!input.credit) throw new FlowHold("CREDIT_HOLD", "On credit hold");
            return null;
          },
          { system: "crm" },
        ),
      ]),
    );
    await manager.start("order-to-cash", { credit: true }, { id: "o2c:1" });
    await manager.start("order-to-cash", { credit: false }, { id: "o2c:2" });
    await audit.record({
      correlationId: "c-9",
      system: "erp",
      step: "replay",
      outcome: "success",
      at: new Date(),
      actor: "jane.doe@example.com",
    });
    await expect(
      audit.record({ correlationId: "", system: "erp", step: "x", outcome: "success", at: new Date() }),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });

    const text = await metrics.expose();
    const samples = readSamples(text);
    const steps = (labels: Record<string, string>) => sampleValue(samples, "distro_steps_total", labels);
    expect(steps({ flow: "order-to-cash", system: "erp", step: "book", outcome: "retry" })).toBe(1);
    expect(steps({ flow: "order-to-cash", system: "erp", step: "book", outcome: "success" })).toBe(2);
    expect(steps({ flow: "order-to-cash", system: "crm", step: "crm-booked", outcome: "success" })).toBe(1);
    expect(steps({ flow: "order-to-cash", system: "crm", step: "crm-booked", outcome: "failure" })).toBe(1);
    expect(steps({ flow: "", system: "erp", step: "replay", outcome: "success" })).toBe(1);
    expect(steps({ step: "x" })).toBeUndefined();
    expect(
      sampleValue(samples, "distro_step_duration_seconds_count", {
        flow: "order-to-cash",
        system: "erp",
        step: "book",
      }),
    ).toBe(2);
    expect(text).not.toContain("jane");
    expect(await audit.list({ correlationId: "c-9" })).toHaveLength(1);
  });
});
