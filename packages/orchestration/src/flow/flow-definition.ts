import { DistroError, type FlowInstance, type RetryPolicy } from "@distro/core";

/** What a step's code sees: the flow's input, the results of earlier steps, and the instance. */
export interface StepContext<Input> {
  /** What the flow was started with. */
  input: Input;
  /** Results of the steps finished so far, by name. */
  results: Readonly<Record<string, unknown>>;
  /** The stored instance (read-only). */
  instance: Readonly<FlowInstance<Input>>;
  /** The transaction's correlation id (also the current correlation context). */
  correlationId: string;
  /** Which attempt of this step this is, from 1. */
  attempt: number;
  /** Fires when the step's timeout passes. */
  signal: AbortSignal;
}

/** A step that runs code: calls an upstream, maps, decides. */
export interface TaskStep<Input> {
  /** Task steps run code. */
  kind: "task";
  /** Unique within the flow; results are stored under it. */
  name: string;
  /** The system the step talks to, for the audit trail (`erp`, `shop`, `crm`, `wms`, `edi`). */
  system?: string;
  /** The work. Its return value is stored; throw {@link FlowHold} to hold for a person. */
  run: (context: StepContext<Input>) => Promise<unknown>;
  /** Undoes the step when a later step fails for good; runs in reverse order. */
  compensate?: (context: StepContext<Input>, result: unknown) => Promise<void>;
  /** Retry for this step; `false` for none; the manager's default otherwise. */
  retry?: RetryPolicy | false;
  /** The budget of one attempt, in milliseconds. */
  timeoutMs?: number;
  /** What a step that fails for good does: hold for a person (default) or fail the flow and compensate. */
  onError?: "hold" | "fail";
  /** Skip the step (storing `undefined`) when this returns false. */
  when?: (context: StepContext<Input>) => boolean;
}

/** A step that waits for a correlated event (a WMS ship event, an ERP invoice). */
export interface WaitStep<Input> {
  /** Wait steps wait. */
  kind: "wait";
  /** Unique within the flow; the event's data is stored under it. */
  name: string;
  /** The system the event comes from, for the audit trail. */
  system?: string;
  /** The event types that end the wait. */
  eventTypes: string[];
  /** The key the event must carry, computed from the input and earlier results. */
  key: (context: Omit<StepContext<Input>, "attempt" | "signal">) => string;
  /** How long to wait before the flow is held (`WAIT_TIMEOUT`), in milliseconds. */
  timeoutMs?: number;
  /** Skip the wait when this returns false. */
  when?: (context: Omit<StepContext<Input>, "attempt" | "signal">) => boolean;
}

/** One step of a flow. */
export type FlowStep<Input> = TaskStep<Input> | WaitStep<Input>;

/** A flow: a name and its steps, run in order. */
export interface FlowDefinition<Input> {
  /** The flow's name, e.g. `order-to-cash`. */
  name: string;
  /** The steps, in order. */
  steps: FlowStep<Input>[];
}

/**
 * Thrown by a step to hand the transaction to a person: the flow is held with the
 * reason, nothing is retried, and {@link ProcessManager.release} continues it later.
 *
 * @example
 * ```ts
 * task("credit-check", async ({ input }) => {
 *   if (overLimit(input)) throw new FlowHold("CREDIT_LIMIT", "Order total 5,200.00 USD exceeds available credit 800.00 USD");
 * });
 * ```
 */
export class FlowHold extends DistroError {
  /**
   * @param code - machine-readable reason, e.g. `CREDIT_LIMIT`
   * @param reason - the reason, for people
   */
  constructor(code: string, reason: string) {
    super(code, reason, { retryable: false });
  }
}

/**
 * Declares a task step.
 *
 * @param name - unique within the flow
 * @param run - the work; its result is stored under `name`
 * @param options - system, compensation, retry, timeout, error route, condition
 * @returns the step
 * @example
 * ```ts
 * const book = task("book", ({ input }) => erp.submitOrder(input.order, { idempotencyKey: input.key }), { system: "erp" });
 * ```
 */
export function task<Input>(
  name: string,
  run: TaskStep<Input>["run"],
  options: Omit<TaskStep<Input>, "kind" | "name" | "run"> = {},
): TaskStep<Input> {
  return { kind: "task", name, run, ...options };
}

/**
 * Declares a step that waits for a correlated event.
 *
 * @param name - unique within the flow
 * @param options - event types, the key to match, an optional timeout and condition
 * @returns the step
 * @example
 * ```ts
 * const shipped = waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.order.id, system: "wms" });
 * ```
 */
export function waitFor<Input>(
  name: string,
  options: Omit<WaitStep<Input>, "kind" | "name">,
): WaitStep<Input> {
  return { kind: "wait", name, ...options };
}

/**
 * Declares a flow, checking its step names are unique.
 *
 * @param name - the flow's name
 * @param steps - its steps, in order
 * @returns the definition
 * @throws DistroError `FLOW_DEFINITION_INVALID` when two steps share a name
 * @example
 * ```ts
 * const flow = defineFlow<{ orderId: string }>("notify", [task("send", async () => "sent")]);
 * ```
 */
export function defineFlow<Input>(name: string, steps: FlowStep<Input>[]): FlowDefinition<Input> {
  const names = new Set<string>();
  for (const step of steps) {
    if (names.has(step.name)) {
      throw new DistroError("FLOW_DEFINITION_INVALID", `Flow ${name} has two steps named ${step.name}`);
    }
    names.add(step.name);
  }
  return { name, steps };
}
