// The Kafka client against a real broker (testing/kafka, with SASL and TLS listeners): every
// call of the interface, the simple offset commit with its metadata, and a connection over
// SASL_SSL made from the settings alone (CA file read, SCRAM), refused with a wrong password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { makeTestPki } from '@sparkwire/testkit';
import { createKafkaClient, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, type KafkaAdmin, type KafkaClient, type KafkaConnectionSettings } from '../src/index';

const SCRAM = { carol: 'carol-scram-secret' };
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let broker: Broker;
let dir: string;
let caFile: string;
let client: KafkaClient;
let admin: KafkaAdmin;

const settings = (over: Partial<KafkaConnectionSettings> = {}): KafkaConnectionSettings => ({ brokers: [broker.bootstrap], clientId: 'kafka-client-int', connectTimeoutMs: 3000, requestTimeoutMs: 10_000, retries: 2, ...over });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-client-int-'));
  const pki = makeTestPki(join(dir, 'pki'));
  caFile = pki.caCert;
  broker = await startBroker({ dataDir: join(dir, 'kafka'), saslScramUsers: SCRAM, tls: { certFile: pki.serverCert, keyFile: pki.serverKey } });
  client = createKafkaClient(settings(), quiet);
  admin = client.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('KafkaClient on kafkajs against a real broker', () => {
  it('creates topics and reads their metadata and size limits', async () => {
    await admin.createTopics([{ name: 'kc-events', partitions: 3, replicationFactor: 1 }]);
    expect(await admin.listTopics()).toContain('kc-events');
    expect(await admin.partitionCounts(['kc-events'])).toEqual(new Map([['kc-events', 3]]));
    const ids = await admin.brokerIds();
    expect(ids).toHaveLength(1);
    expect(await admin.describeConfig('broker', String(ids[0]), 'message.max.bytes')).toBe(String(KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
    expect(await admin.describeConfig('topic', 'kc-events', 'max.message.bytes')).toBe(String(KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
  });

  it('produces one request over partitions; offsets by time and the records of offset ranges read back', async () => {
    const producer = client.producer();
    await producer.connect();
    const before = Date.now();
    try {
      await producer.send(
        [
          { topic: 'kc-events', key: 'app-1', value: 'a1' },
          { topic: 'kc-events', key: 'app-1', value: 'a2' },
          { topic: 'kc-events', key: 'app-2', value: Buffer.from('b1') },
        ],
        'gzip',
      );
      await producer.send([{ topic: 'kc-events', key: null, value: 'n1' }], 'none');
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.topicOffsets('kc-events');
    expect(offsets.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    expect(offsets.reduce((n, p) => n + p.high - p.low, 0n)).toBe(4n);
    const fromBefore = await admin.topicOffsetsByTimestamp('kc-events', before - 1000);
    expect(fromBefore.every((p) => p.offset === 0n)).toBe(true);
    // After the last record: the log end.
    const fromLater = await admin.topicOffsetsByTimestamp('kc-events', Date.now() + 60_000);
    expect(fromLater.map((p) => p.offset).sort()).toEqual(offsets.map((p) => p.high).sort());

    const read: string[] = [];
    const ranges = offsets.filter((p) => p.high > 0n).map((p) => ({ topic: 'kc-events', partition: p.partition, from: 0, to: Number(p.high) }));
    await admin.readRanges(ranges, (_t, key, value) => read.push(`${key?.toString() ?? '-'}=${value.toString()}`), { timeoutMs: 30_000 });
    expect(read.sort()).toEqual(['-=n1', 'app-1=a1', 'app-1=a2', 'app-2=b1']);
    // Records of app-1 keep their order in one partition.
    expect(read.filter((r) => r.startsWith('app-1'))).toEqual(['app-1=a1', 'app-1=a2']);
  });

  it('the simple offset commit: all partitions in one request, metadata kept, read back as committed offsets', async () => {
    const committer = client.groupCommitter();
    try {
      await committer.commit('kc-group', [
        { topic: 'kc-events', partition: 0, offset: 1n, metadata: 'm0' },
        { topic: 'kc-events', partition: 2, offset: 0n, metadata: 'm2' },
      ]);
      const committed = (await admin.committedOffsets('kc-group', ['kc-events'])).sort((a, b) => a.partition - b.partition);
      expect(committed).toEqual([
        { topic: 'kc-events', partition: 0, offset: 1n, metadata: 'm0' },
        { topic: 'kc-events', partition: 1, offset: -1n, metadata: null },
        { topic: 'kc-events', partition: 2, offset: 0n, metadata: 'm2' },
      ]);
      // The broker's error name is on what is thrown (offsets maps it to a status).
      const err = await committer.commit('kc-group', [{ topic: 'kc-missing', partition: 0, offset: 1n, metadata: '' }]).catch((e) => e);
      expect(err.type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await committer.disconnect();
    }
  });

  it('connects over SASL_SSL from the settings: CA file, SCRAM; a wrong password is refused', async () => {
    const secure = (password: string) => createKafkaClient(settings({ brokers: [broker.saslSslBootstrap!], retries: 0, tls: { enabled: true, caFile, rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-256', username: 'carol', password } }), quiet).admin();
    const ok = secure(SCRAM.carol);
    try {
      await ok.connect();
      expect(await ok.listTopics()).toContain('kc-events');
    } finally {
      await ok.disconnect();
    }
    const bad = secure('wrong');
    try {
      await expect(bad.connect()).rejects.toThrow(/SASL|authentication/i);
    } finally {
      await bad.disconnect();
    }
  });
});
