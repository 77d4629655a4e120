import { getCorrelation } from "../correlation/context";
import { ValidationError } from "../errors/validation-error";
import { createRedactor, type RedactionRules, type Redactor } from "./redact";

/** How important a log line is, from least to most. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/**
 * The logging port distro writes to. Every line carries the correlation id (and
 * traceparent, causation id and tenant) of the context it is written in.
 */
export interface Logger {
  /** Writes a `debug` line. */
  debug(message: string, fields?: LogFields): void;
  /** Writes an `info` line. */
  info(message: string, fields?: LogFields): void;
  /** Writes a `warn` line. */
  warn(message: string, fields?: LogFields): void;
  /** Writes an `error` line. */
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line (e.g. `{ system: "erp" }`). */
  child(bindings: LogFields): Logger;
  /** Whether lines of `level` are written (to skip building costly fields). */
  isLevelEnabled(level: LogLevel): boolean;
}

/** Anything with a `write` method, such as a Node writable stream. */
export interface LogWriter {
  /**
   * Writes one line (ending with a newline).
   *
   * @param line - the JSON line
   */
  write(line: string): unknown;
}

/** Where JSON lines go: a function, or a {@link LogWriter} such as `process.stdout`. */
export type LogSink = ((line: string) => void) | LogWriter;

/** Settings of {@link createLogger}. */
export interface LoggerSettings {
  /** Where lines go; `process.stdout` by default. Each line ends with `\n`. */
  sink?: LogSink;
  /** The least important level written (`info` by default); `silent` writes nothing. */
  level?: LogLevel | "silent";
  /** Redaction rules applied to every line before it is written, or `false` to turn redaction off. */
  redact?: RedactionRules | false;
  /** Fields added to every line. */
  bindings?: LogFields;
  /** The current time (defaults to `new Date()`). */
  clock?: () => Date;
}

const LEVEL_ORDER: Record<LogLevel | "silent", number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};
const RESERVED = new Set(["time", "level", "msg"]);

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

function toWrite(sink: LogSink): (line: string) => void {
  if (typeof sink === "function") return sink;
  return (line) => {
    sink.write(line);
  };
}

/**
 * Creates a logger that writes one JSON object per line: `time`, `level`, `msg`, the
 * correlation fields of the current context (`correlationId`, `causationId`,
 * `traceparent`, `tenant`), the bindings and the line's fields. Each line is redacted
 * before it is written (passwords, tokens, card data, e-mail, phone, street address,
 * and secrets inside strings by default). Errors among the fields are serialised with
 * their code and cause chain.
 *
 * @param settings - sink, level, redaction rules, bindings, clock
 * @returns the logger
 * @throws ValidationError - when the level is not one of the known levels
 * @example
 * ```ts
 * import { createLogger, withCorrelation } from "@distro/core";
 *
 * const logger = createLogger({ level: "info", bindings: { service: "order-sync" } });
 * withCorrelation({ correlationId: "order-1001" }, () => {
 *   logger.info("order booked", { orderNumber: "SO-1001", customer: { email: "jane@example.com" } });
 * });
 * // {"time":"…","level":"info","msg":"order booked","correlationId":"order-1001","service":"order-sync",
 * //  "orderNumber":"SO-1001","customer":{"email":"[REDACTED]"}}
 * ```
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const level = settings.level ?? "info";
  if (!Object.hasOwn(LEVEL_ORDER, level)) {
    throw new ValidationError(`Unknown log level: ${String(level)}`, [
      { code: "invalid_enum_value", path: ["level"], message: "Expected debug, info, warn, error or silent" },
    ]);
  }
  const write = toWrite(settings.sink ?? process.stdout);
  // Without redaction, lines are still made JSON-safe (errors, cycles, dates, bytes).
  const redactor: Redactor =
    settings.redact === false
      ? createRedactor({ defaultKeys: false, scanStrings: false })
      : createRedactor(settings.redact ?? {});
  const clock = settings.clock ?? (() => new Date());
  return buildLogger(LEVEL_ORDER[level], write, redactor, clock, settings.bindings ?? {});
}

function buildLogger(
  threshold: number,
  write: (line: string) => void,
  redactor: Redactor,
  clock: () => Date,
  bindings: LogFields,
): Logger {
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[level] < threshold) return;
    const text = String(message);
    const record: LogFields = {
      time: clock().toISOString(),
      level,
      msg: redactor(text),
    };
    const context = getCorrelation();
    if (context !== undefined) {
      record["correlationId"] = context.correlationId;
      if (context.causationId !== undefined) record["causationId"] = context.causationId;
      if (context.traceparent !== undefined) record["traceparent"] = context.traceparent;
      if (context.tenant !== undefined) record["tenant"] = context.tenant;
    }
    const payload: LogFields = {};
    for (const key in bindings) if (!RESERVED.has(key)) payload[key] = bindings[key];
    if (fields !== undefined) for (const key in fields) if (!RESERVED.has(key)) payload[key] = fields[key];
    const safe = redactor(payload) as LogFields;
    for (const key in safe) record[key] = safe[key];
    write(`${JSON.stringify(record, jsonReplacer)}\n`);
  };
  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
    child: (more) => buildLogger(threshold, write, redactor, clock, { ...bindings, ...more }),
    isLevelEnabled: (level) => LEVEL_ORDER[level] >= threshold,
  };
}

/** A sink that keeps lines in memory, for tests and for showing recent lines in a console. */
export interface MemoryLogSink {
  /** Appends a line (pass this as the logger's `sink`). */
  write(line: string): void;
  /** The lines written so far, without their trailing newline. */
  readonly lines: string[];
  /** The lines parsed back into objects. */
  records(): LogFields[];
  /** Forgets every line. */
  clear(): void;
}

/**
 * A {@link LogSink} that keeps the lines in memory (at most `limit`, the oldest dropped).
 *
 * @param limit - the most lines kept (default 10,000)
 * @returns the sink
 * @example
 * ```ts
 * import { createLogger, createMemoryLogSink } from "@distro/core";
 *
 * const sink = createMemoryLogSink();
 * createLogger({ sink }).info("hello");
 * sink.records()[0]?.msg; // "hello"
 * ```
 */
export function createMemoryLogSink(limit = 10_000): MemoryLogSink {
  const lines: string[] = [];
  return {
    lines,
    write(line) {
      lines.push(line.endsWith("\n") ? line.slice(0, -1) : line);
      if (lines.length > limit) lines.splice(0, lines.length - limit);
    },
    records: () => lines.map((line) => JSON.parse(line) as LogFields),
    clear() {
      lines.length = 0;
    },
  };
}
