import { createHash } from "node:crypto";
import { withCorrelation } from "../correlation/index";
import { type CloudEvent, causedBy, correlationFromEvent, parseEvent } from "../envelope/index";
import {
  DistroError,
  isDistroError,
  NotFoundError,
  serializeError,
  ValidationError,
  type ValidationIssue,
} from "../errors/index";
import type { Span, Tracer } from "../observability/tracing";
import { startConsumerSpan } from "../observability/tracing-messaging";
import type { RetryClock } from "../retry/index";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retry, retryPolicy } from "../retry/index";
import { createMemoryDeadLetterStore, type DeadLetterFilter, type DeadLetterStore } from "./dead-letter";
import {
  copyPlain,
  InProcessMessage,
  inProcessPayload,
  isInProcess,
  isPlainJson,
  syncInboxOf,
} from "./in-process";
import { createMemoryInboxStore, type InboxBegin, type InboxOutcome, type InboxStore } from "./inbox";
import { createMemoryTransport } from "./memory-transport";
import type { Transport, TransportConsumer, TransportDelivery } from "./transport";

/** What a handler learns about the delivery besides the event. */
export interface HandlerContext {
  /** The subscription's name. */
  subscriber: string;
  /** 1 on the first try of this delivery, one more on each retry. */
  attempt: number;
  /** How many times the transport has delivered this message (1 the first time). */
  deliveryCount: number;
}

/** Settings of one subscription. */
export interface SubscribeOptions<T = unknown> {
  /** The subscription's name: one inbox, one dead-letter owner, shared by its consumers. */
  name: string;
  /** Handles one event. Throw to fail; the retry policy decides what comes next. */
  handler: (event: CloudEvent<T>, context: HandlerContext) => void | Promise<void>;
  /** Only these event types are handled (others are acknowledged and skipped). */
  types?: readonly string[];
  /**
   * Checks the event against its data contract before the handler runs. Throw (a
   * `ValidationError` with issues, or a `ContractError`) to refuse it: it goes to the
   * dead-letter store at once, with the issues. Return an event to hand the handler a
   * converted (for example upcast) one instead.
   */
  validate?: (event: CloudEvent) => CloudEvent<T> | undefined;
  /**
   * The retry policy of this subscriber (exponential backoff with jitter, max attempts,
   * max elapsed time; `Retry-After` of an error is honoured). Without `retryOn`, errors
   * that are not retryable (see `isRetryable`) go straight to dead letter.
   */
  retry?: Partial<RetryPolicy>;
  /** The ordering key: events with one key are handled in order, one at a time (default: `subject`). */
  orderingKey?: (event: CloudEvent) => string | undefined;
  /** How many events (of different keys) are handled at once (default 8). */
  concurrency?: number;
  /** How many deliveries are taken from the transport ahead of handling (default 256). */
  prefetch?: number;
}

/** Counters of one subscription, since it started. */
export interface SubscriptionStats {
  /** Deliveries received from the transport. */
  received: number;
  /** Events the handler finished. */
  handled: number;
  /** Messages stored as dead letters. */
  deadLettered: number;
  /** Deliveries of messages already finished (dropped by the inbox). */
  duplicates: number;
  /** Deliveries of types this subscription does not handle. */
  skipped: number;
  /** Deliveries given back to the transport (busy elsewhere, store failure, close). */
  redelivered: number;
}

/** A running subscription. */
export interface BusSubscription {
  /** The subscription's name. */
  readonly name: string;
  /** Its counters. */
  readonly stats: Readonly<SubscriptionStats>;
  /**
   * Stops the subscription. By default it finishes the events it has started and gives
   * the rest back to the transport; with `abandon`, it gives everything back at once, as
   * a crash would (events in flight may then be delivered again).
   *
   * @param options - `abandon` to stop without waiting
   * @returns when stopped
   */
  close(options?: { abandon?: boolean }): Promise<void>;
}

/** The outcome of {@link Bus.replayMany}. */
export interface ReplayReport {
  /** Each replayed dead letter and the id of the event that replays it. */
  replayed: { id: string; eventId: string }[];
  /** Each dead letter that could not be replayed, and why. */
  failed: { id: string; error: DistroError }[];
}

/** Settings of {@link createBus}. */
export interface BusOptions {
  /** The transport (default: a new {@link createMemoryTransport}). */
  transport?: Transport;
  /** The consumer-side inbox (default: a new memory inbox); `false` to turn dedupe off. */
  inbox?: InboxStore | false;
  /** Where failed messages go (default: a new memory store). */
  deadLetters?: DeadLetterStore;
  /** How long a consumer's inbox claim holds if it never finishes (default 5 minutes). */
  inboxLeaseMs?: number;
  /** How long to wait before a delivery that is busy elsewhere comes back (default 100 ms, at least 1). */
  redeliveryDelayMs?: number;
  /** The time source (defaults to `Date`). */
  clock?: RetryClock;
  /** Randomness for backoff jitter (defaults to `Math.random`). */
  random?: () => number;
  /** How to wait between retries (defaults to a timer). */
  sleep?: (milliseconds: number) => Promise<void>;
  /**
   * The id of the event that replays a dead letter, from the dead letter's id and how many
   * times it was replayed before. The default derives a UUID from both, so a replay whose
   * publish went out but whose "replayed" mark failed, tried again, publishes the same
   * event id and the inbox handles it once. An id that ignores its arguments loses that.
   */
  generateId?: (deadLetterId: string, round: number) => string;
  /** Told about failures the bus recovered from by redelivery (a store that was down). */
  onError?: (error: unknown, context: { subscriber: string; eventId?: string }) => void;
  /**
   * Starts a consumer span per delivery a subscription handles (its retries included),
   * a child of the event's `traceparent`; the handler runs with the span's traceparent.
   * None by default (and then nothing is allocated for it).
   */
  tracer?: Tracer;
}

/**
 * Publish / subscribe on CloudEvents over a {@link Transport}: at-least-once delivery,
 * dedupe by `source` + `id` in an inbox, per-key ordering with bounded concurrency,
 * retry per subscriber, and a dead-letter store with replay and discard.
 */
export interface Bus {
  /** The dead-letter store, to list and inspect entries. */
  readonly deadLetters: DeadLetterStore;
  /**
   * Publishes an event to every subscription. Waits while the transport is full.
   *
   * @param event - a CloudEvent (see `createEvent`)
   * @returns once the transport has accepted it
   * @throws ValidationError when the event is not a valid CloudEvent
   */
  publish(event: CloudEvent): Promise<void>;
  /**
   * Starts a subscription.
   *
   * @param options - name, handler, types, validation, retry, ordering, concurrency
   * @returns the running subscription
   * @throws ValidationError when the options are invalid
   */
  subscribe<T = unknown>(options: SubscribeOptions<T>): Promise<BusSubscription>;
  /**
   * Publishes a dead letter again, to its subscriber only, as a new event with the same
   * data and correlation id and a causation link to the original; marks it replayed.
   *
   * @param id - the dead letter's id
   * @returns the replayed event
   * @throws NotFoundError when there is no such dead letter
   * @throws ValidationError when the stored message is not a valid CloudEvent
   * @throws DistroError `DEAD_LETTER_NOT_PENDING` when it was already replayed or discarded
   */
  replay(id: string): Promise<CloudEvent>;
  /**
   * Replays every pending dead letter that matches a filter.
   *
   * @param filter - type, source, error code, subscriber, time range, limit
   * @returns what was replayed and what failed
   */
  replayMany(filter?: DeadLetterFilter): Promise<ReplayReport>;
  /**
   * Discards a pending dead letter with a reason (kept for the audit trail).
   *
   * @param id - the dead letter's id
   * @param reason - why
   * @returns when discarded
   * @throws ValidationError when the reason is empty
   */
  discard(id: string, reason: string): Promise<void>;
  /**
   * Closes every subscription (finishing what they started) and the transport.
   *
   * @returns when closed
   */
  close(): Promise<void>;
}

interface Pending {
  delivery: TransportDelivery;
  event: CloudEvent;
}

class Ring<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return item;
  }
}

/**
 * Serialises an event for the wire (JSON structured mode; binary data as `data_base64`).
 *
 * @param event - the event
 * @returns the JSON text
 * @example
 * ```ts
 * import { createEvent, serializeEvent } from "@distro/core";
 *
 * serializeEvent(createEvent({ type: "com.distro.order.submitted", source: "/shop", data: { n: 1 } }));
 * ```
 */
export function serializeEvent(event: CloudEvent): string {
  if (event.data instanceof Uint8Array) {
    const { data, ...rest } = event;
    return JSON.stringify({ ...rest, data_base64: Buffer.from(data).toString("base64") });
  }
  return JSON.stringify(event);
}

function readEnvelope(body: string): CloudEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new ValidationError(
      "Message is not JSON",
      [{ code: "invalid_json", path: [], message: error instanceof Error ? error.message : String(error) }],
      { cause: error },
    );
  }
  return parseEvent(raw);
}

function peek(body: string): Record<string, unknown> {
  try {
    const raw = JSON.parse(body) as unknown;
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
  } catch {
    // Not JSON: the dead letter keeps the body as it is, with no attributes to filter by.
  }
  return {};
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function issuesOf(error: unknown): ValidationIssue[] | undefined {
  if (isDistroError(error) && Array.isArray((error as ValidationError).issues)) {
    return (error as ValidationError).issues;
  }
  return undefined;
}

/** One delivery's handler runs: what each attempt needs, and what the attempts found. */
interface AttemptRun<T> {
  handler: (event: CloudEvent<T>, context: HandlerContext) => void | Promise<void>;
  event: CloudEvent<T>;
  context: ReturnType<typeof correlationFromEvent>;
  handlerContext: HandlerContext;
  clock: RetryClock;
  /** The consumer span of the delivery, when the bus has a tracer. */
  span: Span | undefined;
  attempts: number;
  firstFailedAt: number | undefined;
  lastFailedAt: number | undefined;
}

function callHandler<T>(run: AttemptRun<T>): void | Promise<void> {
  return run.handler(run.event, run.handlerContext);
}

// A module-level function rather than a closure per delivery: the delivery path
// allocates as little as it can.
async function runAttempt<T>(run: AttemptRun<T>, attempt: number): Promise<void> {
  run.attempts = attempt;
  run.handlerContext = attempt === 1 ? run.handlerContext : { ...run.handlerContext, attempt };
  try {
    const returned = withCorrelation(run.context, () => callHandler(run));
    if (returned !== undefined && typeof (returned as PromiseLike<void>).then === "function") await returned;
  } catch (error) {
    run.lastFailedAt = run.clock.now();
    run.firstFailedAt ??= run.lastFailedAt;
    throw error;
  }
}

// Attempt 1 of a delivery, not an async function: it returns what the handler returns
// (a promise or not) and throws what it throws, so a handler that finishes at once costs
// no promise, and one that returns a promise costs no second one.
function firstAttempt<T>(run: AttemptRun<T>): void | PromiseLike<void> {
  run.attempts = 1;
  return withCorrelation(run.context, () => callHandler(run));
}

function noteFailure<T>(run: AttemptRun<T>): void {
  run.lastFailedAt = run.clock.now();
  run.firstFailedAt ??= run.lastFailedAt;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === "object" && value !== null) || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

const defaultSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * The default replay event id: a UUID (version 8, RFC 9562) taken from a SHA-256 of the
 * dead letter's id and the replay round, so the same replay always has the same id.
 */
function replayEventId(deadLetterId: string, round: number): string {
  const hex = createHash("sha256").update(`distro-replay\u0000${deadLetterId}\u0000${round}`).digest("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Creates a bus. Everything is in-process by default (memory transport, inbox and
 * dead-letter store); pass durable adapters to share the work between processes.
 *
 * @param options - transport, stores, timings, clock, randomness
 * @returns the bus
 * @example
 * ```ts
 * import { createBus, createEvent } from "@distro/core";
 *
 * const bus = createBus();
 * await bus.subscribe({
 *   name: "erp-booking",
 *   types: ["com.distro.order.submitted"],
 *   retry: { maxAttempts: 5, baseDelayMs: 200 },
 *   handler: async (event) => {
 *     // book the order in the ERP
 *   },
 * });
 * await bus.publish(
 *   createEvent({ type: "com.distro.order.submitted", source: "/shop/acme", subject: "1001", data: { orderNumber: "1001" } }),
 * );
 * ```
 */
export function createBus(options: BusOptions = {}): Bus {
  const transport = options.transport ?? createMemoryTransport();
  const inbox = options.inbox === false ? undefined : (options.inbox ?? createMemoryInboxStore());
  const deadLetters = options.deadLetters ?? createMemoryDeadLetterStore();
  const clock = options.clock ?? Date;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const generateId = options.generateId ?? replayEventId;
  const leaseMs = options.inboxLeaseMs ?? 300_000;
  const redeliveryDelayMs = Math.max(1, options.redeliveryDelayMs ?? 100);
  const report = options.onError ?? (() => undefined);
  const tracer = options.tracer;
  // In process, events travel as objects and the memory inbox answers without promises.
  const syncInbox = inbox === undefined ? undefined : syncInboxOf(inbox);
  const inProcess = isInProcess(transport);
  const subscriptions = new Set<BusSubscription>();

  const replay = async (id: string): Promise<CloudEvent> => {
    const entry = await deadLetters.get(id);
    if (entry === undefined) {
      throw new NotFoundError(`No dead letter ${id}`, { details: { id } });
    }
    if (entry.status !== "pending") {
      throw new DistroError("DEAD_LETTER_NOT_PENDING", `Dead letter ${id} is already ${entry.status}`, {
        details: { id, status: entry.status },
      });
    }
    let original: CloudEvent;
    try {
      original = readEnvelope(entry.message);
    } catch (error) {
      throw new ValidationError(
        `Dead letter ${id} is not a valid CloudEvent and cannot be replayed; discard it or publish a corrected event`,
        issuesOf(error) ?? [],
        { cause: error },
      );
    }
    const event: CloudEvent = {
      ...original,
      id: generateId(entry.id, entry.replays.length),
      ...causedBy(original),
    };
    await transport.publish(
      { body: serializeEvent(event), ...(event.subject === undefined ? {} : { key: event.subject }) },
      { subscription: entry.subscriber },
    );
    await deadLetters.markReplayed(id, event.id, clock.now());
    return event;
  };

  const subscribe = async <T>(settings: SubscribeOptions<T>): Promise<BusSubscription> => {
    const issues: ValidationIssue[] = [];
    if (typeof settings?.name !== "string" || settings.name.length === 0) {
      issues.push({ code: "invalid_type", path: ["name"], message: "Expected a non-empty string" });
    }
    if (typeof settings?.handler !== "function") {
      issues.push({ code: "invalid_type", path: ["handler"], message: "Expected a function" });
    }
    const concurrency = settings?.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      issues.push({
        code: "invalid_value",
        path: ["concurrency"],
        message: "Expected a whole number of at least 1",
      });
    }
    if (issues.length > 0) throw new ValidationError("Invalid subscription", issues);
    const policy: RetryPolicy =
      settings.retry === undefined ? { ...DEFAULT_RETRY_POLICY } : retryPolicy(settings.retry);
    const name = settings.name;
    const types = settings.types === undefined ? undefined : new Set(settings.types);
    const orderingKey = settings.orderingKey ?? ((event: CloudEvent) => event.subject);
    const stats: SubscriptionStats = {
      received: 0,
      handled: 0,
      deadLettered: 0,
      duplicates: 0,
      skipped: 0,
      redelivered: 0,
    };
    const lanes = new Map<string, Pending[]>();
    const ready = new Ring<string>();
    let active = 0;
    let closing = false;
    let consumer: TransportConsumer | undefined;
    let idle: (() => void) | undefined;

    const giveBack = (delivery: TransportDelivery, delayMs = 0): void | Promise<void> => {
      stats.redelivered += 1;
      return delivery.nack(delayMs > 0 ? { delayMs } : undefined);
    };

    const deadLetter = async (
      delivery: TransportDelivery,
      event: Partial<CloudEvent> | Record<string, unknown>,
      error: unknown,
      attempts: number,
      firstFailedAt: number,
      lastFailedAt: number,
    ): Promise<boolean> => {
      try {
        const issuesFound = issuesOf(error);
        await deadLetters.add({
          subscriber: name,
          message: delivery.body,
          ...(text(event.id) === undefined ? {} : { eventId: text(event.id) }),
          ...(text(event.type) === undefined ? {} : { type: text(event.type) }),
          ...(text(event.source) === undefined ? {} : { source: text(event.source) }),
          ...(text(event.subject) === undefined ? {} : { subject: text(event.subject) }),
          ...(text(event.correlationid) === undefined ? {} : { correlationId: text(event.correlationid) }),
          error: serializeError(error),
          ...(issuesFound === undefined ? {} : { issues: issuesFound }),
          attempts,
          firstFailedAt,
          lastFailedAt,
        });
        return true;
      } catch (storeError) {
        report(storeError, { subscriber: name, ...(text(event.id) ? { eventId: text(event.id) } : {}) });
        return false;
      }
    };

    // The delivery path. A lane's events run one after another, in one synchronous pass
    // while they finish at once (an in-memory inbox, a handler that returns nothing or one
    // promise), and from the settlement of the one that does not: the bus adds no promise
    // of its own per event there. `start` and the steps it calls return true when the
    // delivery is settled, or false when they have arranged for the lane to go on later
    // (through `runLane` or `laneFailed`, exactly once); they throw only before that.

    const count = (outcome: InboxOutcome): void => {
      if (outcome === "handled") stats.handled += 1;
      else stats.deadLettered += 1;
    };

    const finishAfterInbox = async (
      store: InboxStore,
      item: Pending,
      messageKey: string,
      token: string,
      outcome: InboxOutcome,
    ): Promise<void> => {
      try {
        await store.complete(name, messageKey, token, outcome);
      } catch (error) {
        report(error, { subscriber: name, eventId: item.event.id });
      }
      count(outcome);
      const acked = item.delivery.ack();
      if (isThenable(acked)) await acked;
    };

    // Records how a delivery ended in the inbox, counts it and acknowledges it.
    const finish = (
      item: Pending,
      messageKey: string,
      token: string | undefined,
      outcome: InboxOutcome,
    ): void | Promise<void> => {
      if (inbox !== undefined && token !== undefined) {
        if (syncInbox === undefined) return finishAfterInbox(inbox, item, messageKey, token, outcome);
        try {
          syncInbox.complete(name, messageKey, token, outcome);
        } catch (error) {
          report(error, { subscriber: name, eventId: item.event.id });
        }
      }
      count(outcome);
      return item.delivery.ack();
    };

    // A delivery whose validation or first attempt failed: the retry policy decides what
    // comes next, then it is finished, dead-lettered, or (dead-letter store down) given back.
    const fail = async (
      item: Pending,
      messageKey: string,
      token: string | undefined,
      run: AttemptRun<T> | undefined,
      error: unknown,
    ): Promise<void> => {
      let failure = error;
      let attempts = 0;
      let firstFailedAt: number | undefined;
      let lastFailedAt: number | undefined;
      if (run === undefined) {
        firstFailedAt = clock.now();
        lastFailedAt = firstFailedAt;
      } else {
        noteFailure(run);
        let recovered = false;
        try {
          // The retries run through retry(): its attempt 1 replays the first failure, so
          // backoff, Retry-After, max attempts and non-retryable errors are all decided
          // there; max elapsed time counts from the first failure.
          await retry(
            async (attempt) => {
              if (attempt.attempt === 1) throw error;
              await runAttempt(run, attempt.attempt);
            },
            policy,
            { clock, random, sleep },
          );
          recovered = true;
        } catch (finalError) {
          failure = finalError;
          run.span?.recordError(finalError);
        } finally {
          run.span?.end();
        }
        if (recovered) {
          await finish(item, messageKey, token, "handled");
          return;
        }
        attempts = run.attempts;
        firstFailedAt = run.firstFailedAt;
        lastFailedAt = run.lastFailedAt;
      }
      // The attributes of the dead letter come from its message, as delivered: the
      // handler may have changed its copy of the event.
      const stored = await deadLetter(
        item.delivery,
        peek(item.delivery.body),
        failure,
        attempts,
        firstFailedAt ?? clock.now(),
        lastFailedAt ?? clock.now(),
      );
      if (!stored) {
        if (inbox !== undefined && token !== undefined) {
          await inbox
            .release(name, messageKey, token)
            .catch((releaseError) => report(releaseError, { subscriber: name }));
        }
        await giveBack(item.delivery, redeliveryDelayMs);
        return;
      }
      await finish(item, messageKey, token, "dead_lettered");
    };

    // Reports a delivery the bus could not finish, gives it back, and goes on with the lane.
    const laneFailed = (item: Pending, error: unknown, key: string, lane: Pending[]): void => {
      report(error, { subscriber: name, eventId: item.event.id });
      let givenBack: unknown;
      try {
        givenBack = giveBack(item.delivery, redeliveryDelayMs);
      } catch {
        // The transport could not take it back now; closing the consumer will.
      }
      const next = () => runLane(key, lane);
      Promise.resolve(givenBack).then(next, next);
    };

    const resume = (pending: PromiseLike<unknown>, item: Pending, key: string, lane: Pending[]): void => {
      Promise.resolve(pending).then(
        () => runLane(key, lane),
        (error: unknown) => laneFailed(item, error, key, lane),
      );
    };

    // True when `result` is no promise; otherwise the lane goes on once it settles.
    const settled = (result: unknown, item: Pending, key: string, lane: Pending[]): boolean => {
      if (!isThenable(result)) return true;
      resume(result, item, key, lane);
      return false;
    };

    // Validates, runs the first attempt in the event's correlation context and finishes.
    const handle = (
      item: Pending,
      messageKey: string,
      token: string | undefined,
      key: string,
      lane: Pending[],
    ): boolean => {
      const { delivery, event } = item;
      let run: AttemptRun<T>;
      try {
        let target = event as CloudEvent<T>;
        if (settings.validate !== undefined) target = settings.validate(event) ?? target;
        const context = correlationFromEvent(event);
        const span = tracer === undefined ? undefined : startConsumerSpan(tracer, name, event, context);
        if (span?.traceparent !== undefined) context.traceparent = span.traceparent;
        run = {
          handler: settings.handler,
          event: target,
          context,
          handlerContext: { subscriber: name, attempt: 1, deliveryCount: delivery.deliveryCount },
          clock,
          span,
          attempts: 0,
          firstFailedAt: undefined,
          lastFailedAt: undefined,
        };
      } catch (error) {
        return settled(fail(item, messageKey, token, undefined, error), item, key, lane);
      }
      let returned: void | PromiseLike<void>;
      try {
        returned = firstAttempt(run);
      } catch (error) {
        return settled(fail(item, messageKey, token, run, error), item, key, lane);
      }
      if (!isThenable(returned)) {
        run.span?.end();
        return settled(finish(item, messageKey, token, "handled"), item, key, lane);
      }
      const attempted = run;
      Promise.resolve(returned).then(
        () => {
          let finished: boolean;
          try {
            attempted.span?.end();
            finished = settled(finish(item, messageKey, token, "handled"), item, key, lane);
          } catch (error) {
            laneFailed(item, error, key, lane);
            return;
          }
          if (finished) runLane(key, lane);
        },
        (error: unknown) => resume(fail(item, messageKey, token, attempted, error), item, key, lane),
      );
      return false;
    };

    // After the inbox's answer: a duplicate is acknowledged, a message busy elsewhere is
    // given back, an acquired one is handled.
    const admit = (
      item: Pending,
      messageKey: string,
      begin: InboxBegin,
      key: string,
      lane: Pending[],
    ): boolean => {
      if (begin.status === "done") {
        stats.duplicates += 1;
        return settled(item.delivery.ack(), item, key, lane);
      }
      if (begin.status === "busy") {
        return settled(
          giveBack(item.delivery, Math.min(begin.retryAfterMs, redeliveryDelayMs)),
          item,
          key,
          lane,
        );
      }
      return handle(item, messageKey, begin.token, key, lane);
    };

    const start = (item: Pending, key: string, lane: Pending[]): boolean => {
      const event = item.event;
      const messageKey = `${event.source}\u0000${event.id}`;
      if (inbox === undefined) return handle(item, messageKey, undefined, key, lane);
      if (syncInbox !== undefined) {
        return admit(item, messageKey, syncInbox.begin(name, messageKey, leaseMs), key, lane);
      }
      Promise.resolve(inbox.begin(name, messageKey, leaseMs)).then(
        (begin) => {
          let finished: boolean;
          try {
            finished = admit(item, messageKey, begin, key, lane);
          } catch (error) {
            laneFailed(item, error, key, lane);
            return;
          }
          if (finished) runLane(key, lane);
        },
        (error: unknown) => laneFailed(item, error, key, lane),
      );
      return false;
    };

    const runLane = (key: string, lane: Pending[]): void => {
      for (let item = lane.shift(); item !== undefined; item = lane.shift()) {
        if (closing) break;
        let finished: boolean;
        try {
          finished = start(item, key, lane);
        } catch (error) {
          laneFailed(item, error, key, lane);
          return;
        }
        if (!finished) return;
      }
      lanes.delete(key);
      active -= 1;
      pump();
    };

    let pumping = false;
    const pump = (): void => {
      // A lane that finishes inside this loop calls pump again: the running loop goes on.
      if (pumping) return;
      pumping = true;
      try {
        while (active < concurrency && ready.length > 0) {
          const key = ready.shift()!;
          const lane = lanes.get(key)!;
          active += 1;
          runLane(key, lane);
        }
      } finally {
        pumping = false;
      }
      if (active === 0 && ready.length === 0 && idle !== undefined) idle();
    };

    const onDelivery = (delivery: TransportDelivery): void => {
      stats.received += 1;
      // A closing subscription leaves new deliveries unsettled: closing its consumer gives
      // them back in order (a nack here would only bounce them straight back to it).
      if (closing) return;
      let event: CloudEvent;
      try {
        // An event this bus published in process was checked then and travels as an
        // object: each delivery gets a copy of its own, as parsing its text would give.
        const payload = inProcess ? inProcessPayload(delivery) : undefined;
        event = payload === undefined ? readEnvelope(delivery.body) : copyPlain(payload as CloudEvent);
      } catch (error) {
        const now = clock.now();
        void deadLetter(delivery, peek(delivery.body), error, 0, now, now).then(async (stored) => {
          if (stored) {
            stats.deadLettered += 1;
            await delivery.ack();
          } else {
            await giveBack(delivery, redeliveryDelayMs);
          }
        });
        return;
      }
      if (types !== undefined && !types.has(event.type)) {
        stats.skipped += 1;
        void delivery.ack();
        return;
      }
      const key = orderingKey(event) ?? `${event.source}\u0000${event.id}`;
      const lane = lanes.get(key);
      if (lane !== undefined) {
        lane.push({ delivery, event });
        return;
      }
      lanes.set(key, [{ delivery, event }]);
      ready.push(key);
      pump();
    };

    consumer = await transport.subscribe(name, onDelivery, { prefetch: settings.prefetch ?? 256 });
    const subscription: BusSubscription = {
      name,
      stats,
      async close(closeOptions = {}) {
        if (closing) return;
        closing = true;
        subscriptions.delete(subscription);
        if (closeOptions.abandon) {
          await consumer?.close();
          return;
        }
        // Events not started yet stay unsettled: closing the consumer gives them back to
        // the transport in their delivery order.
        for (const lane of lanes.values()) lane.length = 0;
        if (active > 0 || ready.length > 0) {
          await new Promise<void>((resolve) => {
            idle = resolve;
          });
        }
        await consumer?.close();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  };

  return {
    deadLetters,
    publish(event) {
      // Not an async function: the transport's promise is returned as is (one promise
      // less per event); a refused envelope still arrives as a rejection.
      try {
        const checked = parseEvent(event);
        if (inProcess) {
          // The checked event travels as an object nobody else holds (parseEvent made it;
          // its data is copied), written as JSON only if someone asks for its text (a dead
          // letter). Anything JSON would change (a Date, binary data, undefined) takes the
          // JSON way below, so a subscriber gets what it always got.
          if (isPlainJson(checked)) {
            if (typeof checked.data === "object" && checked.data !== null)
              checked.data = copyPlain(checked.data);
            return transport.publish(new InProcessMessage(checked, checked.subject, serializeEvent));
          }
        }
        const body = serializeEvent(event);
        return transport.publish(checked.subject === undefined ? { body } : { body, key: checked.subject });
      } catch (error) {
        return Promise.reject(error);
      }
    },
    subscribe,
    replay,
    async replayMany(filter = {}) {
      const entries = await deadLetters.list({ ...filter, status: "pending" });
      const outcome: ReplayReport = { replayed: [], failed: [] };
      for (const entry of entries) {
        try {
          const event = await replay(entry.id);
          outcome.replayed.push({ id: entry.id, eventId: event.id });
        } catch (error) {
          outcome.failed.push({
            id: entry.id,
            error: isDistroError(error)
              ? error
              : new DistroError("REPLAY_FAILED", `Replay of ${entry.id} failed`, { cause: error }),
          });
        }
      }
      return outcome;
    },
    async discard(id, reason) {
      if (typeof reason !== "string" || reason.trim().length === 0) {
        throw new ValidationError("A discard needs a reason", [
          { code: "invalid_type", path: ["reason"], message: "Expected a non-empty reason" },
        ]);
      }
      await deadLetters.discard(id, reason, clock.now());
    },
    async close() {
      for (const subscription of [...subscriptions]) await subscription.close();
      await transport.close();
    },
  };
}
