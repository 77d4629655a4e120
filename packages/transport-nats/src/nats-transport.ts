import type {
  Transport,
  TransportConsumer,
  TransportDelivery,
  TransportMessage,
  TransportPublishOptions,
  TransportSubscribeOptions,
} from "@distro/core";
import { DistroError } from "@distro/core";
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  headers as natsHeaders,
  RetentionPolicy,
  StorageType,
} from "nats";

/** Settings of {@link createNatsTransport}. */
export interface NatsTransportOptions {
  /** The server URL(s), e.g. `nats://nats.example:4222` or several for a cluster. */
  servers: string | string[];
  /** A user name and password, when the server asks for one. */
  user?: string;
  /** The password for `user`. */
  pass?: string;
  /** A token, when the server uses token authentication. */
  token?: string;
  /**
   * Prefix of the subjects and names of the streams (default `distro`): events on
   * `<namespace>.m.<target>` in the stream `<namespace>`, dead letters on
   * `<namespace>.dead.<subscription>` in the stream `<namespace>-dead`.
   */
  namespace?: string;
  /**
   * Sets `Nats-Msg-Id` to the CloudEvent's source and id, so the stream drops a second
   * publish of one event within its duplicate window (default true).
   */
  deduplicate?: boolean;
  /** The stream's duplicate window (default 120,000 ms). */
  duplicateWindowMs?: number;
  /**
   * Deliveries after which a message is given up: published to the dead-letter subject
   * and terminated. Counts every nack and every crashed consumer (ack wait expired). By
   * default none: the bus nacks a message that another worker still holds every
   * `redeliveryDelayMs` (100 ms) until that worker's inbox lease (300 s) runs out, so set
   * it above `inboxLeaseMs / redeliveryDelayMs` (3,000 with the bus defaults).
   */
  maxDeliveries?: number;
  /** How long an unacknowledged delivery of a crashed consumer waits before it is delivered again (default 30,000 ms). */
  ackWaitMs?: number;
  /** Store the streams in memory instead of files (default false: files, durable). */
  memoryStorage?: boolean;
  /** Gives up publishing (with a `DistroError` `TRANSPORT_UNAVAILABLE`) after this long without the server (default 30,000 ms). */
  publishTimeoutMs?: number;
  /** The connection name shown in the server's monitoring (default `distro`). */
  name?: string;
}

const ALL = "_all";
const NANOS = 1_000_000;
const PULL_EXPIRES_MS = 1_000;
const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * A subscription name as a subject token and durable name: kept when it is letters,
 * digits, `-` and `_`, else hex-encoded behind an `x`.
 *
 * @param subscription - the subscription's name
 * @returns a token valid in subjects and consumer names
 * @example
 * ```ts
 * import { subscriptionToken } from "@distro/transport-nats";
 * subscriptionToken("erp-booking"); // "erp-booking"
 * subscriptionToken("erp.booking"); // "x6572702e626f6f6b696e67"
 * ```
 */
export function subscriptionToken(subscription: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(subscription) && subscription !== ALL && !subscription.startsWith("x")) {
    return subscription;
  }
  return `x${Buffer.from(subscription, "utf8").toString("hex")}`;
}

function messageId(body: string): string | undefined {
  try {
    const event = JSON.parse(body) as { source?: unknown; id?: unknown };
    if (typeof event.source === "string" && typeof event.id === "string")
      return `${event.source} ${event.id}`;
  } catch {
    // Not a CloudEvent: published without a message id.
  }
  return undefined;
}

interface ConsumerState {
  subscription: string;
  token: string;
  handler: (delivery: TransportDelivery) => void;
  prefetch: number;
  inHand: number;
  closed: boolean;
  unsettled: Set<{ message: JsMsg; settle: () => boolean }>;
  wake: (() => void) | undefined;
  /** Deliveries that arrived while closing: given back with the unsettled ones. */
  late: JsMsg[];
  loop: Promise<void> | undefined;
}

/**
 * The `Transport` (the core port) on NATS JetStream. One stream holds the events (interest
 * retention: a message stays until every subscription has acknowledged it); each
 * subscription is a durable pull consumer, shared by all its worker processes. Each
 * consumer pulls only as many messages as its prefetch has room for, so it never holds
 * more. Publishes wait for the stream's acknowledgement and carry `Nats-Msg-Id` (the
 * CloudEvent's source and id), so a publish retried after a lost answer is stored once.
 * `nack({ delayMs })` is JetStream's `nak` with a delay; a message delivered
 * `maxDeliveries` times is published to the dead-letter subject and terminated. The
 * client reconnects by itself; pulls and publishes resume after it.
 *
 * Per-key order holds within one consumer (the bus keeps it); JetStream 2.9 has no
 * single-active-consumer, so two worker processes may interleave one key's messages.
 *
 * @param options - servers, credentials, namespace and limits
 * @returns the transport (it connects on first use)
 * @example
 * ```ts
 * import { createBus } from "@distro/core";
 * import { createNatsTransport } from "@distro/transport-nats";
 *
 * const transport = createNatsTransport({ servers: "nats://127.0.0.1:4222" });
 * const bus = createBus({ transport });
 * ```
 */
export function createNatsTransport(options: NatsTransportOptions): Transport {
  const namespace = options.namespace ?? "distro";
  const stream = namespace.replace(/[^A-Za-z0-9_-]/g, "_");
  const deadStream = `${stream}-dead`;
  const deduplicate = options.deduplicate ?? true;
  const maxDeliveries =
    options.maxDeliveries === undefined ? Number.POSITIVE_INFINITY : Math.max(1, options.maxDeliveries);
  const ackWaitMs = Math.max(1000, options.ackWaitMs ?? 30_000);
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const consumers = new Set<ConsumerState>();
  const knownSubscriptions = new Set<string>();
  let link:
    | Promise<{ connection: NatsConnection; js: JetStreamClient; manager: JetStreamManager }>
    | undefined;
  let closed = false;

  const refuse = () => new DistroError("TRANSPORT_CLOSED", "The transport is closed", { retryable: false });
  const subject = (target: string) => `${namespace}.m.${target}`;

  const open = async () => {
    const connection = await connect({
      servers: options.servers,
      user: options.user,
      pass: options.pass,
      token: options.token,
      name: options.name ?? "distro",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const manager = await connection.jetstreamManager();
    const storage = options.memoryStorage ? StorageType.Memory : StorageType.File;
    const ensure = async (name: string, subjects: string[], retention: RetentionPolicy) => {
      try {
        await manager.streams.info(name);
      } catch {
        await manager.streams.add({
          name,
          subjects,
          retention,
          storage,
          duplicate_window: (options.duplicateWindowMs ?? 120_000) * NANOS,
        });
      }
    };
    await ensure(stream, [`${namespace}.m.>`], RetentionPolicy.Interest);
    await ensure(deadStream, [`${namespace}.dead.>`], RetentionPolicy.Limits);
    return { connection, js: connection.jetstream(), manager };
  };

  const connected = () => {
    if (closed) return Promise.reject(refuse());
    link ??= open().catch((error: unknown) => {
      link = undefined;
      throw new DistroError("TRANSPORT_UNAVAILABLE", "NATS JetStream cannot be reached", {
        retryable: true,
        cause: error,
      });
    });
    return link;
  };

  const declare = async (state: ConsumerState) => {
    const { manager } = await connected();
    try {
      await manager.consumers.info(stream, state.token);
    } catch {
      await manager.consumers.add(stream, {
        durable_name: state.token,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ack_wait: ackWaitMs * NANOS,
        max_ack_pending: -1,
        filter_subject: `${namespace}.m.>`,
      });
    }
    knownSubscriptions.add(state.subscription);
  };

  const publishWithRetry = async (target: string, message: TransportMessage, id: string | undefined) => {
    const started = Date.now();
    for (;;) {
      const { js } = await connected();
      const messageHeaders = natsHeaders();
      if (message.key !== undefined) messageHeaders.set("Distro-Key", message.key);
      try {
        // With a message id, a publish sent again after a lost answer is stored once.
        await js.publish(target, message.body, {
          headers: messageHeaders,
          timeout: 5_000,
          ...(id === undefined ? {} : { msgID: id }),
        });
        return;
      } catch (error) {
        if (closed) throw refuse();
        if (Date.now() - started > publishTimeoutMs) {
          throw new DistroError("TRANSPORT_UNAVAILABLE", "NATS JetStream did not acknowledge the publish", {
            retryable: true,
            cause: error,
          });
        }
        await sleep(100);
      }
    }
  };

  const deadLetter = async (state: ConsumerState, message: JsMsg) => {
    const { js } = await connected();
    const deadHeaders = natsHeaders();
    deadHeaders.set("Distro-Subscription", state.subscription);
    deadHeaders.set("Distro-Deliveries", String(message.info.deliveryCount));
    await js.publish(`${namespace}.dead.${state.token}`, message.data, { headers: deadHeaders });
    message.term();
  };

  const deliver = (state: ConsumerState, message: JsMsg) => {
    const target = message.subject.slice(`${namespace}.m.`.length);
    if (target !== ALL && target !== state.token) {
      // Published to one other subscription: not for this one.
      message.ack();
      return;
    }
    if (message.info.deliveryCount > maxDeliveries) {
      void deadLetter(state, message).catch(() => undefined);
      return;
    }
    state.inHand += 1;
    let settled = false;
    const entry = {
      message,
      settle: () => {
        if (settled || state.closed) return false;
        settled = true;
        state.unsettled.delete(entry);
        state.inHand -= 1;
        state.wake?.();
        return true;
      },
    };
    state.unsettled.add(entry);
    const key = message.headers?.get("Distro-Key");
    state.handler({
      body: message.string(),
      key: key ? key : undefined,
      deliveryCount: message.info.deliveryCount,
      ack() {
        if (entry.settle()) message.ack();
      },
      nack(nackOptions) {
        if (!entry.settle()) return;
        if (message.info.deliveryCount >= maxDeliveries) {
          void deadLetter(state, message).catch(() => undefined);
          return;
        }
        const delayMs = nackOptions?.delayMs ?? 0;
        message.nak(delayMs > 0 ? delayMs : undefined);
      },
    });
  };

  const pull = async (state: ConsumerState) => {
    while (!state.closed && !closed) {
      const room = state.prefetch - state.inHand;
      if (room <= 0) {
        await new Promise<void>((resolve) => {
          state.wake = resolve;
        });
        state.wake = undefined;
        continue;
      }
      try {
        const { js } = await connected();
        const consumer = await js.consumers.get(stream, state.token);
        // The pull request lives on the server until it is filled or expires, whatever
        // the client does: a closing consumer keeps reading it to the end (at most
        // PULL_EXPIRES_MS), so no message is sent to a pull request nobody reads.
        const batch = await consumer.fetch({ max_messages: room, expires: PULL_EXPIRES_MS });
        for await (const message of batch) {
          if (state.closed) state.late.push(message);
          else deliver(state, message);
        }
      } catch {
        if (state.closed || closed) return;
        await sleep(250);
      }
    }
  };

  const stopConsumer = async (state: ConsumerState) => {
    if (state.closed) return;
    state.closed = true;
    consumers.delete(state);
    state.wake?.();
    await state.loop;
    // Give unsettled deliveries back at once, in order, as after a crash (without waiting
    // for ack_wait), once no pull request of this consumer is left on the server.
    for (const entry of state.unsettled) entry.message.nak();
    for (const message of state.late.splice(0)) message.nak();
    state.unsettled.clear();
  };

  return {
    async publish(message: TransportMessage, publishOptions?: TransportPublishOptions): Promise<void> {
      if (closed) throw refuse();
      let target = ALL;
      if (publishOptions?.subscription !== undefined) {
        const name = publishOptions.subscription;
        target = subscriptionToken(name);
        if (!knownSubscriptions.has(name)) {
          const { manager } = await connected();
          try {
            await manager.consumers.info(stream, target);
            knownSubscriptions.add(name);
          } catch {
            throw new DistroError("SUBSCRIPTION_NOT_FOUND", `No subscription named ${name}`, {
              details: { subscription: name },
            });
          }
        }
      }
      const id = deduplicate ? messageId(message.body) : undefined;
      await publishWithRetry(subject(target), message, id);
    },
    async subscribe(
      subscription,
      handler,
      subscribeOptions?: TransportSubscribeOptions,
    ): Promise<TransportConsumer> {
      if (closed) throw refuse();
      const state: ConsumerState = {
        subscription,
        token: subscriptionToken(subscription),
        handler,
        prefetch: Math.max(1, subscribeOptions?.prefetch ?? 256),
        inHand: 0,
        closed: false,
        unsettled: new Set(),
        wake: undefined,
        late: [],
        loop: undefined,
      };
      await declare(state);
      consumers.add(state);
      state.loop = pull(state);
      return { close: () => stopConsumer(state) };
    },
    async close() {
      if (closed) return;
      for (const state of [...consumers]) await stopConsumer(state);
      closed = true;
      const current = link;
      link = undefined;
      const opened = await current?.catch(() => undefined);
      if (opened !== undefined) await opened.connection.drain().catch(() => opened.connection.close());
    },
  };
}
