// The one task that publishes the spool, in order, to the inner sink (Kafka).
//
// It takes entries from the cursor into a group of at most maxRecords records and
// maxBytes bytes (the Kafka sink's own request limits, so one group is one produce
// request), splitting an entry across groups when it is larger. The group is published
// with one inner write; on failure the *same* group is retried once the inner sink is
// ready again: with the idempotent producer, a retry of a request that was in fact
// written is recognised by the broker and not written twice.
//
// After a restart, records of the recovered tail may already be in Kafka (published but not
// yet checkpointed when the process died). Before publishing them the drainer asks the inner
// sink for the records it holds since the tail could first have been published
// (recentRecordKeys) and skips those: replay does not duplicate.
import { recordKey, type OutRecord, type Sink } from '@sparkwire/pipeline';
import type { Checkpoint } from './checkpoint';
import { recordSize } from './entry-codec';
import type { SpoolCursor, SpoolEntry } from './cursor';

export interface Group {
  records: OutRecord[];
  entries: number;
  /** Position after the group: where publishing resumes once it is acked. */
  end: Checkpoint;
  skipped: number;
  /** Append time of the group's oldest entry. */
  firstTimeMs: number;
}

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
  lastError?: string;
  lastPublishMs?: number;
}

export interface DrainerOptions {
  maxRecords: number;
  maxBytes: number;
  /** Most records a readback may look at before it is given up (at-least-once then). */
  readbackLimit: number;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export class Drainer {
  readonly stats: DrainerStats = { groups: 0, publishedEntries: 0, publishedRecords: 0, publishFailures: 0, skippedAlreadyPublished: 0 };
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
          await this.inner.write(group.records);
        } catch (err) {
          this.stats.publishFailures++;
          this.stats.lastError = (err as Error).message;
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
      this.stats.publishedRecords += group.records.length;
      this.stats.skippedAlreadyPublished += group.skipped;
      this.stats.lastPublishMs = Date.now();
      if (this.readback?.keys && group.end.seq > this.readback.untilSeq) {
        // Past the recovered tail: the rest is new since the restart.
        this.readback.keys = undefined;
      }
      this.onPublished(group);
    }
  }

  private async buildGroup(): Promise<Group | undefined> {
    const records: OutRecord[] = [];
    let bytes = 0;
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
        const s = recordSize(r);
        if (records.length > 0 && (records.length >= this.opts.maxRecords || bytes + s > this.opts.maxBytes)) break;
        if (check && keys.has(recordKey(r.topic, r.key, r.value))) {
          skipped++;
          continue;
        }
        records.push(r);
        bytes += s;
      }
      entries++;
      if (i < entry.records.length) {
        this.carry = { entry, index: i };
        end = { seq: entry.seq, index: i, atMs: 0 };
        break;
      }
      end = { seq: entry.seq + 1, index: 0, atMs: 0 };
      if (records.length >= this.opts.maxRecords || bytes >= this.opts.maxBytes) break;
    }
    if (!end) return undefined;
    return { records, entries, end, skipped, firstTimeMs };
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
