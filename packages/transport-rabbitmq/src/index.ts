/**
 * `@distro/transport-rabbitmq`: the distro bus `Transport` on RabbitMQ, with publisher
 * confirms, durable quorum queues, a dead-letter exchange, prefetch as back-pressure,
 * per-key ordering through key-hash partitions with a single active consumer each, and
 * reconnection after the broker connection drops.
 *
 * @module
 */
export * from "./rabbitmq-transport";
