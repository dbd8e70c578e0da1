// The Spark clients issue's "done when", on real PySpark (local[2]) with the real listener
// jar, the real sidecar process and a real Kafka broker. Every count is compared with what
// Spark itself reports through an independent path: the job script reads the Spark UI REST
// API (/jobs, /stages with every attempt, /sql, /allexecutors), the streaming query's
// recentProgress and the driver's /metrics/json before spark.stop().
//
// One broker for the run (test/broker.ts); each scenario has its own sidecar and topic.
import { describe, expect, it } from 'vitest';
import { formatProblems, optionalFieldsPresent } from './golden-format';
import { countByName, E2E_LEVEL, freePort, LINE_NAME, readRecords, SPARK, runJob, startSidecar, waitFor, type JobLine, type JobRun, type KafkaRecord, type Sidecar, type SidecarStats } from './harness';
import { broker, topic } from './broker';
import { attemptsByStage, expectedListenerEvents, expectedRecords, failedTasks, killedTasks, ranStages, taskAttempts, type SparkReport } from './spark-report';

/** Tasks of the full job's big stage: the issue asks >= 5,000, and 20,000 for the dropped-events check. */
const TASKS = 20_000;
/** Tasks of the small job (stage-level and unreachable scenarios). */
const SMALL_TASKS = 400;
/** Wall-time tolerance for "unaffected" / "normal speed": within 25 %, or within this many seconds. */
const SLACK_RATIO = 1.25;
const SLACK_S = 5;

// The driver runs the sidecar and Spark on a 2-core machine: the listener's application-end
// flush may wait for the sidecar to catch up with a burst of 40,000 task events.
const FLUSH_TIMEOUT_MS = 60_000;

const sparkOf = (run: JobRun): SparkReport => run.result.spark;
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** How many records the full job must have produced, from Spark's own report. */
const fullJobRecords = (run: JobRun) =>
  total(expectedRecords(sparkOf(run), { extended: true, streamingQueries: 1, streamingProgress: run.result.streaming.progress.length, observations: 1 }));
const jvmClient = (s: SidecarStats) => s.clients.filter((c) => c.clientKind === 'jvm');
/** sparkwire's WARN lines in the driver log (Spark's pattern: "yy/MM/dd HH:mm:ss WARN Class: message"). */
const sparkwireWarnings = (log: string) => log.split('\n').filter((l) => / WARN \S+: sparkwire/.test(l));

/** The listener's end-of-application line (SparkwireClient.close), parsed. */
function closeSummary(log: string) {
  const m = log.match(
    /sparkwire: client (\S+) closed: (\d+) events acknowledged, (\d+) dropped \(buffer full\), (\d+) dropped \(sidecar unavailable\), (\d+) rejected by the sidecar, (\d+) task events not built, (\d+) not delivered at close/,
  );
  if (!m) throw new Error(`no sparkwire close line in the driver log:\n${log.slice(-3000)}`);
  const [, clientId, acked, bufferFull, unavailable, rejected, notBuilt, undelivered] = m;
  return { clientId, acked: +acked, bufferFull: +bufferFull, unavailable: +unavailable, rejected: +rejected, notBuilt: +notBuilt, undelivered: +undelivered };
}

/**
 * A rate as Spark's own progress JSON (query.recentProgress) has it: from Spark 4.1 on, rounded to
 * one decimal (HALF_UP, SafeJsonSerializer); before, the double itself. The listener reads the
 * event's double, so the records carry it unrounded on every line.
 */
const PROGRESS_JSON_ROUNDS_RATES = !!SPARK && /^(4\.([1-9]|\d\d)|[5-9])\./.test(SPARK.sparkVersion);
const sparkJsonRate = (v: number) => (PROGRESS_JSON_ROUNDS_RATES ? Math.round(v * 10) / 10 : v);

/** Spark's offsets are JSON values; the records carry their JSON text ("" when unset). */
const offsetText = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));

/** Every check of "Kafka holds exactly what Spark reported" for one full-job run. */
function checkFullJob(run: JobRun, read: { records: KafkaRecord[]; keys: Set<string | null> }) {
  const spark = sparkOf(run);
  const progress: any[] = run.result.streaming.progress;
  const { records } = read;

  // The shape the issue asks for, as Spark counted it.
  expect(spark.jobs.length).toBeGreaterThanOrEqual(5);
  expect(ranStages(spark).length).toBeGreaterThanOrEqual(5);
  expect(taskAttempts(spark)).toBeGreaterThanOrEqual(TASKS);
  expect(failedTasks(spark)).toBe(1);
  expect(spark.sql.length).toBeGreaterThanOrEqual(1);
  expect(progress.filter((p) => p.numInputRows > 0).length).toBeGreaterThanOrEqual(3);

  // Exactly the counts Spark reports, per record name, and nothing else.
  const expected = expectedRecords(spark, { extended: true, streamingQueries: 1, streamingProgress: progress.length, observations: 1 });
  expect(countByName(records)).toEqual(expected);
  expect(new Set(records.map((r) => r.appId))).toEqual(new Set([spark.appId]));
  expect(read.keys).toEqual(new Set([spark.appId]));

  // Jobs, stage attempts, SQL executions: the same ids, not only the same number.
  const ids = (name: string, f: (r: KafkaRecord) => string) => records.filter((r) => r.name === name).map(f).sort();
  const jobIds = spark.jobs.map((j) => String(j.jobId)).sort();
  expect(ids('jobs_started', (r) => r.jobId)).toEqual(jobIds);
  expect(ids('jobs_ended', (r) => r.jobId)).toEqual(jobIds);
  expect(ids('stage_metrics', (r) => `${r.stageId}.${r.attemptNumber}`)).toEqual(ranStages(spark).map((s) => `${s.stageId}.${s.attemptId}`).sort());
  expect(ids('queries_started', (r) => r.queryId)).toEqual(spark.sql.map((q) => String(q.id)).sort());
  // Task attempts per stage attempt, failed one included.
  const tasksByStage: Record<string, number> = {};
  for (const r of records.filter((x) => x.name === 'task_metrics')) tasksByStage[`${r.stageId}.${r.stageAttemptId}`] = (tasksByStage[`${r.stageId}.${r.stageAttemptId}`] ?? 0) + 1;
  expect(tasksByStage).toEqual(Object.fromEntries(Object.entries(attemptsByStage(spark)).filter(([, n]) => n > 0)));
  const failed = records.filter((r) => r.name === 'task_metrics' && r.failed);
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ attemptNumber: 0, successful: false, endReason: 'ExceptionFailure' });
  expect(failed[0].endReasonMessage).toContain('injected failure of the first attempt');
  const retry = records.filter((r) => r.name === 'task_metrics' && r.stageId === failed[0].stageId && r.index === failed[0].index && r.attemptNumber === 1);
  expect(retry).toHaveLength(1);
  expect(retry[0]).toMatchObject({ successful: true, failed: false });
  // The listener's own application totals agree with Spark's.
  const end = records.find((r) => r.name === 'applications_ended')!;
  expect(end).toMatchObject({
    totalJobsCompleted: spark.jobs.length,
    // Spark's count, not 0: stopping the streaming query can cancel the micro-batch job that
    // is running at that moment (timing), and Spark then reports that job FAILED.
    failedJobsCount: spark.jobs.filter((j) => j.status === 'FAILED').length,
    numStagesCompleted: ranStages(spark).length,
    totalTaskCount: taskAttempts(spark),
    numTaskFailed: failedTasks(spark),
    numTaskKilled: killedTasks(spark),
  });

  // Streaming progress: Spark's own figures, batch by batch.
  const got = records.filter((r) => r.name === 'streaming_progress').sort((a, b) => a.batchId - b.batchId);
  expect(got.map((r) => r.batchId)).toEqual(progress.map((p) => p.batchId));
  got.forEach((r, i) => {
    const p = progress[i];
    expect(r.queryId).toBe(run.result.streaming.queryId);
    expect(r.runId).toBe(run.result.streaming.runId);
    expect(r.numInputRows).toBe(p.numInputRows);
    expect(sparkJsonRate(r.inputRowsPerSecond)).toBeCloseTo(p.inputRowsPerSecond ?? 0, 9);
    expect(sparkJsonRate(r.processedRowsPerSecond)).toBeCloseTo(p.processedRowsPerSecond ?? 0, 9);
    expect(r.sources).toHaveLength(p.sources.length);
    r.sources.forEach((s: any, j: number) => {
      expect(s.startOffset).toBe(offsetText(p.sources[j].startOffset));
      expect(s.endOffset).toBe(offsetText(p.sources[j].endOffset));
      expect(s.numInputRows).toBe(p.sources[j].numInputRows);
    });
  });

  // The observation sent from Python, for this application.
  const obs = records.filter((r) => r.name === 'observations');
  expect(run.result.observation).toMatchObject({ flushed: true, acked: 1 });
  expect(obs).toHaveLength(1);
  expect(obs[0]).toMatchObject({ appId: spark.appId, observationName: 'e2e.quality', numeric: run.result.observation.numeric, text: run.result.observation.text });

  // The golden format: field names and JSON types as in proto/golden (docs/kafka-records.md);
  // the fields the vectors mark optional (queries_ended.errorMessage: whether an execution
  // ends with an error depends on timing) may be there or not, everything else is strict.
  expect(formatProblems(records)).toEqual([]);
  console.log(`optional golden fields present on ${LINE_NAME} (records of each name that carry each): ${JSON.stringify(optionalFieldsPresent(records))}`);
  expect(typeof records.find((r) => r.name === 'stage_metrics')!.stageId).toBe('string');
  expect(typeof records.find((r) => r.name === 'task_metrics')!.stageId).toBe('number');
  expect(typeof records.find((r) => r.name === 'jobs_started')!.jobId).toBe('string');
}

function phaseTimes(lines: JobLine[]): Record<string, number> {
  const out: Record<string, number> = {};
  const phases = lines.filter((l) => l.kind === 'phase' || l.kind === 'result');
  phases.forEach((l, i) => {
    if (l.kind === 'phase' && phases[i + 1]) out[l.name] = +(phases[i + 1].t - l.t).toFixed(2);
  });
  return out;
}

// The client's outage handling (never connected, sidecar gone mid-job) is one source for every
// line's jar (libs/spark-listener/src): on the `core` line (the oldest) it skips, the newest
// line runs it, and fault-injection's PySpark scenarios run it again on the default venv.
const OUTAGES_SKIPPED = E2E_LEVEL === 'core' ? `${LINE_NAME}: outage handling is line-independent client code, run on the full line` : undefined;

describe('real PySpark -> listener -> sidecar -> Kafka', () => {
  // Order: each run judged for speed goes BEFORE its baseline, so warm-up effects (page
  // cache, the broker's JIT, Python imports) can only count against it, never for it.
  let unreachableRun: JobRun | undefined;
  let stageLevelRun: JobRun | undefined;
  let restartRun: JobRun | undefined;
  let fullRun: JobRun | undefined;

  it('sidecar never reachable: one clear warning, the losses are counted, spark.stop() is not held up', async (ctx) => {
    if (OUTAGES_SKIPPED) return ctx.skip(OUTAGES_SKIPPED);
    const port = await freePort(); // nothing listens there
    const run = (unreachableRun = await runJob('small_job.py', { app: 'e2e-unreachable', tasks: SMALL_TASKS, sparkwire: { endpoint: `127.0.0.1:${port}`, extended: true } }));
    const spark = sparkOf(run);
    const warnings = sparkwireWarnings(run.stderr);
    const summary = closeSummary(run.stderr);
    const stopS = run.lines.find((l) => l.kind === 'stopped')!.stop_s as number;
    console.log(
      `unreachable: ${run.result.work_s.toFixed(1)} s of work; spark.stop() ${stopS.toFixed(1)} s; ` +
        `close line ${JSON.stringify(summary)}; warnings:\n  ${warnings.join('\n  ')}`,
    );

    // spark.stop() waits at most ~2 s for a sidecar that never answered (FLUSH_CAP_NEVER_CONNECTED_MS).
    expect(stopS).toBeLessThan(6);

    // One clear warning while the job runs, naming the endpoint; retries are not logged again.
    const during = warnings.filter((l) => !l.includes(' closed: '));
    expect(during).toHaveLength(1);
    expect(during[0]).toContain(`cannot reach the sidecar at 127.0.0.1:${port}`);
    // The losses, at application end: nothing acknowledged, every event the listener built
    // (task events too: no sidecar ever said it does not want them) counted as undelivered.
    expect(summary).toMatchObject({ acked: 0, bufferFull: 0, unavailable: 0, rejected: 0, notBuilt: 0, undelivered: expectedListenerEvents(spark, true) });
    expect(warnings.filter((l) => l.includes(' closed: '))).toHaveLength(1);
  });

  it('stage-level mode (sidecar not extended, client asks for extended): no task records and no task events sent', async () => {
    const sidecar = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('stage-level'), extended: false });
    let stats: SidecarStats;
    try {
      stageLevelRun = await runJob('small_job.py', { app: 'e2e-stage-level', tasks: SMALL_TASKS, sparkwire: { endpoint: sidecar.address, extended: true } });
    } finally {
      stats = await sidecar.stop();
    }
    const run = stageLevelRun;
    const spark = sparkOf(run);
    const read = await readRecords(broker.bootstrap, topic('stage-level'), total(expectedRecords(spark, { extended: false })));
    console.log(`stage-level: ${run.result.work_s.toFixed(1)} s of work, ${taskAttempts(spark)} task attempts, ${read.raw.length} records`);

    expect(taskAttempts(spark)).toBeGreaterThanOrEqual(SMALL_TASKS);
    expect(read.records.filter((r) => r.name.startsWith('task'))).toEqual([]);
    expect(countByName(read.records)).toEqual(expectedRecords(spark, { extended: false }));
    expect(read.duplicates).toBe(0);
    // Not even sent: the sidecar received no task event, so it had none to filter.
    expect(stats.received.taskStart ?? 0).toBe(0);
    expect(stats.received.taskEnd ?? 0).toBe(0);
    expect(stats.filtered).toEqual({});
    // The client skipped building them: every TaskStart and TaskEnd, as its close line says;
    // its last ClientStats report (about once a second) says so too.
    const summary = closeSummary(run.stderr);
    expect(summary).toMatchObject({ notBuilt: 2 * taskAttempts(spark), bufferFull: 0, unavailable: 0, undelivered: 0 });
    const [client] = jvmClient(stats);
    expect(client.taskEventsSkipped).toBeGreaterThan(0);
    expect(client.taskEventsSkipped).toBeLessThanOrEqual(2 * taskAttempts(spark));
  });

  it('sidecar never reachable: the job ran at normal speed (same job as the stage-level run, only the endpoint differs)', (ctx) => {
    if (OUTAGES_SKIPPED) return ctx.skip(OUTAGES_SKIPPED);
    expect(unreachableRun && stageLevelRun, 'needs both runs above').toBeTruthy();
    const work = unreachableRun!.result.work_s as number;
    const base = stageLevelRun!.result.work_s as number;
    console.log(`unreachable vs sidecar up: ${work.toFixed(1)} s vs ${base.toFixed(1)} s of work (ratio ${(work / base).toFixed(3)})`);
    expect(work <= base * SLACK_RATIO || work - base <= SLACK_S, `work ${work.toFixed(1)} s vs baseline ${base.toFixed(1)} s`).toBe(true);
  });

  it('sidecar stopped in the middle of the job and restarted within the buffer: every event arrives', async (ctx) => {
    if (OUTAGES_SKIPPED) return ctx.skip(OUTAGES_SKIPPED);
    const port = await freePort();
    const first = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('restart'), extended: true, port });
    const statsAll: SidecarStats[] = [];
    let second: Sidecar | undefined;
    let outage: Promise<void> | undefined;
    const timeline: string[] = [];
    const t0 = Date.now();
    const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    let run: JobRun;
    try {
      run = await runJob(
        'full_job.py',
        { app: 'e2e-restart', tasks: TASKS, sparkwire: { endpoint: first.address, extended: true, labels: { suite: 'spark-e2e' }, flush_timeout_ms: FLUSH_TIMEOUT_MS } },
        (l) => {
          if (l.kind === 'phase') mark(`phase ${l.name}`);
          if (l.kind === 'phase' && l.name === 'tasks') {
            // Into the 20,000-task stage: stop the sidecar, leave it down 3 s, start it again on the same port.
            // Not before the first sidecar has received events: on a loaded machine the client may still be connecting.
            outage = (async () => {
              await waitFor('the first sidecar to receive events', async () => (await first.eventsReceived()) > 0, 60_000);
              mark('first sidecar receiving');
              await new Promise((r) => setTimeout(r, 2_000));
              mark('sidecar SIGTERM');
              statsAll.push(await first.stop());
              mark('sidecar stopped');
              await new Promise((r) => setTimeout(r, 3_000));
              second = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('restart'), extended: true, port });
              mark('sidecar restarted');
            })();
          }
        },
      );
      mark('job done');
      await outage;
    } finally {
      await outage?.catch(() => undefined);
      if (!second) await first.stop().catch(() => undefined);
      if (second) statsAll.push(await second.stop());
    }
    restartRun = run;
    const read = await readRecords(broker.bootstrap, topic('restart'), fullJobRecords(run));
    console.log(
      `restart: ${run.result.work_s.toFixed(1)} s of work; phases ${JSON.stringify(phaseTimes(run.lines))}; ` +
        `timeline ${timeline.join(', ')}; ${read.raw.length} records, ${read.duplicates} duplicates (same eventId and name) dropped`,
    );

    // The outage really was in the middle of the job: both sidecars received events.
    expect(statsAll).toHaveLength(2);
    expect(Object.values(statsAll[0].received).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Object.values(statsAll[1].received).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(statsAll[1].received.taskEnd ?? 0).toBeGreaterThan(0);

    // Spark's own counts are the oracle only if its listener bus dropped nothing (appStatus
    // feeds the REST API): a drop there is named here, not blamed on the records.
    const counters = run.result.listenerBus.counters as Record<string, number>;
    for (const [k, v] of Object.entries(counters)) if (k.endsWith('numDroppedEvents')) expect(v, k).toBe(0);
    // Every event arrived: exact counts again (after dropping repeats by eventId, as documented).
    checkFullJob(run, read);
    for (const s of statsAll) for (const c of jvmClient(s)) expect(c).toMatchObject({ droppedBufferFull: 0, droppedSidecarUnavailable: 0, sparkDroppedEvents: 0 });
    expect(closeSummary(run.stderr)).toMatchObject({ bufferFull: 0, unavailable: 0, rejected: 0, undelivered: 0 });
    // One warning for the outage, not one per reconnect attempt.
    expect(sparkwireWarnings(run.stderr).filter((l) => l.includes('stream to the sidecar'))).toHaveLength(1);
  });

  it(`full job (${TASKS.toLocaleString('en')} tasks, shuffle, retried task, SQL, streaming, observation), extended: Kafka holds exactly what Spark reports`, async () => {
    const sidecar = await startSidecar({ bootstrap: broker.bootstrap, topic: topic('full'), extended: true });
    let stats: SidecarStats;
    try {
      fullRun = await runJob('full_job.py', {
        app: 'e2e-full',
        tasks: TASKS,
        sparkwire: { endpoint: sidecar.address, extended: true, labels: { suite: 'spark-e2e' }, flush_timeout_ms: FLUSH_TIMEOUT_MS },
      });
    } finally {
      stats = await sidecar.stop();
    }
    const run = fullRun;
    const read = await readRecords(broker.bootstrap, topic('full'), fullJobRecords(run));
    console.log(`full job: ${run.result.work_s.toFixed(1)} s of work (${JSON.stringify(phaseTimes(run.lines))}), ${(run.wallMs / 1000).toFixed(1)} s process, ${read.raw.length} records`);

    checkFullJob(run, read);
    expect(read.duplicates).toBe(0);
    expect(read.records.every((r) => r.name === 'observations' || r.labels?.suite === 'spark-e2e')).toBe(true);

    // The sidecar received and published every event once; nothing filtered, refused or dropped.
    expect(stats.received).toEqual(stats.published);
    expect(stats.filtered).toEqual({});
    expect(stats.rejected).toEqual({});
    const [client] = jvmClient(stats);
    expect(client).toMatchObject({ droppedBufferFull: 0, droppedSidecarUnavailable: 0, sparkDroppedEvents: 0, taskEventsSkipped: 0 });
    const summary = closeSummary(run.stderr);
    expect(summary).toMatchObject({ clientId: client.clientId, bufferFull: 0, unavailable: 0, rejected: 0, notBuilt: 0, undelivered: 0 });
    // Every event the listener built was acknowledged: Spark's counts plus the streaming query's events.
    expect(summary.acked).toBe(expectedListenerEvents(sparkOf(run), true) + 2 + run.result.streaming.progress.length);

    // Spark's own listener bus at 20,000 tasks: the shared queue (where spark.extraListeners
    // run) dropped nothing, read from the driver's /metrics/json (LiveListenerBus source).
    const counters = run.result.listenerBus.counters as Record<string, number>;
    expect(counters['queue.shared.numDroppedEvents']).toBe(0);
    for (const [k, v] of Object.entries(counters)) if (k.endsWith('numDroppedEvents')) expect(v, k).toBe(0);
    expect(run.stderr).not.toMatch(/Dropping event from queue/);
    expect(run.result.listenerBus.timers['listenerProcessingTime.io.sparkwire.spark.SparkwireListener']?.count).toBeGreaterThanOrEqual(2 * TASKS);
  });

  it("sidecar stopped and restarted mid-job: Spark's listener thread is not held up (vs the same job with the sidecar up)", (ctx) => {
    if (OUTAGES_SKIPPED) return ctx.skip(OUTAGES_SKIPPED);
    expect(restartRun && fullRun, 'needs both runs above').toBeTruthy();
    const work = restartRun!.result.work_s as number;
    const base = fullRun!.result.work_s as number;
    // Spark's own timer of the listener's callbacks (Codahale, milliseconds): a listener that
    // waited for the sidecar during the outage would show it here (and in dropped events, checked
    // above), whatever the machine's speed. The job's wall time is logged, not asserted: on these
    // 2 cores it also carries the CPU of the restarted sidecar catching up with the backlog beside
    // the tasks (+29% on a slow day, 2026-12-02), which is the benchmarks' business.
    const timer = (r: JobRun) => (r.result.listenerBus.timers as Record<string, { count: number; mean: number; p99: number }>)['listenerProcessingTime.io.sparkwire.spark.SparkwireListener'];
    const during = timer(restartRun!);
    const up = timer(fullRun!);
    console.log(`restart vs sidecar up: ${work.toFixed(1)} s vs ${base.toFixed(1)} s of work (ratio ${(work / base).toFixed(3)}); listener callback mean ${during.mean.toFixed(4)} vs ${up.mean.toFixed(4)} ms, p99 ${during.p99.toFixed(4)} vs ${up.p99.toFixed(4)} ms`);
    expect(during.count).toBeGreaterThanOrEqual(2 * TASKS);
    // The additive floor is for means of a few tens of microseconds, where a busy machine alone
    // moves them by 10 us (0.0334 against 0.0232 ms failed the old +0.01 floor, 2026-12-03): a
    // callback that waited for the sidecar costs milliseconds, so 1% of them held up for 5 ms
    // already passes +0.05.
    expect(during.mean, 'mean callback time (ms) during the outage run').toBeLessThanOrEqual(Math.max(3 * up.mean, up.mean + 0.05));
  });
});
