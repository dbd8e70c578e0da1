// Reads topics back: every partition from a start (the beginning, or the first offset at or
// after a timestamp) up to its high watermark when the read began, with a throwaway consumer
// group whose offsets are set before it joins (no commits; the group is deleted after).
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

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
  /** Called for each record in the range, in partition order. */
  onRecord: (r: ReadRecord) => void;
  onProgress?: (p: ReadProgress) => void;
  timeoutMs?: number;
}

interface Range {
  topic: string;
  partition: number;
  from: number;
  to: number;
}

/** Reads [start, high watermark) of every partition of `topics`; resolves with the count read. */
export async function readRecords(kafka: Kafka, topics: string[], opts: ReadOptions): Promise<ReadProgress> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `sparkwire-cli-read-${randomUUID()}`;
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length) throw new Error(`no such topic: ${missing.join(', ')}`);
    const ranges: Range[] = [];
    for (const topic of topics) {
      const high = await admin.fetchTopicOffsets(topic);
      const from = opts.sinceMs !== undefined ? await admin.fetchTopicOffsetsByTimestamp(topic, opts.sinceMs) : high.map((h) => ({ partition: h.partition, offset: h.low }));
      for (const h of high) {
        const start = Number(from.find((f) => f.partition === h.partition)?.offset ?? h.low);
        ranges.push({ topic, partition: h.partition, from: Math.max(start, Number(h.low)), to: Number(h.high) });
      }
    }
    const total = ranges.reduce((n, r) => n + Math.max(0, r.to - r.from), 0);
    const progress: ReadProgress = { read: 0, total };
    opts.onProgress?.(progress);
    const remaining = new Map(ranges.filter((r) => r.to > r.from).map((r) => [`${r.topic}:${r.partition}`, r]));
    if (remaining.size === 0) return progress;
    for (const topic of topics) {
      await admin.setOffsets({ groupId, topic, partitions: ranges.filter((r) => r.topic === topic).map((r) => ({ partition: r.partition, offset: String(r.from) })) });
    }
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, maxBytes: 16 * 1024 * 1024 });
    await consumer.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.subscribe({ topics, fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        const timeoutMs = opts.timeoutMs ?? 120_000;
        timer = setTimeout(() => reject(new Error(`reading did not finish within ${timeoutMs} ms (${progress.read} of ${total} records)`)), timeoutMs);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const r = remaining.get(`${batch.topic}:${batch.partition}`);
              if (!r) return;
              for (const m of batch.messages) {
                const off = Number(m.offset);
                if (off < r.from) continue;
                if (off >= r.to) break;
                progress.read++;
                opts.onRecord({ topic: batch.topic, partition: batch.partition, offset: off, timestamp: Number(m.timestamp), key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0) });
              }
              opts.onProgress?.(progress);
              if (Number(batch.lastOffset()) >= r.to - 1) {
                remaining.delete(`${batch.topic}:${batch.partition}`);
                if (remaining.size === 0) resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
    return progress;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
