// Reading records back with a throwaway consumer group (no commits, deleted afterwards): the
// spool's read-back of what a crashed process had already published, the operator commands'
// reads (report, tail) and replay's check of what is already there. Offsets are set before the
// group joins, so where a read starts is deterministic (unlike seeking once partitions are
// assigned).
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { OffsetRange, OnRecord } from './client';

/** Reads [from, to) of each range; rejects when not all are read within timeoutMs. */
export async function readRanges(kafka: Kafka, admin: Admin, ranges: OffsetRange[], onRecord: OnRecord, timeoutMs: number): Promise<void> {
  const wanted = ranges.filter((r) => r.to > r.from);
  if (wanted.length === 0) return;
  const readTopics = [...new Set(wanted.map((r) => r.topic))];
  const remaining = new Map(wanted.map((r) => [`${r.topic}:${r.partition}`, r]));
  await withThrowawayGroup(kafka, admin, 'sparkwire-readback', readTopics, (t, p, high) => remaining.get(`${t}:${p}`)?.from ?? high, async (consumer) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
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
                onRecord(batch.topic, m.key ?? null, m.value ?? Buffer.alloc(0), { partition: batch.partition, offset: off, timestamp: Number(m.timestamp) });
              }
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
    }
  });
}

/** Reads every partition of `topics` from `from` (else the log end) until `until` settles. */
export async function follow(kafka: Kafka, admin: Admin, topics: string[], from: Array<{ topic: string; partition: number; offset: bigint }>, onRecord: OnRecord, until: Promise<void>): Promise<void> {
  const start = new Map(from.map((f) => [`${f.topic}:${f.partition}`, Number(f.offset)]));
  await withThrowawayGroup(kafka, admin, 'sparkwire-follow', topics, (t, p, high) => start.get(`${t}:${p}`) ?? high, async (consumer) => {
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          onRecord(batch.topic, m.key ?? null, m.value ?? Buffer.alloc(0), { partition: batch.partition, offset: Number(m.offset), timestamp: Number(m.timestamp) });
        }
      },
    });
    await until;
  });
}

async function withThrowawayGroup(
  kafka: Kafka,
  admin: Admin,
  prefix: string,
  topics: string[],
  startOf: (topic: string, partition: number, high: number) => number,
  read: (consumer: Consumer) => Promise<void>,
): Promise<void> {
  const groupId = `${prefix}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, maxBytes: 16 * 1024 * 1024, retry: { retries: 3 } });
  try {
    for (const topic of topics) {
      const high = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: high.map((h) => ({ partition: h.partition, offset: String(startOf(topic, h.partition, Number(h.high))) })) });
    }
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    await read(consumer);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
