// Reads a topic from the beginning with an ordinary kafkajs consumer until `expected`
// records arrived (or a quiet period passed), then returns them with partition and offset.
import { Kafka, logLevel } from 'kafkajs';

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer;
}

export async function readTopic(bootstrap: string, topic: string, expected: number, timeoutMs = 60_000, quietMs = 1500): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'sparkwire-test-reader', logLevel: logLevel.NOTHING });
  // A throwaway group (nothing to commit) and large fetches: suites read topics of 100 MB and more.
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Math.random().toString(36).slice(2)}`, maxBytes: 50 * 1024 * 1024 });
  const out: ReadRecord[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        out.push({ partition: batch.partition, offset: Number(m.offset), key: m.key ? m.key.toString() : null, value: m.value! });
      }
      last = Date.now();
    },
  });
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (out.length >= expected && Date.now() - last > quietMs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  return out;
}
