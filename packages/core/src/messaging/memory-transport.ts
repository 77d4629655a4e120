import { DistroError } from "../errors/index";
import { DELIVERED_MESSAGE, InProcessMessage, markInProcess } from "./in-process";
import type {
  Transport,
  TransportConsumer,
  TransportDelivery,
  TransportMessage,
  TransportPublishOptions,
  TransportSubscribeOptions,
} from "./transport";

/** Settings of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /**
   * At most this many messages wait in one subscription's queue (not counting those
   * handed to consumers); a publisher waits while a target queue is full (default 10,000).
   */
  capacity?: number;
}

const ACCEPTED: Promise<void> = Promise.resolve();

function enqueue(targets: readonly Subscription[], message: TransportMessage): void {
  // A message the bus published in process is immutable and shared by every subscription
  // (its body is written only if someone reads it); any other message is copied once, so
  // a publisher that reuses its object changes nothing in flight.
  const held: TransportMessage =
    message instanceof InProcessMessage ? message : { body: message.body, key: message.key };
  for (const subscription of targets) {
    subscription.queue.push({ message: held, deliveryCount: 1 });
    subscription.schedule();
  }
}

interface Entry {
  message: TransportMessage;
  deliveryCount: number;
}

interface Consumer {
  handler: (delivery: TransportDelivery) => void;
  prefetch: number;
  unsettled: Set<Entry>;
  closed: boolean;
}

class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) {
      this.head -= 1;
      this.items[this.head] = item;
    } else {
      this.items.unshift(item);
    }
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

class MemoryDelivery implements TransportDelivery {
  readonly [DELIVERED_MESSAGE]: TransportMessage;
  readonly key: string | undefined;
  readonly deliveryCount: number;

  constructor(
    private readonly subscription: Subscription,
    private readonly consumer: Consumer,
    private readonly entry: Entry,
  ) {
    this[DELIVERED_MESSAGE] = entry.message;
    this.key = entry.message.key;
    this.deliveryCount = entry.deliveryCount;
  }

  get body(): string {
    return this.entry.message.body;
  }

  ack(): void {
    this.subscription.settle(this.consumer, this.entry);
  }

  nack(options?: { delayMs?: number }): void {
    if (this.subscription.settle(this.consumer, this.entry)) {
      this.subscription.redeliver(this.entry, options?.delayMs ?? 0);
    }
  }
}

class Subscription {
  readonly queue = new Queue<Entry>();
  readonly consumers: Consumer[] = [];
  private next = 0;
  private scheduled = false;
  private dispatching = false;
  readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  hasRoom(): boolean {
    return this.queue.length < this.capacity;
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private pick(): Consumer | undefined {
    const count = this.consumers.length;
    for (let offset = 0; offset < count; offset++) {
      const consumer = this.consumers[(this.next + offset) % count]!;
      if (!consumer.closed && consumer.unsettled.size < consumer.prefetch) {
        this.next = (this.next + offset + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  dispatch(): void {
    this.dispatching = true;
    try {
      while (this.queue.length > 0) {
        const consumer = this.pick();
        if (consumer === undefined) break;
        const entry = this.queue.shift()!;
        this.deliver(consumer, entry);
      }
    } finally {
      this.dispatching = false;
    }
    while (this.waiting.length > 0 && this.hasRoom()) this.waiting.shift()!();
  }

  private deliver(consumer: Consumer, entry: Entry): void {
    consumer.unsettled.add(entry);
    consumer.handler(new MemoryDelivery(this, consumer, entry));
  }

  settle(consumer: Consumer, entry: Entry): boolean {
    if (consumer.closed || !consumer.unsettled.delete(entry)) return false;
    // Settled while delivering (a consumer that finishes at once): the loop goes on by itself.
    if (!this.dispatching) this.schedule();
    return true;
  }

  redeliver(entry: Entry, delayMs: number): void {
    const again: Entry = { message: entry.message, deliveryCount: entry.deliveryCount + 1 };
    if (delayMs > 0) {
      setTimeout(() => {
        this.queue.push(again);
        this.schedule();
      }, delayMs);
    } else {
      this.queue.unshift(again);
    }
  }

  remove(consumer: Consumer): void {
    consumer.closed = true;
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
    const pending = [...consumer.unsettled].reverse();
    consumer.unsettled.clear();
    for (const entry of pending) {
      this.queue.unshift({ message: entry.message, deliveryCount: entry.deliveryCount + 1 });
    }
    this.schedule();
  }
}

/**
 * The in-process {@link Transport}: one bounded queue per named subscription, delivery
 * to its consumers in publish order (a redelivery goes back to the front), at most
 * `prefetch` unsettled deliveries per consumer, and publishers that wait while a queue
 * is full, so memory stays bounded. Unsettled deliveries of a closed consumer are
 * delivered again. Messages published before any subscription exists reach nobody:
 * subscribe first.
 *
 * @param options - queue capacity
 * @returns the transport
 * @example
 * ```ts
 * import { createBus, createMemoryTransport } from "@distro/core";
 *
 * const bus = createBus({ transport: createMemoryTransport({ capacity: 1_000 }) });
 * ```
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const capacity = Math.max(1, options.capacity ?? 10_000);
  const subscriptions = new Map<string, Subscription>();
  let closed = false;

  const refuse = () => new DistroError("TRANSPORT_CLOSED", "The transport is closed", { retryable: false });

  const waitForRoom = async (targets: Subscription[]): Promise<void> => {
    for (;;) {
      if (closed) throw refuse();
      const full = targets.find((subscription) => !subscription.hasRoom());
      if (full === undefined) return;
      await new Promise<void>((resolve) => full.waiting.push(resolve));
    }
  };

  // Every subscription, as publish targets them; rebuilt when one is added.
  let everyone: Subscription[] | undefined;

  return markInProcess({
    publish(message: TransportMessage, publishOptions?: TransportPublishOptions): Promise<void> {
      if (closed) return Promise.reject(refuse());
      let targets: Subscription[];
      if (publishOptions?.subscription !== undefined) {
        const target = subscriptions.get(publishOptions.subscription);
        if (target === undefined) {
          return Promise.reject(
            new DistroError(
              "SUBSCRIPTION_NOT_FOUND",
              `No subscription named ${publishOptions.subscription}`,
              {
                details: { subscription: publishOptions.subscription },
              },
            ),
          );
        }
        targets = [target];
      } else {
        everyone ??= [...subscriptions.values()];
        targets = everyone;
      }
      for (const subscription of targets) {
        if (!subscription.hasRoom()) return waitForRoom(targets).then(() => enqueue(targets, message));
      }
      enqueue(targets, message);
      // Accepted at once: the shared settled promise costs no allocation per message.
      return ACCEPTED;
    },
    async subscribe(
      name: string,
      handler,
      subscribeOptions?: TransportSubscribeOptions,
    ): Promise<TransportConsumer> {
      if (closed) throw refuse();
      let subscription = subscriptions.get(name);
      if (subscription === undefined) {
        subscription = new Subscription(capacity);
        subscriptions.set(name, subscription);
        everyone = undefined;
      }
      const consumer: Consumer = {
        handler,
        prefetch: Math.max(1, subscribeOptions?.prefetch ?? 256),
        unsettled: new Set(),
        closed: false,
      };
      subscription.consumers.push(consumer);
      subscription.schedule();
      const owner = subscription;
      return {
        async close() {
          if (!consumer.closed) owner.remove(consumer);
        },
      };
    },
    async close() {
      closed = true;
      for (const subscription of subscriptions.values()) {
        for (const consumer of [...subscription.consumers]) subscription.remove(consumer);
        for (const wake of subscription.waiting.splice(0)) wake();
      }
    },
  });
}
