import { ConflictError, ValidationError } from "@distro/core";

/**
 * Label names and their values for one series.
 *
 * @example
 * ```ts
 * const labels: MetricLabels = { system: "erp", outcome: "success" };
 * ```
 */
export type MetricLabels = Readonly<Record<string, string | number>>;

/**
 * A value that only goes up (requests, failures).
 *
 * @example
 * ```ts
 * const calls: Counter = metrics.counter("distro_calls_total", { help: "Calls", labelNames: ["system"] });
 * calls.inc({ system: "erp" });
 * ```
 */
export interface Counter {
  /**
   * Adds to the series of these labels.
   *
   * @param labels - the series (every declared label name, no other)
   * @param value - how much (default 1, never negative)
   * @throws ValidationError when a label is missing or undeclared, or the value is negative
   */
  inc(labels?: MetricLabels, value?: number): void;
}

/**
 * A value that goes up and down (queue depth, lag).
 *
 * @example
 * ```ts
 * const depth: Gauge = metrics.gauge("distro_queue_depth", { help: "Queue depth", labelNames: ["system"] });
 * depth.set(3, { system: "erp" });
 * ```
 */
export interface Gauge {
  /**
   * Sets the series of these labels.
   *
   * @param value - the value
   * @param labels - the series
   */
  set(value: number, labels?: MetricLabels): void;
  /**
   * Adds to the series of these labels (negative to subtract).
   *
   * @param labels - the series
   * @param value - how much (default 1)
   */
  inc(labels?: MetricLabels, value?: number): void;
  /** Forgets every series (before a collector sets them afresh). */
  reset(): void;
}

/**
 * A distribution of observed values in buckets (latency, sizes).
 *
 * @example
 * ```ts
 * const latency: Histogram = metrics.histogram("distro_latency_seconds", { help: "Latency" });
 * latency.observe(0.042);
 * ```
 */
export interface Histogram {
  /**
   * Records one observation.
   *
   * @param value - the observed value (seconds for latency, by convention)
   * @param labels - the series
   */
  observe(value: number, labels?: MetricLabels): void;
}

/**
 * How a metric is declared.
 *
 * @example
 * ```ts
 * const options: MetricOptions = { help: "Upstream calls", labelNames: ["system", "outcome"] };
 * ```
 */
export interface MetricOptions {
  /** One line for people (`# HELP`). */
  help: string;
  /** The label names every series of it carries. */
  labelNames?: readonly string[];
}

/**
 * How a histogram is declared.
 *
 * @example
 * ```ts
 * const options: HistogramOptions = { help: "Latency", buckets: [0.05, 0.1, 0.5, 1] };
 * ```
 */
export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets, ascending (default: Prometheus' latency buckets in seconds). */
  buckets?: readonly number[];
}

/**
 * The metrics port: counters, gauges and histograms with labels. Code that records
 * metrics takes this interface, so any backend (this registry, an OpenTelemetry meter
 * adapter) can stand behind it.
 *
 * @example
 * ```ts
 * function instrument(metrics: Metrics) {
 *   return metrics.counter("distro_calls_total", { help: "Calls" });
 * }
 * ```
 */
export interface Metrics {
  /** Declares (or returns the already declared) counter. */
  counter(name: string, options: MetricOptions): Counter;
  /** Declares (or returns the already declared) gauge. */
  gauge(name: string, options: MetricOptions): Gauge;
  /** Declares (or returns the already declared) histogram. */
  histogram(name: string, options: HistogramOptions): Histogram;
}

/**
 * An in-memory {@link Metrics} that renders the Prometheus text format.
 *
 * @example
 * ```ts
 * const registry: MetricsRegistry = createMetricsRegistry();
 * registry.onCollect(() => depth.set(queue.size));
 * const text = await registry.expose();
 * ```
 */
export interface MetricsRegistry extends Metrics {
  /**
   * Adds a function run before each exposition, to set gauges from live state.
   *
   * @param collector - reads state and sets gauges
   */
  onCollect(collector: () => void | Promise<void>): void;
  /** Runs the collectors, then renders every metric in text format 0.0.4. */
  expose(): Promise<string>;
}

/** Prometheus' default histogram buckets (seconds). */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Kind = "counter" | "gauge" | "histogram";

interface Family {
  kind: Kind;
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  /** Series by their label key: a value, or bucket counts + sum + count. */
  series: Map<
    string,
    { labels: [string, string][]; value: number; counts: number[]; sum: number; count: number }
  >;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: readonly [string, string][]): string {
  return labels.length === 0
    ? ""
    : `{${labels.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`;
}

/**
 * Creates an in-memory metrics registry: counters, gauges and histograms with labels,
 * rendered in the Prometheus text exposition format 0.0.4 (see
 * {@link prometheusHandler}). Names and labels are checked as Prometheus defines them.
 *
 * @returns the registry
 * @example
 * ```ts
 * import { createMetricsRegistry } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * const calls = metrics.counter("distro_upstream_calls_total", { help: "Upstream calls", labelNames: ["system", "outcome"] });
 * calls.inc({ system: "erp", outcome: "success" });
 * const latency = metrics.histogram("distro_upstream_latency_seconds", { help: "Upstream latency", labelNames: ["system"] });
 * latency.observe(0.042, { system: "erp" });
 * await metrics.expose(); // "# HELP distro_upstream_calls_total Upstream calls\n# TYPE ..."
 * ```
 */
export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const collectors: (() => void | Promise<void>)[] = [];

  const declare = (kind: Kind, name: string, options: HistogramOptions): Family => {
    const issues = [];
    if (typeof name !== "string" || !METRIC_NAME.test(name))
      issues.push({
        code: "invalid_string",
        path: ["name"],
        message: "A metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*",
      });
    if (typeof options?.help !== "string")
      issues.push({ code: "invalid_type", path: ["help"], message: "Expected a help text" });
    const labelNames = options?.labelNames ?? [];
    labelNames.forEach((label, index) => {
      if (
        typeof label !== "string" ||
        !LABEL_NAME.test(label) ||
        label.startsWith("__") ||
        (kind === "histogram" && label === "le")
      )
        issues.push({
          code: "invalid_string",
          path: ["labelNames", index],
          message: `Label name ${String(label)} is not allowed`,
        });
    });
    if (new Set(labelNames).size !== labelNames.length)
      issues.push({ code: "invalid_value", path: ["labelNames"], message: "Label names repeat" });
    const buckets = [...(options?.buckets ?? DEFAULT_BUCKETS)];
    if (kind === "histogram") {
      if (
        buckets.length === 0 ||
        buckets.some((bound, index) => !Number.isFinite(bound) || (index > 0 && bound <= buckets[index - 1]!))
      )
        issues.push({
          code: "invalid_value",
          path: ["buckets"],
          message: "Buckets are finite and strictly ascending",
        });
    }
    if (issues.length > 0) throw new ValidationError(`Invalid metric ${String(name)}`, issues);
    const existing = families.get(name);
    if (existing) {
      if (existing.kind !== kind || existing.labelNames.join() !== labelNames.join())
        throw new ConflictError(
          `Metric ${name} is already declared as a ${existing.kind} with labels [${existing.labelNames.join(", ")}]`,
        );
      return existing;
    }
    const family: Family = {
      kind,
      name,
      help: options.help,
      labelNames: [...labelNames],
      buckets,
      series: new Map(),
    };
    families.set(name, family);
    return family;
  };

  const seriesOf = (family: Family, labels: MetricLabels = {}) => {
    const names = Object.keys(labels);
    const unknown = names.filter((name) => !family.labelNames.includes(name));
    const missing = family.labelNames.filter((name) => !(name in labels));
    if (unknown.length > 0 || missing.length > 0) {
      throw new ValidationError(`Labels of ${family.name} do not match its declaration`, [
        ...unknown.map((name) => ({
          code: "unrecognized_keys",
          path: ["labels", name],
          message: `${name} is not a label of ${family.name}`,
        })),
        ...missing.map((name) => ({
          code: "required",
          path: ["labels", name],
          message: `${name} is required`,
        })),
      ]);
    }
    const pairs = family.labelNames.map((name) => [name, String(labels[name])] as [string, string]);
    const key = JSON.stringify(pairs);
    let series = family.series.get(key);
    if (!series) {
      series = { labels: pairs, value: 0, counts: family.buckets.map(() => 0), sum: 0, count: 0 };
      family.series.set(key, series);
    }
    return series;
  };

  const finite = (value: number, path: string) => {
    if (typeof value !== "number" || Number.isNaN(value))
      throw new ValidationError("A metric value is a number", [
        { code: "invalid_type", path: [path], message: "Expected a number" },
      ]);
  };

  return {
    counter(name, options) {
      const family = declare("counter", name, options);
      return {
        inc(labels, value = 1) {
          finite(value, "value");
          if (value < 0)
            throw new ValidationError("A counter only goes up", [
              { code: "too_small", path: ["value"], message: "Expected a value ≥ 0" },
            ]);
          seriesOf(family, labels).value += value;
        },
      };
    },
    gauge(name, options) {
      const family = declare("gauge", name, options);
      return {
        set(value, labels) {
          finite(value, "value");
          seriesOf(family, labels).value = value;
        },
        inc(labels, value = 1) {
          finite(value, "value");
          seriesOf(family, labels).value += value;
        },
        reset() {
          family.series.clear();
        },
      };
    },
    histogram(name, options) {
      const family = declare("histogram", name, options);
      return {
        observe(value, labels) {
          finite(value, "value");
          const series = seriesOf(family, labels);
          family.buckets.forEach((bound, index) => {
            if (value <= bound) series.counts[index] = (series.counts[index] ?? 0) + 1;
          });
          series.sum += value;
          series.count += 1;
        },
      };
    },
    onCollect(collector) {
      collectors.push(collector);
    },
    async expose() {
      for (const collector of collectors) await collector();
      const lines: string[] = [];
      for (const family of [...families.values()].sort((left, right) =>
        left.name.localeCompare(right.name),
      )) {
        lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
        lines.push(`# TYPE ${family.name} ${family.kind}`);
        for (const series of family.series.values()) {
          if (family.kind !== "histogram") {
            lines.push(`${family.name}${labelText(series.labels)} ${formatValue(series.value)}`);
            continue;
          }
          family.buckets.forEach((bound, index) => {
            lines.push(
              `${family.name}_bucket${labelText([...series.labels, ["le", formatValue(bound)]])} ${series.counts[index] ?? 0}`,
            );
          });
          lines.push(`${family.name}_bucket${labelText([...series.labels, ["le", "+Inf"]])} ${series.count}`);
          lines.push(`${family.name}_sum${labelText(series.labels)} ${formatValue(series.sum)}`);
          lines.push(`${family.name}_count${labelText(series.labels)} ${series.count}`);
        }
      }
      return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
    },
  };
}

/**
 * The content type of the Prometheus text exposition format 0.0.4.
 *
 * @example
 * ```ts
 * new Response(await registry.expose(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * A Web-standard handler that answers with the registry in the Prometheus text format
 * (running its collectors first), for a scrape endpoint such as `/metrics`.
 *
 * @param registry - the registry to expose
 * @param settings - `authorize` to refuse scrapes (403) the host does not approve
 * @returns the handler
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createMetricsRegistry, prometheusHandler, toNodeListener } from "@distro/console";
 *
 * const metrics = createMetricsRegistry();
 * createServer(toNodeListener(prometheusHandler(metrics))).listen(9464, "127.0.0.1");
 * ```
 */
export function prometheusHandler(
  registry: Pick<MetricsRegistry, "expose">,
  settings: { authorize?: (request: Request) => boolean | Promise<boolean> } = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (settings.authorize) {
      let allowed = false;
      try {
        allowed = (await settings.authorize(request)) === true;
      } catch {
        allowed = false;
      }
      if (!allowed)
        return new Response("Forbidden\n", { status: 403, headers: { "content-type": "text/plain" } });
    }
    if (request.method !== "GET" && request.method !== "HEAD")
      return new Response("Use GET\n", {
        status: 405,
        headers: { allow: "GET, HEAD", "content-type": "text/plain" },
      });
    const body = await registry.expose();
    return new Response(request.method === "HEAD" ? null : body, {
      status: 200,
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
    });
  };
}
