// `sparkwire replay` against a real PySpark run: the JVM listener streams the run live to one
// topic while Spark writes its own event log (zstd, rolling folder: Spark 4's layout); then the
// replay of that log goes to a second topic. Every live record has its twin in the replayed
// topic, equal field by field except the fields that exist only live (docs/replay.md); the
// replay's traces reach a real OTLP receiver; a second replay publishes nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envWithout, type OtlpReceiver, startOtlpReceiver } from '@sparkwire/testkit';
import { ROOT, readRecords, runJob, startSidecar, type KafkaRecord } from './harness';
import { broker, topic } from './broker';

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

/** Fields a replayed record cannot have as the live one has them (docs/replay.md). */
const LIVE_ONLY = ['epochMillis', 'eventId'];
/** Per record: fields that come from the wall clock live (Spark logs no time for the event). */
const LIVE_CLOCK: Record<string, string[]> = {
  streaming_query_terminated: ['endTime', 'eventTimeMs'],
};

/** The natural key of a record: what identifies its Spark event independently of sparkwire's ids. */
function naturalKey(r: KafkaRecord): string {
  switch (r.name) {
    case 'applications_started':
    case 'applications_ended':
      return `${r.name}/${r.appId}`;
    case 'executors_started':
    case 'executors_removed':
      return `${r.name}/${r.executorId}`;
    case 'jobs_started':
    case 'jobs_ended':
      return `${r.name}/${r.jobId}`;
    case 'stages_started':
    case 'stages_ended':
    case 'stage_metrics':
      return `${r.name}/${r.stageId}.${r.attemptNumber}`;
    case 'tasks_started':
    case 'tasks_ended':
    case 'task_metrics':
      return `${r.name}/${r.taskId}.${r.attemptNumber}`;
    case 'queries_started':
    case 'queries_ended':
      return `${r.name}/${r.queryId}`;
    case 'streaming_query_started':
    case 'streaming_query_terminated':
      return `${r.name}/${r.queryId}/${r.runId}`;
    case 'streaming_progress':
      return `${r.name}/${r.queryId}/${r.runId}/${r.batchId}`;
    default:
      return `${r.name}/${r.eventId}`;
  }
}

function byKey(records: KafkaRecord[]): Map<string, KafkaRecord> {
  const m = new Map<string, KafkaRecord>();
  for (const r of records) {
    const k = naturalKey(r);
    expect(m.has(k), `two records with the natural key ${k}`).toBe(false);
    m.set(k, r);
  }
  return m;
}

function comparable(r: KafkaRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r };
  for (const f of [...LIVE_ONLY, ...(LIVE_CLOCK[r.name] ?? [])]) delete out[f];
  return out;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function sparkwire(args: string[]): Promise<CliRun> {
  const started = Date.now();
  const env = envWithout(['SPARKWIRE_', 'OTEL_']);
  const proc = spawn(process.execPath, [join(ROOT, 'apps/sidecar/bin/sparkwire.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => proc.on('exit', (code) => res({ code, stdout, stderr, ms: Date.now() - started })));
}

const sumOf = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

describe('sparkwire replay of a real PySpark event log', () => {
  it('reproduces the live records (zstd, rolling folder), sends traces, and publishes nothing the second time', async () => {
    const eventLogDir = mkdtempSync(join(tmpdir(), 'sparkwire-e2e-eventlog-'));
    const sidecar = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('replay-live'), extended: true });
    const run = await runJob('replay_job.py', {
      app: 'sparkwire-e2e-replay',
      tasks: 4,
      conf: {
        'spark.eventLog.enabled': 'true',
        'spark.eventLog.dir': `file://${eventLogDir}`,
        'spark.eventLog.compress': 'true',
        'spark.eventLog.compression.codec': 'zstd',
        'spark.eventLog.rolling.enabled': 'true',
        'spark.eventLog.rolling.maxFileSize': '10m',
      },
      sparkwire: { endpoint: sidecar.address, extended: true, labels: { team: 'e2e', pipeline: 'replay' } },
    });
    const stats = await sidecar.stop();
    const appId: string = run.result.appId;
    const [logName] = readdirSync(eventLogDir);
    expect(logName).toBe(`eventlog_v2_${appId}`);
    expect(readdirSync(join(eventLogDir, logName)).some((n) => /^events_1_.*\.zstd$/.test(n))).toBe(true);

    const liveExpected = sumOf(stats.published) + (stats.published.stageCompleted ?? 0) + (stats.published.taskEnd ?? 0);
    const live = await readRecords(broker.bootstrap, topic('replay-live'), liveExpected);
    expect(live.records.length).toBe(liveExpected);

    // Replay into a second topic, with traces to a real OTLP receiver.
    const replayArgs = ['replay', join(eventLogDir, logName), '--kafka-brokers', broker.bootstrap, '--kafka-topic', topic('replay-replayed'), '--kafka-partitions', '1', '--extended', '--output', 'json'];
    const first = await sparkwire([...replayArgs, '--otel-traces-endpoint', receiver.grpcUrl, '--otel-traces-protocol', 'grpc']);
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout);
    expect(s1.badLines).toBe(0);
    expect(s1.published).toBe(s1.mapped);
    expect(s1.duplicates).toBe(0);
    expect(s1.logs).toMatchObject([{ appId, codec: 'zstd', files: 1 }]);
    console.log(`replay: ${s1.eventsRead} events read, ${s1.mapped} mapped, ${s1.published} published in ${first.ms} ms (process), ${s1.ms} ms (replay)`);

    const replayed = await readRecords(broker.bootstrap, topic('replay-replayed'), liveExpected);
    const liveByKey = byKey(live.records);
    const replayedByKey = byKey(replayed.records);
    // Every live record has its twin, and the replay adds nothing the live run did not send.
    expect([...replayedByKey.keys()].sort()).toEqual([...liveByKey.keys()].sort());
    for (const [k, l] of liveByKey) {
      const r = replayedByKey.get(k)!;
      expect(comparable(r), k).toEqual(comparable(l));
      expect(r.eventId).toMatch(/^evlog:/);
      expect(r.epochMillis).toBe(r.eventTimeMs);
    }
    expect(replayed.keys).toEqual(new Set([appId]));
    const names = new Set(replayed.records.map((r) => r.name));
    for (const n of ['applications_started', 'applications_ended', 'executors_started', 'jobs_started', 'jobs_ended', 'stages_started', 'stage_metrics', 'task_metrics', 'queries_started', 'queries_ended', 'streaming_query_started', 'streaming_progress', 'streaming_query_terminated']) {
      expect(names, n).toContain(n);
    }
    expect(replayed.records.some((r) => r.name === 'task_metrics' && r.failed === true)).toBe(true);

    // Traces: the replayed application's span tree reaches the receiver.
    const spans = await receiver.waitForSpans((sp) => sp.some((x) => x.name === 'spark.application' && x.attributes['spark.app.id'] === appId), 60_000);
    const app = spans.find((x) => x.name === 'spark.application' && x.attributes['spark.app.id'] === appId)!;
    const mine = spans.filter((x) => x.traceId === app.traceId);
    expect(mine.filter((x) => x.name === 'spark.job').length).toBe(replayed.records.filter((r) => r.name === 'jobs_started').length);
    expect(mine.filter((x) => x.name === 'spark.task').length).toBe(replayed.records.filter((r) => r.name === 'task_metrics').length);

    // Twice: the read-back finds every replayed id, nothing is published again.
    const second = await sparkwire(replayArgs);
    expect(second.code, second.stderr).toBe(0);
    const s2 = JSON.parse(second.stdout);
    expect(s2.published).toBe(0);
    expect(s2.duplicates).toBe(s1.published);
    expect(s2.readBack.replayedIds).toBe(s1.published);
    const again = await readRecords(broker.bootstrap, topic('replay-replayed'), replayed.raw.length);
    expect(again.raw.length).toBe(replayed.raw.length);
    console.log(`second replay: ${s2.duplicates} duplicates, read back ${s2.readBack.records} records in ${s2.readBack.ms} ms, ${second.ms} ms (process)`);
  });
});
