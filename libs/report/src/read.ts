// Reads topics back: every partition from a start (the beginning, or the first offset at or
// after a timestamp) up to its high watermark when the read began, through the project's
// Kafka client (a throwaway consumer group, nothing committed).
import type { KafkaAdmin, OffsetRange } from '@sparkwire/kafka-client';

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: Buffer;
}

export interface ReadProgress {
  read: number;
  total: number;
}

export interface ReadOptions {
  /** Start at the first record with a timestamp >= this (ms); the beginning when unset. */
  sinceMs?: number;
  /** Called for each record in the range, in offset order within a partition. */
  onRecord: (r: ReadRecord) => void;
  onProgress?: (p: ReadProgress) => void;
  timeoutMs?: number;
}

// A progress bar need not hear of every record.
const PROGRESS_EVERY = 500;

/** Reads [start, high watermark) of every partition of `topics`; resolves with the count read. */
export async function readRecords(admin: KafkaAdmin, topics: string[], opts: ReadOptions): Promise<ReadProgress> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length) throw new Error(`no such topic: ${missing.join(', ')}`);
  const ranges: OffsetRange[] = [];
  for (const topic of topics) {
    const high = await admin.topicOffsets(topic);
    const since = opts.sinceMs !== undefined ? await admin.topicOffsetsByTimestamp(topic, opts.sinceMs) : [];
    for (const h of high) {
      const start = since.find((f) => f.partition === h.partition)?.offset ?? h.low;
      ranges.push({ topic, partition: h.partition, from: Number(start > h.low ? start : h.low), to: Number(h.high) });
    }
  }
  const total = ranges.reduce((n, r) => n + Math.max(0, r.to - r.from), 0);
  const progress: ReadProgress = { read: 0, total };
  opts.onProgress?.(progress);
  if (total === 0) return progress;
  await admin.readRanges(
    ranges,
    (topic, key, value, at) => {
      progress.read++;
      opts.onRecord({ topic, partition: at.partition, offset: at.offset, timestamp: at.timestamp, key: key ? key.toString() : null, value });
      if (progress.read % PROGRESS_EVERY === 0) opts.onProgress?.(progress);
    },
    { timeoutMs: opts.timeoutMs ?? 120_000 },
  );
  opts.onProgress?.(progress);
  return progress;
}
