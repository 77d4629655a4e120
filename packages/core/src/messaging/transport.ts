/** A message as it travels: the serialised CloudEvent and its ordering key. */
export interface TransportMessage {
  /** The serialised message (a CloudEvent in JSON structured mode). */
  body: string;
  /** The ordering (partition) key, when the message has one. */
  key?: string;
}

/** Where {@link Transport.publish} delivers a message. */
export interface TransportPublishOptions {
  /**
   * Deliver only to this subscription (used to replay a dead letter to the one
   * subscriber that failed it); by default every subscription gets the message.
   */
  subscription?: string;
}

/** One delivery of a message to one consumer. Settle it with `ack` or `nack`, once. */
export interface TransportDelivery {
  /** The serialised message, exactly as published. */
  readonly body: string;
  /** The ordering key, when the message has one. */
  readonly key: string | undefined;
  /** 1 on the first delivery, one more on each redelivery. */
  readonly deliveryCount: number;
  /**
   * Settles the delivery as done: it will not be delivered again.
   *
   * @returns nothing, or a promise for transports that confirm acks
   */
  ack(): void | Promise<void>;
  /**
   * Gives the delivery back: it will be delivered again (to this or another consumer of
   * the subscription), after `delayMs` when given.
   *
   * @param options - how long to wait before the redelivery
   * @returns nothing, or a promise for transports that confirm nacks
   */
  nack(options?: { delayMs?: number }): void | Promise<void>;
}

/** Settings of one consumer. */
export interface TransportSubscribeOptions {
  /** At most this many unsettled deliveries are handed to the consumer at once (default 256). */
  prefetch?: number;
}

/** A running consumer of a subscription. */
export interface TransportConsumer {
  /**
   * Stops the consumer. Its unsettled deliveries are delivered again to the other (or
   * next) consumers of the subscription, as after a crash.
   *
   * @returns when stopped
   */
  close(): Promise<void>;
}

/**
 * The port under the bus: named subscriptions (each gets every message; consumers of one
 * subscription share its messages), at-least-once delivery with ack / nack, a bound on
 * unsettled deliveries per consumer, and back-pressure on publishers. The in-process
 * default is {@link createMemoryTransport}; RabbitMQ and NATS JetStream adapters live in
 * their own packages and pass the same conformance suite.
 *
 * @example
 * ```ts
 * import { createMemoryTransport } from "@distro/core";
 *
 * const transport = createMemoryTransport();
 * await transport.subscribe("billing", (delivery) => {
 *   console.log(delivery.body);
 *   delivery.ack();
 * });
 * await transport.publish({ body: '{"id":"1"}' });
 * ```
 */
export interface Transport {
  /**
   * Publishes a message to every subscription (or to one). Waits while a target
   * subscription's queue is full.
   *
   * @param message - the body and ordering key
   * @param options - an optional single target subscription
   * @returns once the transport has accepted the message
   */
  publish(message: TransportMessage, options?: TransportPublishOptions): Promise<void>;
  /**
   * Starts a consumer on a named subscription, creating the subscription when new.
   *
   * @param subscription - the subscription's name (a durable queue, a consumer group)
   * @param handler - called for each delivery; settle it with `ack` or `nack`
   * @param options - prefetch
   * @returns the consumer, to close
   */
  subscribe(
    subscription: string,
    handler: (delivery: TransportDelivery) => void,
    options?: TransportSubscribeOptions,
  ): Promise<TransportConsumer>;
  /**
   * Stops every consumer and refuses further publishes.
   *
   * @returns when closed
   */
  close(): Promise<void>;
}
