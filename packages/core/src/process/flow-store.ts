import type { SerializedError } from "../errors/distro-error";
import { ConflictError } from "../errors/kinds";

/** Where a flow instance stands. */
export type FlowStatus = "running" | "waiting" | "held" | "completed" | "failed" | "compensated";

/** What a waiting flow is waiting for. */
export interface FlowWait {
  /** The step that waits. */
  step: string;
  /** The event types that end the wait. */
  eventTypes: string[];
  /** The correlation key the event must carry (an order id, an ERP order number). */
  key: string;
  /** Epoch milliseconds after which the wait times out, when it has a bound. */
  deadline?: number;
}

/** Why a flow is held for a person. */
export interface FlowHoldState {
  /** The step that could not complete. */
  step: string;
  /** The reason, for people. */
  reason: string;
  /** A machine-readable code (`CREDIT_LIMIT`, `WAIT_TIMEOUT`, an error code). */
  code: string;
  /** When it was held (ISO 8601). */
  at: string;
}

/**
 * One run of a flow, as stored: its input, each finished step's result, and where it
 * stands. A restart resumes at the first step without a stored result.
 */
export interface FlowInstance<Input = unknown> {
  /** The instance id (idempotent: starting the same id twice runs once). */
  id: string;
  /** The flow's name. */
  flow: string;
  /** The transaction's correlation id, carried into every step. */
  correlationId: string;
  /** A business key to find it by (an order id). */
  businessKey?: string;
  /** Where it stands. */
  status: FlowStatus;
  /** What it was started with. */
  input: Input;
  /** Each finished step's result, by step name. */
  results: Record<string, unknown>;
  /** The names of finished steps, in order. */
  completed: string[];
  /** Set while waiting for an event. */
  waiting?: FlowWait;
  /** Set while held for a person. */
  hold?: FlowHoldState;
  /** The error that failed it. */
  error?: SerializedError;
  /** When it started (ISO 8601). */
  createdAt: string;
  /** When it last changed (ISO 8601). */
  updatedAt: string;
  /** Bumped on every save; a save with a stale revision is refused. */
  revision: number;
}

/** An event delivered to waiting flows. */
export interface FlowEvent {
  /** The event's unique id (a CloudEvent id). */
  id: string;
  /** Its type, e.g. `wms.shipped`. */
  type: string;
  /** The correlation key it carries (an order id). */
  key: string;
  /** Its payload. */
  data: unknown;
}

/** A filter for {@link FlowStore.list}. */
export interface FlowFilter {
  /** Only this flow. */
  flow?: string;
  /** Only these statuses. */
  status?: FlowStatus[];
  /** Only this transaction. */
  correlationId?: string;
  /** Only this business key. */
  businessKey?: string;
}

/**
 * The `FlowStore` port: where flow instances and the events they wait for are kept.
 * The memory store ships here; a PostgreSQL store implements the same port.
 *
 * @example
 * ```ts
 * const store: FlowStore = createMemoryFlowStore();
 * const { created } = await store.create(instance);
 * ```
 */
export interface FlowStore {
  /** Stores a new instance; when the id exists, returns the stored one and `created: false`. */
  create<Input>(instance: FlowInstance<Input>): Promise<{ created: boolean; instance: FlowInstance<Input> }>;
  /** One instance by id. */
  get<Input = unknown>(id: string): Promise<FlowInstance<Input> | undefined>;
  /** Saves an instance whose stored revision is `instance.revision - 1`; throws ConflictError otherwise. */
  save<Input>(instance: FlowInstance<Input>): Promise<void>;
  /** Instances waiting for an event of this type and key. */
  findWaiting(eventType: string, key: string): Promise<FlowInstance[]>;
  /** Keeps an event that arrived before a flow waited for it; false when its id was seen. */
  bufferEvent(event: FlowEvent): Promise<boolean>;
  /** The first kept event of these types with this key, if any. */
  findEvent(eventTypes: string[], key: string): Promise<FlowEvent | undefined>;
  /** Instances matching a filter. */
  list(filter?: FlowFilter): Promise<FlowInstance[]>;
}

/**
 * An in-memory {@link FlowStore}: the embedded default for one process. Instances are
 * copied in and out, so callers can never change stored state by accident.
 *
 * @returns a new empty store
 * @example
 * ```ts
 * const manager = createProcessManager({ store: createMemoryFlowStore() });
 * ```
 */
export function createMemoryFlowStore(): FlowStore {
  const instances = new Map<string, FlowInstance>();
  const events = new Map<string, FlowEvent[]>();
  const seenEvents = new Set<string>();
  const copy = <T>(value: T): T => structuredClone(value);

  return {
    async create(instance) {
      const existing = instances.get(instance.id);
      if (existing) return { created: false, instance: copy(existing) as typeof instance };
      instances.set(instance.id, copy(instance) as FlowInstance);
      return { created: true, instance: copy(instance) };
    },
    async get(id) {
      const found = instances.get(id);
      return found ? (copy(found) as FlowInstance<never>) : undefined;
    },
    async save(instance) {
      const stored = instances.get(instance.id);
      if (!stored || stored.revision !== instance.revision - 1) {
        throw new ConflictError(`Flow ${instance.id} changed since it was read`, {
          details: { id: instance.id, expected: instance.revision - 1, actual: stored?.revision },
        });
      }
      instances.set(instance.id, copy(instance) as FlowInstance);
    },
    async findWaiting(eventType, key) {
      const out: FlowInstance[] = [];
      for (const instance of instances.values()) {
        if (
          instance.status === "waiting" &&
          instance.waiting?.key === key &&
          instance.waiting.eventTypes.includes(eventType)
        ) {
          out.push(copy(instance));
        }
      }
      return out;
    },
    async bufferEvent(event) {
      if (seenEvents.has(event.id)) return false;
      seenEvents.add(event.id);
      const bucket = events.get(event.key) ?? [];
      bucket.push(copy(event));
      events.set(event.key, bucket);
      return true;
    },
    async findEvent(eventTypes, key) {
      const found = events.get(key)?.find((event) => eventTypes.includes(event.type));
      return found ? copy(found) : undefined;
    },
    async list(filter = {}) {
      const out: FlowInstance[] = [];
      for (const instance of instances.values()) {
        if (filter.flow && instance.flow !== filter.flow) continue;
        if (filter.status && !filter.status.includes(instance.status)) continue;
        if (filter.correlationId && instance.correlationId !== filter.correlationId) continue;
        if (filter.businessKey && instance.businessKey !== filter.businessKey) continue;
        out.push(copy(instance));
      }
      return out;
    },
  };
}
