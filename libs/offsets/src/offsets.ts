// The offsets API without gRPC: commit (fenced, idempotent), fetch (restart offsets), lag
// (records, seconds, status), plus the lag monitor and the commit-from-progress observer.
// The sidecar serves it as sparkwire.v1.OffsetsService (service.ts); an embedding program can
// call it directly.
import { CommitStore, type CommitResult } from './commit-store';
import { startOffsets, type StartOffsets, type StartPolicyName } from './fetch-forms';
import { createKafkaOffsets, type KafkaConnection, type KafkaOffsets, type LogOffsets, type OffsetsLogger } from './kafka-offsets';
import { LagMonitor, type GroupLagInfo, type MonitorConfig } from './lag-monitor';
import { parseMappings, ProgressCommitter } from './progress-committer';
import { checkGroup, checkTopics, checkTopicsExist, type CommitInput } from './validate';

export interface OffsetsConfig extends MonitorConfig {
  defaultPolicy: StartPolicyName;
  /** "query name or id=group" entries: commit those queries' Kafka progress to the group. */
  commitFromProgress: string[];
  /** Commit from progress without the from_offset check. */
  commitFromProgressForce: boolean;
}

export interface OffsetsCounters {
  commits: Map<string, number>;
}

export class Offsets {
  readonly store: CommitStore;
  readonly monitor: LagMonitor;
  readonly progress: ProgressCommitter;
  /** Commit calls by result: committed, already_committed, or the refusing status name. */
  readonly counters: OffsetsCounters = { commits: new Map() };

  constructor(
    readonly kafka: KafkaOffsets,
    readonly config: OffsetsConfig,
    readonly log: OffsetsLogger,
    clock: () => number = Date.now,
  ) {
    this.monitor = new LagMonitor(kafka, config, log, clock);
    const count = (k: string) => this.counters.commits.set(k, (this.counters.commits.get(k) ?? 0) + 1);
    this.store = new CommitStore(
      kafka,
      {
        onCommitted: (group, r, at) => {
          count(r.outcome);
          this.monitor.noteCommit(group, r.committed, at);
        },
        onRefused: (_group, code) => count(CODE_NAMES[code] ?? 'INTERNAL'),
      },
      clock,
    );
    const mappings = parseMappings(config.commitFromProgress);
    for (const m of mappings) this.monitor.follow(m.group);
    this.progress = new ProgressCommitter(this.store, mappings, log, { force: config.commitFromProgressForce });
  }

  static connect(conn: KafkaConnection, config: OffsetsConfig, log: OffsetsLogger): Offsets {
    return new Offsets(createKafkaOffsets(conn, log), config, log);
  }

  start(): void {
    this.monitor.start();
  }

  async close(): Promise<void> {
    await this.progress.close();
    await this.monitor.stop();
    await this.kafka.close();
  }

  commit(c: CommitInput): Promise<CommitResult> {
    return this.store.commit(c);
  }

  async fetch(group: string, topics: string[], policy?: StartPolicyName): Promise<StartOffsets> {
    checkGroup(group);
    checkTopics(topics);
    const counts = await this.kafka.partitionCounts(topics);
    checkTopicsExist(topics, counts);
    const logs = new Map<string, LogOffsets[]>();
    for (const t of topics) logs.set(t, await this.kafka.logOffsets(t));
    const stored = await this.kafka.committed(group, topics);
    return startOffsets(topics, logs, stored, policy ?? this.config.defaultPolicy);
  }

  lag(group: string, topics: string[] = []): Promise<GroupLagInfo> {
    return this.monitor.lag(group, topics);
  }
}

const CODE_NAMES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  9: 'FAILED_PRECONDITION',
  11: 'OUT_OF_RANGE',
  14: 'UNAVAILABLE',
};
