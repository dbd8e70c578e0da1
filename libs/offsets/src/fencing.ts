// The fencing decision, pure: given a commit and what Kafka holds for its partitions now,
// write it, answer "already committed", or refuse it.
//
// The rule is the Spark Kafka integration guide's "update offsets where the end of existing
// offsets matches the beginning of this batch of offsets": a range must start exactly at
// the partition's committed offset. A later start would skip records (a gap), an earlier
// one would count them twice (an overlap). A partition without a committed offset accepts
// any start (the first commit establishes the position). `force` skips the check.
import { decodeMark, type CommitMark } from './commit-metadata';
import { failedPrecondition } from './errors';
import type { StoredOffset } from './kafka-offsets';
import { tpKey, type CommitInput } from './validate';

export type Decision =
  /** Write these offsets (with marks); from is resolved for ranges that came without one. */
  | { kind: 'commit'; marks: CommitMark[]; offsets: bigint[] }
  /** Nothing to write: this batch (or a later one of the same query) already holds these offsets. */
  | { kind: 'already'; reason: 'same_batch' | 'older_batch' };

export function decide(c: CommitInput, stored: StoredOffset[]): Decision {
  const byTp = new Map(stored.map((s) => [tpKey(s.topic, s.partition), s]));
  const current = c.ranges.map((r) => byTp.get(tpKey(r.topic, r.partition)) ?? { topic: r.topic, partition: r.partition, offset: -1n, metadata: null });
  const marks = current.map((s) => decodeMark(s.metadata));
  const n = c.ranges.length;

  // Idempotence: the same (query, batch) again.
  const sameBatch = marks.every((m) => m !== undefined && m.q === c.queryId && m.b === c.batchId);
  if (sameBatch) {
    const identical = c.ranges.every((r, i) => current[i].offset === r.untilOffset && (r.fromOffset < 0n || marks[i]!.f === r.fromOffset) && marks[i]!.n === n);
    if (identical) return { kind: 'already', reason: 'same_batch' };
    if (!c.force) {
      const i = c.ranges.findIndex((r, j) => current[j].offset !== r.untilOffset || (r.fromOffset >= 0n && marks[j]!.f !== r.fromOffset) || marks[j]!.n !== n);
      const r = c.ranges[i];
      throw failedPrecondition(
        `ranges[${i}]: batch ${c.batchId} of query ${c.queryId} was already committed with different ranges: ` +
          `${tpKey(r.topic, r.partition)} holds [${marks[i]!.f}, ${current[i].offset}) of a ${marks[i]!.n}-range commit, this request has [${r.fromOffset}, ${r.untilOffset}) of ${n}` +
          ' (set force to overwrite)',
        `ranges[${i}]`,
      );
    }
  }

  // A re-run of an earlier batch of the same query whose offsets were already passed.
  const olderBatch = marks.every((m, i) => m !== undefined && m.q === c.queryId && m.b > c.batchId && c.ranges[i].untilOffset <= current[i].offset);
  if (olderBatch && !c.force) return { kind: 'already', reason: 'older_batch' };

  if (!c.force) {
    c.ranges.forEach((r, i) => {
      const s = current[i].offset;
      if (s < 0n || r.fromOffset < 0n || r.fromOffset === s) return;
      const diff = r.fromOffset - s;
      const what = diff > 0n ? `a gap: ${diff} records [${s}, ${r.fromOffset}) would never be committed` : `an overlap: ${-diff} records [${r.fromOffset}, ${s}) were already committed`;
      const by = marks[i] ? ` by batch ${marks[i]!.b} of query ${marks[i]!.q}` : '';
      throw failedPrecondition(
        `ranges[${i}].from_offset: partition ${tpKey(r.topic, r.partition)} has committed offset ${s}${by}, but the range starts at ${r.fromOffset}: ${what} (set force to override)`,
        `ranges[${i}].from_offset`,
      );
    });
  }

  return {
    kind: 'commit',
    offsets: c.ranges.map((r) => r.untilOffset),
    marks: c.ranges.map((r, i) => ({
      q: c.queryId,
      b: c.batchId,
      // Unknown start (progress committer, first batch): the range begins where the group was.
      f: r.fromOffset >= 0n ? r.fromOffset : current[i].offset >= 0n ? current[i].offset : r.untilOffset,
      n,
    })),
  };
}
