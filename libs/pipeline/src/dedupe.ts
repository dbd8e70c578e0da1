// Step 2: a batch or an event is published at most once per sidecar lifetime.
//
// Clients resend unacked batches after a reconnect with the same client_id, batch_seq and
// event ids. The BatchLedger remembers recent batches per client: a resend of a batch
// still in flight waits for the original's outcome; a resend of a published batch is
// answered from memory. The EventIdWindow catches event ids already published under
// another batch (a client that re-batched after a restart). Both are bounded: memory
// stays flat however long the sidecar runs.

export interface BatchOutcome {
  accepted: number;
  duplicates: number;
}

export class BatchLedger {
  private readonly clients = new Map<string, Map<number, Promise<BatchOutcome>>>();

  constructor(
    private readonly perClient: number,
    private readonly maxClients = 10_000,
  ) {}

  /** The original publish of this batch, if it is in flight or was published. */
  lookup(clientId: string, seq: number): Promise<BatchOutcome> | undefined {
    return this.clients.get(clientId)?.get(seq);
  }

  /** Records an in-flight publish; it is forgotten if it fails so a resend retries. */
  track(clientId: string, seq: number, outcome: Promise<BatchOutcome>): void {
    let batches = this.clients.get(clientId);
    if (!batches) {
      if (this.clients.size >= this.maxClients) this.clients.delete(this.clients.keys().next().value!);
      batches = new Map();
      this.clients.set(clientId, batches);
    }
    batches.set(seq, outcome);
    if (batches.size > this.perClient) batches.delete(batches.keys().next().value!);
    outcome.catch(() => {
      if (batches.get(seq) === outcome) batches.delete(seq);
    });
  }
}

/**
 * The last `capacity` published event ids. A ring of slots plus a Map from id to slot:
 * evicting through a Set's oldest entry (values().next() after deletes) walks V8's hash
 * table tombstones and cost 10-38 us per add once full (measured in tools/bench).
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
