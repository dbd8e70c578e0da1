// Counters of what the pipeline did, by event type. Read by metrics exporters and logs.

export type EventKind = string;

export interface ClientReport {
  clientId: string;
  clientKind: string;
  droppedBufferFull: number;
  droppedSidecarUnavailable: number;
  sparkDroppedEvents: number;
  eventsSent: number;
  taskEventsSkipped: number;
  updatedAtMs: number;
}

export class PipelineStats {
  readonly received = new Map<EventKind, number>();
  readonly published = new Map<EventKind, number>();
  readonly duplicates = new Map<EventKind, number>();
  /** Events dropped on purpose: task events while extended mode is off. */
  readonly filtered = new Map<EventKind, number>();
  /** Events of batches refused, by status name (INVALID_ARGUMENT, UNAVAILABLE, ...). */
  readonly rejected = new Map<string, number>();
  readonly clients = new Map<string, ClientReport>();
  /** Exceptions thrown by observers, by observer name. */
  readonly observerErrors = new Map<string, number>();
  /** Events whose free-text fields were truncated to fit the sink's record limit, by "eventKind:field". */
  readonly truncated = new Map<string, number>();
  /** Events too large for the sink even when truncated (their batches refused), by event kind. */
  readonly oversize = new Map<EventKind, number>();
  batches = 0;
  /** Batches that reused a batch_seq of their client with other event ids (published as new batches, not answered from memory). */
  reusedBatchSeq = 0;
  recordsWritten = 0;
  inFlightBatches = 0;

  static add(map: Map<string, number>, key: string, n = 1): void {
    map.set(key, (map.get(key) ?? 0) + n);
  }

  static total(map: Map<string, number>): number {
    let t = 0;
    for (const v of map.values()) t += v;
    return t;
  }

  snapshot(): Record<string, unknown> {
    return {
      received: Object.fromEntries(this.received),
      published: Object.fromEntries(this.published),
      duplicates: Object.fromEntries(this.duplicates),
      filtered: Object.fromEntries(this.filtered),
      rejected: Object.fromEntries(this.rejected),
      truncated: Object.fromEntries(this.truncated),
      oversize: Object.fromEntries(this.oversize),
      batches: this.batches,
      reusedBatchSeq: this.reusedBatchSeq,
      recordsWritten: this.recordsWritten,
      inFlightBatches: this.inFlightBatches,
      clients: [...this.clients.values()],
    };
  }
}
