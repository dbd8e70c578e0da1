import { describe, expect, it } from 'vitest';
import { sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import type { PublishRequest, SparkEvent } from '@sparkwire/proto';
import { batches, MemorySink, syntheticApplication } from '@sparkwire/testkit';
import { PipelineError, Status } from './errors';
import { Pipeline, type PipelineOptions } from './pipeline';

const app = syntheticApplication({ appId: 'app-p', stagesPerJob: [2, 1], tasksPerStage: 4, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 2, startMs: Date.now() - 60_000 });
const taskEvents = app.filter((e) => e.body?.$case === 'taskStart' || e.body?.$case === 'taskEnd').length;

function make(extended: boolean, over: Partial<PipelineOptions> = {}) {
  const sink = new MemorySink();
  const pipeline = new Pipeline({
    extended,
    limits: { maxBatchEvents: 1000, maxBatchBytes: 1 << 20 },
    route: { topic: 'events', tasksTopic: 'tasks', key: 'appId' },
    encoder: sparkMeasureJsonEncoder,
    sink,
    dedupe: { batchWindow: 100, eventWindow: 10_000 },
    ackTimeoutMs: 1000,
    ...over,
  });
  return { sink, pipeline };
}
const req = (events: SparkEvent[], batchSeq: number | bigint, clientId = 'c1'): PublishRequest => ({ clientId, batchSeq: BigInt(batchSeq), events, clientStats: undefined });
const publishedIds = (sink: MemorySink) => [...new Set(sink.records.map((r) => JSON.parse(r.value as string).eventId as string))];
const idsOf = (events: SparkEvent[]) => events.map((e) => e.eventId);
const names = (sink: MemorySink) => sink.records.map((r) => JSON.parse(r.value as string).eventId + '/' + JSON.parse(r.value as string).name);

describe('Pipeline', () => {
  it('extended mode publishes every event, task events to their own topic, keyed by app id', async () => {
    const { sink, pipeline } = make(true);
    let seq = 0;
    for (const b of batches(app, 7)) await pipeline.publish(req(b, ++seq));
    const ids = new Set(sink.records.map((r) => JSON.parse(r.value as string).eventId));
    expect(ids.size).toBe(app.length);
    expect(sink.records.every((r) => r.key === 'app-p')).toBe(true);
    const taskRecords = sink.records.filter((r) => r.topic === 'tasks');
    expect(taskRecords.every((r) => /^tasks_|^task_metrics/.test(JSON.parse(r.value as string).name))).toBe(true);
    expect(taskRecords.length).toBeGreaterThan(0);
    // Order of the application's records is Spark's order.
    const order = sink.records.filter((r) => r.topic === 'events').map((r) => Number(JSON.parse(r.value as string).eventId.split('-').pop()));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('stage-level mode filters task events, counts them and tells clients not to send them', async () => {
    const { sink, pipeline } = make(false);
    const r = await pipeline.publish(req(app, 1));
    expect(r.taskEventsWanted).toBe(false);
    expect(sink.records.some((x) => x.topic === 'tasks')).toBe(false);
    const ids = new Set(sink.records.map((x) => JSON.parse(x.value as string).eventId));
    expect(ids.size).toBe(app.length - taskEvents);
    expect((pipeline.stats.filtered.get('taskStart') ?? 0) + (pipeline.stats.filtered.get('taskEnd') ?? 0)).toBe(taskEvents);
  });

  it('never publishes a resent batch twice, even while the original is in flight', async () => {
    const { sink, pipeline } = make(true);
    sink.hold = true;
    const first = pipeline.publish(req(app.slice(0, 10), 1));
    const resend = pipeline.publish(req(app.slice(0, 10), 1));
    sink.release();
    const [a, b] = await Promise.all([first, resend]);
    expect(a).toMatchObject({ accepted: 10, duplicates: 0 });
    expect(b).toMatchObject({ accepted: 10, duplicates: 10 });
    const again = await pipeline.publish(req(app.slice(0, 10), 1));
    expect(again.duplicates).toBe(10);
    expect(sink.writes).toBe(1);
    expect(new Set(names(sink)).size).toBe(names(sink).length);
  });

  it('skips events already published under another batch (event id window)', async () => {
    const { sink, pipeline } = make(true);
    await pipeline.publish(req(app.slice(0, 5), 1));
    const r = await pipeline.publish(req(app.slice(3, 8), 2));
    expect(r).toMatchObject({ accepted: 3, duplicates: 2 });
    expect(new Set(names(sink)).size).toBe(names(sink).length);
  });

  it('refuses a bad batch whole: nothing of it is published', async () => {
    const { sink, pipeline } = make(true);
    const bad = app.slice(0, 6).map((e, i) => (i === 4 ? { ...e, appId: '' } : e));
    await expect(pipeline.publish(req(bad, 1))).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    expect(sink.records).toHaveLength(0);
    expect(pipeline.stats.rejected.get('INVALID_ARGUMENT')).toBe(6);
  });

  it('answers UNAVAILABLE when the sink is down, and a later resend publishes', async () => {
    const { sink, pipeline } = make(true);
    sink.ready = false;
    await expect(pipeline.publish(req(app.slice(0, 3), 1))).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    sink.ready = true;
    sink.failWith = new Error('broker gone');
    const err = (await pipeline.publish(req(app.slice(0, 3), 1)).catch((e) => e)) as PipelineError;
    expect(err.code).toBe(Status.UNAVAILABLE);
    expect(err.retryable).toBe(true);
    sink.failWith = undefined;
    const r = await pipeline.publish(req(app.slice(0, 3), 1));
    expect(r).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(new Set(names(sink)).size).toBe(3);
  });

  it('answers UNAVAILABLE after ackTimeoutMs, and the resend joins the original publish', async () => {
    const { sink, pipeline } = make(true, { ackTimeoutMs: 50 });
    sink.hold = true;
    await expect(pipeline.publish(req(app.slice(0, 4), 1))).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    const resend = pipeline.publish(req(app.slice(0, 4), 1));
    sink.release();
    expect(await resend).toMatchObject({ duplicates: 4 });
    expect(sink.writes).toBe(1);
  });

  it('an empty batch is a handshake that reports the mode', async () => {
    const { sink, pipeline } = make(true);
    expect(await pipeline.publish(req([], 0))).toMatchObject({ accepted: 0, taskEventsWanted: true });
    expect(sink.writes).toBe(0);
  });

  it('keeps the latest client stats', async () => {
    const { pipeline } = make(true);
    await pipeline.publish({ ...req([], 0), clientStats: { droppedBufferFull: 3n, droppedSidecarUnavailable: 1n, sparkDroppedEvents: 2n, eventsSent: 10n, taskEventsSkipped: 0n, clientKind: 'jvm', clientVersion: '0.1.0' } });
    expect(pipeline.stats.clients.get('c1')).toMatchObject({ droppedBufferFull: 3, sparkDroppedEvents: 2, clientKind: 'jvm' });
  });

  it('publishEvents feeds events in-process', async () => {
    const { sink, pipeline } = make(true);
    await pipeline.publishEvents(app.slice(0, 2));
    await pipeline.publishEvents(app.slice(2, 4));
    expect(new Set(names(sink).map((n) => n.split('/')[0])).size).toBe(4);
  });

  it('is a PipelineError with the status code', () => {
    expect(new PipelineError(Status.UNAVAILABLE, 'x').retryable).toBe(true);
    expect(new PipelineError(Status.INVALID_ARGUMENT, 'x').retryable).toBe(false);
  });
});

// An ack covers exactly the events that were published: a batch_seq reused with other event
// ids is a new batch, never answered from the ledger's memory of the first one.
describe('reused batch_seq and partial duplicates (by event id)', () => {
  it('a reused seq with entirely new ids publishes them all and acks them as accepted', async () => {
    const { sink, pipeline } = make(true);
    expect(await pipeline.publish(req(app.slice(0, 5), 1))).toMatchObject({ accepted: 5, duplicates: 0 });
    const r = await pipeline.publish(req(app.slice(5, 12), 1)); // a client restarted with a stable id, numbering from 1 again
    expect(r).toMatchObject({ batchSeq: 1n, accepted: 7, duplicates: 0 });
    expect(publishedIds(sink)).toEqual(idsOf(app.slice(0, 12)));
    expect(pipeline.stats.reusedBatchSeq).toBe(1);
    expect(pipeline.stats.duplicates.get('batch_resend')).toBeUndefined();
  });

  it('a reused seq repeating some published ids publishes exactly the new ones', async () => {
    const { sink, pipeline } = make(true);
    await pipeline.publish(req(app.slice(0, 6), 3));
    const r = await pipeline.publish(req(app.slice(4, 10), 3));
    expect(r).toMatchObject({ accepted: 4, duplicates: 2 });
    expect(publishedIds(sink)).toEqual(idsOf(app.slice(0, 10)));
    // Every record of an event once: the repeated ids were not written again.
    expect(new Set(names(sink)).size).toBe(names(sink).length);
  });

  it('partial duplicates under a new seq: only the new ids are published', async () => {
    const { sink, pipeline } = make(true);
    await pipeline.publish(req(app.slice(0, 4), 1));
    await pipeline.publish(req(app.slice(10, 12), 2));
    const mixed = [app[1], app[4], app[10], app[5], app[3]];
    expect(await pipeline.publish(req(mixed, 3))).toMatchObject({ accepted: 2, duplicates: 3 });
    expect(publishedIds(sink).sort()).toEqual(idsOf([...app.slice(0, 6), ...app.slice(10, 12)]).sort());
    expect(new Set(names(sink)).size).toBe(names(sink).length);
  });

  it('after a reused seq, resends of either batch are duplicates and nothing is written twice', async () => {
    const { sink, pipeline } = make(true);
    await pipeline.publish(req(app.slice(0, 5), 1));
    await pipeline.publish(req(app.slice(5, 9), 1));
    expect(await pipeline.publish(req(app.slice(5, 9), 1))).toMatchObject({ duplicates: 4 }); // from the ledger
    expect(await pipeline.publish(req(app.slice(0, 5), 1))).toMatchObject({ accepted: 0, duplicates: 5 }); // by event id
    expect(publishedIds(sink)).toEqual(idsOf(app.slice(0, 9)));
    expect(new Set(names(sink)).size).toBe(names(sink).length);
  });

  it('a reused seq while the first batch is still in flight is published too, not joined to it', async () => {
    const { sink, pipeline } = make(true);
    sink.hold = true;
    const first = pipeline.publish(req(app.slice(0, 3), 9));
    const reused = pipeline.publish(req(app.slice(3, 6), 9));
    sink.release();
    expect(await first).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(await reused).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(publishedIds(sink).sort()).toEqual(idsOf(app.slice(0, 6)).sort());
  });

  it('batch_seq above 2^53 is exact: neighbouring seqs are different batches, a resend is a resend', async () => {
    const { sink, pipeline } = make(true);
    const seq = 2n ** 53n; // 2^53 and 2^53 + 1 are the same double
    const a = await pipeline.publish(req(app.slice(0, 3), seq));
    const b = await pipeline.publish(req(app.slice(3, 6), seq + 1n));
    expect([a.batchSeq, b.batchSeq]).toEqual([seq, seq + 1n]);
    expect(b).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(await pipeline.publish(req(app.slice(3, 6), seq + 1n))).toMatchObject({ batchSeq: seq + 1n, duplicates: 3 });
    expect(await pipeline.publish(req(app.slice(6, 7), 2n ** 64n - 1n))).toMatchObject({ batchSeq: 2n ** 64n - 1n, accepted: 1 });
    expect(publishedIds(sink)).toEqual(idsOf(app.slice(0, 7)));
    expect(pipeline.stats.reusedBatchSeq).toBe(0);
    expect(sink.writes).toBe(3);
  });
});

describe('observers', () => {
  it('see each published event once, never resends, and cannot fail a batch', async () => {
    const seen: string[] = [];
    const { pipeline } = make(false, {
      observers: [
        { name: 'collect', onEvents: (evs) => seen.push(...evs.map((e) => e.eventId)) },
        { name: 'broken', onEvents: () => { throw new Error('bug'); } },
      ],
    });
    await pipeline.publish(req(app.slice(0, 30), 1));
    await pipeline.publish(req(app.slice(0, 30), 1));
    const stageLevel = app.slice(0, 30).filter((e) => e.body?.$case !== 'taskStart' && e.body?.$case !== 'taskEnd');
    expect(seen).toEqual(stageLevel.map((e) => e.eventId));
    expect(pipeline.stats.observerErrors.get('broken')).toBe(1);
  });
});
