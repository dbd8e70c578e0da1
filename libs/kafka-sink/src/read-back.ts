// Reads back what a topic received since a point in time, as content keys (recordKey), so the
// spool can tell which records of a crashed process's unpublished tail Kafka already holds.
//
// The range per partition is [first offset with timestamp >= sinceMs, high watermark at the
// start of the read): records the producer stamps (CreateTime) at send time, so a record
// sent at or after sinceMs is inside it. A throwaway consumer group (no commits) reads it.
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { recordKey } from '@sparkwire/pipeline';

export interface ReadBackOptions {
  timeoutMs?: number;
}

interface Range {
  topic: string;
  partition: number;
  from: number;
  to: number;
}

export async function readBackKeys(kafka: Kafka, admin: Admin, topics: string[], sinceMs: number, limit: number, opts: ReadBackOptions = {}): Promise<Set<string> | undefined> {
  const ranges: Range[] = [];
  let total = 0;
  const existing = new Set(await admin.listTopics());
  for (const topic of topics) {
    if (!existing.has(topic)) continue; // nothing was ever published there
    const from = await admin.fetchTopicOffsetsByTimestamp(topic, Math.max(0, sinceMs));
    const high = await admin.fetchTopicOffsets(topic);
    for (const f of from) {
      const h = Number(high.find((x) => x.partition === f.partition)?.high ?? 0);
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

  const groupId = `sparkwire-readback-${randomUUID()}`;
  // The fresh group starts where its committed offsets say: set them before it joins
  // (deterministic, unlike seeking once partitions are assigned).
  const readTopics = [...new Set(ranges.map((r) => r.topic))];
  for (const topic of readTopics) {
    const high = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: high.map((h) => ({ partition: h.partition, offset: String(ranges.find((r) => r.topic === topic && r.partition === h.partition)?.from ?? h.high) })),
    });
  }
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, retry: { retries: 3 } });
  const remaining = new Map(ranges.map((r) => [`${r.topic}:${r.partition}`, r]));
  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: readTopics, fromBeginning: false });
    const done = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`read-back did not finish within ${opts.timeoutMs ?? 30_000} ms (${remaining.size} partitions left)`)), opts.timeoutMs ?? 30_000);
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
              keys.add(recordKey(batch.topic, m.key ?? null, m.value ?? Buffer.alloc(0)));
            }
            if (Number(batch.lastOffset()) >= r.to - 1) {
              remaining.delete(`${batch.topic}:${batch.partition}`);
              if (remaining.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return keys;
}
