import {
  type AuditLog,
  type AuditOutcome,
  createMemoryFlowStore,
  DistroError,
  type FlowEvent,
  type FlowFilter,
  type FlowInstance,
  type FlowStore,
  isRetryable,
  newCorrelationId,
  type RetryClock,
  type RetryPolicy,
  type RetrySleep,
  retry,
  retryPolicy,
  type Span,
  serializeError,
  TimeoutError,
  type Tracer,
  withCorrelation,
  withSpan,
} from "@distro/core";
import {
  type FlowDefinition,
  FlowHold,
  type FlowStep,
  type StepContext,
  type TaskStep,
} from "./flow-definition";

/** What happened at a step, as the flow records it (the `phase` detail of each audit entry). */
export type FlowAuditPhase =
  | "started"
  | "completed"
  | "skipped"
  | "retried"
  | "waiting"
  | "received"
  | "held"
  | "released"
  | "failed"
  | "compensated"
  | "flow_completed";

const OUTCOME_OF: Record<FlowAuditPhase, AuditOutcome | undefined> = {
  started: undefined,
  completed: "success",
  skipped: "skipped",
  retried: "retry",
  waiting: "success",
  received: "success",
  held: "failure",
  released: "success",
  failed: "failure",
  compensated: "success",
  flow_completed: "success",
};

/** Settings of {@link createProcessManager}. */
export interface ProcessManagerOptions {
  /** Where instances live; an in-memory store by default. */
  store?: FlowStore;
  /** Where the audit trail goes: one entry per step outcome, keyed by correlation id. */
  audit?: AuditLog;
  /** The retry policy of task steps that do not set their own. */
  retry?: RetryPolicy;
  /** The clock, in epoch milliseconds (for wait deadlines and audit times). */
  clock?: RetryClock;
  /** How retries wait; a real timer by default. */
  sleep?: RetrySleep;
  /** Randomness for retry jitter. */
  random?: () => number;
  /**
   * Starts a span each time an instance runs (named after the flow, a child of the
   * current correlation context's `traceparent`, with the status it stops in) and under
   * it a span per task step run, retries included (`<flow> <step>`). A step runs with its
   * span's traceparent, so its HTTP calls and events are the span's children. None by
   * default.
   */
  tracer?: Tracer;
}

/** How to start a flow instance. */
export interface StartOptions {
  /**
   * The instance id. Starting an existing id returns it and runs nothing again, unless
   * it was left `running` (an earlier call stopped at a store fault, or its process
   * died): then it continues from what the store holds.
   */
  id: string;
  /** The correlation id; the current context's, or a new one, when absent. */
  correlationId?: string;
  /** A business key to find the instance by. */
  businessKey?: string;
}

/**
 * The process manager: runs flows step by step, storing each step's result so that a
 * restart resumes at the first unfinished step; retries steps; holds a transaction for
 * a person when a step cannot complete; runs compensations in reverse when a flow
 * fails for good; waits for correlated events in whatever order they arrive.
 *
 * A failure of the flow store itself (a save that loses its connection) is not a
 * failure of the step: the call rejects with the store's error as it is (retryable when
 * the store says so, e.g. `DATABASE_ERROR`), so its caller (a bus handler) retries it,
 * and the retried call continues from what the store holds. A step whose result was
 * stored is not run again; one whose result was not is, so a step with an outside
 * effect must be idempotent. A save refused because another process moved the instance
 * on still rejects with `ConflictError`.
 */
export interface ProcessManager {
  /** Makes a flow startable. */
  register<Input>(flow: FlowDefinition<Input>): void;
  /** Starts (or, for a known id, returns) an instance, running it until it waits, holds or ends. */
  start<Input>(flow: string, input: Input, options: StartOptions): Promise<FlowInstance<Input>>;
  /**
   * Delivers an event to the flows waiting for it (kept for flows that wait later). An
   * event id seen before is handed only to instances that still wait for it or that
   * received it and were left `running`, so a redelivery after a store fault finishes
   * the work.
   */
  deliver(event: FlowEvent): Promise<FlowInstance[]>;
  /**
   * Continues a held instance: re-runs the held step, or stores `result` for it when
   * given. An instance left `running` (an earlier release was stored, then its call
   * stopped at a store fault) is continued from what the store holds.
   */
  release(id: string, options?: { result?: unknown; note?: string }): Promise<FlowInstance>;
  /** Continues every instance left `running` (after a crash or restart). */
  recover(): Promise<FlowInstance[]>;
  /** Holds the waiting instances whose wait deadline has passed. */
  expireWaits(): Promise<FlowInstance[]>;
  /** One instance. */
  get<Input = unknown>(id: string): Promise<FlowInstance<Input> | undefined>;
  /** Instances matching a filter. */
  list(filter?: FlowFilter): Promise<FlowInstance[]>;
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Creates a {@link ProcessManager}.
 *
 * @param options - store, audit sink, default retry, clock
 * @returns the manager
 * @example
 * ```ts
 * const manager = createProcessManager();
 * manager.register(defineFlow<{ orderId: string }>("ship", [
 *   task("request", async ({ input }) => wms.requestFulfillment(request(input.orderId)), { system: "wms" }),
 *   waitFor("shipped", { eventTypes: ["wms.shipped"], key: ({ input }) => input.orderId, system: "wms" }),
 * ]));
 * await manager.start("ship", { orderId: "SO-1" }, { id: "ship:SO-1" });
 * await manager.deliver({ id: "evt-9", type: "wms.shipped", key: "SO-1", data: { tracking: "1Z999" } });
 * ```
 */
export function createProcessManager(options: ProcessManagerOptions = {}): ProcessManager {
  const store = options.store ?? createMemoryFlowStore();
  const clock = options.clock ?? { now: () => Date.now() };
  const defaultRetry = options.retry ?? retryPolicy({ maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2_000 });
  const flows = new Map<string, FlowDefinition<unknown>>();
  const locks = new Map<string, Promise<unknown>>();

  const iso = () => new Date(clock.now()).toISOString();
  const audit = async (
    instance: FlowInstance,
    step: string,
    phase: FlowAuditPhase,
    extra: { durationMs?: number; details?: Record<string, unknown> } = {},
  ) => {
    const outcome = OUTCOME_OF[phase];
    if (!options.audit || outcome === undefined) return;
    const definition = flows.get(instance.flow);
    const system = definition?.steps.find((candidate) => candidate.name === step)?.system ?? instance.flow;
    await options.audit.record({
      correlationId: instance.correlationId,
      system,
      step,
      outcome,
      at: iso(),
      actor: `flow:${instance.flow}`,
      ...(extra.durationMs === undefined ? {} : { durationMs: extra.durationMs }),
      details: { phase, instanceId: instance.id, ...(extra.details ?? {}) },
    });
  };

  /** Runs `work` for one instance id at a time, in call order. */
  function exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    locks.set(id, settled);
    void settled.then(() => {
      if (locks.get(id) === settled) locks.delete(id);
    });
    return next;
  }

  function definitionOf(instance: FlowInstance): FlowDefinition<unknown> {
    const definition = flows.get(instance.flow);
    if (!definition) throw new DistroError("FLOW_UNKNOWN", `No flow named ${instance.flow} is registered`);
    return definition;
  }

  /**
   * Saves the instance at its next revision. When the store fails, the instance keeps
   * the revision the store last confirmed and the error goes to the caller as it is:
   * the save may or may not have been applied, and only a fresh read can tell.
   */
  async function save(instance: FlowInstance): Promise<FlowInstance> {
    const { revision, updatedAt } = instance;
    instance.revision = revision + 1;
    instance.updatedAt = iso();
    try {
      await store.save(instance);
    } catch (error) {
      instance.revision = revision;
      instance.updatedAt = updatedAt;
      throw error;
    }
    return instance;
  }

  /** Whether the instance already holds this event as the result of one of its waits. */
  function hasReceived(instance: FlowInstance, event: FlowEvent): boolean {
    const definition = flows.get(instance.flow);
    return (
      definition?.steps.some(
        (step) =>
          step.kind === "wait" &&
          (instance.results[step.name] as { id?: unknown } | null | undefined)?.id === event.id,
      ) ?? false
    );
  }

  /** Running instances of registered flows that received this event (their run stopped after it). */
  async function receivedAndStopped(event: FlowEvent): Promise<FlowInstance[]> {
    const out: FlowInstance[] = [];
    for (const definition of flows.values()) {
      const waits = definition.steps.some(
        (step) => step.kind === "wait" && step.eventTypes.includes(event.type),
      );
      if (!waits) continue;
      const running = await store.list({ flow: definition.name, status: ["running"] });
      out.push(...running.filter((instance) => hasReceived(instance, event)));
    }
    return out;
  }

  function contextFor<Input>(
    instance: FlowInstance<Input>,
    attempt: number,
    signal: AbortSignal,
  ): StepContext<Input> {
    return {
      input: instance.input,
      results: instance.results,
      instance,
      correlationId: instance.correlationId,
      attempt,
      signal,
    };
  }

  async function runTask(instance: FlowInstance, step: TaskStep<unknown>, span?: Span): Promise<unknown> {
    const policy = step.retry === false ? retryPolicy({ maxAttempts: 1 }) : (step.retry ?? defaultRetry);
    return retry(
      async ({ attempt }) => {
        const controller = new AbortController();
        const timer =
          step.timeoutMs === undefined
            ? undefined
            : setTimeout(
                () =>
                  controller.abort(
                    new TimeoutError(`Step ${step.name} took longer than ${step.timeoutMs} ms`),
                  ),
                step.timeoutMs,
              );
        try {
          const work = step.run(contextFor(instance, attempt, controller.signal));
          if (timer === undefined) return await work;
          return await Promise.race([
            work,
            new Promise<never>((_, reject) => {
              controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
                once: true,
              });
            }),
          ]);
        } catch (error) {
          // A step that gives up because its signal fired failed by timing out.
          throw controller.signal.aborted ? controller.signal.reason : error;
        } finally {
          if (timer !== undefined) clearTimeout(timer);
        }
      },
      {
        ...policy,
        retryOn: (error: unknown, attempt: number) =>
          !(error instanceof FlowHold) &&
          (policy.retryOn ? policy.retryOn(error, attempt) : isRetryable(error)),
      },
      {
        clock,
        ...(options.sleep ? { sleep: options.sleep } : {}),
        ...(options.random ? { random: options.random } : {}),
        onRetry: (event) => {
          span?.setAttribute("distro.flow.step.retries", event.attempt);
          void audit(instance, step.name, "retried", {
            details: {
              attempt: event.attempt,
              delayMs: event.delayMs,
              error: serializeError(event.error).code,
            },
          });
        },
      },
    );
  }

  async function compensate(instance: FlowInstance, definition: FlowDefinition<unknown>): Promise<boolean> {
    let clean = true;
    for (const name of [...instance.completed].reverse()) {
      const step = definition.steps.find((candidate) => candidate.name === name);
      if (step?.kind !== "task" || !step.compensate) continue;
      const undo = step.compensate;
      try {
        await retry(
          () => undo(contextFor(instance, 1, NEVER_ABORTED), instance.results[name]),
          defaultRetry,
          {
            clock,
            ...(options.sleep ? { sleep: options.sleep } : {}),
          },
        );
        await audit(instance, name, "compensated");
      } catch (error) {
        clean = false;
        await audit(instance, name, "failed", {
          details: { compensation: true, error: serializeError(error) },
        });
      }
    }
    return clean;
  }

  /** Runs the compensations of a flow whose failure is stored, then stores how it ended. */
  async function finishFailed(instance: FlowInstance, definition: FlowDefinition<unknown>): Promise<void> {
    const clean = await compensate(instance, definition);
    instance.status = clean ? "compensated" : "failed";
    await save(instance);
  }

  /**
   * Stops a flow at a step that failed for good: holds it for a person, or stores the
   * failure and compensates. A store fault on the way rejects (the caller retries);
   * the failure is stored before any compensation runs, so a retry compensates instead
   * of running the step again.
   */
  async function stopAt(
    instance: FlowInstance,
    definition: FlowDefinition<unknown>,
    step: TaskStep<unknown>,
    error: unknown,
    started: number,
  ): Promise<void> {
    const serialized = serializeError(error);
    if (error instanceof FlowHold || step.onError !== "fail") {
      instance.status = "held";
      instance.hold = { step: step.name, reason: serialized.message, code: serialized.code, at: iso() };
      await save(instance);
      await audit(instance, step.name, "held", {
        durationMs: clock.now() - started,
        details: { code: serialized.code, reason: serialized.message },
      });
      return;
    }
    instance.error = serialized;
    await save(instance);
    await audit(instance, step.name, "failed", {
      durationMs: clock.now() - started,
      details: { error: serialized },
    });
    await finishFailed(instance, definition);
  }

  async function advance(id: string): Promise<FlowInstance> {
    let instance = await store.get(id);
    if (!instance) throw new DistroError("FLOW_NOT_FOUND", `No flow instance ${id}`);
    const definition = definitionOf(instance);
    const run = async (): Promise<FlowInstance> => {
      while (instance && instance.status === "running") {
        if (instance.error) {
          // Its failure was stored, then a store fault stopped the compensations: finish them.
          await finishFailed(instance, definition);
          break;
        }
        const step: FlowStep<unknown> | undefined = definition.steps.find(
          (candidate) => !instance!.completed.includes(candidate.name),
        );
        if (!step) {
          instance.status = "completed";
          await save(instance);
          await audit(instance, definition.name, "flow_completed");
          break;
        }
        const view = {
          input: instance.input,
          results: instance.results,
          instance,
          correlationId: instance.correlationId,
        };
        if (step.when && !step.when(view as StepContext<unknown>)) {
          instance.results[step.name] = null;
          instance.completed.push(step.name);
          await save(instance);
          await audit(instance, step.name, "skipped");
          continue;
        }
        if (step.kind === "wait") {
          const key = step.key(view);
          const event = await store.findEvent(step.eventTypes, key);
          if (event) {
            instance.results[step.name] = { type: event.type, id: event.id, data: event.data };
            instance.completed.push(step.name);
            await save(instance);
            await audit(instance, step.name, "received", {
              details: { eventType: event.type, eventId: event.id },
            });
            continue;
          }
          instance.status = "waiting";
          instance.waiting = {
            step: step.name,
            eventTypes: step.eventTypes,
            key,
            ...(step.timeoutMs === undefined ? {} : { deadline: clock.now() + step.timeoutMs }),
          };
          await save(instance);
          await audit(instance, step.name, "waiting", { details: { eventTypes: step.eventTypes, key } });
          // The event may have been kept between the look-up and the save: look again.
          const late = await store.findEvent(step.eventTypes, key);
          if (late) {
            instance = await receive(instance, late);
            continue;
          }
          break;
        }
        const started = clock.now();
        await audit(instance, step.name, "started");
        let result: unknown;
        try {
          const running = instance;
          result =
            options.tracer === undefined
              ? await runTask(instance, step)
              : await withSpan(
                  options.tracer,
                  `${definition.name} ${step.name}`,
                  {
                    attributes: {
                      "distro.flow.name": definition.name,
                      "distro.flow.step": step.name,
                      "distro.flow.instance_id": instance.id,
                      "distro.flow.system": step.system,
                    },
                  },
                  (span) => runTask(running, step, span),
                );
        } catch (error) {
          await stopAt(instance, definition, step, error, started);
          break;
        }
        // Outside the step's try: a store that fails to keep the result fails the call
        // (the caller retries it), never the step.
        instance.results[step.name] = result === undefined ? null : result;
        instance.completed.push(step.name);
        await save(instance);
        await audit(instance, step.name, "completed", { durationMs: clock.now() - started });
      }
      return instance!;
    };
    return withCorrelation({ correlationId: instance.correlationId }, () => {
      if (options.tracer === undefined) return run();
      const attributes = { "distro.flow.name": definition.name, "distro.flow.instance_id": id };
      return withSpan(options.tracer, definition.name, { attributes }, async (span) => {
        const advanced = await run();
        span.setAttribute("distro.flow.status", advanced.status);
        return advanced;
      });
    });
  }

  async function receive(instance: FlowInstance, event: FlowEvent): Promise<FlowInstance> {
    const waiting = instance.waiting!;
    instance.results[waiting.step] = { type: event.type, id: event.id, data: event.data };
    instance.completed.push(waiting.step);
    instance.status = "running";
    delete instance.waiting;
    await save(instance);
    await audit(instance, waiting.step, "received", {
      details: { eventType: event.type, eventId: event.id },
    });
    return instance;
  }

  return {
    register(flow) {
      flows.set(flow.name, flow as FlowDefinition<unknown>);
    },

    async start(flow, input, startOptions) {
      if (!flows.has(flow)) throw new DistroError("FLOW_UNKNOWN", `No flow named ${flow} is registered`);
      const now = iso();
      const candidate: FlowInstance<typeof input> = {
        id: startOptions.id,
        flow,
        correlationId: startOptions.correlationId ?? newCorrelationId(),
        ...(startOptions.businessKey === undefined ? {} : { businessKey: startOptions.businessKey }),
        status: "running",
        input,
        results: {},
        completed: [],
        createdAt: now,
        updatedAt: now,
        revision: 0,
      };
      return exclusive(startOptions.id, async () => {
        const { created, instance } = await store.create(candidate);
        if (created) await audit(instance, flow, "started");
        // Left running by a call that stopped at a store fault: continue it.
        else if (instance.status !== "running") return instance;
        return (await advance(instance.id)) as FlowInstance<typeof input>;
      });
    },

    async deliver(event) {
      const fresh = await store.bufferEvent(event);
      const candidates = await store.findWaiting(event.type, event.key);
      // Seen before: an earlier delivery may have stopped at a store fault after keeping
      // the event, or after an instance received it. Instances that already moved past
      // it are left alone.
      const pending = fresh
        ? candidates
        : [
            ...candidates.filter((candidate) => !hasReceived(candidate, event)),
            ...(await receivedAndStopped(event)),
          ];
      const advanced: FlowInstance[] = [];
      for (const candidate of pending) {
        const instance = await exclusive(candidate.id, async () => {
          const instance = await store.get(candidate.id);
          if (!instance) return undefined;
          if (instance.status === "running" && hasReceived(instance, event)) return advance(instance.id);
          if (instance.status !== "waiting" || instance.waiting?.key !== event.key) return instance;
          if (!instance.waiting.eventTypes.includes(event.type) || hasReceived(instance, event)) {
            return instance;
          }
          await receive(instance, event);
          return advance(instance.id);
        });
        if (instance) advanced.push(instance);
      }
      return advanced;
    },

    async release(id, releaseOptions = {}) {
      return exclusive(id, async () => {
        const instance = await store.get(id);
        if (!instance) throw new DistroError("FLOW_NOT_FOUND", `No flow instance ${id}`);
        // An earlier release was stored, then its call stopped at a store fault: continue it.
        if (instance.status === "running") return advance(id);
        if (instance.status !== "held" || !instance.hold) {
          throw new DistroError("FLOW_NOT_HELD", `Flow instance ${id} is ${instance.status}, not held`);
        }
        const step = instance.hold.step;
        if ("result" in releaseOptions) {
          instance.results[step] = releaseOptions.result === undefined ? null : releaseOptions.result;
          instance.completed.push(step);
        }
        instance.status = "running";
        delete instance.hold;
        await save(instance);
        await audit(
          instance,
          step,
          "released",
          releaseOptions.note ? { details: { note: releaseOptions.note } } : {},
        );
        return advance(id);
      });
    },

    async recover() {
      const running = await store.list({ status: ["running"] });
      const out: FlowInstance[] = [];
      for (const instance of running) {
        if (!flows.has(instance.flow)) continue;
        out.push(await exclusive(instance.id, () => advance(instance.id)));
      }
      return out;
    },

    async expireWaits() {
      const now = clock.now();
      const waiting = await store.list({ status: ["waiting"] });
      const out: FlowInstance[] = [];
      for (const candidate of waiting) {
        if (candidate.waiting?.deadline === undefined || candidate.waiting.deadline > now) continue;
        out.push(
          await exclusive(candidate.id, async () => {
            const instance = (await store.get(candidate.id))!;
            if (instance.status !== "waiting" || !instance.waiting) return instance;
            const reason = `No ${instance.waiting.eventTypes.join(" or ")} for ${instance.waiting.key} before the deadline`;
            instance.status = "held";
            instance.hold = { step: instance.waiting.step, reason, code: "WAIT_TIMEOUT", at: iso() };
            delete instance.waiting;
            await save(instance);
            await audit(instance, instance.hold.step, "held", { details: { code: "WAIT_TIMEOUT", reason } });
            return instance;
          }),
        );
      }
      return out;
    },

    get: (id) => store.get(id),
    list: (filter) => store.list(filter),
  };
}
