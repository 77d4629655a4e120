/**
 * A Map with a size bound that forgets its oldest keys first (by first insertion), in
 * O(1) amortised time. A plain Map evicting `keys().next()` slows down as deletions
 * pile up at its front, which is why the memory stores use this instead.
 *
 * @internal
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  private order: string[] = [];
  private head = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.has(key)) this.map.set(key, value);
    else this.add(key, value);
  }

  /** Replaces the value of a key that is present, keeping its place in the order. */
  replace(key: string, value: V): void {
    this.map.set(key, value);
  }

  /** Adds a key the caller knows is absent (one Map write instead of a lookup and a write). */
  add(key: string, value: V): void {
    this.order.push(key);
    this.map.set(key, value);
    while (this.map.size > this.max && this.head < this.order.length) {
      const oldest = this.order[this.head]!;
      this.head += 1;
      this.map.delete(oldest);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      // Drop the evicted front, so the key order never grows past about twice the bound.
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    // Keys deleted and set again appear twice; rebuild when such leftovers pile up.
    if (this.order.length - this.head > this.max * 2 + 1024) this.compact();
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  private compact(): void {
    this.order = [...this.map.keys()];
    this.head = 0;
  }
}
