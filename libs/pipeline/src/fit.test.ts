// Events too large for the sink's record limit: truncated (free text only, marked, counted)
// or refused with INVALID_ARGUMENT before the ack, never acked and then stuck.
import { describe, expect, it } from 'vitest';
import { protobufEncoder, sparkMeasureJsonEncoder, type Encoder } from '@sparkwire/encoding';
import { SparkEvent } from '@sparkwire/proto';
import { MemorySink, syntheticApplication } from '@sparkwire/testkit';
import { PipelineError, Status } from './errors';
import { cutUtf8, truncationMarker, waterline } from './fit';
import { Pipeline } from './pipeline';
import { recordBytes, RecordsRefusedError, type OutRecord } from './sink';

const LIMIT = 1_048_588 - 61 - 32;

class LimitedSink extends MemorySink {
  constructor(readonly limit = LIMIT) {
    super();
  }
  maxRecordBytes(): number {
    return this.limit;
  }
}

const app = syntheticApplication({ appId: 'app-fit', stagesPerJob: [2], tasksPerStage: 4, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1, startMs: Date.now() - 60_000 });
const find = (kind: string) => app.find((e) => e.body?.$case === kind)!;

function make(encoder: Encoder = sparkMeasureJsonEncoder, oversize: 'truncate' | 'refuse' = 'truncate', limit = LIMIT) {
  const sink = new LimitedSink(limit);
  const pipeline = new Pipeline({
    extended: true,
    limits: { maxBatchEvents: 1000, maxBatchBytes: 64 << 20 },
    route: { topic: 'events', key: 'appId' },
    encoder,
    sink,
    dedupe: { batchWindow: 100, eventWindow: 10_000 },
    ackTimeoutMs: 1000,
    oversize,
  });
  return { sink, pipeline };
}

function withBody(ev: SparkEvent, patch: Record<string, unknown>, id: string): SparkEvent {
  const body = ev.body as unknown as { $case: string; value: Record<string, unknown> };
  return { ...ev, eventId: id, body: { $case: body.$case, value: { ...body.value, ...patch } } as unknown as SparkEvent['body'] };
}

const json = (r: OutRecord) => JSON.parse(r.value as string) as Record<string, unknown>;

describe('events too large for Kafka', () => {
  it('a 1.4 MB SQL description is truncated with a marker and counted; the batch is published whole', async () => {
    const { sink, pipeline } = make();
    const plan = 'Project [a#1, b#2]\n+- Filter (a#1 > 0)\n'.repeat(40_000); // ~1.4 MB
    const big = withBody(find('sqlExecutionStart'), { description: plan, details: 'details' }, 'big-1');
    const before = app.slice(0, 3).map((e, i) => ({ ...e, eventId: `pre-${i}` }));
    const r = await pipeline.publishEvents([...before, big, { ...app[5], eventId: 'post-1' }]);
    expect(r.accepted).toBe(5);
    const rec = sink.records.find((x) => json(x).eventId === 'big-1')!;
    expect(recordBytes(rec)).toBeLessThanOrEqual(LIMIT);
    const desc = json(rec).description as string;
    expect(plan.startsWith(desc.slice(0, desc.indexOf('\n[... truncated by sparkwire')))).toBe(true);
    expect(desc).toMatch(/\n\[\.\.\. truncated by sparkwire: kept \d+ of 1560000 bytes\]$/);
    // The rest of the record is untouched: ids, times.
    expect(json(rec).queryId).toBe(String((find('sqlExecutionStart').body as { value: { executionId: unknown } }).value.executionId));
    expect(json(rec).appId).toBe('app-fit');
    expect(pipeline.stats.truncated.get('sqlExecutionStart:description')).toBe(1);
    expect(sink.records.map((x) => json(x).eventId)).toEqual(expect.arrayContaining(['pre-0', 'pre-1', 'pre-2', 'big-1', 'post-1']));
  });

  it('a task failure with a huge stack trace keeps its metrics; multi-byte text is cut on a character boundary', async () => {
    const { sink, pipeline } = make(sparkMeasureJsonEncoder, 'truncate', 100_000);
    const te = app.find((e) => e.body?.$case === 'taskEnd' && e.body.value.metrics)!;
    const trace = 'java.lang.RuntimeException: ünïcödé 💥\n\tat org.example.Job.run(Job.scala:42)\n'.repeat(5000);
    const ev = withBody(te, { reasonMessage: trace, reason: 'ExceptionFailure' }, 'task-1');
    await pipeline.publishEvents([ev]);
    const metrics = sink.records.map(json).find((o) => o.name === 'task_metrics')!;
    const msg = metrics.endReasonMessage as string;
    expect(Buffer.byteLength(JSON.stringify(metrics))).toBeLessThanOrEqual(100_000);
    expect(msg).not.toContain('\uFFFD');
    expect(trace.startsWith(msg.slice(0, msg.indexOf('\n[... truncated')))).toBe(true);
    const plain = sink.records.map(json).find((o) => o.name === 'tasks_ended')!;
    expect(plain.taskId).toBeDefined();
    expect(metrics.executorRunTime).toBeDefined();
    expect(pipeline.stats.truncated.get('taskEnd:reason_message')).toBe(1);
  });

  it('protobuf records are truncated the same way (re-encoded from the event)', async () => {
    const { sink, pipeline } = make(protobufEncoder, 'truncate', 200_000);
    const ev = withBody(find('sqlExecutionStart'), { description: 'd'.repeat(150_000), details: 'p'.repeat(150_000) }, 'pb-1');
    await pipeline.publishEvents([ev]);
    expect(sink.records).toHaveLength(1);
    expect(recordBytes(sink.records[0])).toBeLessThanOrEqual(200_000);
    const back = SparkEvent.decode(sink.records[0].value as Buffer);
    const v = (back.body as { value: { description: string; details: string } }).value;
    // Both fields cut to about the same length (the longest first).
    expect(v.description).toContain('[... truncated by sparkwire');
    expect(v.details).toContain('[... truncated by sparkwire');
    expect(back.eventId).toBe('pb-1');
  });

  it('an event without free text to cut is refused with INVALID_ARGUMENT naming the index, size and limit; nothing published', async () => {
    const { sink, pipeline } = make();
    const end = find('applicationEnd');
    const configs: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) configs[`spark.custom.key${i}`] = 'v'.repeat(60);
    const big = withBody(end, { sparkConfigs: configs }, 'wide-1');
    const err = await pipeline.publishEvents([{ ...app[0], eventId: 'ok-1' }, big]).then(() => undefined, (e: unknown) => e as PipelineError);
    expect(err).toBeInstanceOf(PipelineError);
    if (!err) return;
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.field).toBe('events[1]');
    expect(err.message).toMatch(/^events\[1\]: encoded as a record of \d+ bytes for topic events, over the largest record Kafka accepts there \(1048495 bytes/);
    expect(err.message).toContain('no free-text field');
    expect(sink.records).toHaveLength(0);
    expect(pipeline.stats.rejected.get('INVALID_ARGUMENT')).toBe(2);
    expect(pipeline.stats.oversize.get('applicationEnd')).toBe(1);
  });

  it("oversize 'refuse' refuses instead of truncating", async () => {
    const { sink, pipeline } = make(sparkMeasureJsonEncoder, 'refuse');
    const big = withBody(find('sqlExecutionStart'), { description: 'x'.repeat(1_400_000) }, 'r-1');
    const err = await pipeline.publishEvents([big]).then(() => undefined, (e: unknown) => e as PipelineError);
    expect(err).toBeInstanceOf(PipelineError);
    if (!err) return;
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    expect(err.message).toContain('kafka.oversizeEvents is refuse');
    expect(sink.records).toHaveLength(0);
  });

  it('records under the limit are untouched and cost no byte counting', async () => {
    const { sink, pipeline } = make();
    await pipeline.publishEvents(app.map((e, i) => ({ ...e, eventId: `n-${i}` })));
    expect(sink.records.length).toBeGreaterThan(app.length);
    expect(sink.records.some((r) => String(r.value).includes('truncated by sparkwire'))).toBe(false);
    expect(pipeline.stats.truncated.size).toBe(0);
  });
});

describe('a sink that refuses records (no spool in front of Kafka)', () => {
  it('answers INVALID_ARGUMENT: a resend of the same records could not succeed', async () => {
    const { sink, pipeline } = make();
    sink.failWith = new RecordsRefusedError('This record has failed the validation on broker and hence be rejected', 'INVALID_RECORD');
    const err = await pipeline.publishEvents([{ ...app[0], eventId: 'inv-1' }]).then(() => undefined, (e: unknown) => e as PipelineError);
    expect(err?.code).toBe(Status.INVALID_ARGUMENT);
    expect(err?.message).toMatch(/^events: sink memory refused the batch's records \(INVALID_RECORD\)/);
    sink.failWith = new Error('connect ECONNREFUSED');
    const down = await pipeline.publishEvents([{ ...app[0], eventId: 'inv-2' }]).then(() => undefined, (e: unknown) => e as PipelineError);
    expect(down?.code).toBe(Status.UNAVAILABLE);
  });
});

describe('truncation helpers', () => {
  it('waterline cuts the longest fields first, to a common level', () => {
    expect(waterline([100, 50], 70)).toEqual([40, 40]);
    expect(waterline([100, 10], 50)).toEqual([50, 10]);
    expect(waterline([10, 10], 30)).toEqual([0, 0]);
  });

  it('cutUtf8 never splits a character', () => {
    expect(cutUtf8('aé💥b', 1)).toBe('a');
    expect(cutUtf8('aé💥b', 2)).toBe('a');
    expect(cutUtf8('aé💥b', 3)).toBe('aé');
    expect(cutUtf8('aé💥b', 6)).toBe('aé');
    expect(cutUtf8('aé💥b', 7)).toBe('aé💥');
    expect(cutUtf8('abc', 10)).toBe('abc');
    expect(truncationMarker(5, 10)).toBe('\n[... truncated by sparkwire: kept 5 of 10 bytes]');
  });
});
