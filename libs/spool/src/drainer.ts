// The one task that publishes the spool, in order, to the inner sink (Kafka).
//
// It takes entries from the cursor into a group of at most maxRecords records and
// maxBytes bytes (the Kafka sink's own request limits and the same rule, batcher.ts of
// @sparkwire/kafka-client, so one group is one produce request), splitting an entry across
// groups when it is larger. The group is published with one inner write; on failure the
// *same* group is retried once the inner sink is ready again: with the idempotent producer,
// a retry of a request that was in fact written is recognised by the broker and not written
// twice.
//
// After a restart, records of the recovered tail may already be in Kafka (published but not
// yet checkpointed when the process died). Before publishing them the drainer asks the inner
// sink for the records it holds since the tail could first have been published
// (recentRecordKeys) and skips those: replay does not duplicate.
//
// No record blocks the ones behind it. A record over the sink's maxRecordBytes (a limit
// lowered after it was acked) is not sent; a group the sink refuses for its records
// (RecordsRefusedError: MESSAGE_TOO_LARGE, INVALID_RECORD, ...) is isolated: its records are
// sent in halves, in order, until each refused record is alone. A refused record goes to the
// dead-letter store (dead-letter.ts), durably, before anything behind it is sent; the rest
// is published, in order. Any other failure (Kafka down) is retried, as before, with the
// isolation's progress kept.
import { isRecordsRefused, recordBytes, recordKey, type OutRecord, type Sink } from '@sparkwire/pipeline';
import { recordRequestBytes, RequestBudget } from '@sparkwire/kafka-client';
import type { Checkpoint } from './checkpoint';
import type { SpoolCursor, SpoolEntry } from './cursor';
import { deadLetterEntry, type DeadLetterEntry, type DeadLetterError, type DeadLetterStore } from './dead-letter';
import { asWritten } from './entry-codec';

export interface Group {
  records: OutRecord[];
  entries: number;
  /** Position after the group: where publishing resumes once it is acked. */
  end: Checkpoint;
  skipped: number;
  /** Append time of the group's oldest entry. */
  firstTimeMs: number;
  /** Where each record is in the spool (entry seq, index in it, append time), for the dead-letter store. */
  seqs: number[];
  indexes: number[];
  times: number[];
  /** Set once the group was refused: what is left to send, and what was set aside. */
  isolation?: Isolation;
}

interface Isolation {
  /** Ranges of the group's records still to send, in order. */
  ranges: Array<[number, number]>;
  /** Records set aside so far. */
  dead: number;
  /** The dead-letter store could not take a record: read the limits again before the next try. */
  retry?: boolean;
}

/** A failure to retry later without counting it as a publish failure (stopping, sink not ready). */
class Later extends Error {}

export interface Readback {
  /** Records of entries up to this seq are checked against what the inner sink holds. */
  untilSeq: number;
  sinceMs: number;
  topics: string[];
  keys?: Set<string>;
  attempts: number;
  state: 'pending' | 'done' | 'skipped';
}

export interface DrainerStats {
  groups: number;
  publishedEntries: number;
  publishedRecords: number;
  publishFailures: number;
  skippedAlreadyPublished: number;
  /** Records set aside in the dead-letter store. */
  deadLettered: number;
  /** Groups refused by the sink and isolated. */
  isolations: number;
  lastError?: string;
  /** When the last failed publish attempt failed (a later lastPublishMs means it recovered). */
  lastErrorMs?: number;
  lastPublishMs?: number;
}

export interface DrainerOptions {
  maxRecords: number;
  maxBytes: number;
  /** Most records a readback may look at before it is given up (at-least-once then). */
  readbackLimit: number;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Where refused records go; without it a refused record is retried like an outage. */
  deadLetter?: DeadLetterStore;
  /** Records were set aside (already durable in `file`). */
  onDeadLetter?: (entries: DeadLetterEntry[], file: string) => void;
}

export class Drainer {
  readonly stats: DrainerStats = { groups: 0, publishedEntries: 0, publishedRecords: 0, publishFailures: 0, skippedAlreadyPublished: 0, deadLettered: 0, isolations: 0 };
  /** Everything before this is acked by the inner sink. */
  position: Checkpoint;
  readback?: Readback;
  private carry?: { entry: SpoolEntry; index: number };
  private group?: Group;
  private stopped = false;
  private sleeper?: { done: () => void; interruptible: boolean };
  private running?: Promise<void>;

  constructor(
    private readonly inner: Sink,
    private readonly cursor: SpoolCursor,
    start: Checkpoint,
    private readonly opts: DrainerOptions,
    private readonly onPublished: (g: Group) => void,
  ) {
    this.position = { ...start };
  }

  start(): void {
    this.running ??= this.run();
  }

  /** New entries are visible. */
  wake(): void {
    if (this.sleeper?.interruptible) this.sleeper.done();
    else this.woken = true;
  }

  private woken = false;

  /** True while a group is built but not yet acked (in flight or waiting for a retry). */
  get busy(): boolean {
    return this.group !== undefined || this.carry !== undefined;
  }

  /** Stops after the group in flight (if any) settles or `waitMs` passes. */
  async stop(waitMs: number): Promise<void> {
    this.stopped = true;
    this.sleeper?.done();
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      if (!this.inner.isReady()) {
        await this.sleep(200, true);
        continue;
      }
      if (this.readback?.state === 'pending') {
        await this.doReadback();
        continue;
      }
      this.woken = false;
      const group = this.group ?? (await this.buildGroup());
      if (!group) {
        await this.sleep(1000);
        continue;
      }
      this.group = group;
      if (group.records.length > 0) {
        try {
          await this.publish(group);
        } catch (err) {
          if (!(err instanceof Later)) {
            this.stats.publishFailures++;
            this.stats.lastError = (err as Error).message;
            this.stats.lastErrorMs = Date.now();
          }
          await this.sleep(backoff, true);
          backoff = Math.min(backoff * 2, 2000);
          continue;
        }
      }
      backoff = 100;
      this.group = undefined;
      this.position = group.end;
      this.stats.groups++;
      this.stats.publishedEntries += group.entries;
      this.stats.publishedRecords += group.records.length - (group.isolation?.dead ?? 0);
      this.stats.skippedAlreadyPublished += group.skipped;
      this.stats.lastPublishMs = Date.now();
      if (this.readback?.keys && group.end.seq > this.readback.untilSeq) {
        // Past the recovered tail: the rest is new since the restart.
        this.readback.keys = undefined;
      }
      this.onPublished(group);
    }
  }

  /** Publishes the group as one write; isolates it when the sink refuses it for its records. */
  private async publish(g: Group): Promise<void> {
    if (!g.isolation) {
      let big = this.firstTooLarge(g, 0, g.records.length) >= 0;
      if (big && this.inner.refreshLimits) {
        // The limit may have been raised since it was read: look again before setting anything aside.
        await this.inner.refreshLimits();
        big = this.firstTooLarge(g, 0, g.records.length) >= 0;
      }
      if (!big) {
        try {
          await this.inner.write(g.records);
          return;
        } catch (err) {
          if (!isRecordsRefused(err) || !this.opts.deadLetter) throw err;
          this.opts.log.warn({ err: err.message, reason: err.reason, records: g.records.length, firstSeq: g.seqs[0] }, 'spool: the sink refused a group for its records; isolating the refused ones');
        }
      }
      if (!this.opts.deadLetter) throw new Error('a record is over the sink limit and there is no dead-letter store');
      this.stats.isolations++;
      g.isolation = { ranges: [[0, g.records.length]], dead: 0 };
    }
    await this.isolate(g, g.isolation);
  }

  private async isolate(g: Group, iso: Isolation): Promise<void> {
    if (iso.retry) {
      iso.retry = false;
      await this.inner.refreshLimits?.();
    }
    while (iso.ranges.length > 0) {
      if (this.stopped) throw new Later('stopping');
      if (!this.inner.isReady()) throw new Later('sink not ready');
      const [a, b] = iso.ranges[0];
      const k = this.firstTooLarge(g, a, b);
      if (k > a) {
        // Publish what comes before it first: order is kept.
        iso.ranges.splice(0, 1, [a, k], [k, b]);
        continue;
      }
      if (k === a) {
        const r = g.records[a];
        const limit = this.inner.maxRecordBytes!(r.topic)!;
        await this.setAside(g, iso, a, { reason: 'RECORD_TOO_LARGE', message: `record of ${recordBytes(r)} bytes is over the largest record topic ${r.topic} takes (${limit} bytes, from its max.message.bytes)`, limitBytes: limit });
        continue;
      }
      try {
        await this.inner.write(g.records.slice(a, b));
        iso.ranges.shift();
      } catch (err) {
        if (!isRecordsRefused(err)) throw err;
        if (b - a === 1) await this.setAside(g, iso, a, { reason: err.reason, message: err.message, limitBytes: err.limitBytes });
        else {
          const mid = (a + b) >>> 1;
          iso.ranges.splice(0, 1, [a, mid], [mid, b]);
        }
      }
    }
  }

  /**
   * Writes record `i` (the first of the first range) to the dead-letter store, durably, before
   * anything behind it is sent. A store that cannot take it (full) is retried like an outage:
   * nothing behind it goes first, and it may yet fit a limit raised meanwhile.
   */
  private async setAside(g: Group, iso: Isolation, i: number, error: DeadLetterError): Promise<void> {
    // asWritten: a text record handed out as bytes (valuesAsBytes) is stored as the text it is.
    const entry = deadLetterEntry(asWritten(g.records[i]), { seq: g.seqs[i], index: g.indexes[i], appendedAtMs: g.times[i] }, error);
    let file: string;
    try {
      file = await this.opts.deadLetter!.add([entry]);
    } catch (err) {
      iso.retry = true;
      throw err;
    }
    const [, b] = iso.ranges[0];
    if (i + 1 < b) iso.ranges[0] = [i + 1, b];
    else iso.ranges.shift();
    iso.dead++;
    this.stats.deadLettered++;
    this.opts.onDeadLetter?.([entry], file);
  }

  /** Index of the first record in [from, to) over the sink's current record limit, or -1. */
  private firstTooLarge(g: Group, from: number, to: number): number {
    const max = this.inner.maxRecordBytes;
    if (!max) return -1;
    const limits = new Map<string, number | undefined>();
    for (let i = from; i < to; i++) {
      const r = g.records[i];
      let limit = limits.get(r.topic);
      if (!limits.has(r.topic)) limits.set(r.topic, (limit = max.call(this.inner, r.topic)));
      if (limit === undefined) continue;
      const units = (typeof r.value === 'string' ? r.value.length * 3 : r.value.length) + (r.key?.length ?? 0) * 3;
      if (units > limit && recordBytes(r) > limit) return i;
    }
    return -1;
  }

  private async buildGroup(): Promise<Group | undefined> {
    const records: OutRecord[] = [];
    const seqs: number[] = [];
    const indexes: number[] = [];
    const times: number[] = [];
    const lim = this.inner.requestLimit?.();
    const budget = new RequestBudget(this.opts.maxRecords, Math.min(this.opts.maxBytes, lim?.maxBytes ?? Infinity));
    const perRecord = lim?.perRecordBytes ?? 64;
    let entries = 0;
    let skipped = 0;
    let end: Checkpoint | undefined;
    let firstTimeMs = 0;
    const keys = this.readback?.keys;
    const untilSeq = this.readback?.untilSeq ?? 0;
    for (;;) {
      let cur = this.carry;
      this.carry = undefined;
      if (!cur) {
        const entry = await this.cursor.next();
        if (!entry) break;
        // After a restart the cursor starts at the oldest segment kept: skip what the checkpoint says is published.
        if (entry.seq < this.position.seq) continue;
        cur = { entry, index: entry.seq === this.position.seq ? Math.min(this.position.index, entry.records.length) : 0 };
      }
      const { entry } = cur;
      if (entries === 0) firstTimeMs = entry.timeMs;
      const check = keys && entry.seq <= untilSeq;
      let i = cur.index;
      for (; i < entry.records.length; i++) {
        const r = entry.records[i];
        const s = recordRequestBytes(r, perRecord);
        if (!budget.fits(1, s)) break;
        if (check && keys.has(recordKey(r.topic, r.key, r.value))) {
          skipped++;
          continue;
        }
        records.push(r);
        seqs.push(entry.seq);
        indexes.push(i);
        times.push(entry.timeMs);
        budget.add(1, s);
      }
      entries++;
      if (i < entry.records.length) {
        this.carry = { entry, index: i };
        end = { seq: entry.seq, index: i, atMs: 0 };
        break;
      }
      end = { seq: entry.seq + 1, index: 0, atMs: 0 };
      if (budget.full) break;
    }
    if (!end) return undefined;
    return { records, entries, end, skipped, firstTimeMs, seqs, indexes, times };
  }

  private async doReadback(): Promise<void> {
    const rb = this.readback!;
    rb.attempts++;
    try {
      const started = Date.now();
      const keys = await this.inner.recentRecordKeys!(rb.topics, rb.sinceMs, this.opts.readbackLimit);
      if (!keys) {
        rb.state = 'skipped';
        this.opts.log.warn({ sinceMs: rb.sinceMs, limit: this.opts.readbackLimit }, 'spool replay: too many records to check in the topic; replaying without the check (duplicates possible)');
        return;
      }
      rb.keys = keys;
      rb.state = 'done';
      this.opts.log.info({ topics: rb.topics, sinceMs: rb.sinceMs, recordsInTopic: keys.size, ms: Date.now() - started }, 'spool replay: read back what the last process had already published');
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, attempt: rb.attempts }, 'spool replay: reading back the topic failed');
      if (rb.attempts >= 5) {
        rb.state = 'skipped';
        this.opts.log.warn({}, 'spool replay: giving up the read-back; replaying without it (duplicates possible)');
      } else await this.sleep(1000 * rb.attempts, true);
    }
  }

  /** Waits ms; wake() (new entries) ends an interruptible wait early, stop() any wait. */
  private sleep(ms: number, uninterruptible = false): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!uninterruptible && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.sleeper?.done === done) this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeper = { done, interruptible: !uninterruptible };
    });
  }
}
