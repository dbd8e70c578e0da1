// Reading the records of given offset ranges with a throwaway consumer group (no commits,
// deleted afterwards): the spool's read-back of what a crashed process had already published.
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { OffsetRange } from './client';

export async function readRanges(kafka: Kafka, admin: Admin, ranges: OffsetRange[], onRecord: (topic: string, key: Buffer | null, value: Buffer) => void, timeoutMs: number): Promise<void> {
  if (ranges.length === 0) return;
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
      timer = setTimeout(() => reject(new Error(`read-back did not finish within ${timeoutMs} ms (${remaining.size} partitions left)`)), timeoutMs);
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
              onRecord(batch.topic, m.key ?? null, m.value ?? Buffer.alloc(0));
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
}
