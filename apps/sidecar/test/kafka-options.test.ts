// Kafka options against the real broker: the embedded SDK with protobuf encoding and
// gzip, topic creation through the admin API, a separate task topic, SASL/PLAIN (the sidecar
// and the operator commands).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { SparkEvent } from '@sparkwire/proto';
import { createLogger, createPipeline } from '@sparkwire/sdk';
import { envWithout, readTopic, spawnSidecar, syntheticApplication, waitFor } from '@sparkwire/testkit';

const BIN = resolve(import.meta.dirname, '../bin/sparkwire.js');

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

  it('the operator commands read through SASL with the config file and a password file', async () => {
    // The topic the test above wrote; the brokers, mechanism, user and password file come from
    // the sidecar's own config file, as an operator next to a SASL cluster would pass it.
    const dir = mkdtempSync(join(tmpdir(), 'sparkwire-cli-sasl-'));
    try {
      writeFileSync(join(dir, 'password'), `${SASL_PASSWORD}\n`);
      writeFileSync(join(dir, 'sparkwire.json'), JSON.stringify({ kafka: { brokers: [broker.saslBootstrap], topic: 'sasl-events', saslMechanism: 'plain', saslUsername: SASL_USER, saslPasswordFile: join(dir, 'password') } }));
      const tail = spawnSync(process.execPath, [BIN, 'tail', '--config', join(dir, 'sparkwire.json'), '--from-beginning', '--until-end', '-q'], { encoding: 'utf8', env: envWithout(), timeout: 60_000 });
      expect(tail.stderr).toBe('');
      expect(tail.status).toBe(0);
      const got = tail.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).eventId);
      expect(new Set(got)).toEqual(new Set(app.slice(0, 5).map((e) => e.eventId)));
      // A wrong password: exit 1 with a message, no hang, and the password is not printed.
      writeFileSync(join(dir, 'password'), 'not-the-password');
      const bad = spawnSync(process.execPath, [BIN, 'tail', '--config', join(dir, 'sparkwire.json'), '--from-beginning', '--until-end', '-q'], { encoding: 'utf8', env: envWithout(), timeout: 60_000 });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/^sparkwire: .*(SASL|[Aa]uthentication)/m);
      expect(bad.stderr + bad.stdout).not.toContain('not-the-password');
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
