// Restart offsets in the forms Spark takes: the per-partition map for a DStream
// ConsumerStrategies.Assign, and the JSON for Structured Streaming's startingOffsets.
// Partitions without a committed offset get the policy's offset, resolved to a number at
// fetch time (earliest: log-start, latest: log-end), so both forms say the same thing.
import { jsonText } from '@sparkwire/encoding';
import { decodeMark } from './commit-metadata';
import type { LogOffsets, StoredOffset } from './kafka-offsets';
import { tpKey } from './validate';

export type StartPolicyName = 'earliest' | 'latest';

export interface StartPartition {
  topic: string;
  partition: number;
  offset: bigint;
  committed: boolean;
  logStartOffset: bigint;
  logEndOffset: bigint;
  queryId: string;
  batchId: bigint;
}

export interface StartOffsets {
  partitions: StartPartition[];
  /** "topic-partition" -> offset (Kafka's TopicPartition.toString). */
  assignOffsets: Record<string, bigint>;
  /** {"topic":{"0":42}} for Structured Streaming's startingOffsets. */
  startingOffsetsJson: string;
  policy: StartPolicyName;
  groupHasCommits: boolean;
}

export function startOffsets(topics: string[], logs: Map<string, LogOffsets[]>, stored: StoredOffset[], policy: StartPolicyName): StartOffsets {
  const byTp = new Map(stored.filter((s) => s.offset >= 0n).map((s) => [tpKey(s.topic, s.partition), s]));
  const partitions: StartPartition[] = [];
  for (const topic of topics) {
    for (const lo of logs.get(topic) ?? []) {
      const s = byTp.get(tpKey(topic, lo.partition));
      const mark = decodeMark(s?.metadata);
      partitions.push({
        topic,
        partition: lo.partition,
        offset: s ? s.offset : policy === 'earliest' ? lo.low : lo.high,
        committed: Boolean(s),
        logStartOffset: lo.low,
        logEndOffset: lo.high,
        queryId: mark?.q ?? '',
        batchId: mark?.b ?? 0n,
      });
    }
  }
  const assignOffsets: Record<string, bigint> = {};
  const json: Record<string, Record<string, bigint>> = {};
  for (const p of partitions) {
    assignOffsets[tpKey(p.topic, p.partition)] = p.offset;
    (json[p.topic] ??= {})[String(p.partition)] = p.offset;
  }
  // jsonText: the offsets as exact JSON integers, whatever their size.
  return { partitions, assignOffsets, startingOffsetsJson: jsonText(json), policy, groupHasCommits: partitions.some((p) => p.committed) };
}
