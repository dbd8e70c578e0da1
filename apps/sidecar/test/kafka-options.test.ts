// Kafka options against the real broker: the embedded SDK with protobuf encoding and
// gzip, topic creation through the admin API, a separate task topic, SASL/PLAIN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { SparkEvent } from '@sparkwire/proto';
import { createLogger, createPipeline } from '@sparkwire/sdk';
import { readTopic, spawnSidecar, syntheticApplication, waitFor } from '@sparkwire/testkit';

let broker: Broker;
const SASL_USER = 'sparkwire';
const SASL_PASSWORD = 'sparkwire-test-password';

beforeAll(async () => {
  broker = await startBroker({ saslPlainUsers: { [SASL_USER]: SASL_PASSWORD } });
});
afterAll(async () => {
  await broker?.stop();
});

const app = syntheticApplication({ appId: 'app-opts', stagesPerJob: [2, 1], tasksPerStage: 20, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 2, startMs: Date.now() - 600_000 });

describe('embedded SDK into real Kafka', () => {
  it('protobuf + gzip, task events on their own topic, topics created with the configured partitions', async () => {
    const built = createPipeline(
      { extended: true, kafka: { brokers: [broker.bootstrap], topic: 'pb-events', tasksTopic: 'pb-tasks', encoding: 'protobuf', compression: 'gzip', partitions: 4 } },
      { logger: createLogger('silent') },
    );
    await built.start();
    expect(built.sink.isReady()).toBe(true);
    const r = await built.pipeline.publishEvents(app);
    expect(r.accepted).toBe(app.length);
    await built.close();

    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['pb-events', 'pb-tasks'] });
    await admin.disconnect();
    expect(meta.topics.map((t) => t.partitions.length)).toEqual([4, 4]);

    const tasks = app.filter((e) => e.body?.$case === 'taskStart' || e.body?.$case === 'taskEnd');
    const others = app.length - tasks.length;
    const gotTasks = (await readTopic(broker.bootstrap, 'pb-tasks', tasks.length)).map((m) => SparkEvent.decode(m.value));
    const gotOthers = (await readTopic(broker.bootstrap, 'pb-events', others)).map((m) => SparkEvent.decode(m.value));
    expect(gotTasks).toHaveLength(tasks.length);
    expect(gotOthers).toHaveLength(others);
    // Protobuf records are the events themselves, byte for byte decodable to what was sent.
    const sent = new Map(app.map((e) => [e.eventId, e]));
    for (const e of [...gotTasks, ...gotOthers]) expect(e).toEqual(sent.get(e.eventId));
  });
});

describe('SASL/PLAIN', () => {
  it('publishes through the SASL listener with the right password', async () => {
    const s = await spawnSidecar({ args: ['--kafka-brokers', broker.saslBootstrap!, '--kafka-topic', 'sasl-events', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', SASL_USER], env: {
      SPARKWIRE_KAFKA_SASL_PASSWORD: SASL_PASSWORD,
    } });
    try {
      await waitFor('kafka SERVING', async () => (await s.health('sparkwire.kafka')) === 'SERVING');
      const { ListenerClient } = await import('@sparkwire/testkit');
      const client = new ListenerClient(s.address);
      await client.publish({ clientId: 'c', batchSeq: 1n, events: app.slice(0, 5), clientStats: undefined });
      client.close();
      const got = await readTopic(broker.bootstrap, 'sasl-events', 5);
      expect(new Set(got.map((m) => JSON.parse(m.value.toString()).eventId)).size).toBe(5);
      // The password never appears in the sidecar's logs.
      expect(s.logs.join('\n')).not.toContain(SASL_PASSWORD);
    } finally {
      await s.stop();
    }
  });

  it('stays NOT_SERVING with a wrong password, and does not log it', async () => {
    const s = await spawnSidecar({ args: ['--kafka-brokers', broker.saslBootstrap!, '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', SASL_USER, '--kafka-sasl-password', 'wrong-password-xyz'] });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      expect(await s.health('sparkwire.kafka')).toBe('NOT_SERVING');
      expect(s.logs.join('\n')).not.toContain('wrong-password-xyz');
    } finally {
      await s.stop();
    }
  });
});
