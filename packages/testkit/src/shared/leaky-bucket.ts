/** Settings for a {@link LeakyBucket}. */
export interface LeakyBucketSettings {
  /** How much the bucket holds (Shopify REST: 40 calls; GraphQL: 1000 cost points). */
  capacity: number;
  /** How much drains per second (Shopify REST: 2 calls/s; GraphQL: 50 points/s). */
  leakPerSecond: number;
  /** The current time in epoch milliseconds (default `Date.now`). */
  clock?: () => number;
}

/**
 * A leaky bucket as API rate limiters model it: each request pours its cost in, the
 * bucket drains at a constant rate, and a request that would overflow it is refused.
 * Shopify's REST limit (40, leaking 2/s) and GraphQL cost limit (1000 points, restoring
 * 50/s) are both this shape.
 *
 * @example
 * ```ts
 * const bucket = new LeakyBucket({ capacity: 40, leakPerSecond: 2 });
 * if (!bucket.tryPour(1)) {
 *   // answer 429, Retry-After: bucket.secondsUntilRoom(1)
 * }
 * bucket.level(); // e.g. 1
 * ```
 */
export class LeakyBucket {
  private content = 0;
  private updatedAt: number;
  private readonly clock: () => number;

  /**
   * @param settings - capacity, leak rate and clock
   */
  constructor(readonly settings: LeakyBucketSettings) {
    this.clock = settings.clock ?? Date.now;
    this.updatedAt = this.clock();
  }

  /**
   * How full the bucket is now (fractional while it drains).
   *
   * @returns the current content, 0..capacity
   * @example
   * ```ts
   * bucket.level();
   * ```
   */
  level(): number {
    this.drain();
    return this.content;
  }

  /**
   * How much room is left now.
   *
   * @returns capacity minus level
   * @example
   * ```ts
   * bucket.available();
   * ```
   */
  available(): number {
    return this.settings.capacity - this.level();
  }

  /**
   * Pours `cost` in when it fits; refuses (and changes nothing) when it would overflow.
   *
   * @param cost - the request's cost (1 for a REST call)
   * @returns whether it fitted
   * @example
   * ```ts
   * bucket.tryPour(1);
   * ```
   */
  tryPour(cost = 1): boolean {
    this.drain();
    if (this.content + cost > this.settings.capacity + 1e-9) return false;
    this.content += cost;
    return true;
  }

  /**
   * Takes `amount` back out (a GraphQL query is charged its requested cost, then
   * refunded down to its actual cost).
   *
   * @param amount - how much to remove
   * @example
   * ```ts
   * bucket.refund(requested - actual);
   * ```
   */
  refund(amount: number): void {
    this.drain();
    this.content = Math.max(0, this.content - amount);
  }

  /**
   * How long until `cost` would fit.
   *
   * @param cost - the cost to fit
   * @returns seconds (0 when it fits now)
   * @example
   * ```ts
   * const retryAfter = bucket.secondsUntilRoom(1);
   * ```
   */
  secondsUntilRoom(cost = 1): number {
    const over = this.level() + cost - this.settings.capacity;
    return over <= 0 ? 0 : over / this.settings.leakPerSecond;
  }

  private drain(): void {
    const now = this.clock();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.content = Math.max(0, this.content - elapsedSeconds * this.settings.leakPerSecond);
    this.updatedAt = now;
  }
}
