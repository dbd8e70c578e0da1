// `sparkwire report` against Spark's own figures for the same real run: real PySpark (local[2])
// with the listener jar, the sidecar process (extended mode, task records on their own topic),
// a real broker; the job script reads the Spark UI REST API (/stages with each stage attempt's
// summed task metrics and times, /stages/<id>/<attempt>/taskList, /jobs) before spark.stop().
// The CLI is run as users run it (bin/sparkwire.js), once with --output json and once as text.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { envWithout } from '@sparkwire/testkit';
import { ROOT, runJob, startSidecar, type JobRun } from './harness';
import { broker, topic } from './broker';

const BIN = join(ROOT, 'apps/sidecar/bin/sparkwire.js');
let run: JobRun;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = envWithout();
  const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  return new Promise((res) => p.on('exit', (code) => res({ code, stdout, stderr })));
}

beforeAll(async () => {
  const sidecar = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('report-events'), extended: true, extraArgs: ['--kafka-tasks-topic', topic('report-tasks')] });
  try {
    run = await runJob('report_job.py', { app: 'e2e-report', sparkwire: { endpoint: sidecar.address, extended: true } });
  } finally {
    await sidecar.stop();
  }
});

const restTime = (t: string) => Date.parse(t.replace('GMT', 'Z'));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

describe('sparkwire report', () => {
  it("holds the same figures as Spark's REST API for the same run", async () => {
    const appId: string = run.result.spark.appId;
    const rest: any[] = run.result.stagesRest;
    const kafka = ['--brokers', broker.bootstrap, '--topic', topic('report-events'), '--tasks-topic', topic('report-tasks')];
    const res = await cli(['report', '--app', appId, '--output', 'json', '--no-progress', ...kafka]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout);
    const ms = (ns: number) => Math.trunc(ns / 1e6); // sparkMeasure's per-stage ns -> ms
    const sum = (f: (s: any) => number) => rest.reduce((n, s) => n + f(s), 0);

    // The aggregation of sparkMeasure's StageMetrics report, from Spark's own per-stage figures.
    expect(report.aggregated).toEqual({
      numStages: rest.length,
      numTasks: sum((s) => s.numTasks),
      elapsedTime: Math.max(...rest.map((s) => restTime(s.completionTime))) - Math.min(...rest.map((s) => restTime(s.submissionTime))),
      stageDuration: sum((s) => restTime(s.completionTime) - restTime(s.submissionTime)),
      executorRunTime: sum((s) => s.executorRunTime),
      executorCpuTime: sum((s) => ms(s.executorCpuTime)),
      executorDeserializeTime: sum((s) => s.executorDeserializeTime),
      executorDeserializeCpuTime: sum((s) => ms(s.executorDeserializeCpuTime)),
      resultSerializationTime: sum((s) => s.resultSerializationTime),
      jvmGCTime: sum((s) => s.jvmGcTime),
      shuffleFetchWaitTime: sum((s) => s.shuffleFetchWaitTime),
      shuffleWriteTime: sum((s) => ms(s.shuffleWriteTime)),
      resultSize: Math.max(...rest.map((s) => s.resultSize)),
      diskBytesSpilled: sum((s) => s.diskBytesSpilled),
      memoryBytesSpilled: sum((s) => s.memoryBytesSpilled),
      peakExecutionMemory: sum((s) => s.peakExecutionMemory),
      recordsRead: sum((s) => s.inputRecords),
      bytesRead: sum((s) => s.inputBytes),
      recordsWritten: sum((s) => s.outputRecords),
      bytesWritten: sum((s) => s.outputBytes),
      shuffleRecordsRead: sum((s) => s.shuffleReadRecords),
      shuffleTotalBlocksFetched: sum((s) => s.shuffleRemoteBlocksFetched + s.shuffleLocalBlocksFetched),
      shuffleLocalBlocksFetched: sum((s) => s.shuffleLocalBlocksFetched),
      shuffleRemoteBlocksFetched: sum((s) => s.shuffleRemoteBlocksFetched),
      shuffleTotalBytesRead: sum((s) => s.shuffleReadBytes),
      shuffleLocalBytesRead: sum((s) => s.shuffleLocalBytesRead),
      shuffleRemoteBytesRead: sum((s) => s.shuffleRemoteBytesRead),
      shuffleRemoteBytesReadToDisk: sum((s) => s.shuffleRemoteBytesReadToDisk),
      shuffleBytesWritten: sum((s) => s.shuffleWriteBytes),
      shuffleRecordsWritten: sum((s) => s.shuffleWriteRecords),
    });
    expect(report.aggregated.numStages).toBeGreaterThanOrEqual(4);
    expect(report.aggregated.shuffleBytesWritten).toBeGreaterThan(0);

    // Per stage and per job: the same ids, task counts, durations, results.
    expect(report.stages.map((s: any) => [`${s.stageId}.${s.attemptNumber}`, s.numTasks, s.metrics.stageDuration, s.metrics.executorRunTime])).toEqual(
      [...rest]
        .sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId)
        .map((s) => [`${s.stageId}.${s.attemptId}`, s.numTasks, restTime(s.completionTime) - restTime(s.submissionTime), s.executorRunTime]),
    );
    const jobs = run.result.spark.jobs;
    expect(report.jobs.map((j: any) => [j.jobId, j.result])).toEqual(jobs.map((j: any) => [j.jobId, j.status === 'SUCCEEDED' ? 'JobSucceeded' : j.status]));

    // Task skew: max and median task duration per stage, as Spark's task list has them.
    expect(report.tasks.count).toBe(sum((s) => s.tasks.length));
    const skew = [...rest]
      .sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId)
      .map((s) => {
        const d = s.tasks.map((t: any) => t.duration);
        return { stageId: s.stageId, stageAttemptId: s.attemptId, tasks: d.length, maxMs: Math.max(...d), medianMs: median(d) };
      });
    expect(report.tasks.skew.map(({ stageId, stageAttemptId, tasks, maxMs, medianMs }: any) => ({ stageId, stageAttemptId, tasks, maxMs, medianMs }))).toEqual(skew);
    // The deliberately slow partition is the slowest task, far above its stage's median.
    const slowest = report.tasks.slowest[0];
    expect(slowest.durationMs).toBeGreaterThanOrEqual(1500);
    expect(report.tasks.skew.find((s: any) => s.stageId === slowest.stageId).ratio).toBeGreaterThan(3);

    // The text form: sparkMeasure's lines under its heading, the tables after.
    const text = await cli(['report', '--app', appId, ...kafka]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    const at = lines.indexOf('Aggregated Spark stage metrics:');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe(`numStages => ${rest.length}`);
    expect(lines).toContain(`executorRunTime => ${report.aggregated.executorRunTime} (${formatMs(report.aggregated.executorRunTime)})`);
    for (const h of ['Stages and their duration:', 'Jobs:', 'Stages:', 'Task skew (', 'Slowest 10 tasks:']) expect(text.stdout).toContain(h);
    console.log(text.stdout);

    // An application the topic does not hold: exit 1; a usage error: exit 2.
    expect((await cli(['report', '--app', 'no-such-app', ...kafka])).code).toBe(1);
    expect((await cli(['report', ...kafka])).code).toBe(2);
  });
});

/** sparkMeasure's formatDuration, independently (the library's own copy is unit-tested). */
function formatMs(v: number): string {
  if (v < 100) return `${v} ms`;
  const s = v / 1000;
  if (s < 1) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = s / 60;
  return m < 10 ? `${m.toFixed(1)} min` : `${Math.round(m)} min`;
}
