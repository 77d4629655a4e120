/**
 * `@distro/transport-nats`: the distro bus `Transport` on NATS JetStream, with acks,
 * redelivery with backoff (`nak` with a delay), dedupe by `Nats-Msg-Id`, durable pull
 * consumers, dead letters after a maximum of deliveries, and reconnection.
 *
 * @module
 */
export * from "./nats-transport";
