// Resource limits of the receiver: bytes of batches in flight over all clients, and open
// streams per client and in total. Memory is bounded by bytes (a few large batches weigh
// as much as many small ones), not by counts of batches or events.

/** Bytes of batches received and not yet settled, over all calls. */
export class InFlightBudget {
  used = 0;
  peak = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly max: number) {}

  /** For Publish: admits the batch unless it would pass the budget (a lone batch is always admitted). */
  tryAcquire(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.max) return false;
    this.acquire(bytes);
    return true;
  }

  /** For streams: the batch is already read, so it is counted; the stream then stops reading while over. */
  acquire(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.used < this.max) for (const w of [...this.waiters]) w();
  }

  get over(): boolean {
    return this.used >= this.max;
  }

  /** Calls back (until removed) whenever bytes are released below the budget. */
  onFree(cb: () => void): () => void {
    this.waiters.add(cb);
    return () => this.waiters.delete(cb);
  }
}

/** Open streams per client id. */
export class StreamRegistry {
  private readonly perClient = new Map<string, number>();

  constructor(readonly maxPerClient: number) {}

  /** Registers a stream of this client; false (nothing registered) when it has its maximum already. */
  add(clientId: string): boolean {
    const n = this.perClient.get(clientId) ?? 0;
    if (n >= this.maxPerClient) return false;
    this.perClient.set(clientId, n + 1);
    return true;
  }

  remove(clientId: string): void {
    const n = this.perClient.get(clientId) ?? 0;
    if (n <= 1) this.perClient.delete(clientId);
    else this.perClient.set(clientId, n - 1);
  }

  count(clientId: string): number {
    return this.perClient.get(clientId) ?? 0;
  }
}
