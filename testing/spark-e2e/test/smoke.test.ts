// The smoke of a Spark line in between the oldest and the newest (vitest.config.ts: those lines
// run only this and spark-submit.test.ts): a small real PySpark job with sparkwire.configure(...)
// (which picks this line's listener jar), the sidecar process in extended mode, the run's broker
// (test/broker.ts). Kafka must hold exactly the records Spark's own REST API implies, per record
// name, in the golden format, each event acknowledged once.
import { describe, expect, it } from 'vitest';
import { formatProblems } from './golden-format';
import { countByName, LINE_NAME, readRecords, runJob, SPARK, startSidecar, type SidecarStats } from './harness';
import { broker, topic } from './broker';
import { expectedListenerEvents, expectedRecords, ranStages, taskAttempts, type SparkReport } from './spark-report';

const TASKS = 200;

describe(`smoke: a small PySpark job on ${LINE_NAME}`, () => {
  it('Kafka holds exactly what Spark reports, in the golden format', async () => {
    if (!SPARK) throw new Error(`${LINE_NAME}: no PySpark in the venv: run \`npm run setup\``);
    const sidecar = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('smoke'), extended: true });
    let stats: SidecarStats;
    let run;
    try {
      run = await runJob('small_job.py', { app: 'e2e-smoke', tasks: TASKS, sparkwire: { endpoint: sidecar.address, extended: true, labels: { suite: 'smoke' } } });
    } finally {
      stats = await sidecar.stop();
    }
    const spark: SparkReport = run.result.spark;
    const expected = expectedRecords(spark, { extended: true });
    const read = await readRecords(broker.bootstrap, topic('smoke'), Object.values(expected).reduce((a, b) => a + b, 0));
    console.log(`smoke on ${LINE_NAME}: ${(run.wallMs / 1000).toFixed(1)} s process, ${taskAttempts(spark)} task attempts, ${read.raw.length} records`);

    expect(spark.jobs.length).toBeGreaterThanOrEqual(3);
    expect(ranStages(spark).length).toBeGreaterThanOrEqual(3);
    expect(taskAttempts(spark)).toBeGreaterThanOrEqual(TASKS);
    expect(spark.sql.length).toBeGreaterThanOrEqual(1);
    expect(countByName(read.records)).toEqual(expected);
    expect(read.duplicates).toBe(0);
    expect(new Set(read.records.map((r) => r.appId))).toEqual(new Set([spark.appId]));
    expect(read.records.every((r) => r.labels?.suite === 'smoke')).toBe(true);
    // the Spark this line runs, as the listener reported it
    const start = read.records.find((r) => r.name === 'applications_started')!;
    expect(start.sparkVersion).toBe(SPARK.sparkVersion);
    expect(formatProblems(read.records)).toEqual([]);
    // ids, not only counts
    const ids = (name: string, f: (r: Record<string, any>) => string) => read.records.filter((r) => r.name === name).map(f).sort();
    expect(ids('jobs_ended', (r) => r.jobId)).toEqual(spark.jobs.map((j) => String(j.jobId)).sort());
    expect(ids('stage_metrics', (r) => `${r.stageId}.${r.attemptNumber}`)).toEqual(ranStages(spark).map((s) => `${s.stageId}.${s.attemptId}`).sort());
    // every event the listener built reached the sidecar and was published
    expect(stats.received).toEqual(stats.published);
    const client = stats.clients.find((c) => c.clientKind === 'jvm')!;
    expect(client).toMatchObject({ droppedBufferFull: 0, droppedSidecarUnavailable: 0, sparkDroppedEvents: 0, taskEventsSkipped: 0 });
    const m = run.stderr.match(/sparkwire: client \S+ closed: (\d+) events acknowledged, (\d+) dropped \(buffer full\), (\d+) dropped \(sidecar unavailable\), (\d+) rejected by the sidecar, (\d+) task events not built, (\d+) not delivered at close/);
    expect(m, 'the listener close line').toBeTruthy();
    expect(m!.slice(1).map(Number)).toEqual([expectedListenerEvents(spark, true), 0, 0, 0, 0, 0]);
    expect(run.stderr.split('\n').filter((l) => / (WARN|ERROR) \S+: sparkwire/.test(l))).toEqual([]);
  });
});
