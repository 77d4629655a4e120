import type { HttpHooks, HttpResponseEvent } from "@distro/core";
import type { Metrics } from "./registry";

/**
 * Settings of {@link httpClientMetrics}.
 *
 * @example
 * ```ts
 * const settings: HttpClientMetricsSettings = { upstream: "erp", buckets: [0.1, 0.5, 1, 5] };
 * ```
 */
export interface HttpClientMetricsSettings {
  /** The `upstream` label (default: the client's `system`). */
  upstream?: string;
  /** Upper bounds of the duration buckets, in seconds (default {@link UPSTREAM_DURATION_BUCKETS}). */
  buckets?: readonly number[];
}

/**
 * The default duration buckets of `distro_upstream_request_duration_seconds`: Prometheus'
 * latency buckets up to 10 s, then 30 s (the HTTP client's default time budget).
 *
 * @example
 * ```ts
 * httpClientMetrics(metrics, { buckets: [...UPSTREAM_DURATION_BUCKETS, 60] });
 * ```
 */
export const UPSTREAM_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

/** Methods kept as they are; any other becomes `_OTHER` (as OpenTelemetry's HTTP conventions do). */
const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "CONNECT",
]);

/**
 * How one send ended, as the `outcome` label says it: `success` (2xx), `redirect` (3xx
 * not followed), `rate_limited` (429), `client_error` (other 4xx), `server_error` (5xx),
 * `timeout`, `aborted` or `network_error` (no response).
 *
 * @param event - what the client's `onResponse` hook was told
 * @returns the outcome
 * @example
 * ```ts
 * upstreamOutcome({ system: "erp", method: "GET", url: "https://erp.example.com/x", attempt: 1, status: 429, durationMs: 12 }); // "rate_limited"
 * ```
 */
export function upstreamOutcome(event: HttpResponseEvent): string {
  const { status } = event;
  if (status === 0) {
    const code = event.error?.code;
    if (code === "TIMEOUT") return "timeout";
    if (code === "ABORTED") return "aborted";
    return "network_error";
  }
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  if (status >= 300) return "redirect";
  return "success";
}

/**
 * Hooks for the core HTTP client (`createHttpClient({ hooks })`) that record every send,
 * retries included, as it happens:
 *
 * - `distro_upstream_request_duration_seconds` (histogram; `upstream`, `method`,
 *   `status_class`): from the send to the end of the body, per send. `status_class` is
 *   `2xx` … `5xx`, or `none` when no response arrived.
 * - `distro_upstream_requests_total` (counter; `upstream`, `method`, `outcome`,
 *   `attempt`): sends by how they ended (see {@link upstreamOutcome}); `attempt` is
 *   `first`, or `retry` for a retry or the repeat after a token refresh.
 *
 * Labels carry no URL, path or query (where ids and credentials travel); a method outside
 * the standard ones is counted as `_OTHER`.
 *
 * @param metrics - where to record: the Prometheus registry or the OpenTelemetry bridge
 * @param settings - the `upstream` label (default: the client's system) and duration buckets
 * @returns the hooks, for `createHttpClient({ hooks })`
 * @example
 * ```ts
 * import { createHttpClient } from "@distro/core";
 * import { createMetricsRegistry, httpClientMetrics } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * const erp = createHttpClient({
 *   baseUrl: "https://erp.example.com/api/",
 *   system: "erp",
 *   hooks: httpClientMetrics(metrics, { upstream: "erp" }),
 * });
 * ```
 */
export function httpClientMetrics(metrics: Metrics, settings: HttpClientMetricsSettings = {}): HttpHooks {
  const duration = metrics.histogram("distro_upstream_request_duration_seconds", {
    help: "Upstream HTTP send duration, to the end of the body, per send (retries are sends)",
    labelNames: ["upstream", "method", "status_class"],
    buckets: settings.buckets ?? UPSTREAM_DURATION_BUCKETS,
  });
  const requests = metrics.counter("distro_upstream_requests_total", {
    help: "Upstream HTTP sends by outcome, first sends and retries",
    labelNames: ["upstream", "method", "outcome", "attempt"],
  });
  return {
    onResponse(event) {
      const upstream = settings.upstream ?? event.system;
      const upper = event.method.toUpperCase();
      const method = KNOWN_METHODS.has(upper) ? upper : "_OTHER";
      const statusClass =
        event.status >= 100 && event.status <= 599 ? `${Math.floor(event.status / 100)}xx` : "none";
      duration.observe(Math.max(0, event.durationMs) / 1000, { upstream, method, status_class: statusClass });
      requests.inc({
        upstream,
        method,
        outcome: upstreamOutcome(event),
        attempt: event.attempt > 1 ? "retry" : "first",
      });
    },
  };
}
