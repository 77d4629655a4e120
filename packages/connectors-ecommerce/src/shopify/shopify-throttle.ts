import { RateLimitedError } from "@distro/core";

/** Settings for {@link ShopifyRestThrottle}. */
export interface ShopifyRestThrottleSettings {
  /** The bucket's leak rate in calls per second (2 on standard plans, 4 Advanced, 20 Plus). */
  leakPerSecond?: number;
  /** The bucket size until the first `X-Shopify-Shop-Api-Call-Limit` tells (default 40). */
  capacity?: number;
  /** Calls kept free in the bucket as a safety margin (default 1). */
  headroom?: number;
  /** The time in milliseconds (default `Date.now`). */
  clock?: () => number;
  /** Waits (default a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** A call admitted by a throttle; hand it back with `observe` or `abandon`. */
export interface ThrottleTicket {
  /** Admission order. */
  readonly sequence: number;
  /** The cost charged (1 for REST). */
  readonly cost: number;
}

/** What a throttle believes about the bucket now. */
export interface ThrottleSnapshot {
  /** Estimated bucket content (REST: calls; GraphQL: points used). */
  level: number;
  /** The bucket size. */
  capacity: number;
  /** Calls sent and not answered. */
  inFlight: number;
  /** Calls admitted so far. */
  admitted: number;
  /** 429 / THROTTLED answers seen. */
  throttled: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Paces Shopify Admin REST calls from the leaky bucket so they never overflow it: it keeps
 * an estimate of the bucket (each call adds 1 when sent, it drains at the plan's leak rate),
 * raises it whenever an `X-Shopify-Shop-Api-Call-Limit` answer (plus the calls still in
 * flight that the answer could not count) shows more, and admits a call only when it fits
 * under the capacity minus a small headroom. Admission is first come, first served. In steady state it sends at the
 * leak rate, with the bucket nearly full: fast, and no 429.
 *
 * @example
 * ```ts
 * const throttle = new ShopifyRestThrottle({ leakPerSecond: 2 });
 * const ticket = await throttle.acquire();
 * const response = await fetch(url, init);
 * throttle.observe(ticket, response.status, response.headers);
 * ```
 */
export class ShopifyRestThrottle {
  private level = 0;
  private updatedAt: number;
  private capacity: number;
  private readonly leakPerSecond: number;
  private readonly headroom: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly inFlight = new Map<number, number>();
  private sequence = 0;
  private throttledCount = 0;
  private queue: Promise<void> = Promise.resolve();

  /**
   * @param settings - leak rate, capacity, headroom, clock and sleep
   */
  constructor(settings: ShopifyRestThrottleSettings = {}) {
    this.leakPerSecond = settings.leakPerSecond ?? 2;
    this.capacity = settings.capacity ?? 40;
    this.headroom = settings.headroom ?? 1;
    this.clock = settings.clock ?? Date.now;
    this.sleep = settings.sleep ?? defaultSleep;
    this.updatedAt = this.clock();
  }

  /**
   * Waits until one call fits in the bucket, then charges it.
   *
   * @param signal - aborts the wait
   * @returns the ticket to hand back
   * @throws the signal's reason when aborted while waiting
   * @example
   * ```ts
   * const ticket = await throttle.acquire();
   * ```
   */
  acquire(signal?: AbortSignal): Promise<ThrottleTicket> {
    const admitted = this.queue.then(() => this.admit(signal));
    this.queue = admitted.then(
      () => undefined,
      () => undefined,
    );
    return admitted;
  }

  /**
   * Re-syncs the estimate from an answer's call-limit header (and a 429).
   *
   * @param ticket - the call's ticket
   * @param status - the HTTP status
   * @param headers - the answer's headers
   * @example
   * ```ts
   * throttle.observe(ticket, response.status, response.headers);
   * ```
   */
  observe(ticket: ThrottleTicket, status: number, headers: Headers): void {
    this.inFlight.delete(ticket.sequence);
    this.drain();
    const header = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(headers.get("x-shopify-shop-api-call-limit") ?? "");
    if (header) {
      this.capacity = Number(header[2]);
      // The local estimate charges each call when it is sent, before Shopify counts it, so it
      // stays at or above the real level while the leak rates agree. The header only raises
      // it: when something else shares the bucket, or the shop leaks slower than configured.
      let later = 0;
      for (const sequence of this.inFlight.keys()) if (sequence > ticket.sequence) later++;
      this.level = Math.min(this.capacity, Math.max(this.level, Number(header[1]) + later));
    }
    if (status === 429) {
      this.throttledCount++;
      this.level = this.capacity;
    }
  }

  /**
   * Hands back a ticket whose call got no answer (network error).
   *
   * @param ticket - the call's ticket
   * @example
   * ```ts
   * throttle.abandon(ticket);
   * ```
   */
  abandon(ticket: ThrottleTicket): void {
    this.inFlight.delete(ticket.sequence);
  }

  /**
   * The current estimate.
   *
   * @returns level, capacity, calls in flight, admitted and throttled counts
   * @example
   * ```ts
   * throttle.snapshot().level;
   * ```
   */
  snapshot(): ThrottleSnapshot {
    this.drain();
    return {
      level: this.level,
      capacity: this.capacity,
      inFlight: this.inFlight.size,
      admitted: this.sequence,
      throttled: this.throttledCount,
    };
  }

  private async admit(signal: AbortSignal | undefined): Promise<ThrottleTicket> {
    for (;;) {
      signal?.throwIfAborted();
      this.drain();
      const limit = Math.max(1, this.capacity - this.headroom);
      if (this.level + 1 <= limit) {
        this.level += 1;
        const ticket = { sequence: ++this.sequence, cost: 1 };
        this.inFlight.set(ticket.sequence, 1);
        return ticket;
      }
      const waitMs = ((this.level + 1 - limit) / this.leakPerSecond) * 1000;
      await this.sleep(Math.max(1, Math.ceil(waitMs)));
    }
  }

  private drain(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.level = Math.max(0, this.level - elapsed * this.leakPerSecond);
    this.updatedAt = now;
  }
}

/** Settings for {@link ShopifyGraphqlThrottle}. */
export interface ShopifyGraphqlThrottleSettings {
  /** Bucket size until the first `throttleStatus` tells (default 1000 points). */
  maximumAvailable?: number;
  /** Restore rate until the first `throttleStatus` tells (default 50 points/s). */
  restoreRate?: number;
  /** Points kept free as a safety margin (default 0). */
  headroom?: number;
  /** The time in milliseconds (default `Date.now`). */
  clock?: () => number;
  /** Waits (default a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Paces Shopify Admin GraphQL calls by calculated cost: it tracks `currentlyAvailable`
 * points (restoring at `restoreRate`), re-syncs from every answer's
 * `extensions.cost.throttleStatus`, and admits a query only when its expected cost is
 * available, so it waits instead of drawing a `THROTTLED` error.
 *
 * @example
 * ```ts
 * const throttle = new ShopifyGraphqlThrottle();
 * const ticket = await throttle.acquire(10);
 * // ... send the mutation, read extensions.cost ...
 * throttle.observe(ticket, body.extensions?.cost);
 * ```
 */
export class ShopifyGraphqlThrottle {
  private available: number;
  private maximum: number;
  private restoreRate: number;
  private updatedAt: number;
  private readonly headroom: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly inFlight = new Map<number, number>();
  private sequence = 0;
  private throttledCount = 0;
  private queue: Promise<void> = Promise.resolve();

  /**
   * @param settings - bucket size, restore rate, headroom, clock and sleep
   */
  constructor(settings: ShopifyGraphqlThrottleSettings = {}) {
    this.maximum = settings.maximumAvailable ?? 1000;
    this.available = this.maximum;
    this.restoreRate = settings.restoreRate ?? 50;
    this.headroom = settings.headroom ?? 0;
    this.clock = settings.clock ?? Date.now;
    this.sleep = settings.sleep ?? defaultSleep;
    this.updatedAt = this.clock();
  }

  /**
   * Waits until `cost` points are available, then charges them.
   *
   * @param cost - the expected (requested) cost of the query
   * @param signal - aborts the wait
   * @returns the ticket to hand back
   * @throws RateLimitedError when `cost` is more than the bucket can ever hold
   * @example
   * ```ts
   * const ticket = await throttle.acquire(10);
   * ```
   */
  acquire(cost: number, signal?: AbortSignal): Promise<ThrottleTicket> {
    const admitted = this.queue.then(() => this.admit(cost, signal));
    this.queue = admitted.then(
      () => undefined,
      () => undefined,
    );
    return admitted;
  }

  /**
   * Re-syncs from an answer's cost report; a `THROTTLED` answer (actual cost null) counts
   * as throttled.
   *
   * @param ticket - the call's ticket
   * @param cost - `extensions.cost` of the answer, if any
   * @example
   * ```ts
   * throttle.observe(ticket, body.extensions?.cost);
   * ```
   */
  observe(
    ticket: ThrottleTicket,
    cost:
      | {
          requestedQueryCost: number;
          actualQueryCost: number | null;
          throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
        }
      | undefined,
  ): void {
    this.inFlight.delete(ticket.sequence);
    this.restore();
    if (!cost) return;
    const status = cost.throttleStatus;
    this.maximum = status.maximumAvailable;
    this.restoreRate = status.restoreRate;
    let later = 0;
    for (const [sequence, charged] of this.inFlight) if (sequence > ticket.sequence) later += charged;
    this.available = Math.max(0, status.currentlyAvailable - later);
    if (cost.actualQueryCost === null) this.throttledCount++;
  }

  /**
   * Hands back a ticket whose call got no answer.
   *
   * @param ticket - the call's ticket
   * @example
   * ```ts
   * throttle.abandon(ticket);
   * ```
   */
  abandon(ticket: ThrottleTicket): void {
    this.inFlight.delete(ticket.sequence);
  }

  /**
   * How long until `cost` points are available, in milliseconds.
   *
   * @param cost - the points needed
   * @returns milliseconds (0 when available now)
   * @example
   * ```ts
   * throttle.waitMsFor(10);
   * ```
   */
  waitMsFor(cost: number): number {
    this.restore();
    const missing = cost + this.headroom - this.available;
    return missing <= 0 ? 0 : Math.ceil((missing / this.restoreRate) * 1000);
  }

  /**
   * The current estimate (level = points in use).
   *
   * @returns level, capacity, calls in flight, admitted and throttled counts
   * @example
   * ```ts
   * throttle.snapshot().capacity; // 1000
   * ```
   */
  snapshot(): ThrottleSnapshot {
    this.restore();
    return {
      level: this.maximum - this.available,
      capacity: this.maximum,
      inFlight: this.inFlight.size,
      admitted: this.sequence,
      throttled: this.throttledCount,
    };
  }

  private async admit(cost: number, signal: AbortSignal | undefined): Promise<ThrottleTicket> {
    if (cost > this.maximum) {
      throw new RateLimitedError(`GraphQL query cost ${cost} exceeds the bucket of ${this.maximum} points`, {
        retryable: false,
        details: { cost, maximumAvailable: this.maximum },
      });
    }
    for (;;) {
      signal?.throwIfAborted();
      const waitMs = this.waitMsFor(cost);
      if (waitMs === 0) {
        this.available -= cost;
        const ticket = { sequence: ++this.sequence, cost };
        this.inFlight.set(ticket.sequence, cost);
        return ticket;
      }
      await this.sleep(Math.max(1, waitMs));
    }
  }

  private restore(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.available = Math.min(this.maximum, this.available + elapsed * this.restoreRate);
    this.updatedAt = now;
  }
}

/**
 * Wraps a `fetch` so every Shopify Admin REST call (`/admin/api/.../*.json`, GraphQL
 * excluded) waits for the {@link ShopifyRestThrottle} first and reports its answer back.
 * Give the result to `createHttpClient({ fetch })` so retries and timeouts stay the
 * core client's.
 *
 * @param throttle - the REST throttle
 * @param baseFetch - the fetch to call (default the global `fetch`)
 * @returns a paced fetch
 * @example
 * ```ts
 * const client = createHttpClient({ baseUrl, system: "shopify", fetch: throttledShopifyFetch(new ShopifyRestThrottle()) });
 * ```
 */
export function throttledShopifyFetch(
  throttle: ShopifyRestThrottle,
  baseFetch: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url).pathname;
    if (!/\/admin\/api\/[^/]+\/.+\.json$/.test(path) || path.endsWith("/graphql.json")) {
      return baseFetch(input, init);
    }
    const ticket = await throttle.acquire(init?.signal ?? undefined);
    let response: Response;
    try {
      response = await baseFetch(input, init);
    } catch (error) {
      throttle.abandon(ticket);
      throw error;
    }
    throttle.observe(ticket, response.status, response.headers);
    return response;
  };
}
