// Commits in Kafka itself, fenced and idempotent. One commit at a time per group (GroupMutex):
// validate the whole request, read the group's committed offsets, decide (fencing.ts), then
// write every partition in one OffsetCommit request. Nothing is written unless all ranges
// pass, so a commit is all partitions or none.
import { encodeMark, MAX_METADATA_BYTES } from './commit-metadata';
import { invalid } from './errors';
import { decide } from './fencing';
import { GroupMutex } from './group-mutex';
import type { KafkaOffsets, LogOffsets } from './kafka-offsets';
import { checkCommitShape, checkRangesAgainstCluster, type CommitInput } from './validate';

export type CommitOutcome = 'committed' | 'already_committed';

export interface CommitResult {
  outcome: CommitOutcome;
  /** The group's committed offsets of the request's partitions after the call. */
  committed: { topic: string; partition: number; offset: bigint }[];
}

export interface CommitListener {
  /** After every successful call (also ALREADY_COMMITTED): the lag monitor follows the group. */
  onCommitted?(group: string, result: CommitResult, atMs: number): void;
  /** Every refused or failed commit, with the error's gRPC code name. */
  onRefused?(group: string, code: number): void;
}

export class CommitStore {
  private readonly mutex = new GroupMutex();

  constructor(
    private readonly kafka: KafkaOffsets,
    private readonly listener: CommitListener = {},
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Commits the ranges' until offsets. allowUnknownFrom (the progress committer only) lets a
   * range carry from_offset -1: not fenced, it starts wherever the group is.
   */
  async commit(c: CommitInput, opts: { allowUnknownFrom?: boolean } = {}): Promise<CommitResult> {
    try {
      checkCommitShape(c, opts.allowUnknownFrom);
      const probe = encodeMark({ q: c.queryId, b: c.batchId, f: 2n ** 63n - 1n, n: c.ranges.length });
      if (Buffer.byteLength(probe) > MAX_METADATA_BYTES) throw invalid('query_id', `is too long for the offset metadata (${MAX_METADATA_BYTES} bytes)`);
      const result = await this.mutex.run(c.group, () => this.commitLocked(c));
      this.listener.onCommitted?.(c.group, result, this.clock());
      return result;
    } catch (err) {
      this.listener.onRefused?.(c.group, (err as { code?: number }).code ?? 13);
      throw err;
    }
  }

  private async commitLocked(c: CommitInput): Promise<CommitResult> {
    const topics = [...new Set(c.ranges.map((r) => r.topic))];
    const counts = await this.kafka.partitionCounts(topics);
    const logs = new Map<string, LogOffsets[]>();
    // Topics first (NOT_FOUND before anything else), then log offsets of the existing ones.
    checkRangesAgainstCluster(c.ranges, counts, logs);
    for (const t of topics) logs.set(t, await this.kafka.logOffsets(t));
    checkRangesAgainstCluster(c.ranges, counts, logs);

    const stored = await this.kafka.committed(c.group, topics);
    const d = decide(c, stored);
    const tp = (topic: string, partition: number) => stored.find((s) => s.topic === topic && s.partition === partition);
    if (d.kind === 'already') {
      return {
        outcome: 'already_committed',
        committed: c.ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: tp(r.topic, r.partition)?.offset ?? -1n })),
      };
    }
    await this.kafka.commit(
      c.group,
      c.ranges.map((r, i) => ({ topic: r.topic, partition: r.partition, offset: d.offsets[i], metadata: encodeMark(d.marks[i]) })),
    );
    return { outcome: 'committed', committed: c.ranges.map((r, i) => ({ topic: r.topic, partition: r.partition, offset: d.offsets[i] })) };
  }
}
