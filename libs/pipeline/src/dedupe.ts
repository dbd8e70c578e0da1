// Step 2: a batch or an event is published at most once per sidecar lifetime.
//
// Clients resend unacked batches after a reconnect with the same client_id, batch_seq and
// event ids. The BatchLedger remembers recent batches per client, keyed by batch_seq (a
// uint64, as bigint: exact), with a fingerprint of their event ids: a resend (same seq, same
// fingerprint) of a batch still in flight waits for the original's outcome; a resend of a
// published batch is answered from memory. A batch that reuses a seq with *other* event ids
// (a client restarted with a stable client_id, or a client bug) is not a resend: it is
// published as a new batch, each of its events going through the EventIdWindow like any
// other, so an ack never covers events that were not published. The EventIdWindow catches
// event ids already published under another batch (a client that re-batched after a
// restart, or a reused seq whose batch repeats some ids): those count as duplicates, the
// rest are published. Both are bounded: memory stays flat however long the sidecar runs.
//
// Event ids are compared as the strings the decoder produced, exactly (no normalization).
// Two different byte strings must therefore never decode to the same id: the receiver
// refuses invalid UTF-8 (INVALID_ARGUMENT) instead of replacing it with U+FFFD.

export interface BatchOutcome {
  accepted: number;
  duplicates: number;
}

/**
 * What identifies a batch's content, cheaply: its event count and a 64-bit hash (two
 * independent 32-bit lanes) of its event ids in order. Two batches with the same seq and the
 * same fingerprint are taken as the same batch; a collision (about 2^-64 for a given pair of
 * different batches under the same client and seq) is the only way a reused seq could be
 * answered from memory.
 */
export interface BatchFingerprint {
  count: number;
  a: number;
  b: number;
}

export function batchFingerprint(events: readonly { eventId: string }[]): BatchFingerprint {
  let a = 0x811c9dc5 | 0; // FNV-1a
  let b = 0x9747b28c | 0; // a multiply-xorshift lane with another multiplier
  for (let e = 0; e < events.length; e++) {
    const id = events[e].eventId;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // The id's end, as a value no UTF-16 code unit has: ["ab", "c"] and ["a", "bc"] differ.
    const end = 0x10000 + id.length;
    a = Math.imul(a ^ end, 0x01000193);
    b = Math.imul(b ^ end, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return { count: events.length, a: a >>> 0, b: b >>> 0 };
}

export function sameFingerprint(x: BatchFingerprint, y: BatchFingerprint): boolean {
  return x.count === y.count && x.a === y.a && x.b === y.b;
}

export interface LedgerEntry {
  fingerprint: BatchFingerprint;
  outcome: Promise<BatchOutcome>;
}

export class BatchLedger {
  private readonly clients = new Map<string, Map<bigint, LedgerEntry>>();

  constructor(
    private readonly perClient: number,
    private readonly maxClients = 10_000,
  ) {}

  /** The latest publish of this client's batch_seq (in flight or published), with its fingerprint. */
  lookup(clientId: string, seq: bigint): LedgerEntry | undefined {
    return this.clients.get(clientId)?.get(seq);
  }

  /**
   * Records an in-flight publish; it is forgotten if it fails so a resend retries. A batch
   * that reused the seq with other content replaces the entry: resends of either copy stay
   * safe (a miss here goes through the per-event dedupe, which answers published ids as duplicates).
   */
  track(clientId: string, seq: bigint, fingerprint: BatchFingerprint, outcome: Promise<BatchOutcome>): void {
    let batches = this.clients.get(clientId);
    if (!batches) {
      if (this.clients.size >= this.maxClients) this.clients.delete(this.clients.keys().next().value!);
      batches = new Map();
      this.clients.set(clientId, batches);
    }
    const entry = { fingerprint, outcome };
    batches.delete(seq); // re-inserted last: a reused seq is the newest entry
    batches.set(seq, entry);
    if (batches.size > this.perClient) batches.delete(batches.keys().next().value!);
    outcome.catch(() => {
      if (batches.get(seq) === entry) batches.delete(seq);
    });
  }
}

/**
 * The last `capacity` published event ids: a ring of slots (the ids, oldest overwritten
 * first) and an open-addressing hash table of (hash, slot) pairs in one Int32Array.
 *
 * Why not a Map<string, slot>: at the closed loop's 100,000 ids the Map's 4-5 operations per
 * event (has, then add: has, get and delete of the evicted id, set) cost 600-1,000 ns per
 * event, most of it cache misses on the table and on the key strings it compares, and the
 * pipeline's largest item of its own (6.9-8.5% of the sidecar's CPU). Here a lookup reads one
 * cache line of the table and compares the string only when its 32-bit hash matches, and the
 * table is a flat typed array the garbage collector does not walk. Ids are still compared
 * exactly (===): a hash collision costs a string comparison, never a dropped event.
 *
 * The hash is seeded per window (per process), so ids made to collide in one sidecar's table
 * do not collide in another's; clients are also authenticated when the port is exposed.
 */
export class EventIdWindow {
  private readonly ring: Array<string | undefined>;
  /** The hash of ring[slot], to find its table entry when the slot is overwritten. */
  private readonly ringHash: Int32Array;
  /** Pairs [hash, slot + 1]; slot + 1 = 0 marks an empty pair. Linear probing. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly seed: number;
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    const cap = Math.max(0, capacity);
    this.ring = new Array(cap);
    this.ringHash = new Int32Array(cap);
    // At most half full: probe chains stay short (about 1.5 pairs on a hit, 2.5 on a miss).
    let size = 8;
    while (size < cap * 2) size *= 2;
    this.table = new Int32Array(size * 2);
    this.mask = size - 1;
    this.seed = (Math.random() * 0x100000000) | 0;
  }

  has(id: string, h = this.hash(id)): boolean {
    return this.find(id, h) >= 0;
  }

  /** `add` with the hash `has` was given: hashing a 40-character id costs more than the lookup. */
  add(id: string, h = this.hash(id)): void {
    if (this.capacity <= 0) return;
    if (this.find(id, h) >= 0) return;
    const slot = this.next;
    if (this.ring[slot] !== undefined) this.removeAt(this.findSlot(slot));
    this.ring[slot] = id;
    this.ringHash[slot] = h;
    const t = this.table;
    let i = h & this.mask;
    while (t[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    t[2 * i] = h;
    t[2 * i + 1] = slot + 1;
    this.count++;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
  }

  delete(id: string): void {
    const i = this.find(id, this.hash(id));
    if (i < 0) return;
    this.ring[this.table[2 * i + 1] - 1] = undefined;
    this.removeAt(i);
  }

  get size(): number {
    return this.count;
  }

  /** The id's hash in this window, for has() and add() of the same id. */
  hash(id: string): number {
    // FNV-1a in two lanes (even and odd code units): one lane's multiply chain is the
    // limit, ~4 ns per code unit here; two lanes take ~2.5.
    let a = this.seed ^ 0x811c9dc5;
    let b = this.seed ^ 0x2545f491;
    const n = id.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      a = Math.imul(a ^ id.charCodeAt(i), 0x01000193);
      b = Math.imul(b ^ id.charCodeAt(i + 1), 0x01000193);
    }
    if (i < n) a = Math.imul(a ^ id.charCodeAt(i), 0x01000193);
    let h = Math.imul(a, 0x9e3779b1) ^ b ^ n;
    // murmur3's finalizer: FNV's low bits, which pick the bucket, are weak on their own.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The table index of `id`, or -1. */
  private find(id: string, h: number): number {
    const t = this.table;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = t[2 * i + 1];
      if (s === 0) return -1;
      if (t[2 * i] === h && this.ring[s - 1] === id) return i;
    }
  }

  /** The table index of the pair that points at ring slot `slot` (which is in the table). */
  private findSlot(slot: number): number {
    const t = this.table;
    for (let i = this.ringHash[slot] & this.mask; ; i = (i + 1) & this.mask) if (t[2 * i + 1] === slot + 1) return i;
  }

  /** Empties pair `i`, shifting later pairs of its chain back so no lookup stops early. */
  private removeAt(i: number): void {
    const t = this.table;
    const mask = this.mask;
    for (let j = i; ; ) {
      j = (j + 1) & mask;
      if (t[2 * j + 1] === 0) break;
      const home = t[2 * j] & mask;
      // The pair at j may fill the hole at i only if its home is not cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      t[2 * i] = t[2 * j];
      t[2 * i + 1] = t[2 * j + 1];
      i = j;
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    this.count--;
  }
}
