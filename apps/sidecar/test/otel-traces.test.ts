// Traces end to end: the sidecar as its own process, a synthetic application through the
// gRPC API, spans exported over OTLP (gRPC and HTTP/protobuf) to a real receiver that
// decodes the OTLP protobuf. Asserts the span tree, parentage, Spark's timings, error
// statuses, the traceparent link and the streaming micro-batch spans.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobResult, type SparkEvent } from '@sparkwire/proto';
import { childrenOf, ISSUE_SPEC, type OtlpReceiver, type ReceivedSpan, type SidecarProcess, spawnSidecar, startOtlpReceiver, syntheticApplication } from '@sparkwire/testkit';
import { spanIdFor, traceIdFor } from '@sparkwire/otel-traces';
import { sendApp } from './otel-helpers';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

let receiver: OtlpReceiver;
const started: SidecarProcess[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  for (const s of started) await s.stop();
  await receiver?.close();
});

async function sidecar(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SidecarProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-otel-'));
  const s = await spawnSidecar({ args: ['--file-dir', dir, '--metrics-port', '0', '--extended', ...args], env: { OTEL_BSP_SCHEDULE_DELAY: '100', ...env } });
  started.push(s);
  return s;
}

/** The issue's synthetic application, with a caller's traceparent, and its last job failing on its last stage. */
function application(appId: string, traceparent = ''): SparkEvent[] {
  const events = syntheticApplication({ ...ISSUE_SPEC, appId, startMs: Date.now() - 3_600_000 });
  const lastJob = ISSUE_SPEC.stagesPerJob.length - 1;
  const lastStage = ISSUE_SPEC.stagesPerJob.reduce((a, b) => a + b) - 1;
  return events.map((e): SparkEvent => {
    const b = e.body!;
    if (b.$case === 'applicationStart') return { ...e, body: { ...b, value: { ...b.value, traceparent } } };
    if (b.$case === 'jobEnd' && b.value.jobId === lastJob) return { ...e, body: { ...b, value: { ...b.value, result: JobResult.JOB_RESULT_FAILED, failureReason: 'Job aborted due to stage failure: stage 9 failed' } } };
    if (b.$case === 'stageCompleted' && b.value.stage!.stageId === lastStage) return { ...e, body: { ...b, value: { ...b.value, stage: { ...b.value.stage!, failureReason: 'org.apache.spark.shuffle.FetchFailedException: injected' } } } };
    return e;
  });
}

const of = (events: SparkEvent[], c: string) => events.filter((e) => e.body?.$case === c);
const forApp = (appId: string) => receiver.spans.filter((s) => s.attributes['spark.app.id'] === appId || s.resource['spark.app.id'] === appId);
const EXPECTED_SPANS = 1 + 2 + 3 + 10 + 2001 + 1 + 3; // app, sql, jobs, stages, tasks (+1 retry), query, batches

describe('traces: sidecar -> OTLP receiver', () => {
  let grpcSpans: ReceivedSpan[];
  let events: SparkEvent[];

  it('over gRPC (sparkwire flags): the span tree, Spark timings, errors and the traceparent link', async () => {
    const appId = 'app-otel-grpc';
    events = application(appId, TRACEPARENT);
    const s = await sidecar(['--otel-traces-endpoint', receiver.grpcUrl, '--otel-traces-protocol', 'grpc']);
    await sendApp(s.address, events);
    grpcSpans = await receiver.waitForSpans(() => forApp(appId).length >= EXPECTED_SPANS).then(() => forApp(appId));
    const spans = grpcSpans;
    expect(spans).toHaveLength(EXPECTED_SPANS);
    expect(new Set(spans.map((x) => x.via))).toEqual(new Set(['grpc']));
    const ids = new Set(spans.map((x) => x.spanId));
    expect(ids.size).toBe(spans.length);

    // One trace: the caller's, because of the traceparent.
    expect(new Set(spans.map((x) => x.traceId))).toEqual(new Set([CALLER_TRACE]));
    const named = (n: string) => spans.filter((x) => x.name === n);
    const [app] = named('spark.application');
    expect(app.parentSpanId).toBe(CALLER_SPAN);
    expect(app.flags & 0x300).toBe(0x300); // parent is remote
    const appStart = of(events, 'applicationStart')[0].body!;
    const appEnd = of(events, 'applicationEnd')[0].body!;
    expect(app.startMs).toBe(appStart.$case === 'applicationStart' ? Number(appStart.value.startTimeMs) : -1);
    expect(app.endMs).toBe(appEnd.$case === 'applicationEnd' ? Number(appEnd.value.completionTimeMs) : -1);
    expect(app.attributes).toMatchObject({ 'spark.app.id': appId, 'spark.app.name': 'synthetic-etl', 'spark.app.attempt_id': '1', 'spark.label.team': 'data-platform', 'spark.version': '4.0.1', 'spark.user': 'spark', 'spark.conf.master': 'local[2]', 'spark.app.tasks.failed': 1 });
    expect(app.resource).toMatchObject({ 'service.name': 'synthetic-etl', 'spark.app.id': appId });
    expect(app.status.code).toBe('STATUS_CODE_UNSET');
    expect(app.events.map((e) => e.name)).toEqual(['spark.executor.added', 'spark.executor.added', 'spark.executor.removed', 'spark.executor.removed']);

    // Every span but the application has its parent in the trace.
    for (const x of spans) if (x !== app) expect(ids.has(x.parentSpanId), `${x.name} parent`).toBe(true);
    const kids = childrenOf(spans);
    const childNames = (p: ReceivedSpan) => (kids.get(p.spanId) ?? []).map((k) => k.name).sort();
    expect(childNames(app)).toEqual(['spark.job', 'spark.sql.execution', 'spark.sql.execution', 'spark.streaming.query']);

    // application > sql > job for the SQL jobs, application > job for the other.
    const sqls = named('spark.sql.execution');
    const jobs = named('spark.job');
    for (const js of of(events, 'jobStart')) {
      const v = js.body!.$case === 'jobStart' ? js.body.value : undefined!;
      const job = jobs.find((j) => j.attributes['spark.job.id'] === v.jobId)!;
      const parent = v.sqlExecutionId !== undefined ? sqls.find((q) => q.attributes['spark.sql.execution_id'] === Number(v.sqlExecutionId))! : app;
      expect(job.parentSpanId).toBe(parent.spanId);
      expect(job.startMs).toBe(Number(js.eventTimeMs));
      expect(job.attributes['spark.job.stage_ids']).toEqual(v.stageIds);
      // job > stage, with StageInfo's times, ids, numTasks and the aggregated metrics.
      for (const sid of v.stageIds) {
        const stage = spans.find((x) => x.name === 'spark.stage' && x.attributes['spark.stage.id'] === sid)!;
        expect(stage.parentSpanId).toBe(job.spanId);
        const done = of(events, 'stageCompleted').find((e) => e.body?.$case === 'stageCompleted' && e.body.value.stage!.stageId === sid)!.body!;
        if (done.$case !== 'stageCompleted') throw new Error('unreachable');
        expect(stage.startMs).toBe(Number(done.value.stage!.submissionTimeMs));
        expect(stage.endMs).toBe(Number(done.value.stage!.completionTimeMs));
        expect(stage.attributes).toMatchObject({ 'spark.stage.num_tasks': 200, 'spark.stage.attempt': 0, 'spark.stage.name': `stage ${sid}`, 'spark.metrics.executor_run_time_ms': Number(done.value.metrics!.executorRunTimeMs), 'spark.metrics.shuffle_bytes_written': Number(done.value.metrics!.shuffleBytesWritten) });
        // stage > task: every attempt of every task of the stage.
        const tasks = (kids.get(stage.spanId) ?? []).filter((k) => k.name === 'spark.task');
        expect(tasks.length).toBe(sid === 0 ? 201 : 200);
      }
    }
    for (const sql of sqls) expect(sql.parentSpanId).toBe(app.spanId);

    // Task times are TaskInfo's launch and finish times.
    for (const te of of(events, 'taskEnd').slice(0, 50)) {
      const info = te.body!.$case === 'taskEnd' ? te.body.value.info! : undefined!;
      const task = spans.find((x) => x.name === 'spark.task' && x.attributes['spark.task.id'] === Number(info.taskId))!;
      expect([task.startMs, task.endMs]).toEqual([Number(info.launchTimeMs), Number(info.finishTimeMs)]);
      expect(task.attributes).toMatchObject({ 'spark.task.index': info.index, 'spark.executor.id': info.executorId, 'spark.task.locality': 'PROCESS_LOCAL' });
    }

    // Errors: the failed task attempt, the failed stage, the failed job.
    const errors = spans.filter((x) => x.status.code === 'STATUS_CODE_ERROR');
    expect(errors.map((x) => x.name).sort()).toEqual(['spark.job', 'spark.stage', 'spark.task']);
    const failedTask = errors.find((x) => x.name === 'spark.task')!;
    expect(failedTask.status.message).toBe('java.lang.RuntimeException: injected failure');
    expect(failedTask.attributes['spark.task.end_reason']).toBe('ExceptionFailure');
    expect(failedTask.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'ExceptionFailure' } });
    const failedJob = errors.find((x) => x.name === 'spark.job')!;
    expect(failedJob.status.message).toBe('Job aborted due to stage failure: stage 9 failed');
    expect(failedJob.attributes).toMatchObject({ 'spark.job.id': 2, 'spark.job.result': 'failed' });
    expect(errors.find((x) => x.name === 'spark.stage')!.status.message).toContain('FetchFailedException');

    // Structured Streaming: query > one span per micro-batch with its progress figures.
    const [query] = named('spark.streaming.query');
    expect(query.parentSpanId).toBe(app.spanId);
    expect(query.attributes).toMatchObject({ 'spark.streaming.query.name': 'rate-to-console' });
    const batchSpans = named('spark.streaming.batch').sort((a, b) => Number(a.attributes['spark.streaming.batch.id']) - Number(b.attributes['spark.streaming.batch.id']));
    const progress = of(events, 'streamingProgress').map((e) => (e.body!.$case === 'streamingProgress' ? e.body.value : undefined!));
    expect(batchSpans).toHaveLength(3);
    batchSpans.forEach((b, i) => {
      const p = progress[i];
      expect(b.parentSpanId).toBe(query.spanId);
      expect(b.startMs).toBe(Date.parse(p.timestamp));
      expect(b.endMs - b.startMs).toBe(Number(p.batchDurationMs));
      expect(b.attributes).toMatchObject({
        'spark.streaming.batch.id': i,
        'spark.streaming.num_input_rows': Number(p.numInputRows),
        'spark.streaming.input_rows_per_second': p.inputRowsPerSecond,
        'spark.streaming.processed_rows_per_second': p.processedRowsPerSecond,
        'spark.streaming.duration_ms.addBatch': 80,
        'spark.streaming.sink.num_output_rows': 100,
      });
      expect(b.events[0]).toMatchObject({ name: 'spark.streaming.source', attributes: { 'spark.streaming.source.end_offset': p.sources[0].endOffset } });
    });
  });

  it('over HTTP/protobuf (standard OTEL_* variables): the same deterministic span ids, the derived trace id', async () => {
    const appId = 'app-otel-grpc'; // the same application, seen by another sidecar (or the same one restarted)
    const s = await sidecar([], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'etl-service' });
    const before = receiver.spans.length;
    await sendApp(s.address, events.map((e) => (e.body?.$case === 'applicationStart' ? { ...e, body: { ...e.body, value: { ...e.body.value, traceparent: '' } } } : e)));
    const spans = await receiver.waitForSpans((all) => all.slice(before).filter((x) => x.via === 'http').length >= EXPECTED_SPANS).then((all) => all.slice(before));
    expect(spans).toHaveLength(EXPECTED_SPANS);
    expect(new Set(spans.map((x) => x.via))).toEqual(new Set(['http']));
    // No traceparent: the trace id is derived from the app id and attempt.
    expect(new Set(spans.map((x) => x.traceId))).toEqual(new Set([traceIdFor(appId, '1')]));
    const app = spans.find((x) => x.name === 'spark.application')!;
    expect(app.parentSpanId).toBe('');
    expect(app.spanId).toBe(spanIdFor(appId, '1', 'application', ''));
    expect(app.resource['service.name']).toBe('etl-service');
    // Both sidecars agree on every span id and parent.
    const key = (x: ReceivedSpan) => `${x.name} ${x.spanId} ${x.name === 'spark.application' ? '' : x.parentSpanId}`;
    expect(spans.map(key).sort()).toEqual(grpcSpans.map(key).sort());
  });

  it('SIGTERM flushes the spans still open, marked sidecar_shutdown, within the deadline', async () => {
    const appId = 'app-otel-term';
    const s = await sidecar(['--otel-traces-endpoint', receiver.grpcUrl, '--otel-traces-protocol', 'grpc', '--shutdown-deadline-ms', '5000'], { OTEL_BSP_SCHEDULE_DELAY: '60000' });
    const all = application(appId);
    // Up to the middle of the second job: an SQL execution, a job and a stage are open; no ApplicationEnd.
    const cut = all.findIndex((e) => e.body?.$case === 'stageSubmitted' && e.body.value.stage!.stageId === 5);
    await sendApp(s.address, all.slice(0, cut + 1));
    const t0 = Date.now();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    const spans = await receiver.waitForSpans(() => forApp(appId).some((x) => x.name === 'spark.application'), 5000).then(() => forApp(appId));
    const open = spans.filter((x) => x.attributes['spark.span.close_reason'] === 'sidecar_shutdown');
    expect(open.map((x) => x.name).sort()).toEqual(['spark.application', 'spark.job', 'spark.sql.execution', 'spark.stage']);
    const lastTime = Math.max(...all.slice(0, cut + 1).map((e) => Number(e.eventTimeMs)));
    for (const x of open) expect([x.attributes['spark.span.incomplete'], x.endMs]).toEqual([true, lastTime]);
  });

  it('an unreachable collector does not hold up shutdown', async () => {
    const s = await sidecar(['--otel-traces-endpoint', 'http://127.0.0.1:1', '--otel-traces-protocol', 'grpc', '--otel-export-timeout-ms', '1000', '--shutdown-deadline-ms', '3000']);
    await sendApp(s.address, application('app-otel-dead'));
    const t0 = Date.now();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
