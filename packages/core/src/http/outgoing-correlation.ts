import {
  childTraceparent,
  formatTraceparent,
  getCorrelation,
  injectCorrelationHeaders,
  parseTraceparent,
  TRACEPARENT_HEADER,
} from "../correlation/index";

/**
 * Writes the current correlation context into an outgoing request's headers, with a new
 * child `traceparent`: same trace id as the current context, a fresh span id for this
 * call (a new trace when there is no context).
 */
export function injectOutgoingCorrelation(headers: Headers): void {
  const context = getCorrelation();
  const child = formatTraceparent(childTraceparent(parseTraceparent(context?.traceparent)));
  if (context === undefined) {
    headers.set(TRACEPARENT_HEADER, child);
    return;
  }
  injectCorrelationHeaders(headers, { ...context, traceparent: child });
}
