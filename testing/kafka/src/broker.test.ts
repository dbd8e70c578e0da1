/**
 * Runs real Kafka brokers (JVMs): no mocks. Slow-ish (a few seconds per broker start);
 * the first run also fetches the jars with Maven.
 */
import * as net from 'node:net';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import kafkajs, { type KafkaConfig } from 'kafkajs';
import { runProducerPerformance, startBroker, type Broker } from './broker.js';

const { Kafka, Partitioners, logLevel } = kafkajs;

const SASL_USERS = { alice: 'alice-secret', bob: 'bob-secret' };

function client(brokers: string, extra: Partial<KafkaConfig> = {}) {
  return new Kafka({ clientId: 'broker-test', brokers: [brokers], logLevel: logLevel.NOTHING, ...extra });
}

async function produce(bootstrap: string, topic: string, values: string[]): Promise<void> {
  const producer = client(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Reads `count` values from the start of the topic with a fresh consumer group. */
async function consume(bootstrap: string, topic: string, count: number, timeoutMs = 60_000): Promise<string[]> {
  const consumer = client(bootstrap).consumer({ groupId: `g-${topic}-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${values.length}/${count} messages from ${topic}`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '');
            if (values.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return values;
  } finally {
    await consumer.disconnect();
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('local Kafka broker', () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker({ saslPlainUsers: SASL_USERS });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  test('answers on 127.0.0.1 at the reported port', () => {
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
    expect(broker.pid).toBeGreaterThan(0);
    expect(broker.saslBootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('produces and consumes a message', async () => {
    await produce(broker.bootstrap, 'hello', ['hello kafka']);
    expect(await consume(broker.bootstrap, 'hello', 1)).toEqual(['hello kafka']);
  });

  test('creates a topic with 3 partitions', async () => {
    const admin = client(broker.bootstrap).admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'three', numPartitions: 3 }], waitForLeaders: true })).toBe(true);
      const { topics } = await admin.fetchTopicMetadata({ topics: ['three'] });
      expect(topics[0].partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  /** Brokers seen through the SASL listener as alice (throws if she is refused). */
  async function brokersSeenByAlice(): Promise<number> {
    const admin = client(broker.saslBootstrap!, {
      sasl: { mechanism: 'plain', username: 'alice', password: SASL_USERS.alice },
    }).admin();
    await admin.connect();
    try {
      return (await admin.describeCluster()).brokers.length;
    } finally {
      await admin.disconnect();
    }
  }

  test('SASL/PLAIN listener accepts the right credentials', async () => {
    expect(await brokersSeenByAlice()).toBe(1);
  });

  test('SASL/PLAIN listener refuses a wrong password and an unknown user', async () => {
    for (const [username, password] of [['alice', 'wrong'], ['mallory', 'alice-secret']]) {
      const admin = client(broker.saslBootstrap!, {
        sasl: { mechanism: 'plain', username, password },
        retry: { retries: 0 },
      }).admin();
      await expect(admin.connect()).rejects.toThrow(/SASL PLAIN authentication failed|Authentication failed/i);
      await admin.disconnect();
    }
  });

  test('restart() keeps the data, the address and the SASL listener', async () => {
    await produce(broker.bootstrap, 'durable', ['before restart']);
    const { port, pid } = broker;
    await broker.restart();
    expect(broker.port).toBe(port);
    expect(broker.pid).not.toBe(pid);
    expect(await consume(broker.bootstrap, 'durable', 1)).toEqual(['before restart']);
    expect(await brokersSeenByAlice()).toBe(1);
  });

  test('kill() then restart() recovers acknowledged records', async () => {
    await produce(broker.bootstrap, 'crash', ['acked before kill']);
    broker.kill();
    await broker.restart();
    expect(await consume(broker.bootstrap, 'crash', 1)).toEqual(['acked before kill']);
  });

  test('runProducerPerformance reports a positive rate, and names its process while it runs', async () => {
    const seen: Array<{ pid: number; alive: boolean }> = [];
    const result = await runProducerPerformance({
      onSpawn: (pid) => seen.push({ pid, alive: existsSync(`/proc/${pid}`) }),
      bootstrap: broker.bootstrap,
      topic: 'perf',
      numRecords: 20_000,
      recordSize: 200,
      acks: '1',
      lingerMs: 5,
    });
    expect(result.recordsPerSec).toBeGreaterThan(0);
    expect(result.mbPerSec).toBeGreaterThan(0);
    expect(result.avgLatencyMs).toBeGreaterThanOrEqual(0);
    expect(result.maxLatencyMs).toBeGreaterThanOrEqual(result.avgLatencyMs);
    expect(result.raw).toContain('20000 records sent');
    expect(seen).toHaveLength(1);
    expect(seen[0].alive).toBe(true);
    expect(existsSync(`/proc/${seen[0].pid}`)).toBe(false); // gone once the result is in
  });
});

describe('several brokers', () => {
  test('two brokers run at once on different ports, and stop() frees the port', async () => {
    const [a, b] = await Promise.all([startBroker({ numPartitions: 2 }), startBroker()]);
    try {
      expect(a.port).not.toBe(b.port);
      const ids = await Promise.all(
        [a, b].map(async (broker) => {
          const admin = client(broker.bootstrap).admin();
          await admin.connect();
          try {
            return (await admin.describeCluster()).clusterId;
          } finally {
            await admin.disconnect();
          }
        }),
      );
      expect(ids[0]).not.toBe(ids[1]); // really two clusters, not one answering twice

      // numPartitions applies to auto-created topics.
      await produce(a.bootstrap, 'auto', ['x']);
      const admin = client(a.bootstrap).admin();
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: ['auto'] });
      await admin.disconnect();
      expect(topics[0].partitions).toHaveLength(2);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(await portIsFree(a.port)).toBe(true);
    expect(await portIsFree(b.port)).toBe(true);
    expect(() => process.kill(a.pid, 0)).toThrow(); // the JVM is gone, not just its listener
  });

  test('a port already in use is a clear error', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(startBroker({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      server.close();
    }
  });
});
