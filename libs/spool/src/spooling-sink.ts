// SpoolingSink: the durable spool in front of a real sink (Kafka), as a Sink itself, so the
// pipeline stays as it is.
//
//   write(records) appends one entry (the batch) to the write-ahead log and resolves once
//   it is durable per the fsync policy: that is when the client gets its ack.
//   A single drainer publishes entries in order to the inner sink, tracks the published
//   position in a checkpoint file and deletes segments once everything in them is published.
//
// isReady() is true while the spool is under its byte cap, whatever the state of Kafka: an
// outage fills the spool instead of refusing clients. At the cap the pipeline answers
// UNAVAILABLE (retryable) and clients keep the batches in their own buffers.
import { mkdirSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipelineConfigSchema, type OutRecord, type Sink, type WriteMeta } from '@sparkwire/pipeline';
import { writeCheckpoint, type Checkpoint } from './checkpoint';
import { EntryCache, SpoolCursor } from './cursor';
import { spoolConfigSchema } from './config';
import { DeadLetterStore, type DeadLetterEntry } from './dead-letter';
import { Drainer, type Group } from './drainer';
import { encodeEntry, spooledRecords } from './entry-codec';
import { ENTRY_HEADER_BYTES } from './segment-format';
import { acquireLock } from './lock';
import { recover, type CorruptionReport, type RecoveryResult } from './recovery';
import type { DrainerState, SpoolEvents, SpoolLogger, SpoolOptions, SpoolStats } from './spool-types';
import { WriteAheadLog, type Visible } from './wal';

export { DRAINER_STATES, type DrainerState, type SpoolEvents, type SpoolLogger, type SpoolOptions, type SpoolStats } from './spool-types';

// A spool built without the configuration (tests, tools) gets what a sidecar started without
// settings has, not defaults of its own.
const spoolDefaults = spoolConfigSchema.parse({});
const pipelineDefaults = pipelineConfigSchema.parse({});


type Tag = { records: OutRecord[] };

export class SpoolingSink implements Sink {
  readonly name: string;
  private wal?: WriteAheadLog<Tag>;
  private drainer?: Drainer;
  private cursor?: SpoolCursor;
  private cache: EntryCache;
  private release?: () => void;
  private recovery?: RecoveryResult;
  private closing = false;
  private closed = false;
  private accepting = false;
  private lastVisibleSeq = 0;
  private corruptionCount = 0;
  private checkpointed?: Checkpoint;
  private checkpointing?: Promise<void>;
  private checkpointDirty = false;
  private checkpoints = 0;
  private closeDeadline?: number;
  private readonly deadLetter: DeadLetterStore;
  private deadLetterTimer?: NodeJS.Timeout;
  /** Append times of entries not yet published, sampled (at most one per 100 ms), oldest first. */
  private pendingTimes: Array<{ seq: number; timeMs: number }> = [];

  constructor(
    readonly inner: Sink,
    private readonly opts: SpoolOptions,
    private readonly log: SpoolLogger,
    private readonly events: SpoolEvents = {},
  ) {
    this.name = inner.name;
    this.cache = new EntryCache(opts.cacheBytes ?? spoolDefaults.cacheBytes);
    this.deadLetter = new DeadLetterStore(opts.dir, opts.deadLetterMaxBytes ?? spoolDefaults.deadLetterMaxBytes);
  }

  /** The spool directory. */
  get dir(): string {
    return this.opts.dir;
  }

  /** Recovers the spool, starts the inner sink and the drainer. Throws only for I/O errors or a spool in use. */
  async start(): Promise<void> {
    mkdirSync(this.opts.dir, { recursive: true });
    this.release = acquireLock(this.opts.dir);
    const rec = await recover(this.opts.dir, { idWindow: this.opts.recoverEventIds ?? pipelineDefaults.dedupeEventWindow });
    this.recovery = rec;
    for (const c of rec.corruption) this.reportCorruption(c);
    if (rec.checkpointProblem) this.log.warn({ problem: rec.checkpointProblem }, 'spool checkpoint unusable: replaying everything still in the spool');
    this.lastVisibleSeq = rec.lastSeq;
    this.wal = await WriteAheadLog.open<Tag>(
      { dir: this.opts.dir, segmentBytes: this.opts.segmentBytes, fsync: this.opts.fsync, fsyncIntervalMs: this.opts.fsyncIntervalMs },
      rec.segments,
      rec.lastSeq,
      (v) => this.onVisible(v),
    );
    this.cursor = new SpoolCursor(
      this.wal as WriteAheadLog<unknown>,
      this.cache,
      (segment, bad) => {
        if (this.recovery?.knownBad.get(segment)?.has(bad.offset)) return;
        this.reportCorruption({ segment, ...bad, action: 'skipped' });
      },
      (segment, offset, err) => this.reportCorruption({ segment, offset, length: 0, reason: `undecodable payload: ${err.message}`, action: 'skipped' }),
      this.opts.valuesAsBytes ?? false,
    );
    this.checkpointed = rec.position;
    this.drainer = new Drainer(
      this.inner,
      this.cursor,
      rec.position,
      {
        maxRecords: this.opts.publishMaxRecords,
        maxBytes: this.opts.publishMaxBytes,
        readbackLimit: this.opts.readbackLimit ?? 2_000_000,
        log: this.log,
        deadLetter: this.deadLetter,
        onDeadLetter: (entries, file) => this.onDeadLetter(entries, file),
      },
      (g) => this.onPublished(g),
    );
    if (rec.tail.entries > 0) {
      this.log.info(
        { entries: rec.tail.entries, records: rec.tail.records, bytes: rec.tail.bytes, oldestMs: rec.tail.firstTimeMs, checkpoint: rec.position },
        'spool: replaying entries the last process had not published',
      );
      if (this.inner.recentRecordKeys) {
        const margin = this.opts.readbackMarginMs ?? 10_000;
        this.drainer.readback = {
          untilSeq: rec.lastSeq,
          sinceMs: Math.max(rec.position.atMs, rec.tail.firstTimeMs ?? 0) - margin,
          topics: rec.tail.topics,
          attempts: 0,
          state: 'pending',
        };
      }
    }
    const dl = await this.deadLetter.rescan();
    if (dl.files > 0) this.log.warn({ dir: this.deadLetter.dir, files: dl.files, bytes: dl.bytes }, 'spool: the dead-letter store holds records Kafka refused (sparkwire dead-letter list)');
    // A re-drive (another process) removes files: the figures follow within seconds.
    this.deadLetterTimer = setInterval(() => {
      if (this.deadLetter.stats().files > 0) void this.deadLetter.rescan().catch(() => undefined);
    }, 10_000);
    this.deadLetterTimer.unref();
    await this.inner.start();
    this.drainer.start();
    this.updateAccepting();
  }

  /** Appends the batch; resolves once it is durable per the fsync policy. */
  async write(records: OutRecord[], meta?: WriteMeta): Promise<void> {
    if (!this.wal || this.closing) throw new Error('spool is closed');
    if (this.wal.bytes >= this.opts.maxBytes) throw new Error(this.unavailableReason());
    const { buf, values } = encodeEntry(records, meta?.eventIds ?? [], ENTRY_HEADER_BYTES);
    // With valuesAsBytes the drainer (and the cache) gets views of the spooled bytes, not the strings.
    await this.wal.append(buf, { records: this.opts.valuesAsBytes ? spooledRecords(records, values) : records });
    this.updateAccepting();
  }

  isReady(): boolean {
    return this.accepting;
  }

  unavailableReason(): string {
    if (!this.wal || this.closing) return 'is shutting down';
    return `spool is full (${this.wal.bytes} of spool.maxBytes ${this.opts.maxBytes} bytes; Kafka ${this.inner.isReady() ? 'is slower than the input' : 'is unreachable'})`;
  }

  /** Readiness of the sink behind the spool (Kafka), for its own health entry. */
  innerReady(): boolean {
    return this.inner.isReady();
  }

  /** The inner sink's record limit: the pipeline decides before the ack what does not fit. */
  maxRecordBytes(topic: string): number | undefined {
    return this.inner.maxRecordBytes?.(topic);
  }

  refreshLimits(): Promise<void> {
    return this.inner.refreshLimits?.() ?? Promise.resolve();
  }

  /** Event ids of the newest entries found at start (published or not), for the pipeline's dedupe window; handed out once. */
  takeRecoveredEventIds(): string[] {
    const ids = this.recovery?.recentEventIds ?? [];
    if (this.recovery) this.recovery.recentEventIds = [];
    return ids;
  }

  get recovered(): RecoveryResult | undefined {
    return this.recovery;
  }

  /** close() publishes until this time (ms since the epoch) at the latest, then leaves the rest spooled. */
  setCloseDeadline(atMs: number): void {
    this.closeDeadline = atMs;
  }

  stats(): SpoolStats {
    const d = this.drainer?.stats;
    const w = this.wal?.stats;
    const pos = this.drainer?.position.seq ?? 0;
    while (this.pendingTimes.length > 0 && this.pendingTimes[0].seq < pos) this.pendingTimes.shift();
    const tailPending = !!this.recovery && this.recovery.tail.entries > 0 && pos <= this.recovery.lastSeq;
    const oldest = tailPending ? this.recovery!.tail.firstTimeMs : this.pendingTimes[0]?.timeMs;
    // Position 0 means "from the first entry on disk" (no checkpoint yet).
    const pendingEntries = this.lastVisibleSeq === 0 ? 0 : Math.max(0, this.lastVisibleSeq - Math.max(pos, this.wal?.segments[0]?.firstSeq ?? 1) + 1);
    const drainer: DrainerState = this.closed || !this.drainer
      ? 'stopped'
      : pendingEntries === 0 && !this.drainer.busy
        ? 'idle'
        : this.drainer.readback?.state === 'pending'
          ? 'reading_back'
          : !this.inner.isReady()
            ? 'waiting_for_kafka'
            : (d?.lastErrorMs ?? 0) > (d?.lastPublishMs ?? 0)
              ? 'backing_off'
              : 'draining';
    return {
      accepting: this.accepting,
      innerReady: this.inner.isReady(),
      bytes: this.wal?.bytes ?? 0,
      maxBytes: this.opts.maxBytes,
      segments: this.wal?.segments.length ?? 0,
      appendedEntries: w?.appends ?? 0,
      pendingEntries,
      publishedEntries: d?.publishedEntries ?? 0,
      publishedRecords: d?.publishedRecords ?? 0,
      publishFailures: d?.publishFailures ?? 0,
      oldestPendingMs: oldest !== undefined && pos <= this.lastVisibleSeq ? Date.now() - oldest : 0,
      fsyncs: w?.fsyncs ?? 0,
      checkpoints: this.checkpoints,
      cacheHits: this.cache.hits,
      diskReads: this.cursor?.diskReads ?? 0,
      corruption: this.corruptionCount,
      recovered: { entries: this.recovery?.tail.entries ?? 0, records: this.recovery?.tail.records ?? 0, skippedAlreadyPublished: d?.skippedAlreadyPublished ?? 0 },
      lastPublishError: d?.lastError,
      deadLetter: { records: d?.deadLettered ?? 0, files: this.deadLetter.stats().files, bytes: this.deadLetter.stats().bytes },
      lastPublishErrorMs: d?.lastErrorMs,
      drainer,
    };
  }

  /**
   * Stops accepting, keeps publishing until everything is out or the close deadline
   * (closeDrainMs, or setCloseDeadline) passes, records the position and closes. What is
   * left stays in the spool for the next start.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.updateAccepting();
    const deadline = this.closeDeadline ?? Date.now() + (this.opts.closeDrainMs ?? 5_000);
    let emptied = false;
    try {
      if (this.wal && this.drainer) {
        // Appends already accepted finish first (their clients are waiting for the ack).
        await this.wal.close();
        while (Date.now() < deadline && !this.caughtUp() && this.inner.isReady()) {
          this.drainer.wake();
          await new Promise((r) => setTimeout(r, 20));
        }
        await this.drainer.stop(Math.max(0, deadline - Date.now()));
        const left = this.caughtUp() ? 0 : this.lastVisibleSeq - this.drainer.position.seq + 1;
        if (left > 0) this.log.warn({ entriesLeft: left, bytes: this.wal.bytes }, 'spool: shutdown deadline reached; the rest stays in the spool for the next start');
        this.checkpointDirty = true;
        await this.checkpointLoop();
        await this.cursor?.close();
        if (left <= 0) {
          // Everything is published and every client has had its ack: an empty spool starts
          // the next process (nothing to replay, no old event ids to treat as duplicates).
          for (const seg of [...this.wal.segments]) await rm(seg.path, { force: true });
          await rm(join(this.opts.dir, 'checkpoint'), { force: true });
          emptied = true;
        }
      }
    } finally {
      this.closed = true;
      clearInterval(this.deadLetterTimer);
      this.release?.();
      if (emptied && this.opts.removeDirWhenDrained) await rmdir(this.opts.dir).catch(() => undefined);
      await this.inner.close();
    }
  }

  private caughtUp(): boolean {
    return !!this.drainer && !this.drainer.busy && (this.lastVisibleSeq === 0 || this.drainer.position.seq > this.lastVisibleSeq);
  }

  private onVisible(visible: Visible<Tag>[]): void {
    for (const v of visible) {
      this.cache.offer(v.segment.name, v.offset, { seq: v.seq, timeMs: v.timeMs, records: v.tag.records, size: v.size });
      const last = this.pendingTimes[this.pendingTimes.length - 1];
      if (!last || v.timeMs - last.timeMs >= 100) this.pendingTimes.push({ seq: v.seq, timeMs: v.timeMs });
      this.lastVisibleSeq = v.seq;
    }
    this.drainer?.wake();
  }

  private onPublished(g: Group): void {
    this.drainer!.position = { ...g.end, atMs: Date.now() };
    // A publish that completes after close() gave up waiting is left to the next start's read-back.
    if (this.closed) return;
    while (this.pendingTimes.length > 0 && this.pendingTimes[0].seq < g.end.seq) this.pendingTimes.shift();
    this.checkpointDirty = true;
    this.checkpointing ??= this.checkpointLoop().finally(() => (this.checkpointing = undefined));
  }

  /** Writes the checkpoint (coalescing: at most one write at a time), then removes published segments. */
  private async checkpointLoop(): Promise<void> {
    while (this.checkpointDirty) {
      this.checkpointDirty = false;
      const pos = { ...this.drainer!.position };
      try {
        await writeCheckpoint(this.opts.dir, pos);
        this.checkpointed = pos;
        this.checkpoints++;
        await this.removePublished();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'spool: cannot write the checkpoint; published entries may be replayed after a restart');
      }
      if (!this.closing) await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Deletes segments whose entries are all published (per the durable checkpoint). The newest
   * such segment is kept until a later one is published too: after a crash, the event ids in it
   * let the new process recognise batches that clients resend because their ack was lost.
   */
  private async removePublished(): Promise<void> {
    const wal = this.wal!;
    const cp = this.checkpointed!;
    const done = wal.segments.filter((s) => !s.active && s.lastSeq < cp.seq);
    const drop = done.slice(0, -1);
    if (drop.length === 0) return;
    for (const s of drop) {
      this.cache.dropSegment(s.name);
      await wal.remove(s);
    }
    await wal.syncDir();
    this.updateAccepting();
  }

  private updateAccepting(): void {
    const accepting = !this.closing && !!this.wal && this.wal.bytes < this.opts.maxBytes;
    if (accepting === this.accepting) return;
    this.accepting = accepting;
    if (!accepting && !this.closing) this.log.warn({ bytes: this.wal?.bytes, maxBytes: this.opts.maxBytes }, 'spool full: refusing new batches (UNAVAILABLE) until Kafka takes some');
    else if (accepting) this.log.info({ bytes: this.wal?.bytes }, 'spool accepting batches');
    this.events.onAcceptingChange?.(accepting);
  }

  private onDeadLetter(entries: DeadLetterEntry[], file: string): void {
    for (const e of entries) {
      this.log.error(
        { id: e.id, topic: e.topic, key: e.key, bytes: e.bytes, eventId: e.eventId, reason: e.error.reason, err: e.error.message, limitBytes: e.error.limitBytes, file },
        'spool: Kafka refused a record; it is in the dead-letter store and the records behind it go on (sparkwire dead-letter list / redrive)',
      );
    }
    this.events.onDeadLetter?.(entries, file);
  }

  private reportCorruption(c: CorruptionReport): void {
    this.corruptionCount++;
    this.log.error({ segment: c.segment, offset: c.offset, length: c.length, reason: c.reason, action: c.action, savedTo: c.savedTo }, 'spool: damaged data found and skipped');
    this.events.onCorruption?.(c);
  }
}
