// `sparkwire replay` against a real broker with the protobuf encoding and a tasks topic: a log
// replayed while in progress, then complete, then again publishes each event exactly once (the
// read-back decodes protobuf values). The JSON encoding and the comparison with live records of
// a real PySpark run: testing/spark-e2e/test/replay.test.ts.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { readTopic } from '@sparkwire/testkit';
import { SparkEvent } from '@sparkwire/proto';
import { main } from '../src/cli';

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.stop();
});

function run(args: string[]) {
  let out = '';
  let err = '';
  return main(['node', 'sparkwire', ...args], { out: (s) => (out += s), err: (s) => (err += s), env: {} }).then((code) => ({ code, out, err }));
}

describe('sparkwire replay into Kafka (protobuf, tasks topic)', () => {
  it('in progress, then complete, then again: every event once', async () => {
    const plain = join(import.meta.dirname, '../../../libs/event-log/test/fixtures/plain');
    const folder = join(plain, readdirSync(plain)[0]);
    const lines = readFileSync(join(folder, readdirSync(folder).find((n) => n.startsWith('events_'))!), 'utf8').split('\n').filter(Boolean);
    const dir = mkdtempSync(join(tmpdir(), 'sw-replay-kafka-'));
    const partial = join(dir, 'local-1.inprogress');
    writeFileSync(partial, lines.slice(0, 60).map((l) => `${l}\n`).join(''));
    const full = join(dir, 'local-1');
    writeFileSync(full, lines.map((l) => `${l}\n`).join(''));
    const kafka = ['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'replay-pb', '--kafka-tasks-topic', 'replay-pb-tasks', '--kafka-encoding', 'protobuf', '--kafka-partitions', '2', '--extended', '--output', 'json'];

    const r1 = await run(['replay', partial, ...kafka]);
    expect(r1.code, r1.err).toBe(0);
    const s1 = JSON.parse(r1.out);
    expect(s1.logs[0].inProgress).toBe(true);
    expect(s1.published).toBe(s1.mapped);

    const r2 = await run(['replay', full, ...kafka]);
    expect(r2.code, r2.err).toBe(0);
    const s2 = JSON.parse(r2.out);
    expect(s2.duplicates).toBe(s1.published);
    expect(s2.published).toBe(s2.mapped - s1.published);
    expect(s2.readBack.replayedIds).toBe(s1.published);

    const r3 = await run(['replay', full, ...kafka]);
    expect(r3.code, r3.err).toBe(0);
    const s3 = JSON.parse(r3.out);
    expect(s3.published).toBe(0);
    expect(s3.duplicates).toBe(s2.mapped);

    for (const [i, x] of [s1, s2, s3].entries()) console.log(`replay ${i + 1}: ${x.published} published, ${x.duplicates} duplicates, ${x.ms} ms ${JSON.stringify(x.phasesMs)}`);
    const main_ = await readTopic(broker.bootstrap, 'replay-pb', 1, 60_000, 2000);
    const tasks = await readTopic(broker.bootstrap, 'replay-pb-tasks', 1, 60_000, 2000);
    const events = [...main_, ...tasks].map((r) => SparkEvent.decode(r.value));
    expect(events.length).toBe(s2.mapped);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(s2.mapped);
    expect(tasks.every((r) => ['taskStart', 'taskEnd'].includes(SparkEvent.decode(r.value).body!.$case))).toBe(true);
    expect(new Set([...main_, ...tasks].map((r) => r.key))).toEqual(new Set([events[0].appId]));
  });
});
