import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { JobResult, type SparkEvent } from '@sparkwire/proto';
import { ISSUE_SPEC, syntheticApplication } from '@sparkwire/testkit';
import { parseTraceparent, spanIdFor, traceIdFor } from './ids';
import { SparkTraceBuilder } from './trace-builder';

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

function collect(opts: Partial<ConstructorParameters<typeof SparkTraceBuilder>[0]> = {}) {
  const spans: ReadableSpan[] = [];
  const b = new SparkTraceBuilder({ sink: { onEnd: (s) => spans.push(s) }, ...opts });
  return { b, spans };
}

const small = () =>
  syntheticApplication({ appId: 'app-t', appName: 'tiny', stagesPerJob: [2, 1], tasksPerStage: 3, executors: 1, sqlExecutions: 1, failedTasks: 1, streamingProgress: 2, labels: { team: 'x' } });

const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('ids', () => {
  it('derives trace and span ids deterministically from the app id and attempt', () => {
    expect(traceIdFor('app-1', '1')).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdFor('app-1', '1')).toBe(traceIdFor('app-1', '1'));
    expect(traceIdFor('app-1', '2')).not.toBe(traceIdFor('app-1', '1'));
    expect(spanIdFor('app-1', '1', 'stage', '3.0')).toMatch(/^[0-9a-f]{16}$/);
    expect(spanIdFor('app-1', '1', 'stage', '3.0')).not.toBe(spanIdFor('app-1', '1', 'job', '3.0'));
  });

  it('parses W3C traceparent and refuses malformed ones', () => {
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    for (const bad of ['', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01']) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
  });
});

describe('SparkTraceBuilder', () => {
  it('builds application > sql > job > stage > task and streaming query > batch with Spark times', () => {
    const { b, spans } = collect();
    const app = small();
    b.onEvents(app);
    const traceId = traceIdFor('app-t', '1');
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    const [root] = byName(spans, 'spark.application');
    expect(root.parentSpanContext).toBeUndefined();
    const start = app[0].body!.$case === 'applicationStart' ? Number(app[0].body.value.startTimeMs) : 0;
    const endEv = app[app.length - 1].body!;
    expect(hrMs(root.startTime)).toBe(start);
    expect(hrMs(root.endTime)).toBe(endEv.$case === 'applicationEnd' ? Number(endEv.value.completionTimeMs) : -1);
    expect(root.attributes['spark.app.id']).toBe('app-t');
    expect(root.attributes['spark.label.team']).toBe('x');
    expect(root.resource.attributes['service.name']).toBe('tiny');
    expect(root.events.map((e) => e.name)).toEqual(['spark.executor.added', 'spark.executor.removed']);

    const sql = byName(spans, 'spark.sql.execution');
    expect(sql).toHaveLength(1);
    expect(parentOf(sql[0])).toBe(root.spanContext().spanId);
    const jobs = byName(spans, 'spark.job');
    expect(jobs).toHaveLength(2);
    expect(parentOf(jobs.find((j) => j.attributes['spark.job.id'] === 0)!)).toBe(sql[0].spanContext().spanId);
    expect(parentOf(jobs.find((j) => j.attributes['spark.job.id'] === 1)!)).toBe(root.spanContext().spanId);
    const stages = byName(spans, 'spark.stage');
    expect(stages).toHaveLength(3);
    for (const st of stages) {
      const jobId = st.attributes['spark.job.id'];
      expect(parentOf(st)).toBe(jobs.find((j) => j.attributes['spark.job.id'] === jobId)!.spanContext().spanId);
      expect(st.attributes['spark.metrics.executor_run_time_ms']).toBeGreaterThan(0);
    }
    const tasks = byName(spans, 'spark.task');
    expect(tasks).toHaveLength(3 * 3 + 1);
    for (const t of tasks) {
      const stage = stages.find((s) => s.attributes['spark.stage.id'] === t.attributes['spark.stage.id'])!;
      expect(parentOf(t)).toBe(stage.spanContext().spanId);
    }
    const failed = tasks.filter((t) => t.status.code === SpanStatusCode.ERROR);
    expect(failed).toHaveLength(1);
    expect(failed[0].status.message).toContain('injected failure');
    expect(failed[0].events[0].attributes?.['exception.type']).toBe('ExceptionFailure');

    const [query] = byName(spans, 'spark.streaming.query');
    expect(parentOf(query)).toBe(root.spanContext().spanId);
    const batches = byName(spans, 'spark.streaming.batch');
    expect(batches.map((s) => s.attributes['spark.streaming.batch.id'])).toEqual([0, 1]);
    for (const s of batches) {
      expect(parentOf(s)).toBe(query.spanContext().spanId);
      expect(hrMs(s.endTime) - hrMs(s.startTime)).toBe(120);
      expect(s.events[0].name).toBe('spark.streaming.source');
    }
    // Nothing is left behind.
    expect(b.stateSize()).toEqual({ apps: 0, openSpans: 0, closedEarlyIds: 0, stageJobLinks: 0 });
  });

  it('gives failed jobs and stages status ERROR with the reason', () => {
    const { b, spans } = collect();
    const events = small().map((e): SparkEvent => {
      const body = e.body!;
      if (body.$case === 'jobEnd' && body.value.jobId === 1) return { ...e, body: { $case: 'jobEnd', value: { ...body.value, result: JobResult.JOB_RESULT_FAILED, failureReason: 'Job aborted due to stage failure' } } };
      if (body.$case === 'stageCompleted' && body.value.stage!.stageId === 2) return { ...e, body: { $case: 'stageCompleted', value: { ...body.value, stage: { ...body.value.stage!, failureReason: 'FetchFailed(host=worker-1)' } } } };
      return e;
    });
    b.onEvents(events);
    const job = byName(spans, 'spark.job').find((j) => j.attributes['spark.job.id'] === 1)!;
    expect(job.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Job aborted due to stage failure' });
    expect(job.attributes['spark.job.result']).toBe('failed');
    const stage = byName(spans, 'spark.stage').find((s) => s.attributes['spark.stage.id'] === 2)!;
    expect(stage.status).toEqual({ code: SpanStatusCode.ERROR, message: 'FetchFailed(host=worker-1)' });
    expect(byName(spans, 'spark.job').find((j) => j.attributes['spark.job.id'] === 0)!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a traceparent makes the application a child of the caller, in the caller trace', () => {
    const { b, spans } = collect();
    const events = small().map((e): SparkEvent =>
      e.body?.$case === 'applicationStart' ? { ...e, body: { $case: 'applicationStart', value: { ...e.body.value, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } } } : e,
    );
    b.onEvents(events);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set(['4bf92f3577b34da6a3ce929d0e0e4736']));
    const [root] = byName(spans, 'spark.application');
    expect(root.parentSpanContext).toMatchObject({ spanId: '00f067aa0ba902b7', isRemote: true });
  });

  it('samples successful tasks deterministically and always keeps failed ones', () => {
    const { b, spans } = collect({ taskSampleRatio: 0.25 });
    b.onEvents(syntheticApplication({ ...ISSUE_SPEC, streamingProgress: 0 }));
    const tasks = byName(spans, 'spark.task');
    expect(tasks.length).toBeGreaterThan(350);
    expect(tasks.length).toBeLessThan(650); // ~ 25% of 2,000
    expect(tasks.some((t) => t.status.code === SpanStatusCode.ERROR)).toBe(true);
    expect(b.stats().tasksSampledOut + tasks.length).toBe(2001);
    const again = collect({ taskSampleRatio: 0.25 });
    again.b.onEvents(syntheticApplication({ ...ISSUE_SPEC, streamingProgress: 0 }));
    expect(byName(again.spans, 'spark.task').map((s) => s.spanContext().spanId)).toEqual(tasks.map((s) => s.spanContext().spanId));
  });

  it('no task spans when taskSpans is off', () => {
    const { b, spans } = collect({ taskSpans: false });
    b.onEvents(small());
    expect(byName(spans, 'spark.task')).toHaveLength(0);
    expect(byName(spans, 'spark.stage')).toHaveLength(3);
  });

  it('closes spans left open at application end, marked as such', () => {
    const { b, spans } = collect();
    const events = small().filter((e) => !(e.body?.$case === 'jobEnd' && e.body.value.jobId === 1) && !(e.body?.$case === 'stageCompleted' && e.body.value.stage!.stageId === 2));
    b.onEvents(events);
    const job = byName(spans, 'spark.job').find((j) => j.attributes['spark.job.id'] === 1)!;
    expect(job.attributes).toMatchObject({ 'spark.span.incomplete': true, 'spark.span.close_reason': 'application_end' });
    const root = byName(spans, 'spark.application')[0];
    expect(job.endTime).toEqual(root.endTime);
    const stage = byName(spans, 'spark.stage').find((s) => s.attributes['spark.stage.id'] === 2)!;
    expect(stage.attributes['spark.span.close_reason']).toBe('application_end');
    expect(b.stateSize()).toMatchObject({ apps: 0, openSpans: 0 });
  });

  it('closes spans open longer than the timeout at the last Spark time, and drops their late end', () => {
    let now = 1_000_000;
    const { b, spans } = collect({ openSpanTimeoutMs: 60_000, now: () => now });
    const events = small();
    const jobEndIdx = events.findIndex((e) => e.body?.$case === 'jobEnd');
    b.onEvents(events.slice(0, jobEndIdx));
    expect(b.stats().openSpans).toMatchObject({ sql: 1, job: 1 });
    const lastSparkTime = Math.max(...events.slice(0, jobEndIdx).map((e) => Number(e.eventTimeMs)));
    now += 61_000;
    b.sweep();
    expect(b.stateSize()).toMatchObject({ apps: 0, openSpans: 0 });
    const job = byName(spans, 'spark.job')[0];
    expect(job.attributes['spark.span.close_reason']).toBe('timeout');
    expect(hrMs(job.endTime)).toBe(lastSparkTime);
    expect(byName(spans, 'spark.application')[0].attributes['spark.span.close_reason']).toBe('timeout');
    // The real end arrives late: not exported a second time.
    const before = spans.length;
    b.onEvents([events[jobEndIdx]]);
    expect(spans.length).toBe(before);
    expect(b.stats().lateEndsDropped).toBe(1);
  });

  it('caps open spans: the oldest is closed as evicted', () => {
    const { b, spans } = collect({ maxOpenSpans: 5 });
    const base = small()[0];
    const jobs: SparkEvent[] = Array.from({ length: 8 }, (_, i) => ({ ...base, eventId: `j${i}`, body: { $case: 'jobStart', value: { jobId: i, stageIds: [], sqlExecutionId: undefined, jobGroup: '', description: '', connect: undefined } } }));
    b.onEvents(jobs);
    expect(b.stateSize().openSpans).toBe(5);
    expect(byName(spans, 'spark.job').map((s) => [s.attributes['spark.job.id'], s.attributes['spark.span.close_reason']])).toEqual([
      [0, 'evicted'],
      [1, 'evicted'],
      [2, 'evicted'],
    ]);
    b.closeAll();
    expect(b.stateSize()).toMatchObject({ apps: 0, openSpans: 0 });
    expect(byName(spans, 'spark.application')[0].attributes['spark.span.close_reason']).toBe('sidecar_shutdown');
  });

  it('an end without its start (a restarted sidecar) still gives a span, marked start_not_seen', () => {
    const { b, spans } = collect();
    const events = small();
    b.onEvents(events.filter((e) => e.body?.$case !== 'jobStart'));
    const jobs = byName(spans, 'spark.job');
    expect(jobs).toHaveLength(2);
    expect(jobs.every((j) => j.attributes['spark.span.close_reason'] === 'start_not_seen')).toBe(true);
  });

  it('keeps Spark longs above 2^53 exact: counters as decimal strings, smaller ones as numbers', () => {
    const { b, spans } = collect();
    const events = small();
    const big = 14_400_000_000_000_001n; // a stage of 2,000 two-hour tasks, in ns: above 2^53
    for (const e of events) {
      if (e.body?.$case === 'stageCompleted' && e.body.value.stage!.stageId === 0) e.body.value.metrics!.executorCpuTimeNs = big;
      if (e.body?.$case === 'taskEnd' && e.body.value.metrics) e.body.value.info!.taskId += 2n ** 60n;
      if (e.body?.$case === 'streamingProgress') e.body.value.numInputRows = 2n ** 63n - 1n;
    }
    b.onEvents(events);
    const stage0 = byName(spans, 'spark.stage').find((s) => s.attributes['spark.stage.id'] === 0)!;
    expect(stage0.attributes['spark.metrics.executor_cpu_time_ns']).toBe('14400000000000001');
    expect(typeof stage0.attributes['spark.metrics.executor_run_time_ms']).toBe('number');
    const task = byName(spans, 'spark.task').find((t) => t.status.code !== SpanStatusCode.ERROR)!;
    expect(String(task.attributes['spark.task.id'])).toMatch(/^11529215046068469\d\d$/);
    expect(BigInt(task.attributes['spark.task.id'] as string) - 2n ** 60n).toBeLessThan(100n);
    const batch = byName(spans, 'spark.streaming.batch')[0];
    expect(batch.attributes['spark.streaming.num_input_rows']).toBe('9223372036854775807');
    expect(typeof batch.attributes['spark.streaming.batch.id']).toBe('number');
  });
});
