import { triggerFires } from "./faults";
import { realSleep } from "./simulator-server";

/** A webhook to deliver: where, with which headers and raw body. */
export interface WebhookDelivery {
  /** A unique id for this delivery (a duplicate carries the same id, as platforms do). */
  id: string;
  /** The receiver's URL. */
  url: string;
  /** Headers to send (the platform's signature headers among them). */
  headers: Record<string, string>;
  /** The raw body, exactly as signed. */
  body: string;
}

/** One attempt to deliver a webhook. */
export interface WebhookAttempt {
  /** The delivery's id. */
  deliveryId: string;
  /** 1 for the first attempt of this copy, 2 for its first retry... */
  attempt: number;
  /** Whether this copy is an injected duplicate. */
  duplicate: boolean;
  /** The receiver's status, or 0 when the request failed on the network. */
  status: number;
  /** The network error's message, when there was no response. */
  error?: string;
  /** When the attempt started, epoch milliseconds. */
  at: number;
}

/** How a {@link WebhookSender.send} call ended. */
export interface WebhookSendResult {
  /** `delivered` (a 2xx), `failed` (retries exhausted) or `held` (reordered: it goes out after the next delivery or at `flush`). */
  outcome: "delivered" | "failed" | "held";
  /** The attempts made by this call, including duplicates and released held deliveries. */
  attempts: WebhookAttempt[];
}

/** Delivery faults: send a delivery twice, or hold it back so the next one overtakes it. */
export interface WebhookFaultSpec {
  /** `duplicate`: deliver the same webhook (same id) twice; `out-of-order`: the next delivery goes first. */
  kind: "duplicate" | "out-of-order";
  /** Apply to at most this many deliveries. */
  times?: number;
  /** Apply to each delivery with this probability (0..1). */
  ratio?: number;
}

/** Settings for a {@link WebhookSender}. */
export interface WebhookSenderSettings {
  /** The fetch to deliver with (default the global `fetch`). */
  fetch?: typeof fetch;
  /** Waits between retries (default a real timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Randomness for `ratio` faults (default `Math.random`). */
  random?: () => number;
  /** The current time in epoch milliseconds (default `Date.now`). */
  clock?: () => number;
  /**
   * Delay before each retry after a non-2xx or network failure; its length is the
   * number of retries (default `[100, 200, 400]`: four attempts in all).
   */
  retryDelaysMs?: number[];
}

/**
 * Delivers webhooks the way platforms do: POST the raw body with the given headers,
 * retry on a non-2xx answer or a network failure, and (when injected) send duplicates
 * or deliver out of order. Every attempt is recorded.
 *
 * @example
 * ```ts
 * const sender = new WebhookSender({ retryDelaysMs: [10, 20] });
 * sender.inject({ kind: "duplicate", times: 1 });
 * const result = await sender.send({ id: "w1", url: "http://127.0.0.1:3000/hooks", headers: {}, body: "{}" });
 * result.attempts.length; // 2 when both copies were accepted first time
 * ```
 */
export class WebhookSender {
  private readonly recorded: WebhookAttempt[] = [];
  private readonly faultList: { spec: WebhookFaultSpec; applied: number }[] = [];
  private held: WebhookDelivery[] = [];
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly retryDelaysMs: number[];

  /**
   * @param settings - fetch, timers, randomness and the retry schedule
   */
  constructor(settings: WebhookSenderSettings = {}) {
    this.fetchImpl = settings.fetch ?? fetch;
    this.sleep = settings.sleep ?? realSleep;
    this.random = settings.random ?? Math.random;
    this.clock = settings.clock ?? Date.now;
    this.retryDelaysMs = settings.retryDelaysMs ?? [100, 200, 400];
  }

  /**
   * Adds a delivery fault.
   *
   * @param spec - `duplicate` or `out-of-order`, and how often
   * @example
   * ```ts
   * sender.inject({ kind: "out-of-order", times: 1 });
   * ```
   */
  inject(spec: WebhookFaultSpec): void {
    this.faultList.push({ spec, applied: 0 });
  }

  /**
   * Removes every delivery fault (held deliveries stay held until {@link WebhookSender.flush}).
   *
   * @example
   * ```ts
   * sender.clearFaults();
   * ```
   */
  clearFaults(): void {
    this.faultList.length = 0;
  }

  /**
   * Delivers one webhook, retrying on non-2xx. When an `out-of-order` fault applies it is
   * held and goes out right after the next delivery; deliveries held earlier are released
   * after this one.
   *
   * @param delivery - what to send
   * @returns the outcome and the attempts this call made
   * @example
   * ```ts
   * const { outcome } = await sender.send(delivery);
   * ```
   */
  async send(delivery: WebhookDelivery): Promise<WebhookSendResult> {
    if (this.fires("out-of-order")) {
      this.held.push(delivery);
      return { outcome: "held", attempts: [] };
    }
    const attempts: WebhookAttempt[] = [];
    const outcome = await this.deliverWithDuplicates(delivery, attempts);
    const released = this.held;
    this.held = [];
    for (const late of released) await this.deliverWithDuplicates(late, attempts);
    return { outcome, attempts };
  }

  /**
   * Delivers every held delivery now.
   *
   * @returns the attempts made
   * @example
   * ```ts
   * await sender.flush();
   * ```
   */
  async flush(): Promise<WebhookAttempt[]> {
    const attempts: WebhookAttempt[] = [];
    const released = this.held;
    this.held = [];
    for (const late of released) await this.deliverWithDuplicates(late, attempts);
    return attempts;
  }

  /**
   * Every attempt so far, oldest first.
   *
   * @returns the attempts
   * @example
   * ```ts
   * sender.attempts().filter((attempt) => attempt.status >= 500).length;
   * ```
   */
  attempts(): WebhookAttempt[] {
    return [...this.recorded];
  }

  /**
   * How many deliveries are held back by an `out-of-order` fault.
   *
   * @returns the count
   * @example
   * ```ts
   * sender.heldCount();
   * ```
   */
  heldCount(): number {
    return this.held.length;
  }

  private fires(kind: WebhookFaultSpec["kind"]): boolean {
    for (const fault of this.faultList) {
      if (fault.spec.kind !== kind) continue;
      if (triggerFires(fault.spec, fault.applied, this.random)) {
        fault.applied += 1;
        return true;
      }
    }
    return false;
  }

  private async deliverWithDuplicates(
    delivery: WebhookDelivery,
    attempts: WebhookAttempt[],
  ): Promise<"delivered" | "failed"> {
    const outcome = await this.deliver(delivery, false, attempts);
    if (this.fires("duplicate")) await this.deliver(delivery, true, attempts);
    return outcome;
  }

  private async deliver(
    delivery: WebhookDelivery,
    duplicate: boolean,
    attempts: WebhookAttempt[],
  ): Promise<"delivered" | "failed"> {
    for (let attempt = 1; attempt <= this.retryDelaysMs.length + 1; attempt++) {
      if (attempt > 1) await this.sleep(this.retryDelaysMs[attempt - 2] ?? 0);
      const record: WebhookAttempt = {
        deliveryId: delivery.id,
        attempt,
        duplicate,
        status: 0,
        at: this.clock(),
      };
      try {
        const response = await this.fetchImpl(delivery.url, {
          method: "POST",
          headers: delivery.headers,
          body: delivery.body,
        });
        await response.arrayBuffer().catch(() => undefined);
        record.status = response.status;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      this.recorded.push(record);
      attempts.push(record);
      if (record.status >= 200 && record.status < 300) return "delivered";
    }
    return "failed";
  }
}
