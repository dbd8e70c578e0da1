// The Kafka sink and the spool against a real broker (testing/kafka): the limits are read
// from the broker, a record of exactly the computed maximum is accepted and a larger one
// refused without taking the sink down, a record refused after it was spooled goes to the
// dead-letter store while the records behind it are delivered, a re-drive after the limit
// was raised delivers it, and records of 400 KB of multi-byte text spooled across a broker
// outage all arrive (the requests that used to go over message.max.bytes). All of it on both
// producers (kafka.client kafkajs and platformatic), with the errors they throw against the
// real broker classified as the sink needs: a record over the limit refused (MESSAGE_TOO_LARGE),
// a stopped broker retried.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { readTopic } from '@sparkwire/testkit';
import { isRecordsRefused, recordBytes, type OutRecord } from '@sparkwire/pipeline';
import { DeadLetterStore, redrive, SpoolingSink } from '@sparkwire/spool';
import { KafkaSink } from './kafka-sink';
import { classify } from './errors';
import { BATCH_OVERHEAD_BYTES, createKafkaClient, KAFKA_CLIENTS, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, RECORD_OVERHEAD_BYTES, type KafkaClientKind } from '@sparkwire/kafka-client';

let broker: Broker;
let dir: string;
let admin: kafkajs.Admin;
const closers: Array<() => Promise<void>> = [];
const logs: string[] = [];
const log = {
  info: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`),
  warn: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`),
  error: (o: object, m: string) => logs.push(`${m} ${JSON.stringify(o)}`),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-sink-int-'));
  broker = await startBroker({ dataDir: join(dir, 'kafka') });
  admin = new kafkajs.Kafka({ brokers: [broker.bootstrap], clientId: 'int-admin', logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  await admin?.disconnect();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sink(client: KafkaClientKind, topic: string, o: { limitsRefreshMs?: number } = {}): KafkaSink {
  const s = new KafkaSink(
    { brokers: [broker.bootstrap], clientId: `int-${topic}`, client, compression: 'none', topics: [{ name: topic, partitions: 1, replicationFactor: 1 }], createTopics: true, maxBatchRecords: 20_000, maxRequestBytes: 900 * 1024, connectTimeoutMs: 1000, requestTimeoutMs: 30_000, retries: 2, limitsRefreshMs: o.limitsRefreshMs },
    log,
  );
  closers.push(() => s.close());
  return s;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const setTopicLimit = (topic: string, bytes: number) =>
  admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }] });

let n = 0;
const rec = (topic: string, bytes: number, ch = 'x'): OutRecord => {
  const id = `ev-${++n}`;
  const head = JSON.stringify({ eventId: id, pad: '' }).length - 2;
  return { topic, key: 'app-1', value: JSON.stringify({ eventId: id, pad: ch.repeat(Math.max(0, Math.floor((bytes - head - 5) / Buffer.byteLength(ch)))) }) };
};
const idsIn = async (topic: string, expected: number) => (await readTopic(broker.bootstrap, topic, expected, 60_000, 1000)).map((r) => JSON.parse(r.value.toString()).eventId as string);

describe.each(KAFKA_CLIENTS)('on the %s producer', (client) => {
describe('KafkaSink against a real broker', () => {
  it('reads message.max.bytes; a record of exactly maxRecordBytes goes, a larger one is refused for its records and the sink stays ready', async () => {
    const topic = `int-limit-${client}`;
    const s = sink(client, topic);
    await s.start();
    await until('ready', () => s.isReady());
    const limits = s.stats().limits;
    expect(limits.brokerMaxMessageBytes).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    expect(limits.topics[topic]).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    const max = s.maxRecordBytes(topic);
    expect(max).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES);
    const exact: OutRecord = { topic, key: 'k', value: 'x'.repeat(max - 1) };
    expect(recordBytes(exact)).toBe(max);
    await s.write([exact]);
    // Over the broker's limit whatever the framing (the batch header alone is 61 bytes).
    const over: OutRecord = { topic, key: 'k', value: 'x'.repeat(KAFKA_DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES) };
    const err = await s.write([over]).catch((e) => e);
    expect(isRecordsRefused(err)).toBe(true);
    expect(err.reason).toBe('MESSAGE_TOO_LARGE');
    expect(s.isReady()).toBe(true);
    // Two records each under the limit, together over it: two requests, both accepted.
    const half = () => ({ topic, key: 'k', value: 'é'.repeat(300_000) }); // 600,000 bytes each
    await s.write([half(), half()]);
    expect(s.stats().refusedRequests).toBe(1);
    // Writes coalesced into one request with a refused one: only that one fails (no spool case).
    const w0 = s.write([{ topic, key: 'k', value: 'w0' }]);
    const w1 = s.write([{ topic, key: 'k', value: 'w1' }]);
    const w2 = s.write([over]);
    const w3 = s.write([{ topic, key: 'k', value: 'w3' }]);
    const settled = await Promise.allSettled([w0, w1, w2, w3]);
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(s.isReady()).toBe(true);
    const records = await readTopic(broker.bootstrap, topic, 6, 60_000, 1000);
    expect(records.map((r) => (r.value.length < 10 ? r.value.toString() : r.value.length))).toEqual([max - 1, 600_000, 600_000, 'w0', 'w1', 'w3']);
  });

  it('classify() on what the producer throws against the broker: a record over the topic limit is refused as MESSAGE_TOO_LARGE, a missing topic retried', async () => {
    const topic = `int-classify-${client}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    const producer = createKafkaClient({ brokers: [broker.bootstrap], clientId: `int-classify-${client}`, client, connectTimeoutMs: 1000, requestTimeoutMs: 30_000, retries: 2 }, log).producer();
    closers.push(() => producer.disconnect());
    await producer.connect();
    await setTopicLimit(topic, 10_000);
    // One request over both partitions, one record too large: the whole send() rejects.
    const tooLarge = await producer.send([{ topic, key: 'a', value: 'small' }, { topic, key: 'b', value: 'x'.repeat(20_000) }, { topic, key: 'c', value: 'small' }], 'none').catch((e) => e);
    expect(tooLarge).toBeInstanceOf(Error);
    expect(classify(tooLarge)).toEqual({ kind: 'refused', type: 'MESSAGE_TOO_LARGE' });
    const missing = await producer.send([{ topic: `${topic}-missing`, key: 'a', value: 'v' }], 'none').catch((e) => e);
    expect(classify(missing)).toEqual({ kind: 'retry', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('a topic limit lowered with alterConfigs is read again; requests then stay under it', async () => {
    const topic = `int-lowered-${client}`;
    const s = sink(client, topic);
    await s.start();
    await until('ready', () => s.isReady());
    await setTopicLimit(topic, 100_000);
    await new Promise((r) => setTimeout(r, 2100)); // refreshLimits reads at most every 2 s
    await s.refreshLimits();
    expect(s.maxRecordBytes(topic)).toBe(100_000 - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES);
    expect(s.requestLimit().maxBytes).toBe(100_000 - BATCH_OVERHEAD_BYTES);
    // 30 records of 20 KB: 600 KB, under kafka.maxRequestBytes but over the topic's limit as one batch.
    const records = Array.from({ length: 30 }, () => rec(topic, 20_000));
    await s.write(records);
    expect(await idsIn(topic, 30)).toEqual(records.map((r) => JSON.parse(r.value as string).eventId));
  });
});

describe('spool + Kafka sink against a real broker', () => {
  it('a record Kafka refuses after it was acked goes to the dead-letter store, the ones behind it are delivered; re-drive after raising the limit delivers it', async () => {
    const topic = `int-dead-letter-${client}`;
    // The sink does not re-read limits on its own during the test: the broker's refusal is what it learns from.
    const inner = sink(client, topic, { limitsRefreshMs: 600_000 });
    const spoolDir = join(dir, `spool-dl-${client}`);
    const spool = new SpoolingSink(inner, { dir: spoolDir, maxBytes: 256 << 20, segmentBytes: 16 << 20, fsync: 'batch', fsyncIntervalMs: 100, publishMaxRecords: 20_000, publishMaxBytes: 900 * 1024 }, log);
    closers.push(() => spool.close());
    await spool.start();
    await until('ready', () => inner.isReady());
    const first = [rec(topic, 1000)];
    await spool.write(first);
    await until('first published', () => spool.stats().pendingEntries === 0);
    await setTopicLimit(topic, 200_000);
    const big = rec(topic, 300_000);
    const batch = [rec(topic, 1000), big, rec(topic, 1000)];
    await spool.write(batch); // acked: the spool has it
    const later = [rec(topic, 1000), rec(topic, 1000)];
    await spool.write(later);
    await until('drained', () => spool.stats().pendingEntries === 0, 30_000);
    const idOf = (r: OutRecord) => JSON.parse(r.value as string).eventId as string;
    const expected = [...first, batch[0], batch[2], ...later].map(idOf);
    expect(await idsIn(topic, expected.length)).toEqual(expected);
    const store = new DeadLetterStore(spoolDir);
    const dl = await store.list();
    expect(dl.map((e) => e.eventId)).toEqual([idOf(big)]);
    expect(['MESSAGE_TOO_LARGE', 'RECORD_TOO_LARGE']).toContain(dl[0].error.reason);
    expect(dl[0].error.limitBytes).toBe(200_000 - BATCH_OVERHEAD_BYTES - RECORD_OVERHEAD_BYTES);
    expect(spool.stats().deadLetter.records).toBe(1);
    expect(inner.isReady()).toBe(true);

    // Re-drive with the limit still low: kept. Raised: delivered and removed.
    let res = await redrive(store, inner);
    expect(res.delivered).toEqual([]);
    expect(res.refused).toHaveLength(1);
    await setTopicLimit(topic, 2_000_000);
    await new Promise((r) => setTimeout(r, 2100));
    res = await redrive(store, inner);
    expect(res.delivered).toEqual([dl[0].id]);
    expect(await store.list()).toEqual([]);
    expect((await idsIn(topic, expected.length + 1)).slice(-1)).toEqual([idOf(big)]);
  });

  it('records of 400 KB (multi-byte text: 200,000 characters) spooled across a broker outage all arrive, in order', async () => {
    const topic = `int-outage-${client}`;
    const inner = sink(client, topic);
    const spool = new SpoolingSink(inner, { dir: join(dir, `spool-outage-${client}`), maxBytes: 512 << 20, segmentBytes: 32 << 20, fsync: 'batch', fsyncIntervalMs: 100, publishMaxRecords: 20_000, publishMaxBytes: 900 * 1024 }, log);
    closers.push(() => spool.close());
    await spool.start();
    await until('ready', () => inner.isReady());
    // A producer of its own, connected before the outage: what it throws with the broker gone.
    const producer = createKafkaClient({ brokers: [broker.bootstrap], clientId: `int-down-${client}`, client, connectTimeoutMs: 1000, requestTimeoutMs: 30_000, retries: 2 }, log).producer();
    const probeTopic = `int-down-${client}`;
    await admin.createTopics({ topics: [{ topic: probeTopic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send([{ topic: probeTopic, key: 'probe', value: 'before' }], 'none');
    await broker.stop();
    const down = await producer.send([{ topic: probeTopic, key: 'probe', value: 'during' }], 'none').catch((e) => e);
    expect(down).toBeInstanceOf(Error);
    expect(classify(down).kind).toBe('retry');
    const fresh = createKafkaClient({ brokers: [broker.bootstrap], clientId: `int-down2-${client}`, client, connectTimeoutMs: 1000, requestTimeoutMs: 30_000, retries: 2 }, log).producer();
    const refused = await fresh.connect().catch((e) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(classify(refused).kind).toBe('retry');
    // disconnect() with the broker gone returns promptly (the sidecar's shutdown deadline).
    const t0 = Date.now();
    await Promise.all([producer.disconnect(), fresh.disconnect()]);
    expect(Date.now() - t0).toBeLessThan(3000);
    const sent: OutRecord[] = [];
    for (let b = 0; b < 10; b++) {
      const records = Array.from({ length: 3 }, () => rec(topic, 400_000, 'é'));
      sent.push(...records);
      await spool.write(records);
    }
    await broker.restart();
    await until('drained', () => spool.stats().pendingEntries === 0, 120_000);
    expect(spool.stats().deadLetter.records).toBe(0);
    expect(await idsIn(topic, sent.length)).toEqual(sent.map((r) => JSON.parse(r.value as string).eventId));
  });
});
});
