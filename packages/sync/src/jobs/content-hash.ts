const quotedKeys = new Map<string, string>();

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function stable(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") {
    return value === undefined ? "null" : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out += ",";
      out += stable(value[index]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    if (!first) out += ",";
    first = false;
    out += quoteKey(key) + stable(field);
  }
  return `${out}}`;
}

/**
 * A JSON rendering with object keys sorted, so equal content gives equal text whatever
 * the key order (undefined properties are left out, as JSON does).
 *
 * @param value - any JSON-compatible value
 * @returns the canonical JSON text
 * @example
 * ```ts
 * import { stableStringify } from "@distro/sync";
 *
 * stableStringify({ b: 1, a: "x" }); // '{"a":"x","b":1}'
 * ```
 */
export function stableStringify(value: unknown): string {
  return stable(value);
}

// The content hash walks the value as JSON would see it and feeds 32-bit words to two
// independent lanes, each a multiply-rotate block mix (the MurmurHash3 shape, with its
// constants in lane one and another pair in lane two) finished by an avalanche step: 64
// bits, no string built and no buffer allocated per record. Every string is fed with its
// length, so field boundaries cannot shift; an object's entries are hashed one by one and
// summed, so key order does not matter and no keys are sorted.
const TAG_STRING = 1;
const TAG_NUMBER = 2;
const TAG_TRUE = 3;
const TAG_FALSE = 4;
const TAG_NULL = 5;
const TAG_ARRAY = 6;
const TAG_OBJECT = 7;
const TAG_BIGINT = 8;
const SEED_ONE = 0x2545f491;
const SEED_TWO = 0x9e3779b9 | 0;
const ENTRY_SEED_ONE = 0x6a09e667 | 0;
const ENTRY_SEED_TWO = 0x3c6ef372;

let laneOne = 0;
let laneTwo = 0;
const numberView = new DataView(new ArrayBuffer(8));

function feed(word: number): void {
  let k = Math.imul(word, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  laneOne ^= k;
  laneOne = (Math.imul((laneOne << 13) | (laneOne >>> 19), 5) + 0xe6546b64) | 0;
  let j = Math.imul(word, 0x85ebca77);
  j = Math.imul((j << 17) | (j >>> 15), 0xc2b2ae3d);
  laneTwo ^= j;
  laneTwo = (Math.imul((laneTwo << 11) | (laneTwo >>> 21), 9) + 0x27d4eb2f) | 0;
}

function avalanche(lane: number): number {
  lane = Math.imul(lane ^ (lane >>> 16), 0x85ebca6b);
  lane = Math.imul(lane ^ (lane >>> 13), 0xc2b2ae35);
  return (lane ^ (lane >>> 16)) >>> 0;
}

function feedString(text: string): void {
  feed((text.length << 3) | TAG_STRING); // a string is at most 2²⁹ − 24 units long in V8
  // The same steps as feed, on locals: two UTF-16 code units per word (charCodeAt past
  // the end is NaN, which `|` makes 0).
  let one = laneOne;
  let two = laneTwo;
  const length = text.length;
  for (let index = 0; index < length; index += 2) {
    const word = text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16);
    let k = Math.imul(word, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    one ^= k;
    one = (Math.imul((one << 13) | (one >>> 19), 5) + 0xe6546b64) | 0;
    let j = Math.imul(word, 0x85ebca77);
    j = Math.imul((j << 17) | (j >>> 15), 0xc2b2ae3d);
    two ^= j;
    two = (Math.imul((two << 11) | (two >>> 21), 9) + 0x27d4eb2f) | 0;
  }
  laneOne = one;
  laneTwo = two;
}

function feedValue(value: unknown): void {
  if (typeof value === "string") {
    feedString(value);
    return;
  }
  if (typeof value === "number") {
    if (Number.isFinite(value)) {
      feed(TAG_NUMBER);
      numberView.setFloat64(0, value === 0 ? 0 : value, true); // -0 is 0, as in JSON
      feed(numberView.getInt32(0, true));
      feed(numberView.getInt32(4, true));
    } else feed(TAG_NULL); // as JSON writes it
    return;
  }
  if (typeof value === "boolean") {
    feed(value ? TAG_TRUE : TAG_FALSE);
    return;
  }
  if (typeof value === "bigint") {
    feed(TAG_BIGINT);
    feedString(value.toString());
    return;
  }
  if (value === null || typeof value !== "object") {
    feed(TAG_NULL);
    return;
  }
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === "function") {
    // toJSON is user code (it might hash something itself): keep the lanes across it.
    const savedOne = laneOne;
    const savedTwo = laneTwo;
    const replaced: unknown = json.call(value);
    laneOne = savedOne;
    laneTwo = savedTwo;
    feedValue(replaced);
    return;
  }
  if (Array.isArray(value)) {
    feed((value.length << 3) | TAG_ARRAY);
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      if (item === undefined || typeof item === "function" || typeof item === "symbol") feed(TAG_NULL);
      else feedValue(item);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  const outerOne = laneOne;
  const outerTwo = laneTwo;
  let sumOne = 0;
  let sumTwo = 0;
  let count = 0;
  // for…in over a plain object reads each field through V8's enum cache (faster than
  // Object.keys and a keyed load); another prototype may add enumerable keys, so it gets
  // Object.keys, JSON's own-keys rule.
  const prototype = Object.getPrototypeOf(record);
  if (prototype === Object.prototype || prototype === null) {
    for (const key in record) {
      if (!hashEntry(key, record[key])) continue;
      sumOne = (sumOne + entryOne) | 0;
      sumTwo = (sumTwo + entryTwo) | 0;
      count++;
    }
  } else {
    for (const key of Object.keys(record)) {
      if (!hashEntry(key, record[key])) continue;
      sumOne = (sumOne + entryOne) | 0;
      sumTwo = (sumTwo + entryTwo) | 0;
      count++;
    }
  }
  laneOne = outerOne;
  laneTwo = outerTwo;
  feed((count << 3) | TAG_OBJECT);
  feed(sumOne);
  feed(sumTwo);
}

let entryOne = 0;
let entryTwo = 0;

/** Hashes one key and value on their own into entryOne / entryTwo; false when JSON leaves the field out. */
function hashEntry(key: string, field: unknown): boolean {
  if (field === undefined || typeof field === "function" || typeof field === "symbol") return false;
  laneOne = ENTRY_SEED_ONE;
  laneTwo = ENTRY_SEED_TWO;
  feedString(key);
  feedValue(field);
  const one = avalanche(laneOne ^ laneTwo);
  entryOne = one;
  entryTwo = avalanche(laneTwo + one);
  return true;
}

/** A nibble's lowercase hex character code. */
function digit(nibble: number): number {
  return nibble < 10 ? 48 + nibble : 87 + nibble;
}

/**
 * The content hash of a record: 64 bits as 16 lowercase hex characters. Two records
 * with the same content as JSON (key order and undefined properties aside) have the same
 * hash, and any change of a value, a key or the structure changes it (a chance of 2⁻⁶⁴
 * per change that it does not), so an unchanged record is not resent. It walks the value
 * without building its JSON text; it is a change detector, not a cryptographic digest.
 *
 * @param value - the record
 * @returns the hash
 * @example
 * ```ts
 * import { contentHash } from "@distro/sync";
 *
 * contentHash({ sku: "A", qty: "1" }) === contentHash({ qty: "1", sku: "A" }); // true
 * contentHash({ sku: "A", qty: "1" }); // 16 hex characters
 * ```
 */
export function contentHash(value: unknown): string {
  laneOne = SEED_ONE;
  laneTwo = SEED_TWO;
  feedValue(value);
  const one = avalanche(laneOne ^ Math.imul(laneTwo, 0x9e3779b1));
  const two = avalanche(laneTwo ^ one);
  // One flat 16-character string, no intermediate pieces.
  return String.fromCharCode(
    digit(one >>> 28),
    digit((one >>> 24) & 15),
    digit((one >>> 20) & 15),
    digit((one >>> 16) & 15),
    digit((one >>> 12) & 15),
    digit((one >>> 8) & 15),
    digit((one >>> 4) & 15),
    digit(one & 15),
    digit(two >>> 28),
    digit((two >>> 24) & 15),
    digit((two >>> 20) & 15),
    digit((two >>> 16) & 15),
    digit((two >>> 12) & 15),
    digit((two >>> 8) & 15),
    digit((two >>> 4) & 15),
    digit(two & 15),
  );
}
