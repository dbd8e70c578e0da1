// The spine end to end: a real broker (testing/kafka), the sidecar as its own process, a
// synthetic application through both Publish and Stream, the topic read back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import { batches, ISSUE_SPEC, ListenerClient, readTopic, type SidecarProcess, spawnSidecar, syntheticApplication, waitFor } from '@sparkwire/testkit';
import type { PublishRequest, SparkEvent } from '@sparkwire/proto';

let broker: Broker;
const started: SidecarProcess[] = [];

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  for (const s of started) await s.stop();
  await broker?.stop();
});

async function sidecar(args: string[]): Promise<SidecarProcess> {
  const s = await spawnSidecar({ args: ['--kafka-brokers', broker.bootstrap, '--kafka-partitions', '3', ...args] });
  started.push(s);
  await waitFor('kafka SERVING', async () => (await s.health('sparkwire.kafka')) === 'SERVING');
  return s;
}

const app = syntheticApplication({ ...ISSUE_SPEC, startMs: Date.now() - 3_600_000 });
const req = (events: SparkEvent[], batchSeq: number | bigint, clientId: string): PublishRequest => ({ clientId, batchSeq: BigInt(batchSeq), events, clientStats: undefined });
const countOf = (c: string) => app.filter((e) => e.body?.$case === c).length;

describe('sidecar -> real Kafka', () => {
  it('the synthetic application has the shape the issue asks for', () => {
    expect(countOf('applicationStart')).toBe(1);
    expect(countOf('jobStart')).toBe(3);
    expect(countOf('stageCompleted')).toBe(10);
    expect(countOf('taskEnd')).toBe(2001); // 2,000 tasks + the retry of the failed one
    expect(countOf('executorAdded')).toBe(2);
    expect(countOf('sqlExecutionStart')).toBe(2);
    expect(countOf('streamingProgress')).toBe(3);
    expect(app.filter((e) => e.body?.$case === 'taskEnd' && e.body.value.reason !== 'Success')).toHaveLength(1);
  });

  it('extended mode: every event exactly once, in order, with sparkMeasure records, through Publish and Stream', async () => {
    const s = await sidecar(['--extended', '--kafka-topic', 'ext-events']);
    const client = new ListenerClient(s.address);
    const all = batches(app, 250);
    const half = Math.ceil(all.length / 2);
    // First half through Publish, in order.
    for (let i = 0; i < half; i++) {
      const r = await client.publish(req(all[i], i + 1, 'unary-client'));
      expect(r).toMatchObject({ batchSeq: BigInt(i + 1), accepted: all[i].length, duplicates: 0, taskEventsWanted: true });
    }
    // The rest through Stream, pipelined; acks come back in order.
    const stream = client.openStream();
    const acks = await Promise.all(all.slice(half).map((b, i) => stream.send(req(b, i + 1, 'stream-client'))));
    expect(acks.map((a) => a.batchSeq)).toEqual(all.slice(half).map((_, i) => BigInt(i + 1)));
    expect(acks.every((a) => a.errorCode === 0 && a.duplicates === 0)).toBe(true);
    // A batch resent after its ack (a client that reconnected) is not published again.
    const resent = await stream.send(req(all[half], 1, 'stream-client'));
    expect(resent).toMatchObject({ batchSeq: 1n, duplicates: all[half].length });
    const resentUnary = await client.publish(req(all[0], 1, 'unary-client'));
    expect(resentUnary.duplicates).toBe(all[0].length);
    await stream.end();
    client.close();

    const expectedRecords = app.flatMap((e) => toSparkMeasureRecords(e));
    const got = await readTopic(broker.bootstrap, 'ext-events', expectedRecords.length);
    expect(got).toHaveLength(expectedRecords.length);
    const values = got.map((r) => JSON.parse(r.value.toString()));
    // Exactly once: every (event, record name) pair once.
    const ids = values.map((v) => `${v.eventId}/${v.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    // Each record equals the encoder's output for its event: names, fields and types.
    const byId = new Map(app.map((e) => [e.eventId, e]));
    for (const v of values) {
      const want = toSparkMeasureRecords(byId.get(v.eventId)!).find((r) => r.name === v.name);
      expect(v).toEqual(want);
    }
    // One application, one key, one partition, Spark's order.
    expect(new Set(got.map((r) => r.key))).toEqual(new Set([ISSUE_SPEC.appId]));
    expect(new Set(got.map((r) => r.partition)).size).toBe(1);
    const order = got.sort((a, b) => a.offset - b.offset).map((r) => Number(JSON.parse(r.value.toString()).eventId.split('-').pop()));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('64-bit integers end to end: longs above 2^53 reach the Kafka record text exactly, batch_seq above 2^53 is acked as sent', async () => {
    const s = await sidecar(['--extended', '--kafka-topic', 'long-events']);
    const client = new ListenerClient(s.address);
    const base = app.find((e) => e.body?.$case === 'stageCompleted')!;
    const task = app.find((e) => e.body?.$case === 'taskEnd' && e.body.value.metrics)!;
    if (base.body?.$case !== 'stageCompleted' || task.body?.$case !== 'taskEnd') throw new Error('no stage or task end');
    const cpu = 14_400_000_000_000_001n; // 2,000 tasks of 2 h in ns: above 2^53, not a double
    const max = 2n ** 63n - 1n;
    const stage: SparkEvent = { ...base, eventId: 'long-stage', body: { $case: 'stageCompleted', value: { ...base.body.value, metrics: { ...base.body.value.metrics!, executorCpuTimeNs: cpu, shuffleWriteTimeNs: max } } } };
    const taskEnd: SparkEvent = { ...task, eventId: 'long-task', body: { $case: 'taskEnd', value: { ...task.body.value, info: { ...task.body.value.info!, taskId: 2n ** 53n + 1n }, metrics: { ...task.body.value.metrics!, bytesRead: max } } } };
    const seq = 2n ** 64n - 2n;
    expect(await client.publish(req([stage], seq, 'long-client'))).toMatchObject({ batchSeq: seq, accepted: 1 });
    const stream = client.openStream();
    expect(await stream.send(req([taskEnd], seq + 1n, 'long-client'))).toMatchObject({ batchSeq: seq + 1n, accepted: 1, errorCode: 0 });
    await stream.end();
    client.close();
    const text = (await readTopic(broker.bootstrap, 'long-events', 4)).map((r) => r.value.toString());
    const metrics = text.find((t) => t.includes('"name":"stage_metrics"'))!;
    expect(metrics).toContain(`"executorCpuTime":${cpu},`);
    expect(metrics).toContain(`"shuffleWriteTime":${max},`);
    const taskMetrics = text.find((t) => t.includes('"name":"task_metrics"'))!;
    expect(taskMetrics).toContain('"taskId":9007199254740993,');
    expect(taskMetrics).toContain(`"bytesRead":${max},`);
    expect(text.filter((t) => t.includes('"name":"tasks_ended"'))[0]).toContain('"taskId":9007199254740993,');
  });

  it('stage-level mode: no task records, and the handshake tells clients not to send them', async () => {
    const s = await sidecar(['--kafka-topic', 'stage-events']);
    const client = new ListenerClient(s.address);
    const stream = client.openStream();
    const hello = await stream.send(req([], 0, 'c'));
    expect(hello.taskEventsWanted).toBe(false);
    let seq = 0;
    for (const b of batches(app, 500)) await stream.send(req(b, ++seq, 'c'));
    await stream.end();
    client.close();
    const stageLevel = app.filter((e) => e.body?.$case !== 'taskStart' && e.body?.$case !== 'taskEnd');
    const expected = stageLevel.flatMap((e) => toSparkMeasureRecords(e)).length;
    const got = (await readTopic(broker.bootstrap, 'stage-events', expected)).map((r) => JSON.parse(r.value.toString()));
    expect(got).toHaveLength(expected);
    expect(got.filter((v) => v.name.startsWith('task'))).toHaveLength(0);
    expect(got.filter((v) => v.name === 'stage_metrics')).toHaveLength(10);
  });

  it('refuses each bad input as stated, publishes nothing of it, and keeps serving', async () => {
    const s = await sidecar(['--kafka-topic', 'bad-events', '--server-max-batch-events', '100']);
    const client = new ListenerClient(s.address);
    const good = app.slice(0, 10);
    const bad: Array<[string, SparkEvent[], number, string]> = [
      ['missing app id', good.map((e, i) => (i === 3 ? { ...e, appId: '' } : e)), grpc.status.INVALID_ARGUMENT, 'events[3].app_id'],
      ['missing body', good.map((e, i) => (i === 4 ? { ...e, body: undefined } : e)), grpc.status.INVALID_ARGUMENT, 'events[4].body'],
      ['negative time', good.map((e, i) => (i === 5 ? { ...e, eventTimeMs: -1n } : e)), grpc.status.INVALID_ARGUMENT, 'events[5].event_time_ms'],
      ['absurd time', good.map((e, i) => (i === 6 ? { ...e, eventTimeMs: 9_000_000_000_000_000n } : e)), grpc.status.INVALID_ARGUMENT, 'events[6].event_time_ms'],
      ['duplicate id', good.map((e, i) => (i === 7 ? { ...e, eventId: good[0].eventId } : e)), grpc.status.INVALID_ARGUMENT, 'events[7].event_id'],
      [
        'unknown enum',
        good.map((e) => (e.body?.$case === 'taskStart' ? ({ ...e, body: { $case: 'taskStart', value: { ...e.body.value, info: { ...e.body.value.info!, locality: 77 } } } } as unknown as SparkEvent) : e)),
        grpc.status.INVALID_ARGUMENT,
        'info.locality',
      ],
      ['too many events', Array.from({ length: 101 }, (_, i) => ({ ...good[0], eventId: `many-${i}` })), grpc.status.RESOURCE_EXHAUSTED, 'max_batch_events'],
    ];
    let seq = 0;
    for (const [what, events, code, field] of bad) {
      const err = (await client.publish(req(events, ++seq, 'bad-client')).catch((e) => e)) as grpc.ServiceError;
      expect(err.code, what).toBe(code);
      expect(err.details, what).toContain(field);
    }
    // The same bad batches on a stream are acked with their status, the stream lives on.
    const stream = client.openStream();
    const ack = await stream.send(req(bad[0][1], 1, 'bad-stream'));
    expect(ack.errorCode).toBe(grpc.status.INVALID_ARGUMENT);
    const ok = await stream.send(req(good.slice(0, 2), 2, 'bad-stream'));
    expect(ok).toMatchObject({ errorCode: 0, accepted: 2 });
    await stream.end();
    client.close();
    const got = (await readTopic(broker.bootstrap, 'bad-events', 2)).map((r) => JSON.parse(r.value.toString()).eventId);
    expect(new Set(got)).toEqual(new Set(good.slice(0, 2).map((e) => e.eventId)));
  });

  it('Kafka unreachable, spool on (the default): batches are acked into the spool, sparkwire.kafka NOT_SERVING, ListenerService SERVING', async () => {
    const s = await spawnSidecar({ args: ['--kafka-brokers', '127.0.0.1:1', '--kafka-connect-timeout-ms', '500'] });
    started.push(s);
    expect(await s.health('sparkwire.kafka')).toBe('NOT_SERVING');
    expect(await s.health('sparkwire.v1.ListenerService')).toBe('SERVING');
    const client = new ListenerClient(s.address);
    const r = await client.publish(req(app.slice(0, 3), 1, 'c'));
    expect(r.accepted).toBe(3);
    const stream = client.openStream();
    await expect(stream.send(req(app.slice(3, 6), 1, 'c2'))).resolves.toMatchObject({ errorCode: 0, accepted: 3 });
    client.close();
  });

  it('Kafka unreachable, spool off: starts anyway, health says NOT_SERVING, batches get UNAVAILABLE', async () => {
    const s = await spawnSidecar({ args: ['--kafka-brokers', '127.0.0.1:1', '--kafka-connect-timeout-ms', '500', '--spool-enabled', 'false'] });
    started.push(s);
    expect(await s.health('')).toBe('SERVING');
    expect(await s.health('sparkwire.kafka')).toBe('NOT_SERVING');
    const client = new ListenerClient(s.address);
    const err = (await client.publish(req(app.slice(0, 3), 1, 'c')).catch((e) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    const stream = client.openStream();
    await expect(stream.send(req(app.slice(0, 3), 1, 'c'))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    client.close();
  });

  it('SIGTERM: stops accepting, flushes what is in flight and exits 0 within the deadline', async () => {
    const s = await sidecar(['--extended', '--kafka-topic', 'term-events', '--shutdown-deadline-ms', '5000']);
    const client = new ListenerClient(s.address);
    const stream = client.openStream();
    const sent = batches(app.slice(0, 2000), 100);
    await stream.send(req(sent[0], 1, 'term'));
    // The rest are in flight when the signal lands.
    const inFlight = sent.slice(1).map((b, i) => stream.send(req(b, i + 2, 'term')));
    const settledAll = Promise.allSettled(inFlight);
    const t0 = Date.now();
    const code = await s.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(s.logs.some((l) => l.includes('sparkwire sidecar stopped'))).toBe(true);
    const settled = await settledAll;
    client.close();
    // Every batch is either acked (and then in Kafka) or refused retryably for the client to resend.
    const ackedIds = new Set(sent[0].map((e) => e.eventId));
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') for (const e of sent[i + 1]) ackedIds.add(e.eventId);
      else expect([grpc.status.UNAVAILABLE, grpc.status.CANCELLED]).toContain((r.reason as grpc.ServiceError).code);
    });
    const got = await readTopic(broker.bootstrap, 'term-events', 1);
    const inKafka = new Set(got.map((r) => JSON.parse(r.value.toString()).eventId));
    for (const id of ackedIds) expect(inKafka.has(id)).toBe(true);
  });
});
