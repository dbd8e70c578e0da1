// The Kafka client against a real broker (testing/kafka, with SASL and TLS listeners): every
// call of the interface, the simple offset commit with its metadata, and a connection over
// SASL_SSL made from the settings alone (CA file read, SCRAM), refused with a wrong password.
// The producer part runs on both producers (kafka.client kafkajs and platformatic): the same
// partitions for the same keys, the broker's error names on what send() throws, no topic
// auto-creation, connect() failing fast and disconnect() returning with no broker there. An idle
// kafkajs connection keeps no timer loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { makeTestPki } from '@sparkwire/testkit';
import { createServer } from 'node:net';
import { Partitioners } from 'kafkajs';
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { fromPlatformatic } from '../src/platformatic-errors';
import { platformaticOptions } from '../src/platformatic-producer';
import { RecordPartitioner } from '../src/partitioner';
import { PRODUCE_VERSIONS, ProduceRequests } from '../src/produce-requests';
import { createKafkaClient, KAFKA_CLIENTS, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, zstdAvailable, type KafkaAdmin, type KafkaClient, type KafkaConnectionSettings, type KafkaProducer } from '../src/index';

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

describe('KafkaClient (admin and offsets on kafkajs) against a real broker', () => {
  it('creates topics and reads their metadata and size limits', async () => {
    await admin.createTopics([{ name: 'kc-events', partitions: 3, replicationFactor: 1 }]);
    expect(await admin.listTopics()).toContain('kc-events');
    expect(await admin.partitionCounts(['kc-events'])).toEqual(new Map([['kc-events', 3]]));
    const ids = await admin.brokerIds();
    expect(ids).toHaveLength(1);
    expect(await admin.describeConfig('broker', String(ids[0]), 'message.max.bytes')).toBe(String(KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
    expect(await admin.describeConfig('topic', 'kc-events', 'max.message.bytes')).toBe(String(KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
  });

  it('an idle connection keeps no timer loop (kafkajs-idle-timer.ts), and the next call still goes through', async () => {
    // kafkajs 2.2.4 re-arms a 1 ms check of its request queue for ever once a connection was
    // used: about 1,000 checks a second per connection. Counted on kafkajs's own class while
    // the admin above sits idle, connected.
    await admin.createTopics([{ name: 'kc-idle', partitions: 1, replicationFactor: 1 }]);
    const proto = RequestQueue.prototype;
    const check = proto.checkPendingRequests;
    let checks = 0;
    proto.checkPendingRequests = function (this: unknown) {
      checks++;
      return check.call(this);
    };
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(checks).toBeLessThan(5);
      expect(await admin.partitionCounts(['kc-idle'])).toEqual(new Map([['kc-idle', 1]])); // requests still answered
    } finally {
      proto.checkPendingRequests = check;
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

/** The broker's error name along `cause` (what libs/kafka-sink/src/errors.ts looks at). */
function errorType(err: unknown): string | undefined {
  let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 8; depth++) {
    if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return undefined;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const timed = async <T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const t0 = Date.now();
  const value = await f();
  return { ms: Date.now() - t0, value };
};

describe.each(KAFKA_CLIENTS)('the producer on %s against a real broker', (kind) => {
  const topic = `kc-produce-${kind}`;
  let pclient: KafkaClient;
  let producer: KafkaProducer;
  beforeAll(async () => {
    await admin.createTopics([{ name: topic, partitions: 3, replicationFactor: 1 }]);
    pclient = createKafkaClient(settings({ client: kind }), quiet);
    producer = pclient.producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  it('produces one request over partitions, keys on the partitions of murmur2 (kafkajs, Java); offsets by time and the records of offset ranges read back', async () => {
    const before = Date.now();
    await producer.send(
      [
        { topic, key: 'app-1', value: 'a1' },
        { topic, key: 'app-1', value: 'a2' },
        { topic, key: 'app-2', value: Buffer.from('b1') },
        // Back to a key seen before in the same send (the producer reuses one key Buffer per run).
        { topic, key: 'app-1', value: 'a3' },
      ],
      'gzip',
    );
    await producer.send([{ topic, key: null, value: 'n1' }], 'none');
    // connect() again on a connected producer: a check, the producer stays the same.
    await producer.connect();
    const offsets = await admin.topicOffsets(topic);
    expect(offsets.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    expect(offsets.reduce((n, p) => n + p.high - p.low, 0n)).toBe(5n);
    const fromBefore = await admin.topicOffsetsByTimestamp(topic, before - 1000);
    expect(fromBefore.every((p) => p.offset === 0n)).toBe(true);
    // After the last record: the log end.
    const fromLater = await admin.topicOffsetsByTimestamp(topic, Date.now() + 60_000);
    expect(fromLater.map((p) => p.offset).sort()).toEqual(offsets.map((p) => p.high).sort());

    const read: string[] = [];
    const ranges = offsets.filter((p) => p.high > 0n).map((p) => ({ topic, partition: p.partition, from: 0, to: Number(p.high) }));
    await admin.readRanges(ranges, (_t, key, value) => read.push(`${key?.toString() ?? '-'}=${value.toString()}`), { timeoutMs: 30_000 });
    expect([...read].sort()).toEqual(['-=n1', 'app-1=a1', 'app-1=a2', 'app-1=a3', 'app-2=b1']);
    // Records of app-1 keep their order in one partition.
    expect(read.filter((r) => r.startsWith('app-1'))).toEqual(['app-1=a1', 'app-1=a2', 'app-1=a3']);

    // Each key on the partition kafkajs's DefaultPartitioner (Java's murmur2) gives it.
    const partitionOf = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 }));
    for (const key of ['app-1', 'app-2']) {
      const expected = partitionOf({ topic, partitionMetadata, message: { key, value: '' } } as never);
      const on: string[] = [];
      const high = offsets.find((p) => p.partition === expected)!.high;
      await admin.readRanges([{ topic, partition: expected, from: 0, to: Number(high) }], (_t, k) => on.push(k?.toString() ?? '-'), { timeoutMs: 30_000 });
      expect(on).toContain(key);
    }
  });

  it('send() rejects when a record is over the topic limit, with MESSAGE_TOO_LARGE where the sink looks', async () => {
    const over = 'x'.repeat(KAFKA_DEFAULT_MAX_MESSAGE_BYTES + 10);
    const err = await producer.send([{ topic, key: 'small', value: 'ok' }, { topic, key: 'big', value: over }], 'none').catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(errorType(err)).toBe('MESSAGE_TOO_LARGE');
    // The producer goes on.
    await producer.send([{ topic, key: 'after', value: 'fine' }], 'none');
  });

  it('no topic auto-creation: a missing topic is UNKNOWN_TOPIC_OR_PARTITION and stays missing', async () => {
    const p = createKafkaClient(settings({ client: kind, retries: 1 }), quiet).producer();
    await p.connect();
    try {
      const err = await p.send([{ topic: `kc-missing-${kind}`, key: 'k', value: 'v' }], 'none').catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(errorType(err)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    } finally {
      await p.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(`kc-missing-${kind}`);
  });

  it('connect() fails fast when no broker is there (kafka.retries with backoff), disconnect() returns at once', async () => {
    const port = await closedPort();
    const p = createKafkaClient(settings({ client: kind, brokers: [`127.0.0.1:${port}`], retries: 2 }), quiet).producer();
    const c = await timed(() => p.connect().then(() => undefined, (e: Error) => e));
    expect(c.value).toBeInstanceOf(Error);
    const d = await timed(() => p.disconnect());
    console.log(`[${kind}] connect to a closed port failed after ${c.ms} ms (retries 2): ${(c.value as Error).message}; disconnect ${d.ms} ms`);
    expect(c.ms).toBeLessThan(10_000);
    expect(d.ms).toBeLessThan(3_000);
  });

  it('kafka.retries 0: platformatic sends each request once; kafkajs refuses it, naming the setting', async () => {
    const make = (over: Partial<KafkaConnectionSettings> = {}) => createKafkaClient(settings({ client: kind, retries: 0, ...over }), quiet).producer();
    if (kind === 'kafkajs') {
      expect(() => make()).toThrow(/kafka\.retries 0 is not possible with kafka\.client kafkajs/);
      return;
    }
    const p = make();
    try {
      await p.connect();
      await p.send([{ topic, key: 'once', value: 'retries 0' }], 'none');
    } finally {
      await p.disconnect();
    }
    // No broker there: one attempt, no retry.
    const down = make({ brokers: [`127.0.0.1:${await closedPort()}`] });
    const c = await timed(() => down.connect().then(() => undefined, (e: Error) => e));
    await down.disconnect();
    expect(c.value).toBeInstanceOf(Error);
    console.log(`[${kind}] connect to a closed port with retries 0 failed after ${c.ms} ms: ${(c.value as Error).message}`);
    expect((c.value as Error).message).not.toMatch(/failed \d+ times/);
  });

  it('compression: lz4 on platformatic only; zstd where node:zlib has it', async () => {
    const lz4 = producer.send([{ topic, key: 'lz4', value: 'lz4 '.repeat(100) }], 'lz4');
    if (kind === 'platformatic') await lz4;
    else await expect(lz4).rejects.toThrow(/kafka\.compression lz4/);
    const zstd = producer.send([{ topic, key: 'zstd', value: 'zstd '.repeat(100) }], 'zstd');
    if (kind === 'platformatic' && zstdAvailable()) await zstd;
    else await expect(zstd).rejects.toThrow(/kafka\.compression zstd/);
  });

  it('produces over SASL_SSL from the settings: CA file, SCRAM; a wrong password is refused', async () => {
    const secure = (password: string) =>
      createKafkaClient(settings({ client: kind, brokers: [broker.saslSslBootstrap!], retries: 1, tls: { enabled: true, caFile, rejectUnauthorized: true }, sasl: { mechanism: 'scram-sha-256', username: 'carol', password } }), quiet).producer();
    const ok = secure(SCRAM.carol);
    try {
      await ok.connect();
      await ok.send([{ topic, key: 'sasl', value: 'over SASL_SSL' }], 'gzip');
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

describe('our Produce requests (produce-requests.ts) against a real broker', () => {
  const topic = 'kc-produce-requests';
  beforeAll(async () => {
    await admin.createTopics([{ name: topic, partitions: 2, replicationFactor: 1 }]);
  });

  it('the broker takes our batches as idempotent: a resend with the same sequence numbers is written once, a wrong one is refused', async () => {
    const mod = await import('@platformatic/kafka');
    const p = new mod.Producer<Buffer, Buffer, Buffer, Buffer>(platformaticOptions(settings()));
    try {
      await p.initIdempotentProducer({});
      const version = ProduceRequests.versionFor(await p.listApis());
      expect(version).toBe(PRODUCE_VERSIONS.max); // Kafka 4.x speaks them all
      const s = { timeoutMs: 10_000, retries: 1, retryDelayMs: () => 50, compression: 'none' };
      const recs = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ topic, key: Buffer.from(`k${i % 2}`), value: Buffer.from(`${tag}-${i}`) }));
      const partitions = () => new RecordPartitioner((key) => mod.compatibilityPartitioner(undefined as never, key));
      const first = new ProduceRequests(mod, p, version!, partitions());
      await first.send(recs(6, 'a'), s);
      await first.send(recs(4, 'b'), s);
      // What a retry of a request that was written but not answered looks like to the broker:
      // the same producer id and sequences. A second writer starts at sequence 0 again.
      const again = new ProduceRequests(mod, p, version!, partitions());
      await again.send(recs(6, 'a'), s);
      const total = async () => (await admin.topicOffsets(topic)).reduce((n, o) => n + o.high - o.low, 0n);
      expect(await total()).toBe(10n);
      // Sequence 0 with other records: not a resend, refused by the broker with its name.
      const err = await again.send(recs(2, 'c'), s).catch((e) => e);
      expect(errorType(fromPlatformatic(err, 'produce'))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
      // The first writer goes on where it was.
      await first.send(recs(3, 'd'), { ...s, compression: 'gzip' }); // gzip: kafkajs reads it back below
      expect(await total()).toBe(13n);
      const read: string[] = [];
      const offsets = await admin.topicOffsets(topic);
      await admin.readRanges(offsets.map((o) => ({ topic, partition: o.partition, from: 0, to: Number(o.high) })), (_t, _k, v) => read.push(v.toString()), { timeoutMs: 30_000 });
      expect(read.filter((v) => v.startsWith('a-')).sort()).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5']);
      expect(read.filter((v) => v.startsWith('d-')).sort()).toEqual(['d-0', 'd-1', 'd-2']);
      expect(read.some((v) => v.startsWith('c-'))).toBe(false);
    } finally {
      await p.close();
    }
  });
});

// After the producers: readRanges has made the group coordinator (__consumer_offsets) ready.
describe('the simple offset commit against a real broker', () => {
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

});
