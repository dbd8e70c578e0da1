// Reads back what a topic received since a point in time, as content keys (recordKey), so the
// spool can tell which records of a crashed process's unpublished tail Kafka already holds.
//
// The range per partition is [first offset with timestamp >= sinceMs, high watermark at the
// start of the read): records the producer stamps (CreateTime) at send time, so a record
// sent at or after sinceMs is inside it. A throwaway consumer group (no commits) reads it
// (KafkaAdmin.readRanges).
import type { KafkaAdmin, OffsetRange } from '@sparkwire/kafka-client';
import { recordKey } from '@sparkwire/pipeline';

export interface ReadBackOptions {
  timeoutMs?: number;
}

export async function readBackKeys(admin: KafkaAdmin, topics: string[], sinceMs: number, limit: number, opts: ReadBackOptions = {}): Promise<Set<string> | undefined> {
  const ranges: OffsetRange[] = [];
  let total = 0;
  const existing = new Set(await admin.listTopics());
  for (const topic of topics) {
    if (!existing.has(topic)) continue; // nothing was ever published there
    const from = await admin.topicOffsetsByTimestamp(topic, Math.max(0, sinceMs));
    const high = await admin.topicOffsets(topic);
    for (const f of from) {
      const h = Number(high.find((x) => x.partition === f.partition)?.high ?? 0n);
      const start = Number(f.offset);
      if (h > start) {
        ranges.push({ topic, partition: f.partition, from: start, to: h });
        total += h - start;
      }
    }
  }
  const keys = new Set<string>();
  if (ranges.length === 0) return keys;
  if (total > limit) return undefined;
  await admin.readRanges(ranges, (topic, key, value) => keys.add(recordKey(topic, key, value)), { timeoutMs: opts.timeoutMs });
  return keys;
}
