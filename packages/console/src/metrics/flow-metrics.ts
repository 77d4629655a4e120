import type { FlowInstance, FlowStatus, FlowStore } from "@distro/core";
import type { Metrics } from "./registry";

/**
 * Settings of {@link flowStoreMetrics}.
 *
 * @example
 * ```ts
 * const settings: FlowMetricsSettings = { orderFlows: ["order-to-cash", "edi-order"], backorderStep: "backorder-split" };
 * ```
 */
export interface FlowMetricsSettings {
  /** The flows whose instances are orders, for `distro_order_exceptions_total` (default `["order-to-cash"]`). */
  orderFlows?: readonly string[];
  /**
   * The step of an order flow whose result, when not null, is a backorder (default
   * `backorder-split`, the order-to-cash flow's).
   */
  backorderStep?: string;
  /** How many live instances' last status is remembered to save a read per save (default 10 000). */
  cacheSize?: number;
}

/** The statuses a run is counted in when it enters them. */
const COUNTED: ReadonlySet<FlowStatus> = new Set(["completed", "failed", "held", "compensated"]);
/** Statuses an instance does not leave: nothing of it needs remembering. */
const FINAL: ReadonlySet<FlowStatus> = new Set(["completed", "failed", "compensated"]);

interface Seen {
  revision: number;
  status: FlowStatus;
  completed: number;
}

/**
 * Wraps a `FlowStore` so that the flows the process manager runs on it are counted as
 * their instances change state, without touching the engine:
 *
 * - `distro_flow_runs_total` (counter; `flow`, `outcome`): instances `started`, and
 *   instances entering `completed`, `failed`, `held` or `compensated` (a failed run
 *   whose compensations all ran), each counted once per entry.
 * - `distro_flow_holds_total` (counter; `flow`, `step`, `code`): holds by the step held
 *   and the hold's code (`CREDIT_LIMIT`, `WAIT_TIMEOUT`, an error code).
 * - `distro_order_exceptions_total` (counter; `flow`, `kind`): in order flows, orders
 *   `held` for a person and orders `backordered` (the backorder step gave a result).
 *
 * A state change is read from the save that makes it: the status the instance had is
 * taken from the instances this wrapper read (bounded by `cacheSize`), or read from the
 * store first when it does not know it. Labels never carry instance ids or business keys.
 *
 * @param metrics - the Prometheus registry, or the OpenTelemetry bridge
 * @param store - the flow store the process manager uses
 * @param settings - order flows, the backorder step, cache size
 * @returns a flow store that records, for `createProcessManager({ store })`
 * @example
 * ```ts
 * import { createMemoryFlowStore } from "@distro/core";
 * import { createProcessManager, orderToCashFlow } from "@distro/orchestration";
 * import { createMetricsRegistry, flowStoreMetrics } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * const manager = createProcessManager({ store: flowStoreMetrics(metrics, createMemoryFlowStore()) });
 * manager.register(orderToCashFlow({ erp, wms }));
 * ```
 */
export function flowStoreMetrics(
  metrics: Metrics,
  store: FlowStore,
  settings: FlowMetricsSettings = {},
): FlowStore {
  const runs = metrics.counter("distro_flow_runs_total", {
    help: "Flow instances started, and entering completed, failed, held or compensated",
    labelNames: ["flow", "outcome"],
  });
  const holds = metrics.counter("distro_flow_holds_total", {
    help: "Flow instances held for a person, by step and hold code",
    labelNames: ["flow", "step", "code"],
  });
  const orderExceptions = metrics.counter("distro_order_exceptions_total", {
    help: "Order exceptions: orders held for a person or backordered",
    labelNames: ["flow", "kind"],
  });
  const orderFlows = new Set(settings.orderFlows ?? ["order-to-cash"]);
  const backorderStep = settings.backorderStep ?? "backorder-split";
  const cacheSize = settings.cacheSize ?? 10_000;
  const seen = new Map<string, Seen>();

  const remember = (instance: FlowInstance | undefined): void => {
    if (instance === undefined) return;
    seen.delete(instance.id);
    if (FINAL.has(instance.status)) return;
    seen.set(instance.id, {
      revision: instance.revision,
      status: instance.status,
      completed: instance.completed.length,
    });
    if (seen.size > cacheSize) {
      const oldest = seen.keys().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
  };

  const record = (before: Seen | undefined, instance: FlowInstance): void => {
    const { flow, status } = instance;
    if (COUNTED.has(status) && before?.status !== status) {
      runs.inc({ flow, outcome: status });
      if (status === "held") {
        holds.inc({ flow, step: instance.hold?.step ?? "", code: instance.hold?.code ?? "" });
        if (orderFlows.has(flow)) orderExceptions.inc({ flow, kind: "held" });
      }
    }
    if (orderFlows.has(flow)) {
      const added = instance.completed.slice(before?.completed ?? 0);
      const result = instance.results[backorderStep];
      if (added.includes(backorderStep) && result !== null && result !== undefined)
        orderExceptions.inc({ flow, kind: "backordered" });
    }
  };

  return {
    async create(instance) {
      const created = await store.create(instance);
      if (created.created) runs.inc({ flow: created.instance.flow, outcome: "started" });
      remember(created.instance);
      return created;
    },
    async get<Input = unknown>(id: string) {
      const instance = await store.get<Input>(id);
      remember(instance);
      return instance;
    },
    async save(instance) {
      let before = seen.get(instance.id);
      if (before?.revision !== instance.revision - 1) {
        // Not read through here (another process, or evicted): read what it was.
        const stored = await store.get(instance.id);
        before =
          stored?.revision === instance.revision - 1
            ? { revision: stored.revision, status: stored.status, completed: stored.completed.length }
            : undefined;
      }
      await store.save(instance);
      record(before, instance);
      remember(instance);
    },
    findWaiting: (eventType, key) => store.findWaiting(eventType, key),
    bufferEvent: (event) => store.bufferEvent(event),
    findEvent: (eventTypes, key) => store.findEvent(eventTypes, key),
    list: (filter) => store.list(filter),
  };
}
