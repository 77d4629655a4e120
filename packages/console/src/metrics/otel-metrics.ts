import { ConflictError, ValidationError, type ValidationIssue } from "@distro/core";
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  MetricLabels,
  MetricOptions,
  Metrics,
  MetricsRegistry,
} from "./registry";

/**
 * Attributes as an OpenTelemetry instrument takes them.
 *
 * @example
 * ```ts
 * const attributes: OtelMetricAttributes = { system: "erp" };
 * ```
 */
export type OtelMetricAttributes = Record<string, string | number>;

/**
 * The part of an OpenTelemetry counter that the bridge uses.
 *
 * @example
 * ```ts
 * const counter: OtelCounter = meter.createCounter("distro_upstream_calls_total");
 * counter.add(1, { system: "erp" });
 * ```
 */
export interface OtelCounter {
  /**
   * Adds to the counter.
   *
   * @param value - how much (never negative)
   * @param attributes - the series
   */
  add(value: number, attributes?: OtelMetricAttributes): void;
}

/**
 * The part of an OpenTelemetry histogram that the bridge uses.
 *
 * @example
 * ```ts
 * const histogram: OtelHistogram = meter.createHistogram("distro_upstream_latency_seconds");
 * histogram.record(0.042, { system: "erp" });
 * ```
 */
export interface OtelHistogram {
  /**
   * Records one value.
   *
   * @param value - the observed value
   * @param attributes - the series
   */
  record(value: number, attributes?: OtelMetricAttributes): void;
}

/**
 * What an observable gauge's callback reports its series to.
 *
 * @example
 * ```ts
 * gauge.addCallback((result: OtelObservableResult) => result.observe(3, { system: "erp" }));
 * ```
 */
export interface OtelObservableResult {
  /**
   * Reports the value of one series.
   *
   * @param value - the value
   * @param attributes - the series
   */
  observe(value: number, attributes?: OtelMetricAttributes): void;
}

/**
 * The part of an OpenTelemetry observable gauge that the bridge uses.
 *
 * @example
 * ```ts
 * const gauge: OtelObservableGauge = meter.createObservableGauge("distro_queue_depth");
 * gauge.addCallback((result) => result.observe(queue.size, { system: "erp" }));
 * ```
 */
export interface OtelObservableGauge {
  /**
   * Adds a callback the SDK calls at each collection.
   *
   * @param callback - reports the series
   */
  addCallback(callback: (result: OtelObservableResult) => void | Promise<void>): void;
}

/**
 * The part of an OpenTelemetry `Meter` (`@opentelemetry/api`) that {@link createOtelMetrics}
 * uses. A real `Meter` fits it; it is written out here so that `@distro/console` needs no
 * OpenTelemetry package itself.
 *
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 *
 * const meter: OtelMeter = metrics.getMeter("order-service");
 * ```
 */
export interface OtelMeter {
  /**
   * Creates a monotonic counter.
   *
   * @param name - the instrument's name
   * @param options - its description
   * @returns the counter
   */
  createCounter(name: string, options?: { description?: string }): OtelCounter;
  /**
   * Creates a histogram.
   *
   * @param name - the instrument's name
   * @param options - its description and, as advice, its bucket bounds
   * @returns the histogram
   */
  createHistogram(
    name: string,
    options?: { description?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): OtelHistogram;
  /**
   * Creates a gauge read by callbacks at each collection.
   *
   * @param name - the instrument's name
   * @param options - its description
   * @returns the gauge
   */
  createObservableGauge(name: string, options?: { description?: string }): OtelObservableGauge;
}

/**
 * The metrics port with collectors: what {@link registerConsoleMetrics} needs. Both the
 * Prometheus registry and the OpenTelemetry bridge are one.
 *
 * @example
 * ```ts
 * const target: CollectingMetrics = createMetricsRegistry();
 * ```
 */
export type CollectingMetrics = Metrics & Pick<MetricsRegistry, "onCollect">;

type Kind = "counter" | "gauge" | "histogram";

interface Declared {
  kind: Kind;
  labelNames: readonly string[];
  instrument: Counter | Gauge | Histogram;
}

/**
 * Bridges distro's {@link Metrics} port to an OpenTelemetry meter, so the metrics distro
 * records (and the console's gauges, through {@link registerConsoleMetrics}) reach
 * whatever exporter the host's OpenTelemetry SDK has (OTLP, Prometheus, ...).
 *
 * - A counter is an OpenTelemetry counter; a histogram a histogram whose buckets are
 *   given as advice (`explicitBucketBoundaries`).
 * - A gauge is an observable gauge: `set`, `inc` and `reset` keep the series in memory
 *   and each collection reports them, after running the collectors added with
 *   `onCollect` (once per collection, however many gauges there are).
 * - Labels are checked against the declaration as the Prometheus registry checks them;
 *   declaring a name again returns the same metric, or throws `ConflictError` when the
 *   kind or the labels differ.
 *
 * @param meter - an OpenTelemetry meter, e.g. `metrics.getMeter("order-service")`
 * @returns the port, with `onCollect`
 * @throws ValidationError from a metric when its labels do not match or a counter would go down
 * @example
 * ```ts
 * import { metrics } from "@opentelemetry/api";
 * import { createOtelMetrics, registerConsoleMetrics } from "@distro/console";
 *
 * const otel = createOtelMetrics(metrics.getMeter("order-service"));
 * otel.counter("distro_upstream_calls_total", { help: "Upstream calls", labelNames: ["system"] }).inc({ system: "erp" });
 * registerConsoleMetrics(otel, { bus }); // dead letters, flows, lag ... as observable gauges
 * ```
 */
export function createOtelMetrics(meter: OtelMeter): CollectingMetrics {
  const declared = new Map<string, Declared>();
  const collectors: (() => void | Promise<void>)[] = [];
  let gauges = 0;
  /** The collectors' run the gauges of the current collection read, and which have read it. */
  let current: { done: Promise<void>; readers: Set<number> } | undefined;

  const runCollectors = async (): Promise<void> => {
    for (const collector of collectors) await collector();
  };

  /**
   * A collection calls each gauge's callback once: the collectors run for the first
   * gauge that reads, the others wait for that run, and a gauge that reads again starts
   * the next collection.
   */
  const collectFor = (gauge: number): Promise<void> => {
    if (current === undefined || current.readers.has(gauge)) {
      current = { done: runCollectors(), readers: new Set() };
    }
    current.readers.add(gauge);
    const { done } = current;
    if (current.readers.size === gauges) current = undefined;
    return done;
  };

  const declare = <M extends Counter | Gauge | Histogram>(
    kind: Kind,
    name: string,
    options: MetricOptions,
    create: (labelNames: readonly string[]) => M,
  ): M => {
    if (typeof name !== "string" || name.length === 0) {
      throw new ValidationError("Invalid metric name", [
        { code: "invalid_type", path: ["name"], message: "Expected a non-empty name" },
      ]);
    }
    const labelNames = [...(options?.labelNames ?? [])];
    const existing = declared.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind || existing.labelNames.join() !== labelNames.join()) {
        throw new ConflictError(
          `Metric ${name} is already declared as a ${existing.kind} with labels [${existing.labelNames.join(", ")}]`,
        );
      }
      return existing.instrument as M;
    }
    const instrument = create(labelNames);
    declared.set(name, { kind, labelNames, instrument });
    return instrument;
  };

  return {
    counter(name, options) {
      return declare("counter", name, options, (labelNames) => {
        const counter = meter.createCounter(name, { description: options.help });
        return {
          inc(labels, value = 1) {
            checkValue(value);
            if (value < 0) {
              throw new ValidationError("A counter only goes up", [
                { code: "too_small", path: ["value"], message: "Expected a value ≥ 0" },
              ]);
            }
            counter.add(value, attributesOf(name, labelNames, labels));
          },
        };
      });
    },
    gauge(name, options) {
      return declare("gauge", name, options, (labelNames) => {
        const series = new Map<string, { attributes: OtelMetricAttributes; value: number }>();
        const seriesOf = (labels: MetricLabels | undefined) => {
          const attributes = attributesOf(name, labelNames, labels);
          const key = JSON.stringify(labelNames.map((label) => attributes[label]));
          let found = series.get(key);
          if (found === undefined) {
            found = { attributes, value: 0 };
            series.set(key, found);
          }
          return found;
        };
        const gauge = gauges++;
        meter.createObservableGauge(name, { description: options.help }).addCallback(async (result) => {
          await collectFor(gauge);
          for (const { attributes, value } of series.values()) result.observe(value, attributes);
        });
        return {
          set(value, labels) {
            checkValue(value);
            seriesOf(labels).value = value;
          },
          inc(labels, value = 1) {
            checkValue(value);
            seriesOf(labels).value += value;
          },
          reset() {
            series.clear();
          },
        };
      });
    },
    histogram(name, options: HistogramOptions) {
      return declare("histogram", name, options, (labelNames) => {
        const histogram = meter.createHistogram(name, {
          description: options.help,
          ...(options.buckets === undefined
            ? {}
            : { advice: { explicitBucketBoundaries: [...options.buckets] } }),
        });
        return {
          observe(value, labels) {
            checkValue(value);
            histogram.record(value, attributesOf(name, labelNames, labels));
          },
        };
      });
    },
    onCollect(collector) {
      collectors.push(collector);
    },
  };
}

function checkValue(value: number): void {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ValidationError("A metric value is a number", [
      { code: "invalid_type", path: ["value"], message: "Expected a number" },
    ]);
  }
}

/** The labels as attributes, every declared label given and no other (as the registry checks). */
function attributesOf(
  name: string,
  labelNames: readonly string[],
  labels: MetricLabels = {},
): OtelMetricAttributes {
  const issues: ValidationIssue[] = [];
  for (const label of Object.keys(labels)) {
    if (!labelNames.includes(label)) {
      issues.push({
        code: "unrecognized_keys",
        path: ["labels", label],
        message: `${label} is not a label of ${name}`,
      });
    }
  }
  const attributes: OtelMetricAttributes = {};
  for (const label of labelNames) {
    if (!(label in labels)) {
      issues.push({ code: "required", path: ["labels", label], message: `${label} is required` });
      continue;
    }
    attributes[label] = String(labels[label]);
  }
  if (issues.length > 0) throw new ValidationError(`Labels of ${name} do not match its declaration`, issues);
  return attributes;
}
