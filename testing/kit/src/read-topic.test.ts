// The topic reader against a real broker: every record, with partition and offset.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { readTopic } from './read-topic';

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.stop();
});

it('reads a topic from the beginning: all records, keys, partitions and offsets', async () => {
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'kit-read', numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'kit-read', messages: Array.from({ length: 10 }, (_, i) => ({ key: i % 3 ? `k${i}` : null, value: `v${i}`, partition: i % 2 })) });
  await producer.disconnect();
  const got = await readTopic(broker.bootstrap, 'kit-read', 10, 60_000, 500);
  expect(got.map((r) => r.value.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
  expect(new Set(got.map((r) => r.partition))).toEqual(new Set([0, 1]));
  expect(got.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
  expect(got.find((r) => r.value.toString() === 'v0')!.key).toBeNull();
  expect(got.find((r) => r.value.toString() === 'v1')!.key).toBe('k1');
});
