import type { CorrelationContext } from "../correlation/context";
import type { CloudEvent } from "../envelope/cloud-event";
import { CORRELATION_ID_ATTRIBUTE, type Span, type Tracer } from "./tracing";

/**
 * The consumer span of one delivery handled by a bus subscription (all its attempts):
 * a child of the event's `traceparent`, so a trace continues across the bus. Attributes
 * follow the OpenTelemetry messaging and CloudEvents conventions. Internal to the bus.
 *
 * @param tracer - the bus's tracer
 * @param subscriber - the subscription's name
 * @param event - the event being handled
 * @param correlation - the correlation context the handler runs in
 * @returns the started span
 */
export function startConsumerSpan(
  tracer: Tracer,
  subscriber: string,
  event: CloudEvent,
  correlation: CorrelationContext,
): Span {
  return tracer.startSpan(`process ${subscriber}`, {
    kind: "consumer",
    ...(correlation.traceparent === undefined ? {} : { parent: correlation.traceparent }),
    attributes: {
      "messaging.system": "distro",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": subscriber,
      "messaging.consumer.group.name": subscriber,
      "messaging.message.id": event.id,
      "messaging.message.conversation_id": correlation.correlationId,
      "cloudevents.event_id": event.id,
      "cloudevents.event_source": event.source,
      "cloudevents.event_type": event.type,
      "cloudevents.event_subject": event.subject,
      [CORRELATION_ID_ATTRIBUTE]: correlation.correlationId,
    },
  });
}
