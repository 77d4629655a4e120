import type { AuditLog } from "@distro/core";
import type { Metrics } from "./registry";

/**
 * Settings of {@link auditLogMetrics}.
 *
 * @example
 * ```ts
 * const settings: AuditMetricsSettings = { buckets: [0.1, 1, 10, 60] };
 * ```
 */
export interface AuditMetricsSettings {
  /** Upper bounds of the step duration buckets, in seconds (default: 5 ms to 5 minutes). */
  buckets?: readonly number[];
}

const STEP_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Wraps an audit log so that every step recorded in it is counted per flow and per
 * system, as it is recorded (the process manager records one entry per step outcome):
 *
 * - `distro_steps_total` (counter; `flow`, `system`, `step`, `outcome`): steps by
 *   outcome, `success`, `failure`, `retry` or `skipped`. `flow` is the flow that acted
 *   (an actor `flow:<name>`), or empty for anything else: a person's name never becomes
 *   a label.
 * - `distro_step_duration_seconds` (histogram; `flow`, `system`, `step`): the duration
 *   of the steps that record one.
 *
 * An entry the log refuses (a `ValidationError`) is not counted.
 *
 * @param metrics - the Prometheus registry, or the OpenTelemetry bridge
 * @param audit - the audit log
 * @param settings - duration buckets
 * @returns an audit log that records, for `createProcessManager({ audit })` and the console
 * @example
 * ```ts
 * import { createInMemoryAuditLog } from "@distro/core";
 * import { createProcessManager } from "@distro/orchestration";
 * import { auditLogMetrics, createMetricsRegistry } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * const audit = auditLogMetrics(metrics, createInMemoryAuditLog());
 * const manager = createProcessManager({ audit });
 * ```
 */
export function auditLogMetrics(
  metrics: Metrics,
  audit: AuditLog,
  settings: AuditMetricsSettings = {},
): AuditLog {
  const steps = metrics.counter("distro_steps_total", {
    help: "Steps recorded in the audit trail, per flow, system and step, by outcome",
    labelNames: ["flow", "system", "step", "outcome"],
  });
  const durations = metrics.histogram("distro_step_duration_seconds", {
    help: "Duration of the steps recorded in the audit trail",
    labelNames: ["flow", "system", "step"],
    buckets: settings.buckets ?? STEP_BUCKETS,
  });
  return {
    async record(input) {
      const entry = await audit.record(input);
      const flow = entry.actor?.startsWith("flow:") ? entry.actor.slice("flow:".length) : "";
      steps.inc({ flow, system: entry.system, step: entry.step, outcome: entry.outcome });
      if (entry.durationMs !== undefined)
        durations.observe(entry.durationMs / 1000, { flow, system: entry.system, step: entry.step });
      return entry;
    },
    list: (query) => audit.list(query),
  };
}
