// Commit from progress (opt-in): a pipeline observer that, for the Structured Streaming
// queries it is told about, commits each micro-batch's Kafka source end offsets to a named
// group once the batch's progress event arrives, with the same fencing and idempotence as
// the Commit RPC. Spark never commits a query's offsets to Kafka; this lets every Kafka lag
// tool see the query's progress (what spark-sql-kafka-offset-committer does on the JVM).
//
// A progress event comes after Spark wrote the batch to its commit log, so the offsets are
// those of finished output. Ranges run from the source's startOffset to its endOffset; the
// first batch of a run has no startOffset and is committed unfenced from wherever the group
// is. Commits of one group go out in order; one that fails for a retryable reason (Kafka
// unreachable) is retried with backoff, merged with any later batch (from of the older,
// until of the newer) so that the fence still holds when Kafka is back.
import { parseJson } from '@sparkwire/encoding';
import type { SparkEvent, StreamingProgress } from '@sparkwire/proto';
import type { EventObserver } from '@sparkwire/pipeline';
import type { CommitStore } from './commit-store';
import { Code, OffsetsError } from './errors';
import type { OffsetsLogger } from './kafka-offsets';
import type { Range } from './validate';

export interface ProgressMapping {
  /** Query name or id, as in StreamingQueryProgress.name / .id. */
  query: string;
  group: string;
}

/** "query=group" entries (the config's offsets.commitFromProgress). */
export function parseMappings(entries: string[]): ProgressMapping[] {
  return entries.map((e) => {
    const i = e.lastIndexOf('=');
    return { query: e.slice(0, i).trim(), group: e.slice(i + 1).trim() };
  });
}

interface Pending {
  queryId: string;
  batchId: bigint;
  ranges: Map<string, Range>;
}

export interface ProgressCommitterStats {
  committed: number;
  alreadyCommitted: number;
  refused: number;
  retries: number;
}

/** The Kafka sources of a progress event as commit ranges; from_offset -1 where unknown. */
export function kafkaRanges(p: StreamingProgress): Range[] {
  const out = new Map<string, Range>();
  for (const s of p.sources) {
    if (!/^Kafka/i.test(s.description)) continue;
    const end = parseOffsets(s.endOffset);
    const start = parseOffsets(s.startOffset);
    for (const [topic, parts] of Object.entries(end)) {
      for (const [partition, until] of Object.entries(parts)) {
        const from = start[topic]?.[partition];
        if (until < 0n) continue; // -1/-2 markers are not positions
        out.set(`${topic}-${partition}`, { topic, partition: Number(partition), fromOffset: from !== undefined && from >= 0n ? from : -1n, untilOffset: until });
      }
    }
  }
  return [...out.values()];
}

/** Kafka source offsets JSON ({"topic":{"0":123}}), exact: offsets above 2^53 are not rounded. */
function parseOffsets(json: string): Record<string, Record<string, bigint>> {
  if (!json || json === 'null') return {};
  try {
    const o = parseJson(json);
    if (typeof o !== 'object' || o === null) return {};
    const out: Record<string, Record<string, bigint>> = {};
    for (const [t, parts] of Object.entries(o as Record<string, unknown>)) {
      if (typeof parts !== 'object' || parts === null) continue;
      for (const [p, off] of Object.entries(parts as Record<string, unknown>)) {
        if (!/^\d+$/.test(p)) continue;
        if (typeof off === 'bigint' && off >= -(2n ** 63n) && off < 2n ** 63n) (out[t] ??= {})[p] = off;
        else if (typeof off === 'number' && Number.isSafeInteger(off)) (out[t] ??= {})[p] = BigInt(off);
      }
    }
    return out;
  } catch {
    return {};
  }
}

export class ProgressCommitter implements EventObserver {
  readonly name = 'offsets-progress-committer';
  readonly stats: ProgressCommitterStats = { committed: 0, alreadyCommitted: 0, refused: 0, retries: 0 };
  private readonly byQuery: Map<string, string>;
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: CommitStore,
    mappings: ProgressMapping[],
    private readonly log: OffsetsLogger,
    private readonly opts: { force?: boolean; retryMinMs?: number; retryMaxMs?: number } = {},
  ) {
    this.byQuery = new Map(mappings.map((m) => [m.query, m.group]));
  }

  onEvents(events: SparkEvent[]): void {
    if (this.closed || this.byQuery.size === 0) return;
    for (const ev of events) {
      if (ev.body?.$case !== 'streamingProgress') continue;
      const p = ev.body.value;
      const group = this.byQuery.get(p.name) ?? this.byQuery.get(p.id);
      if (!group) continue;
      const ranges = kafkaRanges(p);
      if (ranges.length === 0) continue;
      this.enqueue(group, { queryId: p.id, batchId: p.batchId, ranges: new Map(ranges.map((r) => [`${r.topic}-${r.partition}`, r])) });
    }
  }

  /** Resolves once every queued commit has been tried (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private enqueue(group: string, next: Pending): void {
    this.pending.set(group, merge(this.pending.get(group), next));
    if (!this.running.has(group)) {
      const run = this.run(group).finally(() => this.running.delete(group));
      this.running.set(group, run);
    }
  }

  private async run(group: string): Promise<void> {
    let delay = this.opts.retryMinMs ?? 500;
    for (;;) {
      const p = this.pending.get(group);
      if (!p) return;
      this.pending.delete(group);
      try {
        const r = await this.store.commit(
          { group, queryId: p.queryId, batchId: p.batchId, ranges: [...p.ranges.values()], force: this.opts.force ?? false },
          { allowUnknownFrom: true },
        );
        if (r.outcome === 'committed') this.stats.committed++;
        else this.stats.alreadyCommitted++;
        delay = this.opts.retryMinMs ?? 500;
      } catch (err) {
        const code = err instanceof OffsetsError ? err.code : undefined;
        if (code === Code.UNAVAILABLE && !this.closed) {
          this.stats.retries++;
          // Keep it, ahead of anything that arrived meanwhile.
          this.pending.set(group, merge(p, this.pending.get(group)));
          this.log.warn({ group, queryId: p.queryId, batchId: p.batchId, err: (err as Error).message, retryInMs: delay }, 'commit from progress: Kafka unavailable, will retry');
          await new Promise((r) => setTimeout(r, delay).unref());
          delay = Math.min(delay * 2, this.opts.retryMaxMs ?? 10_000);
          continue;
        }
        this.stats.refused++;
        this.log.warn({ group, queryId: p.queryId, batchId: p.batchId, err: (err as Error).message }, 'commit from progress refused');
      }
    }
  }
}

/** An older pending commit followed by a newer one: the older's starts, the newer's ends and id. */
function merge(older: Pending | undefined, newer: Pending | undefined): Pending {
  if (!older) return newer!;
  if (!newer) return older;
  if (older.queryId !== newer.queryId) return newer; // a new run of the query: it starts afresh
  const ranges = new Map(older.ranges);
  for (const [k, r] of newer.ranges) {
    const o = ranges.get(k);
    ranges.set(k, o ? { ...r, fromOffset: o.fromOffset } : r);
  }
  return { queryId: newer.queryId, batchId: newer.batchId, ranges };
}
