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

const EMPTY = -1;
const TOMBSTONE = -2;
const DELETED = 0;
const PACKED = 1;
const OTHER = 2;
const MIN_SLOTS = 1024;
/** Runs remembered per job: enough for any number of runs that overlap in practice. */
const RUNS_KEPT = 64;

/**
 * One job's records, off the JavaScript heap: an open-addressing index of slot numbers,
 * and per slot the key's hash, its place in a byte arena (one byte a character when every
 * character is below U+0100, else two), the content hash as two
 * 32-bit words, the run that last saw it and its state. About 33 bytes plus one per key
 * character per record, and nothing for the garbage collector to trace.
 */
interface JobTable {
  index: Int32Array;
  indexUsed: number;
  slots: number;
  live: number;
  keyHash: Uint32Array;
  keyStart: Uint32Array;
  /** The key's length in characters × 2, plus 1 when it is stored two bytes a character. */
  keyLength: Uint32Array;
  hashOne: Uint32Array;
  hashTwo: Uint32Array;
  seen: Uint32Array;
  state: Uint8Array;
  other: Map<number, string>;
  arena: Uint8Array;
  arenaUsed: number;
  runs: Map<string, number>;
}

function keyHashOf(key: string): number {
  let hash = 0x811c9dc5 ^ key.length;
  for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

let parsedOne = 0;
let parsedTwo = 0;

/** Reads a 16-lowercase-hex hash (what `contentHash` gives) into two words; false for any other text. */
function parsePacked(hash: string): boolean {
  if (hash.length !== 16) return false;
  let one = 0;
  let two = 0;
  for (let index = 0; index < 16; index++) {
    const code = hash.charCodeAt(index);
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;
    if (digit < 0) return false;
    if (index < 8) one = (one << 4) | digit;
    else two = (two << 4) | digit;
  }
  parsedOne = one >>> 0;
  parsedTwo = two >>> 0;
  return true;
}

function hex(word: number): string {
  const text = word.toString(16);
  return text.length === 8 ? text : "00000000".slice(text.length) + text;
}

function capacityFor(count: number): number {
  let capacity = MIN_SLOTS;
  while (capacity < count) capacity *= 2;
  return capacity;
}

function newTable(): JobTable {
  return {
    index: new Int32Array(MIN_SLOTS * 2).fill(EMPTY),
    indexUsed: 0,
    slots: 0,
    live: 0,
    keyHash: new Uint32Array(MIN_SLOTS),
    keyStart: new Uint32Array(MIN_SLOTS),
    keyLength: new Uint32Array(MIN_SLOTS),
    hashOne: new Uint32Array(MIN_SLOTS),
    hashTwo: new Uint32Array(MIN_SLOTS),
    seen: new Uint32Array(MIN_SLOTS),
    state: new Uint8Array(MIN_SLOTS),
    other: new Map(),
    arena: new Uint8Array(MIN_SLOTS * 16),
    arenaUsed: 0,
    runs: new Map(),
  };
}

/** Bytes a stored key takes in the arena. */
function bytesOf(packedLength: number): number {
  return packedLength & 1 ? (packedLength >>> 1) * 2 : packedLength >>> 1;
}

function sameKey(table: JobTable, slot: number, key: string): boolean {
  const packed = table.keyLength[slot]!;
  if (packed >>> 1 !== key.length) return false;
  const start = table.keyStart[slot]!;
  const arena = table.arena;
  if (packed & 1) {
    for (let index = 0; index < key.length; index++) {
      const at = start + index * 2;
      if ((arena[at]! | (arena[at + 1]! << 8)) !== key.charCodeAt(index)) return false;
    }
    return true;
  }
  for (let index = 0; index < key.length; index++) {
    if (arena[start + index] !== key.charCodeAt(index)) return false;
  }
  return true;
}

/** The index cell holding `key`, or -1. */
function cellOf(table: JobTable, key: string, hash: number): number {
  const index = table.index;
  const mask = index.length - 1;
  for (let cell = hash & mask; ; cell = (cell + 1) & mask) {
    const slot = index[cell]!;
    if (slot === EMPTY) return -1;
    if (slot >= 0 && table.keyHash[slot] === hash && sameKey(table, slot, key)) return cell;
  }
}

function keyAt(table: JobTable, slot: number): string {
  const packed = table.keyLength[slot]!;
  const length = packed >>> 1;
  const start = table.keyStart[slot]!;
  const codes = new Uint16Array(length);
  for (let index = 0; index < length; index++) {
    codes[index] =
      packed & 1
        ? table.arena[start + index * 2]! | (table.arena[start + index * 2 + 1]! << 8)
        : table.arena[start + index]!;
  }
  let key = "";
  for (let at = 0; at < length; at += 8192) {
    key += String.fromCharCode(...codes.subarray(at, Math.min(length, at + 8192)));
  }
  return key;
}

/** Rebuilds the index at a load of at most one half, dropping tombstones. */
function reindex(table: JobTable): void {
  const index = new Int32Array(capacityFor(table.live * 2)).fill(EMPTY);
  const mask = index.length - 1;
  for (let slot = 0; slot < table.slots; slot++) {
    if (table.state[slot] === DELETED) continue;
    let cell = table.keyHash[slot]! & mask;
    while (index[cell] !== EMPTY) cell = (cell + 1) & mask;
    index[cell] = slot;
  }
  table.index = index;
  table.indexUsed = table.live;
}

/**
 * Moves the live records into arrays with room for half as many again (plus `extraBytes`
 * of keys), dropping deleted ones: growth when the table is full of live records,
 * compaction when deletions left it full of holes.
 */
function rebuild(table: JobTable, extraBytes: number): void {
  const from = { ...table };
  let liveBytes = extraBytes;
  for (let slot = 0; slot < from.slots; slot++) {
    if (from.state[slot] !== DELETED) liveBytes += bytesOf(from.keyLength[slot]!);
  }
  const slots = capacityFor(Math.ceil(table.live * 1.5) + 1);
  const words = () => new Uint32Array(slots);
  table.keyHash = words();
  table.keyStart = words();
  table.keyLength = words();
  table.hashOne = words();
  table.hashTwo = words();
  table.seen = words();
  table.state = new Uint8Array(slots);
  table.arena = new Uint8Array(capacityFor(Math.ceil((liveBytes * 1.5 + 1) / 16)) * 16);
  if (table.live === from.slots) {
    // Nothing deleted: the arrays are copied whole.
    table.keyHash.set(from.keyHash.subarray(0, from.slots));
    table.keyStart.set(from.keyStart.subarray(0, from.slots));
    table.keyLength.set(from.keyLength.subarray(0, from.slots));
    table.hashOne.set(from.hashOne.subarray(0, from.slots));
    table.hashTwo.set(from.hashTwo.subarray(0, from.slots));
    table.seen.set(from.seen.subarray(0, from.slots));
    table.state.set(from.state.subarray(0, from.slots));
    table.arena.set(from.arena.subarray(0, from.arenaUsed));
    return; // slot numbers are unchanged, so is the index
  }
  table.other = new Map();
  let next = 0;
  let arenaUsed = 0;
  for (let slot = 0; slot < from.slots; slot++) {
    if (from.state[slot] === DELETED) continue;
    const start = from.keyStart[slot]!;
    const bytes = bytesOf(from.keyLength[slot]!);
    for (let index = 0; index < bytes; index++) table.arena[arenaUsed + index] = from.arena[start + index]!;
    table.keyStart[next] = arenaUsed;
    arenaUsed += bytes;
    table.keyLength[next] = from.keyLength[slot]!;
    table.keyHash[next] = from.keyHash[slot]!;
    table.hashOne[next] = from.hashOne[slot]!;
    table.hashTwo[next] = from.hashTwo[slot]!;
    table.seen[next] = from.seen[slot]!;
    table.state[next] = from.state[slot]!;
    const other = from.other.get(slot);
    if (other !== undefined) table.other.set(next, other);
    next++;
  }
  table.slots = next;
  table.arenaUsed = arenaUsed;
  reindex(table);
}

function addSlot(table: JobTable, key: string, hash: number): number {
  let wide = false;
  for (let index = 0; index < key.length && !wide; index++) wide = key.charCodeAt(index) > 0xff;
  const bytes = wide ? key.length * 2 : key.length;
  if (table.slots === table.keyHash.length || table.arenaUsed + bytes > table.arena.length) {
    rebuild(table, bytes);
  }
  if ((table.indexUsed + 1) * 4 > table.index.length * 3) reindex(table);
  const slot = table.slots++;
  table.live++;
  table.keyHash[slot] = hash;
  table.keyStart[slot] = table.arenaUsed;
  table.keyLength[slot] = key.length * 2 + (wide ? 1 : 0);
  const arena = table.arena;
  const start = table.arenaUsed;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (wide) {
      arena[start + index * 2] = code & 0xff;
      arena[start + index * 2 + 1] = code >>> 8;
    } else arena[start + index] = code;
  }
  table.arenaUsed += bytes;
  const index = table.index;
  const mask = index.length - 1;
  let cell = hash & mask;
  while (index[cell]! >= 0) cell = (cell + 1) & mask;
  if (index[cell] === EMPTY) table.indexUsed++;
  index[cell] = slot;
  return slot;
}

/**
 * The in-process {@link RecordHashStore}. Records live in typed arrays outside the
 * JavaScript heap (no string or object per record): a million records of 10-character
 * keys take about 50 MB, and the garbage collector has nothing to trace. A hash as
 * `contentHash` gives it (16 hex characters) is kept as 8 bytes; any other text is kept
 * as is.
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
  const jobs = new Map<string, JobTable>();
  let runs = 0;
  const of = (jobId: string): JobTable => {
    let table = jobs.get(jobId);
    if (!table) {
      table = newTable();
      jobs.set(jobId, table);
    }
    return table;
  };
  const runNumber = (table: JobTable, runId: string) => {
    let number = table.runs.get(runId);
    if (number === undefined) {
      number = ++runs;
      table.runs.set(runId, number);
      if (table.runs.size > RUNS_KEPT) table.runs.delete(table.runs.keys().next().value!);
    }
    return number;
  };
  return {
    async getMany(jobId, keys) {
      const found = new Map<string, string>();
      const table = jobs.get(jobId);
      if (!table) return found;
      for (const key of keys) {
        const cell = cellOf(table, key, keyHashOf(key));
        if (cell < 0) continue;
        const slot = table.index[cell]!;
        found.set(
          key,
          table.state[slot] === PACKED
            ? hex(table.hashOne[slot]!) + hex(table.hashTwo[slot]!)
            : table.other.get(slot)!,
        );
      }
      return found;
    },
    async setMany(jobId, entries) {
      const table = of(jobId);
      let lastRunId: string | undefined;
      let run = 0;
      for (const entry of entries) {
        if (entry.seenRun !== lastRunId) {
          lastRunId = entry.seenRun;
          run = runNumber(table, entry.seenRun);
        }
        const hash = keyHashOf(entry.key);
        const cell = cellOf(table, entry.key, hash);
        const slot = cell >= 0 ? table.index[cell]! : addSlot(table, entry.key, hash);
        if (parsePacked(entry.hash)) {
          table.hashOne[slot] = parsedOne;
          table.hashTwo[slot] = parsedTwo;
          table.state[slot] = PACKED;
          table.other.delete(slot);
        } else {
          table.state[slot] = OTHER;
          table.other.set(slot, entry.hash);
        }
        table.seen[slot] = run;
      }
    },
    async *unseen(jobId, runId) {
      const table = jobs.get(jobId);
      if (!table) return;
      const run = table.runs.get(runId) ?? 0;
      // Taken before yielding, so the caller may delete while it iterates.
      const keys: string[] = [];
      for (let slot = 0; slot < table.slots; slot++) {
        if (table.state[slot] !== DELETED && table.seen[slot] !== run) keys.push(keyAt(table, slot));
      }
      yield* keys;
    },
    async deleteMany(jobId, keys) {
      const table = jobs.get(jobId);
      if (!table) return;
      for (const key of keys) {
        const cell = cellOf(table, key, keyHashOf(key));
        if (cell < 0) continue;
        const slot = table.index[cell]!;
        table.index[cell] = TOMBSTONE;
        table.state[slot] = DELETED;
        table.other.delete(slot);
        table.live--;
      }
    },
  };
}
