// The lag monitor: follows groups (configured ones, ones seen committing through the
// sidecar, ones asked about), polls the log-end offsets of their topics and their committed
// offsets every pollMs, and keeps per partition the lag in records, the lag in seconds
// (lag-table.ts) and the status (status-rules.ts). The metrics read snapshot(); the Lag RPC
// calls lag(), which samples afresh.
import { Code, notFound } from './errors';
import type { KafkaOffsets, LogOffsets, OffsetsLogger, StoredOffset } from './kafka-offsets';
import { LogEndTable } from './lag-table';
import { evaluate, Status, worst, type LagSample, type PartitionHistory, type RuleConfig } from './status-rules';
import { checkGroup, checkTopics, tpKey } from './validate';

export interface MonitorConfig extends RuleConfig {
  pollMs: number;
  /** Points kept per partition in the log-end table. */
  tableSize: number;
  /** Groups to follow from the start; their topics are discovered from their commits. */
  groups: string[];
}

// Offsets and lags in records are exact int64s (bigint); lag in seconds is a double,
// estimated from the log-end table (lag-table.ts works in doubles: an estimate anyway).
export interface PartitionLagInfo {
  topic: string;
  partition: number;
  /** -1 without a committed offset. */
  committed: bigint;
  logStart: bigint;
  logEnd: bigint;
  lag: bigint;
  /** -1 when not yet known. */
  lagSeconds: number;
  status: Status;
  reason: string;
}

export interface GroupLagInfo {
  group: string;
  partitions: PartitionLagInfo[];
  status: Status;
  totalLag: bigint;
  maxLagSeconds: number;
  sampledAtMs: number;
}

interface PartitionState extends PartitionHistory {}

interface GroupState {
  topics: Set<string>;
  partitions: Map<string, PartitionState>;
  last?: GroupLagInfo;
  /** Polls until its topics are discovered again from Kafka (configured groups). */
  discoverIn: number;
}

const MAX_SAMPLES = 2000;
const DISCOVER_EVERY = 12;

export class LagMonitor {
  private readonly tables = new Map<string, LogEndTable>();
  private readonly groups = new Map<string, GroupState>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;
  private failing = false;
  /** Polls completed (for tests and logs). */
  polls = 0;

  constructor(
    private readonly kafka: KafkaOffsets,
    private readonly config: MonitorConfig,
    private readonly log: OffsetsLogger,
    private readonly clock: () => number = Date.now,
  ) {
    for (const g of config.groups) this.follow(g);
  }

  /** Starts following a group (and, when given, these topics of it). */
  follow(group: string, topics: string[] = []): void {
    let g = this.groups.get(group);
    if (!g) {
      g = { topics: new Set(), partitions: new Map(), discoverIn: 0 };
      this.groups.set(group, g);
    }
    for (const t of topics) g.topics.add(t);
  }

  get followed(): string[] {
    return [...this.groups.keys()];
  }

  /** A commit through the sidecar (also one that changed nothing): the group is alive at atMs. */
  noteCommit(group: string, committed: { topic: string; partition: number; offset: bigint }[], atMs: number): void {
    this.follow(group, committed.map((c) => c.topic));
    const g = this.groups.get(group)!;
    for (const c of committed) {
      const k = tpKey(c.topic, c.partition);
      const st = g.partitions.get(k);
      if (!st) {
        g.partitions.set(k, { committed: c.offset, lag: 0n, lastCommitMs: atMs, lastAdvanceMs: atMs, samples: [] });
        continue;
      }
      st.lastCommitMs = atMs;
      if (c.offset !== st.committed) {
        st.committed = c.offset;
        st.lastAdvanceMs = atMs;
      }
    }
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.pollAll().finally(() => {
          if (!this.stopped) tick();
        });
      }, this.config.pollMs);
      this.timer.unref();
    };
    void this.pollAll().finally(() => {
      if (!this.stopped) tick();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  /** The latest figures of every followed group (for the metrics). */
  snapshot(): GroupLagInfo[] {
    return [...this.groups.values()].flatMap((g) => (g.last ? [g.last] : []));
  }

  /** Polls every followed group once (never throws: failures are logged). */
  pollAll(): Promise<void> {
    this.polling ??= this.pollAllOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async pollAllOnce(): Promise<void> {
    try {
      for (const [group, g] of this.groups) {
        if (g.topics.size === 0 || g.discoverIn <= 0) {
          for (const t of await this.kafka.groupTopics(group)) g.topics.add(t);
          g.discoverIn = DISCOVER_EVERY;
        }
        g.discoverIn--;
      }
      const topics = new Set([...this.groups.values()].flatMap((g) => [...g.topics]));
      const logs = new Map<string, LogOffsets[]>();
      for (const t of topics) {
        try {
          logs.set(t, await this.sampleTopic(t));
        } catch (err) {
          if ((err as { code?: number }).code !== Code.NOT_FOUND) throw err;
          // The topic was deleted: stop following it (a group committing to it again brings it back).
          for (const g of this.groups.values()) g.topics.delete(t);
          this.log.info({ topic: t }, 'offsets lag monitor: topic gone, no longer followed');
        }
      }
      for (const [group, g] of this.groups) {
        if (g.topics.size === 0) continue;
        const stored = await this.kafka.committed(group, [...g.topics]);
        g.last = this.update(group, g, [...g.topics], logs, stored);
      }
      this.polls++;
      if (this.failing) this.log.info({ groups: this.groups.size }, 'offsets lag monitor: Kafka reachable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err: (err as Error).message }, 'offsets lag monitor: poll failed; keeping the last figures and retrying');
      this.failing = true;
    }
  }

  /**
   * Fresh figures for a group (the Lag RPC): samples the topics' log ends now. Without
   * topics, every topic the group has committed offsets for. NOT_FOUND when the group has
   * no committed offset on any of them.
   */
  async lag(group: string, topics: string[] = []): Promise<GroupLagInfo> {
    checkGroup(group);
    checkTopics(topics, 'topics', false);
    if (topics.length > 0) {
      const counts = await this.kafka.partitionCounts(topics);
      topics.forEach((t, i) => {
        if (!counts.has(t)) throw notFound(`topics[${i}]`, `topic ${t} does not exist`);
      });
    }
    const wanted = topics.length > 0 ? topics : await this.kafka.groupTopics(group);
    if (wanted.length === 0) throw notFound('group', `group ${group} has no committed offsets (unknown group)`);
    const stored = await this.kafka.committed(group, wanted);
    if (!stored.some((s) => s.offset >= 0n)) throw notFound('group', `group ${group} has no committed offsets for ${wanted.join(', ')}`);
    this.follow(group, wanted);
    const g = this.groups.get(group)!;
    const logs = new Map<string, LogOffsets[]>();
    for (const t of wanted) logs.set(t, await this.sampleTopic(t));
    const info = this.update(group, g, wanted, logs, stored);
    if ([...g.topics].every((t) => wanted.includes(t))) g.last = info;
    return info;
  }

  private async sampleTopic(topic: string): Promise<LogOffsets[]> {
    const lo = await this.kafka.logOffsets(topic);
    const now = this.clock();
    for (const p of lo) {
      const k = tpKey(topic, p.partition);
      let t = this.tables.get(k);
      if (!t) this.tables.set(k, (t = new LogEndTable(this.config.tableSize)));
      t.add(Number(p.high), now);
    }
    return lo;
  }

  private update(group: string, g: GroupState, topics: string[], logs: Map<string, LogOffsets[]>, stored: StoredOffset[]): GroupLagInfo {
    const now = this.clock();
    const byTp = new Map(stored.map((s) => [tpKey(s.topic, s.partition), s.offset]));
    const partitions: PartitionLagInfo[] = [];
    for (const topic of topics) {
      for (const lo of logs.get(topic) ?? []) {
        const k = tpKey(topic, lo.partition);
        const c = byTp.get(k) ?? -1n;
        let st = g.partitions.get(k);
        if (!st) {
          st = { committed: c, lag: 0n, lastCommitMs: now, lastAdvanceMs: now, samples: [] };
          g.partitions.set(k, st);
        } else if (c !== st.committed) {
          // Moved between polls: a commit by someone else (or ours, seen before noteCommit).
          st.committed = c;
          st.lastCommitMs = now;
          st.lastAdvanceMs = now;
        }
        const ahead = c >= 0n ? lo.high - c : lo.high - lo.low;
        const lag = ahead > 0n ? ahead : 0n;
        st.lag = lag;
        st.samples.push({ timeMs: now, committed: c, lag } satisfies LagSample);
        const from = now - this.config.windowMs;
        while (st.samples.length > 0 && (st.samples[0].timeMs < from || st.samples.length > MAX_SAMPLES)) st.samples.shift();
        const table = this.tables.get(k);
        const lagSeconds = lag === 0n ? 0 : (table?.lagSeconds(Number(c >= 0n ? c : lo.low), Number(lo.high), now) ?? -1);
        const v = evaluate({ ...st, committed: c, lag }, now, this.config);
        partitions.push({ topic, partition: lo.partition, committed: c, logStart: lo.low, logEnd: lo.high, lag, lagSeconds, status: v.status, reason: v.reason });
      }
    }
    const info: GroupLagInfo = {
      group,
      partitions,
      status: worst(partitions.map((p) => p.status)),
      totalLag: partitions.reduce((a, p) => a + p.lag, 0n),
      maxLagSeconds: partitions.reduce((a, p) => Math.max(a, p.lagSeconds), 0),
      sampledAtMs: now,
    };
    return info;
  }
}
