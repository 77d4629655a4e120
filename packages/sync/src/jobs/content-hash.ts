import * as crypto from "node:crypto";

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64url") => string })
  .hash;

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

/**
 * The content hash of a record (SHA-1 of its {@link stableStringify} form, 27
 * base64url characters): two records with the same content have the same hash, so an
 * unchanged record is not resent.
 *
 * @param value - the record
 * @returns the hash
 * @example
 * ```ts
 * import { contentHash } from "@distro/sync";
 *
 * contentHash({ sku: "A", qty: "1" }) === contentHash({ qty: "1", sku: "A" }); // true
 * ```
 */
export function contentHash(value: unknown): string {
  const text = stable(value);
  // The one-shot `crypto.hash` (Node ≥ 20.12) allocates no Hash object per record.
  if (oneShotHash) return oneShotHash("sha1", text, "base64url");
  return crypto.createHash("sha1").update(text).digest("base64url");
}

/** What a {@link RecordHashStore} keeps per record. */
export interface RecordHashEntry {
  /** The record's key. */
  key: string;
  /** The content hash last written. */
  hash: string;
  /** The run that last saw the record (for deletion detection in full refreshes). */
  seenRun: string;
}

/**
 * The port that remembers, per job, the content hash last written for each record and
 * the run that last saw it: change detection and deletion detection read it.
 */
export interface RecordHashStore {
  /** The stored hashes of `keys` (missing keys are absent from the map). */
  getMany(jobId: string, keys: readonly string[]): Promise<Map<string, string>>;
  /** Stores hashes and marks the records as seen by a run. */
  setMany(jobId: string, entries: readonly RecordHashEntry[]): Promise<void>;
  /** Keys whose `seenRun` is not `runId`, i.e. not seen by that run. */
  unseen(jobId: string, runId: string): AsyncIterable<string>;
  /** Forgets records. */
  deleteMany(jobId: string, keys: readonly string[]): Promise<void>;
}

/**
 * The in-process {@link RecordHashStore}.
 *
 * @returns the store
 * @example
 * ```ts
 * import { createMemoryRecordHashStore } from "@distro/sync";
 *
 * const hashes = createMemoryRecordHashStore();
 * await hashes.setMany("items", [{ key: "A", hash: "h1", seenRun: "r1" }]);
 * (await hashes.getMany("items", ["A"])).get("A"); // "h1"
 * ```
 */
export function createMemoryRecordHashStore(): RecordHashStore {
  // Compact per job, and light on the garbage collector: key → slot in a Map, and per slot
  // the run that last saw it (a number) and the hash, kept as 20 raw bytes when it is a
  // SHA-1 in base64url (what contentHash gives) instead of one string object per record.
  const HASH_BYTES = 20;
  interface JobState {
    slots: Map<string, number>;
    count: number;
    bytes: Uint8Array;
    seen: Uint32Array;
    other: Map<number, string>;
    runs: Map<string, number>;
  }
  const scratch = Buffer.alloc(32);
  const jobs = new Map<string, JobState>();
  const of = (jobId: string): JobState => {
    let job = jobs.get(jobId);
    if (!job) {
      job = {
        slots: new Map(),
        count: 0,
        bytes: new Uint8Array(1024 * HASH_BYTES),
        seen: new Uint32Array(1024),
        other: new Map(),
        runs: new Map(),
      };
      jobs.set(jobId, job);
    }
    return job;
  };
  const runNumber = (job: JobState, runId: string) => {
    let number = job.runs.get(runId);
    if (number === undefined) {
      number = job.runs.size + 1;
      job.runs.set(runId, number);
    }
    return number;
  };
  const grow = (job: JobState) => {
    const seen = new Uint32Array(job.seen.length * 2);
    seen.set(job.seen);
    job.seen = seen;
    const bytes = new Uint8Array(job.bytes.length * 2);
    bytes.set(job.bytes);
    job.bytes = bytes;
  };
  const write = (job: JobState, slot: number, hash: string) => {
    const packed = hash.length === 27 && scratch.write(hash, "base64url") === HASH_BYTES;
    if (packed && Buffer.from(scratch.subarray(0, HASH_BYTES)).toString("base64url") === hash) {
      job.bytes.set(scratch.subarray(0, HASH_BYTES), slot * HASH_BYTES);
      job.other.delete(slot);
    } else job.other.set(slot, hash);
  };
  const read = (job: JobState, slot: number) =>
    job.other.get(slot) ??
    Buffer.from(job.bytes.buffer, job.bytes.byteOffset + slot * HASH_BYTES, HASH_BYTES).toString("base64url");
  return {
    async getMany(jobId, keys) {
      const job = of(jobId);
      const found = new Map<string, string>();
      for (const key of keys) {
        const slot = job.slots.get(key);
        if (slot !== undefined) found.set(key, read(job, slot));
      }
      return found;
    },
    async setMany(jobId, entries) {
      const job = of(jobId);
      for (const entry of entries) {
        let slot = job.slots.get(entry.key);
        if (slot === undefined) {
          slot = job.count++;
          job.slots.set(entry.key, slot);
          if (slot >= job.seen.length) grow(job);
        }
        write(job, slot, entry.hash);
        job.seen[slot] = runNumber(job, entry.seenRun);
      }
    },
    async *unseen(jobId, runId) {
      const job = of(jobId);
      const run = job.runs.get(runId) ?? 0;
      for (const [key, slot] of [...job.slots]) if (job.seen[slot] !== run) yield key;
    },
    async deleteMany(jobId, keys) {
      const job = of(jobId);
      for (const key of keys) {
        const slot = job.slots.get(key);
        if (slot === undefined) continue;
        job.slots.delete(key);
        job.other.delete(slot);
        job.seen[slot] = 0;
      }
    },
  };
}
