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
 * The last `capacity` published event ids. A ring of slots plus a Map from id to slot:
 * evicting through a Set's oldest entry (values().next() after deletes) walks V8's hash
 * table tombstones and cost 10-38 us per add once full (measured in testing/bench).
 */
export class EventIdWindow {
  private readonly slotOf = new Map<string, number>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array(Math.max(0, capacity));
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0 || this.slotOf.has(id)) return;
    const old = this.ring[this.next];
    if (old !== undefined && this.slotOf.get(old) === this.next) this.slotOf.delete(old);
    this.ring[this.next] = id;
    this.slotOf.set(id, this.next);
    this.next = (this.next + 1) % this.capacity;
  }

  delete(id: string): void {
    this.slotOf.delete(id);
  }

  get size(): number {
    return this.slotOf.size;
  }
}
