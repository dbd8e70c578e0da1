// The pipeline, in the order data flows: validate -> dedupe -> filter -> encode+route ->
// publish to the sink. Receivers (gRPC, or an embedding program calling publish directly)
// hand it whole batches; a batch is accepted whole or rejected whole, and publish()
// resolves only once every record of the batch is in the sink.
import type { PublishRequest, SparkEvent } from '@sparkwire/proto';
import type { Encoder } from '@sparkwire/encoding';
import { BatchLedger, EventIdWindow, batchFingerprint, sameFingerprint, type BatchOutcome } from './dedupe';
import { PipelineError, Status } from './errors';
import { RecordFitter, type OversizePolicy } from './fit';
import { Router, type RouteConfig } from './route';
import { isRecordsRefused, type OutRecord, type Sink } from './sink';
import { PipelineStats } from './stats';
import { isTaskEvent, validateBatch, type BatchLimits } from './validate';
import type { PipelineSettings } from './config';

/**
 * The configured settings (config.ts: extended mode, which filters task-level events and tells
 * clients not to send them; the dedupe windows; how long a caller waits for the sink before it
 * gets UNAVAILABLE, the publish itself going on) and what the pipeline is wired to.
 */
export interface PipelineOptions extends PipelineSettings {
  limits: BatchLimits;
  route: RouteConfig;
  encoder: Encoder;
  sink: Sink;
  /** Processors that see every event once it is published (traces, metrics). */
  observers?: EventObserver[];
  /** An event too large for the sink's record limit: truncate its free text (default) or refuse the batch (fit.ts). */
  oversize?: OversizePolicy;
}

/**
 * Sees each published event exactly once, after the sink confirmed it (resends and
 * duplicates are not passed on). Must be fast and must not throw: it runs on the ingest
 * path. Task events reach observers only in extended mode.
 */
export interface EventObserver {
  readonly name: string;
  onEvents(events: SparkEvent[]): void;
}

export interface PublishResult {
  /** The request's batch_seq (uint64, exact). */
  batchSeq: bigint;
  accepted: number;
  duplicates: number;
  taskEventsWanted: boolean;
}

const STATUS_NAMES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  8: 'RESOURCE_EXHAUSTED',
  14: 'UNAVAILABLE',
};

export class Pipeline {
  readonly stats = new PipelineStats();
  private readonly ledger: BatchLedger;
  private readonly published: EventIdWindow;
  private readonly router: Router;
  private readonly fitter: RecordFitter;
  private readonly inFlight = new Set<Promise<unknown>>();
  private embeddedSeq = 0n;

  constructor(readonly options: PipelineOptions) {
    this.ledger = new BatchLedger(options.dedupe.batchWindow);
    this.published = new EventIdWindow(options.dedupe.eventWindow);
    this.router = new Router(options.route, options.encoder);
    this.fitter = new RecordFitter(options.sink, this.router, this.stats, options.oversize);
  }

  get taskEventsWanted(): boolean {
    return this.options.extended;
  }

  get sink(): Sink {
    return this.options.sink;
  }

  /**
   * Publishes one batch. Resolves when all of it is in the sink; rejects with a
   * PipelineError: INVALID_ARGUMENT / RESOURCE_EXHAUSTED (the batch is refused, nothing
   * of it published, do not resend) or UNAVAILABLE (retry the same batch later).
   */
  async publish(req: PublishRequest, sizeBytes = 0, rawEvents?: Uint8Array[]): Promise<PublishResult> {
    const n = req.events.length;
    try {
      validateBatch(req, sizeBytes, this.options.limits);
    } catch (err) {
      this.countRejected(err, n);
      throw err;
    }
    if (req.clientStats) this.recordClientStats(req);
    const result = (o: BatchOutcome): PublishResult => ({
      batchSeq: req.batchSeq,
      accepted: o.accepted,
      duplicates: o.duplicates,
      taskEventsWanted: this.options.extended,
    });
    if (n === 0) return result({ accepted: 0, duplicates: 0 });

    // An ack covers exactly the events published (or durably queued by the sink): a batch is
    // answered from memory only when it is a resend, the same client, batch_seq *and* event
    // ids (fingerprint). The same seq with other ids is a new batch: published below, its
    // events deduplicated one by one (those already published count as duplicates).
    const fingerprint = batchFingerprint(req.events);
    const original = this.ledger.lookup(req.clientId, req.batchSeq);
    if (original && sameFingerprint(original.fingerprint, fingerprint)) {
      // A resend: the first copy is published or on its way; never publish it twice.
      const o = await this.withTimeout(original.outcome);
      PipelineStats.add(this.stats.duplicates, 'batch_resend', n);
      return result({ accepted: o.accepted, duplicates: n });
    }
    if (original) this.stats.reusedBatchSeq++;
    if (!this.options.sink.isReady()) {
      this.countRejected(null, n, 'UNAVAILABLE');
      const why = this.options.sink.unavailableReason?.() ?? 'is not reachable';
      throw new PipelineError(Status.UNAVAILABLE, `sink ${this.options.sink.name} ${why}; retry later`);
    }
    const outcome = this.write(req.events, rawEvents);
    this.ledger.track(req.clientId, req.batchSeq, fingerprint, outcome);
    return result(await this.withTimeout(outcome));
  }

  /** For embedding programs: publish events without gRPC, as one batch of this process. */
  publishEvents(events: SparkEvent[], clientId = 'embedded'): Promise<PublishResult> {
    return this.publish({ clientId, batchSeq: ++this.embeddedSeq, events, clientStats: undefined });
  }

  /**
   * Marks event ids as already published, e.g. those a durable sink recovered after a
   * restart, so a client resending them to the new process is answered as a duplicate.
   */
  rememberPublished(eventIds: Iterable<string>): void {
    for (const id of eventIds) this.published.add(id);
  }

  /** Waits for every publish in flight (used by shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async write(events: SparkEvent[], raw?: Uint8Array[]): Promise<BatchOutcome> {
    const records: OutRecord[] = [];
    const fresh: SparkEvent[] = [];
    const freshHashes: number[] = [];
    let duplicates = 0;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const kind = ev.body!.$case;
      PipelineStats.add(this.stats.received, kind);
      if (!this.options.extended && isTaskEvent(ev)) {
        PipelineStats.add(this.stats.filtered, kind);
        continue;
      }
      const idHash = this.published.hash(ev.eventId);
      if (this.published.has(ev.eventId, idHash)) {
        duplicates++;
        PipelineStats.add(this.stats.duplicates, kind);
        continue;
      }
      fresh.push(ev);
      freshHashes.push(idHash);
      const first = records.length;
      this.router.route(ev, records, raw?.[i]);
      this.fitter.check(ev, i, records, first, events.length);
    }
    const task = records.length > 0 ? this.options.sink.write(records, { eventIds: fresh.map((e) => e.eventId) }) : Promise.resolve();
    this.inFlight.add(task);
    this.stats.inFlightBatches++;
    try {
      await task;
    } catch (err) {
      if (isRecordsRefused(err)) {
        // The backend refused these records for what they are (no spool in front of it): a resend cannot succeed.
        this.countRejected(null, events.length, 'INVALID_ARGUMENT');
        throw new PipelineError(Status.INVALID_ARGUMENT, `events: sink ${this.options.sink.name} refused the batch's records (${err.reason}): ${err.message}; not published (parts of a batch split over several requests may be)`, 'events');
      }
      this.countRejected(null, events.length, 'UNAVAILABLE');
      throw new PipelineError(Status.UNAVAILABLE, `sink ${this.options.sink.name}: ${(err as Error).message}; retry later`);
    } finally {
      this.inFlight.delete(task);
      this.stats.inFlightBatches--;
    }
    // Remembered only once published: a duplicate racing an in-flight original is
    // published twice rather than risk acking something that then fails.
    for (let i = 0; i < fresh.length; i++) {
      this.published.add(fresh[i].eventId, freshHashes[i]);
      PipelineStats.add(this.stats.published, fresh[i].body!.$case);
    }
    for (const o of this.options.observers ?? []) {
      try {
        o.onEvents(fresh);
      } catch {
        // An observer bug must not fail a batch the sink already holds.
        PipelineStats.add(this.stats.observerErrors, o.name);
      }
    }
    this.stats.batches++;
    this.stats.recordsWritten += records.length;
    return { accepted: events.length - duplicates, duplicates };
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.options.ackTimeoutMs;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PipelineError(Status.UNAVAILABLE, `sink ${this.options.sink.name} did not confirm within ${ms} ms; retry later`)),
        ms,
      );
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private countRejected(err: unknown, n: number, name?: string): void {
    const code = err instanceof PipelineError ? err.code : undefined;
    PipelineStats.add(this.stats.rejected, name ?? STATUS_NAMES[code ?? -1] ?? 'UNKNOWN', n);
  }

  private recordClientStats(req: PublishRequest): void {
    const s = req.clientStats!;
    this.stats.clients.set(req.clientId, {
      clientId: req.clientId,
      clientKind: s.clientKind,
      // Counters for metrics (doubles): Number() is exact up to 2^53 events.
      droppedBufferFull: Number(s.droppedBufferFull),
      droppedSidecarUnavailable: Number(s.droppedSidecarUnavailable),
      sparkDroppedEvents: Number(s.sparkDroppedEvents),
      eventsSent: Number(s.eventsSent),
      taskEventsSkipped: Number(s.taskEventsSkipped),
      updatedAtMs: Date.now(),
    });
  }
}
