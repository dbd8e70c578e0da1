// Watches what reached Kafka while the bench runs: the sidecar's spool depth (its Prometheus
// sparkwire_spool_* gauges) and the records in the topic (high watermarks), so the bench
// can wait for the spool to drain before it checks the topic, and report the rate at which
// events arrive in Kafka beside the rate at which they are acked.
import type { Admin } from 'kafkajs';
import { recordsSince, topicOffsets, type Offsets } from './integrity';
import { sleep, type SidecarProcess } from '@sparkwire/testkit';

export interface ProgressSample {
  /** Seconds since the watcher started. */
  t: number;
  /** sparkwire_spool_pending_entries (spooled batches not yet in Kafka); undefined: no spool or no metrics. */
  pending?: number;
  /** sparkwire_spool_bytes. */
  bytes?: number;
  /** Records in the topic since the run started. */
  records: number;
}

export interface DrainResult {
  drained: boolean;
  /** performance.now() when the spool was seen empty (or the wait gave up). */
  at: number;
  waitedMs: number;
  /** Records in the topic (since the run started) at that moment, and the offsets read. */
  records: number;
  offsets: Offsets;
  /** How drained was decided, or why it was not. */
  how: string;
  /** The first sample of the wait (when the clients had their last ack): what a count taken then would have read. */
  first: { records: number; pending?: number };
}

export interface DrainOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Give up earlier when neither the spool depth nor the topic moved for this long. */
  stallMs: number;
  pollMs?: number;
  /** Without spool metrics: drained once the topic holds this many records. */
  expectedRecords: number;
}

function pick(m: Map<string, number>, prefix: string): number | undefined {
  if (m.has(prefix)) return m.get(prefix);
  for (const [k, v] of m) if (k.startsWith(prefix) && !k.includes('{')) return v;
  return undefined;
}

export class KafkaProgress {
  readonly timeline: ProgressSample[] = [];
  maxPending = 0;
  maxBytes = 0;
  /** Whether the sidecar reported a spool at all (gauges present). */
  spoolSeen = false;
  metricsError?: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly t0 = performance.now();

  constructor(
    private readonly sidecar: SidecarProcess,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly baseline: Offsets,
  ) {}

  /** Samples every intervalMs in the background (max depth, timeline) until stop(). */
  start(intervalMs = 1000): this {
    this.timer = setInterval(() => {
      if (this.running) return; // a slow broker answer: skip a beat, do not pile up
      this.running = this.sample()
        .catch(() => undefined)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sample(): Promise<ProgressSample & { offsets: Offsets }> {
    let pending: number | undefined;
    let bytes: number | undefined;
    if (this.sidecar.metricsUrl) {
      try {
        const m = await this.sidecar.scrape();
        pending = pick(m, 'sparkwire_spool_pending_entries');
        bytes = pick(m, 'sparkwire_spool_bytes');
        this.metricsError = undefined;
      } catch (err) {
        this.metricsError = (err as Error).message;
      }
    }
    const offsets = await topicOffsets(this.admin, this.topic);
    const s: ProgressSample = { t: (performance.now() - this.t0) / 1000, pending, bytes, records: recordsSince(offsets, this.baseline) };
    if (pending !== undefined) {
      this.spoolSeen = true;
      this.maxPending = Math.max(this.maxPending, pending);
    }
    if (bytes !== undefined) this.maxBytes = Math.max(this.maxBytes, bytes);
    const last = this.timeline[this.timeline.length - 1];
    if (!last || s.t - last.t >= 0.9) this.timeline.push(s);
    return { ...s, offsets };
  }

  /**
   * Polls until the spool reports 0 pending entries (every acked batch is in Kafka, acks=all),
   * or, when the sidecar exposes no spool gauge, until the topic holds expectedRecords.
   */
  async waitDrained(o: DrainOptions): Promise<DrainResult> {
    const start = performance.now();
    const poll = o.pollMs ?? 100;
    let lastMove = start;
    let prev: { pending?: number; records: number } | undefined;
    let first: DrainResult['first'] | undefined;
    for (;;) {
      const s = await this.sample();
      first ??= { records: s.records, pending: s.pending };
      const now = performance.now();
      const done = (how: string, drained = true): DrainResult => ({ drained, at: now, waitedMs: now - start, records: s.records, offsets: s.offsets, how, first: first! });
      if (s.pending === 0) return done('spool reported 0 pending entries (sparkwire_spool_pending_entries)');
      if (s.pending === undefined && !this.spoolSeen) {
        if (s.records >= o.expectedRecords) {
          return done(this.sidecar.metricsUrl && !this.metricsError ? 'no spool gauge (spool off?): topic holds the acked records' : `no spool metrics (${this.metricsError ?? 'metrics off'}): topic holds the acked records`);
        }
      }
      if (!prev || prev.pending !== s.pending || prev.records !== s.records) lastMove = now;
      prev = s;
      if (now - start >= o.timeoutMs) return done(`not drained within ${(o.timeoutMs / 1000).toFixed(0)} s (${s.pending ?? '?'} entries pending)`, false);
      if (now - lastMove >= o.stallMs) return done(`no progress for ${(o.stallMs / 1000).toFixed(0)} s (${s.pending ?? '?'} entries pending, ${s.records} records in the topic)`, false);
      await sleep(poll);
    }
  }
}
