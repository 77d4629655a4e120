import { ValidationError } from "@distro/core";
import type { SimulatorRequest } from "./router";

/** Which requests a fault applies to, and how often. Without `times` or `ratio` it applies to every match until removed. */
export interface FaultTarget {
  /** Apply to at most this many matching requests, then retire. */
  times?: number;
  /** Apply to each matching request with this probability (0..1), drawn from the simulator's `random`. */
  ratio?: number;
  /** Only requests with this method (upper-case). */
  method?: string;
  /** Only requests whose path equals this string or matches this pattern. */
  path?: string | RegExp;
  /** Only requests for which this returns true. */
  where?: (request: SimulatorRequest) => boolean;
}

/** Delay the response by `ms` milliseconds (the request is then served normally). */
export interface LatencyFault extends FaultTarget {
  kind: "latency";
  /** The delay in milliseconds. */
  ms: number;
}

/** Answer 429 Too Many Requests with a `Retry-After` header (seconds), in the simulator's own body shape. */
export interface RateLimitFault extends FaultTarget {
  kind: "rate-limit";
  /** The `Retry-After` value in seconds (default 1; fractions are allowed, e.g. `"2.0"` as Shopify sends). */
  retryAfterSeconds?: number;
}

/** Answer a 5xx status (default 503) in the simulator's own body shape. */
export interface ServerErrorFault extends FaultTarget {
  kind: "server-error";
  /** The status to answer, 500..599 (default 503). */
  status?: number;
}

/** Destroy the TCP connection without answering (the client sees a network error). */
export interface ResetFault extends FaultTarget {
  kind: "reset";
}

/** A fault a simulator can inject into the requests it serves. */
export type FaultSpec = LatencyFault | RateLimitFault | ServerErrorFault | ResetFault;

/** A fault that replaces the response with an error status (429 or 5xx). */
export type StatusFault = RateLimitFault | ServerErrorFault;

/** A live injected fault: how many applications remain, and a way to remove it. */
export interface FaultHandle {
  /** The fault as injected. */
  readonly spec: FaultSpec;
  /** How many times it has applied so far. */
  readonly applied: number;
  /** Whether it can still apply. */
  readonly active: boolean;
  /** Stops it from applying to further requests. */
  remove(): void;
}

/** What applies to one request: total latency, and at most one terminal fault. */
export interface FaultDecision {
  /** Total added latency in milliseconds (0 when none). */
  latencyMs: number;
  /** The status or reset fault that replaces the answer, if any. */
  terminal: StatusFault | ResetFault | undefined;
}

class LiveFault implements FaultHandle {
  applied = 0;
  removed = false;

  constructor(readonly spec: FaultSpec) {}

  get active(): boolean {
    return !this.removed && (this.spec.times === undefined || this.applied < this.spec.times);
  }

  remove(): void {
    this.removed = true;
  }
}

/**
 * Decides whether a counted or random trigger fires: at most `times` times, each time
 * with probability `ratio`. Shared by request faults and webhook delivery faults.
 *
 * @param target - the trigger's `times` and `ratio`
 * @param applied - how many times it has fired so far
 * @param random - the source of randomness, returning [0, 1)
 * @returns whether it fires now
 * @example
 * ```ts
 * triggerFires({ times: 2 }, 0, Math.random); // true
 * triggerFires({ times: 2 }, 2, Math.random); // false
 * triggerFires({ ratio: 0.25 }, 0, () => 0.1); // true
 * ```
 */
export function triggerFires(
  target: { times?: number; ratio?: number },
  applied: number,
  random: () => number,
): boolean {
  if (target.times !== undefined && applied >= target.times) return false;
  if (target.ratio !== undefined && !(random() < target.ratio)) return false;
  return true;
}

/**
 * The faults injected into one simulator. Latency faults add up; the oldest matching
 * status or reset fault replaces the answer.
 *
 * @example
 * ```ts
 * const faults = new FaultInjector(Math.random);
 * const handle = faults.inject({ kind: "rate-limit", retryAfterSeconds: 2, times: 3 });
 * faults.inject({ kind: "server-error", status: 502, ratio: 0.1, path: /orders/ });
 * handle.remove();
 * ```
 */
export class FaultInjector {
  private live: LiveFault[] = [];

  /**
   * @param random - the source of randomness for `ratio` faults, returning [0, 1)
   */
  constructor(private readonly random: () => number) {}

  /**
   * Adds a fault.
   *
   * @param spec - what to inject, for which requests, how often
   * @returns a handle to watch or remove it
   * @throws ValidationError when `ratio` is outside 0..1, `times` is not a whole number of
   *   zero or more, a latency is negative or a server-error status is not 5xx
   * @example
   * ```ts
   * faults.inject({ kind: "reset", times: 1 });
   * ```
   */
  inject(spec: FaultSpec): FaultHandle {
    if (spec.ratio !== undefined && !(spec.ratio >= 0 && spec.ratio <= 1)) {
      throw invalidFault(`Fault ratio must be between 0 and 1, got ${spec.ratio}`);
    }
    if (spec.times !== undefined && !(Number.isInteger(spec.times) && spec.times >= 0)) {
      throw invalidFault(`Fault times must be a whole number of zero or more, got ${spec.times}`);
    }
    if (spec.kind === "latency" && !(spec.ms >= 0)) {
      throw invalidFault(`Latency must be zero or more milliseconds, got ${spec.ms}`);
    }
    if (
      spec.kind === "server-error" &&
      spec.status !== undefined &&
      !(spec.status >= 500 && spec.status <= 599)
    ) {
      throw invalidFault(`A server-error fault needs a 5xx status, got ${spec.status}`);
    }
    const fault = new LiveFault(spec);
    this.live.push(fault);
    return fault;
  }

  /**
   * Removes every fault.
   *
   * @example
   * ```ts
   * faults.clear();
   * ```
   */
  clear(): void {
    for (const fault of this.live) fault.remove();
    this.live = [];
  }

  /**
   * The faults still able to apply.
   *
   * @returns their handles, oldest first
   * @example
   * ```ts
   * faults.list().length;
   * ```
   */
  list(): FaultHandle[] {
    this.live = this.live.filter((fault) => fault.active);
    return [...this.live];
  }

  /**
   * Decides what applies to one request, and counts the applications.
   *
   * @param request - the incoming request
   * @returns the total latency and the terminal fault, if any
   * @example
   * ```ts
   * const decision = faults.decide(request);
   * if (decision.terminal?.kind === "reset") request.socket?.destroy();
   * ```
   */
  decide(request: SimulatorRequest): FaultDecision {
    let latencyMs = 0;
    let terminal: StatusFault | ResetFault | undefined;
    this.live = this.live.filter((fault) => fault.active);
    for (const fault of this.live) {
      if (!fault.active || !matchesTarget(fault.spec, request)) continue;
      if (fault.spec.kind !== "latency" && terminal !== undefined) continue;
      if (!triggerFires(fault.spec, fault.applied, this.random)) continue;
      fault.applied += 1;
      if (fault.spec.kind === "latency") latencyMs += fault.spec.ms;
      else terminal = fault.spec;
    }
    return { latencyMs, terminal };
  }
}

function invalidFault(message: string): ValidationError {
  return new ValidationError("Invalid fault", [{ code: "invalid_fault", path: [], message }]);
}

function matchesTarget(target: FaultTarget, request: SimulatorRequest): boolean {
  if (target.method !== undefined && target.method.toUpperCase() !== request.method) return false;
  if (target.path !== undefined) {
    if (typeof target.path === "string" ? target.path !== request.path : !target.path.test(request.path)) {
      return false;
    }
  }
  if (target.where !== undefined && !target.where(request)) return false;
  return true;
}
