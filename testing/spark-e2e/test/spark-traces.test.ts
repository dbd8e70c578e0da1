// A real PySpark run as an OpenTelemetry trace: the JVM listener -> sidecar -> OTLP over
// gRPC into a real receiver that decodes the protobuf. Asserts the span tree against what
// Spark itself reported (REST API), Spark's own timings, the failed task's ERROR status,
// the caller's traceparent link and the streaming batch spans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@sparkwire/testkit';
import { runJob, startSidecar } from './harness';
import { broker, topic } from './broker';

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

describe('real PySpark job as a trace', () => {
  it('application > sql > job > stage > task with Spark times, errors, traceparent and streaming batches', async () => {
    const sidecar = await startSidecar({
      bootstrap: broker.bootstrap,
      topic: topic('trace-events'),
      extended: true,
      extraArgs: ['--otel-traces-endpoint', receiver.grpcUrl, '--otel-traces-protocol', 'grpc', '--metrics-port', '0'],
    });
    const run = await runJob('full_job.py', {
      app: 'sparkwire-e2e-traces',
      tasks: 300,
      observe: false,
      sparkwire: { endpoint: sidecar.address, extended: true, traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
    });
    await sidecar.stop();
    const spark = run.result.spark;
    const appId: string = run.result.spark.appId ?? run.lines.find((l) => l.kind === 'started')?.appId;

    const spans = await receiver.waitForSpans((s) => s.some((x) => x.name === 'spark.application' && x.attributes['spark.app.id'] === appId));
    const mine = spans.filter((s) => s.traceId === spans.find((x) => x.name === 'spark.application' && x.attributes['spark.app.id'] === appId)!.traceId);
    const byId = new Map(mine.map((s) => [s.spanId, s]));
    const named = (n: string) => mine.filter((s) => s.name === n);
    const app = named('spark.application')[0];

    // The caller's traceparent: same trace, the application span's parent is the caller's span.
    expect(app.traceId).toBe(CALLER_TRACE);
    expect(app.parentSpanId).toBe(CALLER_SPAN);

    // One job span per Spark job, one stage span per stage attempt, one task span per task attempt.
    const jobs = named('spark.job');
    const stages = named('spark.stage');
    const tasks = named('spark.task');
    expect(jobs.length).toBe(spark.jobs.length);
    // Skipped stages (shuffle output reused) are never submitted, so Spark posts no events for them.
    const ran = spark.stages.filter((s: any) => s.status !== 'SKIPPED');
    expect(stages.length).toBe(ran.length);
    const taskAttempts = ran.reduce((n: number, s: any) => n + s.numCompleteTasks + s.numFailedTasks + s.numKilledTasks, 0);
    expect(tasks.length).toBe(taskAttempts);

    // Parentage: task -> stage -> job -> (sql execution ->) application.
    for (const t of tasks) expect(byId.get(t.parentSpanId)?.name).toBe('spark.stage');
    for (const s of stages) expect(byId.get(s.parentSpanId)?.name).toBe('spark.job');
    for (const j of jobs) expect(['spark.sql.execution', 'spark.application']).toContain(byId.get(j.parentSpanId)?.name);
    expect(jobs.some((j) => byId.get(j.parentSpanId)?.name === 'spark.sql.execution')).toBe(true);
    for (const q of named('spark.sql.execution')) expect(['spark.sql.execution', 'spark.application']).toContain(byId.get(q.parentSpanId)?.name);

    // Spark's own times: each job span matches the REST API's submission/completion times.
    for (const j of spark.jobs) {
      const span = jobs.find((s) => s.attributes['spark.job.id'] === j.jobId || Number(s.attributes['spark.job.id']) === j.jobId)!;
      expect(span, `job ${j.jobId}`).toBeDefined();
      const restTime = (t: string) => Date.parse(t.replace(/GMT$/, 'Z'));
      expect(Math.abs(span.startMs - restTime(j.submissionTime))).toBeLessThan(1000);
      expect(Math.abs(span.endMs - restTime(j.completionTime))).toBeLessThan(1000);
    }
    // Children lie inside their parents.
    for (const s of [...tasks, ...stages]) {
      const p = byId.get(s.parentSpanId)!;
      expect(s.startMs).toBeGreaterThanOrEqual(p.startMs - 5);
      expect(s.endMs).toBeLessThanOrEqual(p.endMs + 5);
    }

    // The task that failed once: an ERROR span with its reason, and a successful retry.
    const failed = tasks.filter((t) => t.status.code === 'STATUS_CODE_ERROR');
    expect(failed).toHaveLength(1);
    expect(failed[0].status.message).toMatch(/injected|Exception|failure/i);

    // Structured Streaming: one batch span per completed micro-batch, under the query span.
    const batches = named('spark.streaming.batch');
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const b of batches) expect(byId.get(b.parentSpanId)?.name).toBe('spark.streaming.query');
  });
});
