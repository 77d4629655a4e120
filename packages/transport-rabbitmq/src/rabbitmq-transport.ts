import type {
  Transport,
  TransportConsumer,
  TransportDelivery,
  TransportMessage,
  TransportPublishOptions,
  TransportSubscribeOptions,
} from "@distro/core";
import { DistroError } from "@distro/core";
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";

/** Settings of {@link createRabbitMqTransport}. */
export interface RabbitMqTransportOptions {
  /** The broker URL, e.g. `amqps://user:password@broker.example:5671/vhost`. */
  url: string;
  /**
   * Prefix of every exchange and queue this transport declares (default `distro`): the
   * exchange `<namespace>.events`, the queues `<namespace>.<subscription>.p<n>`, the
   * dead-letter exchange `<namespace>.dead` and its queue `<namespace>.dead-letters`.
   */
  namespace?: string;
  /**
   * Queues per subscription (default 1). A message goes to the queue picked by the hash of
   * its key (messages without a key go to the first); each queue has a single active
   * consumer, so one key's messages are handled in order even with many worker processes.
   * Every process must use the same number.
   */
  partitions?: number;
  /**
   * Deliveries after which the broker gives a message up to the dead-letter exchange
   * (quorum queues' `x-delivery-limit`). By default none: the bus's own dead-letter store
   * takes failed messages first, and every nack counts, including the bus's "busy
   * elsewhere" nacks (every 100 ms while another worker's 300 s inbox lease runs), so a
   * limit must stay above 3,000 with the bus defaults. Fixed when a queue is first
   * declared: RabbitMQ refuses to redeclare a queue with other arguments.
   */
  maxDeliveries?: number;
  /** At most this many messages wait in one queue; a publisher waits and retries while it is full (default 100,000). */
  maxQueueLength?: number;
  /** The connection name shown in the management UI and `rabbitmqctl list_connections` (default `distro`). */
  connectionName?: string;
  /** How long to wait between reconnection attempts and publish retries (default 200 ms). */
  retryDelayMs?: number;
  /** Gives up publishing (with a `DistroError` `TRANSPORT_UNAVAILABLE`) after this long without the broker (default 30,000 ms). */
  publishTimeoutMs?: number;
}

interface Link {
  connection: ChannelModel;
  publisher: ConfirmChannel;
  generation: number;
}

interface ConsumerState {
  subscription: string;
  handler: (delivery: TransportDelivery) => void;
  prefetch: number;
  channel: Channel | undefined;
  generation: number;
  closed: boolean;
  timers: Set<ReturnType<typeof setTimeout>>;
  /** Deliveries handed to the handler and not yet settled. */
  inHand: number;
  /** Deliveries the broker sent beyond the prefetch (from several partitions), in arrival order. */
  waiting: { channel: Channel; message: ConsumeMessage }[];
}

/**
 * The 32-bit FNV-1a hash of a key, to pick its partition.
 *
 * @param key - the ordering key
 * @param partitions - how many queues the subscription has
 * @returns the partition, from 0 to `partitions - 1`
 * @example
 * ```ts
 * import { partitionOf } from "@distro/transport-rabbitmq";
 * partitionOf("order-1001", 4); // always the same queue for this key
 * ```
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * The `Transport` (the core port) on RabbitMQ (amqplib). Each subscription is a set of durable
 * quorum queues bound to one direct exchange: publishes use publisher confirms and
 * persistent messages, and resolve only once the broker has them; consumers use
 * `basic.qos` prefetch as back-pressure; a message goes to the queue picked by its key's
 * hash, and each queue has a single active consumer, so one key's messages stay in order
 * across worker processes. `deliveryCount` comes from the quorum queue's
 * `x-delivery-count` (nacks and consumers that stopped or crashed both count). A nack with
 * a delay holds the message until the delay ends, then returns it. When the connection
 * drops, publishes wait and retry and consumers re-attach by themselves; deliveries of
 * the lost channel come back from the broker (the bus inbox keeps their effect single).
 *
 * @param options - broker URL, namespace, partitions, limits
 * @returns the transport (it connects on first use)
 * @example
 * ```ts
 * import { createBus } from "@distro/core";
 * import { createRabbitMqTransport } from "@distro/transport-rabbitmq";
 *
 * const transport = createRabbitMqTransport({ url: "amqp://guest:guest@127.0.0.1:5672", partitions: 4 });
 * const bus = createBus({ transport });
 * ```
 */
export function createRabbitMqTransport(options: RabbitMqTransportOptions): Transport {
  const namespace = options.namespace ?? "distro";
  const partitions = Math.max(1, Math.floor(options.partitions ?? 1));
  const retryDelayMs = Math.max(1, options.retryDelayMs ?? 200);
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const exchange = `${namespace}.events`;
  const deadExchange = `${namespace}.dead`;
  const deadQueue = `${namespace}.dead-letters`;
  const consumers = new Set<ConsumerState>();
  const knownSubscriptions = new Set<string>();
  let link: Promise<Link> | undefined;
  let generation = 0;
  let closed = false;

  const queueName = (subscription: string, partition: number) => `${namespace}.${subscription}.p${partition}`;
  const refuse = () => new DistroError("TRANSPORT_CLOSED", "The transport is closed", { retryable: false });

  const queueArguments: Record<string, unknown> = {
    "x-queue-type": "quorum",
    "x-single-active-consumer": true,
    "x-dead-letter-exchange": deadExchange,
    "x-max-length": options.maxQueueLength ?? 100_000,
    "x-overflow": "reject-publish",
  };
  if (options.maxDeliveries !== undefined) queueArguments["x-delivery-limit"] = options.maxDeliveries;

  const open = async (): Promise<Link> => {
    const connection = await amqp.connect(options.url, {
      clientProperties: { connection_name: options.connectionName ?? "distro" },
    });
    const current = ++generation;
    const lost = () => {
      if (link !== undefined && generation === current) link = undefined;
      if (!closed) for (const consumer of consumers) void attach(consumer);
    };
    connection.on("error", () => undefined);
    connection.on("close", lost);
    const publisher = await connection.createConfirmChannel();
    publisher.on("error", () => undefined);
    publisher.on("close", () => {
      if (generation === current) connection.close().catch(() => undefined);
    });
    await publisher.assertExchange(exchange, "direct", { durable: true });
    await publisher.assertExchange(deadExchange, "fanout", { durable: true });
    await publisher.assertQueue(deadQueue, { durable: true, arguments: { "x-queue-type": "quorum" } });
    await publisher.bindQueue(deadQueue, deadExchange, "");
    return { connection, publisher, generation: current };
  };

  const connect = async (): Promise<Link> => {
    const started = Date.now();
    for (;;) {
      if (closed) throw refuse();
      link ??= open().catch((error: unknown) => {
        link = undefined;
        throw error;
      });
      try {
        return await link;
      } catch (error) {
        if (Date.now() - started > publishTimeoutMs) {
          throw new DistroError("TRANSPORT_UNAVAILABLE", "RabbitMQ cannot be reached", {
            retryable: true,
            cause: error,
          });
        }
        await sleep(retryDelayMs);
      }
    }
  };

  const declare = async (channel: Channel, subscription: string) => {
    for (let partition = 0; partition < partitions; partition++) {
      const queue = queueName(subscription, partition);
      await channel.assertQueue(queue, { durable: true, arguments: queueArguments });
      await channel.bindQueue(queue, exchange, `p${partition}`);
    }
    knownSubscriptions.add(subscription);
  };

  const subscriptionExists = async (subscription: string): Promise<boolean> => {
    if (knownSubscriptions.has(subscription)) return true;
    const { connection } = await connect();
    // checkQueue closes the channel when the queue is missing: use a throwaway one.
    const probe = await connection.createChannel();
    probe.on("error", () => undefined);
    try {
      await probe.checkQueue(queueName(subscription, 0));
      knownSubscriptions.add(subscription);
      return true;
    } catch {
      return false;
    } finally {
      probe.close().catch(() => undefined);
    }
  };

  const confirm = (
    publisher: ConfirmChannel,
    route: { exchange: string; routingKey: string },
    message: TransportMessage,
  ) =>
    new Promise<void>((resolve, reject) => {
      const headers = message.key === undefined ? {} : { "x-distro-key": message.key };
      publisher.publish(
        route.exchange,
        route.routingKey,
        Buffer.from(message.body, "utf8"),
        { persistent: true, contentType: "application/cloudevents+json", headers },
        (error: unknown) => (error ? reject(error) : resolve()),
      );
    });

  const attach = async (consumer: ConsumerState, deadline = Number.POSITIVE_INFINITY): Promise<void> => {
    for (;;) {
      if (consumer.closed || closed || Date.now() > deadline) return;
      try {
        const { connection, generation: linkGeneration } = await connect();
        if (consumer.closed) return;
        if (consumer.channel !== undefined && consumer.generation === linkGeneration) return;
        const channel = await connection.createChannel();
        channel.on("error", () => undefined);
        // Quorum queues have no channel-wide prefetch: each partition may send up to
        // `prefetch`, and deliveries beyond it wait here, unacked at the broker, until the
        // handler settles one. The handler never holds more than `prefetch`.
        await channel.prefetch(consumer.prefetch);
        consumer.waiting = [];
        consumer.inHand = 0;
        await declare(channel, consumer.subscription);
        consumer.channel = channel;
        consumer.generation = linkGeneration;
        channel.on("close", () => {
          if (consumer.channel === channel) consumer.channel = undefined;
        });
        for (let partition = 0; partition < partitions; partition++) {
          await channel.consume(queueName(consumer.subscription, partition), (message) => {
            if (message === null) return;
            if (consumer.inHand < consumer.prefetch) deliver(consumer, channel, message);
            else consumer.waiting.push({ channel, message });
          });
        }
        return;
      } catch {
        if (consumer.closed || closed) return;
        await sleep(retryDelayMs);
      }
    }
  };

  const deliver = (consumer: ConsumerState, channel: Channel, message: ConsumeMessage) => {
    const headers = message.properties.headers ?? {};
    const returned = Number(headers["x-delivery-count"] ?? 0);
    const key = headers["x-distro-key"];
    let settled = false;
    consumer.inHand += 1;
    const release = () => {
      settled = true;
      consumer.inHand -= 1;
      while (consumer.inHand < consumer.prefetch && consumer.waiting.length > 0) {
        const next = consumer.waiting.shift()!;
        if (next.channel === consumer.channel) deliver(consumer, next.channel, next.message);
      }
    };
    // A delivery of a channel that is gone (consumer closed, connection lost) is settled
    // by the broker: it comes back to the next consumer, so acting on it is a no-op.
    const live = () => !settled && !consumer.closed && consumer.channel === channel;
    consumer.handler({
      body: message.content.toString("utf8"),
      key: typeof key === "string" ? key : undefined,
      deliveryCount: (Number.isFinite(returned) ? returned : 0) + 1,
      ack() {
        if (!live()) return;
        channel.ack(message);
        release();
      },
      nack(nackOptions) {
        if (!live()) return;
        release();
        const delayMs = nackOptions?.delayMs ?? 0;
        if (delayMs <= 0) {
          channel.nack(message, false, true);
          return;
        }
        const timer = setTimeout(() => {
          consumer.timers.delete(timer);
          if (!consumer.closed && consumer.channel === channel) channel.nack(message, false, true);
        }, delayMs);
        consumer.timers.add(timer);
      },
    });
  };

  return {
    async publish(message: TransportMessage, publishOptions?: TransportPublishOptions): Promise<void> {
      if (closed) throw refuse();
      // Messages without a key all go to the first partition, in publish order.
      const partition = message.key === undefined ? 0 : partitionOf(message.key, partitions);
      const target = publishOptions?.subscription;
      if (target !== undefined && !(await subscriptionExists(target))) {
        throw new DistroError("SUBSCRIPTION_NOT_FOUND", `No subscription named ${target}`, {
          details: { subscription: target },
        });
      }
      const route =
        target === undefined
          ? { exchange, routingKey: `p${partition}` }
          : { exchange: "", routingKey: queueName(target, partition) };
      const started = Date.now();
      for (;;) {
        const { publisher } = await connect();
        try {
          await confirm(publisher, route, message);
          return;
        } catch (error) {
          // A nack (a full queue rejecting the publish) or a lost channel: wait, then send
          // again. A copy that some queues took before the nack is a duplicate the bus inbox drops.
          if (closed) throw refuse();
          if (Date.now() - started > publishTimeoutMs) {
            throw new DistroError("TRANSPORT_UNAVAILABLE", "RabbitMQ did not confirm the publish", {
              retryable: true,
              cause: error,
            });
          }
          await sleep(retryDelayMs);
        }
      }
    },
    async subscribe(
      subscription,
      handler,
      subscribeOptions?: TransportSubscribeOptions,
    ): Promise<TransportConsumer> {
      if (closed) throw refuse();
      const consumer: ConsumerState = {
        subscription,
        handler,
        prefetch: Math.max(1, subscribeOptions?.prefetch ?? 256),
        channel: undefined,
        generation: 0,
        closed: false,
        timers: new Set(),
        inHand: 0,
        waiting: [],
      };
      consumers.add(consumer);
      // A first attach that cannot succeed (broker gone, queue declared with other
      // arguments) fails the subscribe after publishTimeoutMs instead of hanging.
      await attach(consumer, Date.now() + publishTimeoutMs);
      if (consumer.channel === undefined) {
        consumer.closed = true;
        consumers.delete(consumer);
        if (closed) throw refuse();
        throw new DistroError("TRANSPORT_UNAVAILABLE", "RabbitMQ cannot be reached", { retryable: true });
      }
      return {
        async close() {
          if (consumer.closed) return;
          consumer.closed = true;
          consumers.delete(consumer);
          for (const timer of consumer.timers) clearTimeout(timer);
          consumer.timers.clear();
          const channel = consumer.channel;
          consumer.channel = undefined;
          // Closing the channel returns its unsettled deliveries to the queue.
          await channel?.close().catch(() => undefined);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const consumer of [...consumers]) {
        consumer.closed = true;
        for (const timer of consumer.timers) clearTimeout(timer);
        await consumer.channel?.close().catch(() => undefined);
        consumer.channel = undefined;
      }
      consumers.clear();
      const current = link;
      link = undefined;
      if (current !== undefined) {
        const opened = await current.catch(() => undefined);
        await opened?.connection.close().catch(() => undefined);
      }
    },
  };
}
