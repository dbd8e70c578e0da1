// The mapping, on a real event log (fixtures/plain: PySpark 4 local[2,4], map tasks, a shuffle,
// a task that fails once, SQL, a short streaming query), field by field where the log allows
// an independent check.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encoderFor } from '@sparkwire/encoding';
import { SparkEvent } from '@sparkwire/proto';
import { EventLogMapper, mapEventLog, newStats, parseLine, replayEventId, resolveLogs, SPARK_CONFIG_ALLOW_LIST, stageMetrics, taskMetrics } from '../src/index';
import { fixture, plainEventsFile } from './fixtures';

const lines = readFileSync(plainEventsFile(), 'utf8').split('\n').filter((l) => l.trim() !== '');
const raw = lines.map((l) => parseLine(l));

async function mapAll(path: string) {
  const [src] = resolveLogs([path]);
  const stats = newStats();
  const events: SparkEvent[] = [];
  for await (const b of mapEventLog(src, stats, { batchSize: 7 })) events.push(...b);
  return { events, stats };
}

const count = (name: string) => raw.filter((e) => e.Event === name).length;
const kinds = (events: SparkEvent[], k: string) => events.filter((e) => e.body?.$case === k);

describe('event log -> sparkwire.v1 events', () => {
  it('maps every carried event once, counts the rest as skipped', async () => {
    const { events, stats } = await mapAll(fixture('plain'));
    expect(stats.read).toBe(lines.length);
    expect(stats.badLines).toBe(0);
    const expected: Record<string, string> = {
      SparkListenerApplicationStart: 'applicationStart',
      SparkListenerApplicationEnd: 'applicationEnd',
      SparkListenerJobStart: 'jobStart',
      SparkListenerJobEnd: 'jobEnd',
      SparkListenerStageSubmitted: 'stageSubmitted',
      SparkListenerStageCompleted: 'stageCompleted',
      SparkListenerTaskStart: 'taskStart',
      SparkListenerTaskEnd: 'taskEnd',
      SparkListenerExecutorAdded: 'executorAdded',
      'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart': 'sqlExecutionStart',
      'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd': 'sqlExecutionEnd',
      'org.apache.spark.sql.streaming.StreamingQueryListener$QueryStartedEvent': 'streamingQueryStarted',
      'org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent': 'streamingProgress',
      'org.apache.spark.sql.streaming.StreamingQueryListener$QueryTerminatedEvent': 'streamingQueryTerminated',
    };
    for (const [sparkName, k] of Object.entries(expected)) {
      expect(count(sparkName), sparkName).toBeGreaterThan(0);
      expect(kinds(events, k).length, k).toBe(count(sparkName));
    }
    expect(events.length).toBe(stats.mapped);
    const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
    expect(stats.mapped + skipped + stats.context).toBe(lines.length);
    expect(stats.skipped.SparkListenerBlockManagerAdded).toBe(count('SparkListenerBlockManagerAdded'));
    expect(stats.context).toBe(2); // LogStart, EnvironmentUpdate
  });

  it('gives deterministic, unique ids from (app, attempt, position) and the envelope to every event', async () => {
    const a = await mapAll(fixture('plain'));
    const b = await mapAll(fixture('plain'));
    expect(a.events.map((e) => e.eventId)).toEqual(b.events.map((e) => e.eventId));
    expect(new Set(a.events.map((e) => e.eventId)).size).toBe(a.events.length);
    const start = raw.find((e) => e.Event === 'SparkListenerApplicationStart')!;
    for (const e of a.events) {
      expect(e.appId).toBe(start['App ID']);
      expect(e.appName).toBe(start['App Name']);
      expect(e.appAttemptId).toBe('');
      expect(e.emittedTimeMs).toBe(0n);
      expect(e.eventTimeMs).toBeGreaterThan(0n);
    }
    // The executor Spark logs before ApplicationStart gets the application's envelope too.
    const exec = kinds(a.events, 'executorAdded')[0];
    const pos = raw.findIndex((e) => e.Event === 'SparkListenerExecutorAdded');
    expect(exec.eventId).toBe(replayEventId(start['App ID'], '', pos));
    // Log order is kept.
    const positions = a.events.map((e) => Number(e.eventId.split(':').pop()));
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
  });

  it('application start and end: version, user, allow-listed configs, totals counted like the listener', async () => {
    const { events } = await mapAll(fixture('plain'));
    const s = kinds(events, 'applicationStart')[0].body!.value as any;
    const env = raw.find((e) => e.Event === 'SparkListenerEnvironmentUpdate')!['Spark Properties'];
    expect(s.sparkVersion).toBe(raw[0]['Spark Version']);
    expect(s.sparkUser).toBe(raw.find((e) => e.Event === 'SparkListenerApplicationStart')!.User);
    expect(s.sparkConfigs['spark.master']).toBe(env['spark.master']);
    expect(s.sparkConfigs['spark.sql.shuffle.partitions']).toBe('2');
    expect(Object.keys(s.sparkConfigs)).not.toContain('spark.driver.extraJavaOptions');
    const end = kinds(events, 'applicationEnd')[0].body!.value as any;
    const taskEnds = raw.filter((e) => e.Event === 'SparkListenerTaskEnd');
    expect(end.totalTaskCount).toBe(BigInt(taskEnds.length));
    expect(end.numTaskFailed).toBe(BigInt(taskEnds.filter((t) => t['Task End Reason'].Reason !== 'Success').length));
    expect(end.numTaskFailed).toBe(1n);
    expect(end.totalJobsCompleted).toBe(BigInt(count('SparkListenerJobEnd')));
    expect(end.numStagesCompleted).toBe(BigInt(count('SparkListenerStageCompleted')));
    expect(end.startTimeMs).toBe(s.startTimeMs);
    expect(end.exitCode).toBe(0);
    expect(end.sparkConfigs).toEqual(s.sparkConfigs);
  });

  it('jobs, stages and their job ids; SQL execution ids on SQL jobs', async () => {
    const { events } = await mapAll(fixture('plain'));
    const jobs = kinds(events, 'jobStart').map((e) => e.body!.value as any);
    expect(jobs.some((j) => j.sqlExecutionId !== undefined)).toBe(true);
    for (const e of kinds(events, 'stageSubmitted')) {
      const v = e.body!.value as any;
      const job = jobs.find((j) => j.stageIds.includes(v.stage.stageId));
      expect(v.jobId).toBe(job?.jobId);
      expect(e.eventTimeMs).toBe(v.stage.submissionTimeMs);
      expect(v.stage.name).not.toBe('');
    }
    for (const e of kinds(events, 'jobEnd')) expect((e.body!.value as any).result).toBe(1);
  });

  it('stage metrics (from the stage accumulators) equal the sums of its tasks\' metrics', async () => {
    const { events } = await mapAll(fixture('plain'));
    const tasks = kinds(events, 'taskEnd').map((e) => e.body!.value as any);
    let checked = 0;
    for (const e of kinds(events, 'stageCompleted')) {
      const v = e.body!.value as any;
      const mine = tasks.filter((t) => t.stageId === v.stage.stageId && t.stageAttemptId === v.stage.attemptNumber && t.metrics);
      for (const k of ['executorRunTimeMs', 'executorCpuTimeNs', 'resultSize', 'recordsRead', 'shuffleBytesWritten', 'shuffleRecordsRead', 'shuffleTotalBytesRead', 'jvmGcTimeMs']) {
        expect(v.metrics[k], `stage ${v.stage.stageId} ${k}`).toBe(mine.reduce((n: bigint, t: any) => n + t.metrics[k], 0n));
      }
      checked++;
    }
    expect(checked).toBe(count('SparkListenerStageCompleted'));
    expect(kinds(events, 'stageCompleted').some((e) => (e.body!.value as any).metrics.shuffleBytesWritten > 0n)).toBe(true);
  });

  it('tasks: info, metrics and the failed attempt\'s reason and message', async () => {
    const { events } = await mapAll(fixture('plain'));
    const ends = kinds(events, 'taskEnd').map((e) => e.body!.value as any);
    const failed = ends.filter((t) => t.reason !== 'Success');
    expect(failed.length).toBe(1);
    expect(failed[0].reason).toBe('ExceptionFailure');
    expect(failed[0].info.failed).toBe(true);
    expect(failed[0].reasonMessage).toMatch(/^org\.apache\.spark\.api\.python\.PythonException: Traceback/);
    expect(failed[0].reasonMessage).toContain('injected failure of the first attempt');
    expect(failed[0].reasonMessage.length).toBeLessThanOrEqual(4096 + 3);
    const retry = ends.find((t) => t.stageId === failed[0].stageId && t.info.index === failed[0].info.index && t.reason === 'Success');
    expect(retry.info.attemptNumber).toBe(1);
    for (const t of ends) {
      expect(t.info.finishTimeMs).toBeGreaterThanOrEqual(t.info.launchTimeMs);
      expect([1, 5]).toContain(t.info.locality); // PROCESS_LOCAL or ANY in local mode
      expect(['ResultTask', 'ShuffleMapTask']).toContain(t.taskType);
    }
    const first = raw.find((e) => e.Event === 'SparkListenerTaskEnd' && e['Task End Reason'].Reason === 'Success')!;
    const m = taskMetrics(first['Task Metrics']);
    expect(m.executorRunTimeMs).toBe(BigInt(first['Task Metrics']['Executor Run Time']));
    expect(m.executorDeserializeCpuTimeNs).toBe(BigInt(first['Task Metrics']['Executor Deserialize CPU Time']));
    expect(m.recordsRead).toBe(BigInt(first['Task Metrics']['Input Metrics']['Records Read']));
    const starts = kinds(events, 'taskStart');
    for (const s of starts) expect(s.eventTimeMs).toBe((s.body!.value as any).info.launchTimeMs);
  });

  it('SQL executions and streaming queries', async () => {
    const { events } = await mapAll(fixture('plain'));
    const sql = kinds(events, 'sqlExecutionStart').map((e) => e.body!.value as any);
    expect(sql[0].executionId).toBe(0n);
    expect(sql[0].rootExecutionId).toBe(0n);
    expect(sql[0].description).not.toBe('');
    for (const e of kinds(events, 'sqlExecutionEnd')) expect((e.body!.value as any).errorMessage).toBe('');
    const started = kinds(events, 'streamingQueryStarted')[0].body!.value as any;
    expect(started.name).toBe('replay_rates');
    const progress = kinds(events, 'streamingProgress').map((e) => e.body!.value as any);
    const rawProgress = raw.filter((e) => e.Event.endsWith('QueryProgressEvent')).map((e) => e.progress);
    progress.forEach((p, i) => {
      expect(p.id).toBe(started.id);
      expect(p.runId).toBe(started.runId);
      expect(p.batchId).toBe(BigInt(rawProgress[i].batchId));
      expect(p.numInputRows).toBe(BigInt(rawProgress[i].sources.reduce((n: number, s: any) => n + s.numInputRows, 0)));
      expect(p.durationMs.triggerExecution).toBe(BigInt(rawProgress[i].durationMs.triggerExecution));
      expect(p.sources[0].endOffset).toBe(String(rawProgress[i].sources[0].endOffset));
      expect(p.sink.description).toBe('MemorySink');
    });
    expect(progress.some((p) => p.numInputRows > 0n)).toBe(true);
    const term = kinds(events, 'streamingQueryTerminated')[0].body!.value as any;
    expect(term.exception).toBe('');
  });

  it('every mapped event encodes (sparkMeasure JSON and protobuf, round trip)', async () => {
    const { events } = await mapAll(fixture('plain'));
    const json = encoderFor('json');
    for (const e of events) {
      const recs = json.encode(e);
      expect(recs.length).toBeGreaterThan(0);
      for (const r of recs) expect(JSON.parse(String(r)).eventId).toBe(e.eventId);
      expect(SparkEvent.decode(SparkEvent.encode(e).finish())).toEqual(e);
    }
  });

  it('keeps longs above 2^53 exact and leaves unknown events skipped', () => {
    const big = '9007199254740993123';
    const e = parseLine(`{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":1,"Stage Attempt ID":0,"Stage Name":"x","Number of Tasks":1,"Accumulables":[{"Name":"internal.metrics.executorCpuTime","Value":${big}}]}}`);
    expect(stageMetrics(e['Stage Info'].Accumulables).executorCpuTimeNs).toBe(BigInt(big));
    expect(parseLine('{"Event":"x","s":"12345678901234567890"}').s).toBe('12345678901234567890');
    const m = new EventLogMapper('app-1');
    expect(m.map({ Event: 'SparkListenerBlockUpdated' }, 0)).toBe('skipped');
    expect(m.map({ Event: 'SparkListenerUnpersistRDD' }, 1)).toBe('skipped');
  });

  it('a log without ApplicationStart takes the app id from the file name', () => {
    const m = new EventLogMapper('app-from-name');
    expect(m.map({ Event: 'SparkListenerJobStart', 'Job ID': 3, 'Submission Time': 5, 'Stage IDs': [1] }, 7)).toEqual([]);
    const [e] = m.finish();
    expect(e.appId).toBe('app-from-name');
    expect(e.eventId).toBe('evlog:app-from-name:-:7');
  });

  it('failures and removals: job, stage, killed task, removed executors, counted in the totals', () => {
    const m = new EventLogMapper();
    const at = (e: Record<string, unknown>, i: number) => m.map(e, i) as SparkEvent[];
    at({ Event: 'SparkListenerApplicationStart', 'App Name': 'a', 'App ID': 'app-9', 'App Attempt ID': '2', Timestamp: 100, User: 'u' }, 0);
    at({ Event: 'SparkListenerJobStart', 'Job ID': 1, 'Submission Time': 110, 'Stage IDs': [3], Properties: { 'spark.jobGroup.id': 'g', 'spark.job.description': 'd' } }, 1);
    const [stage] = at({ Event: 'SparkListenerStageCompleted', 'Stage Info': { 'Stage ID': 3, 'Stage Attempt ID': 0, 'Stage Name': 's', 'Number of Tasks': 1, 'Parent IDs': [1, 2], 'Submission Time': 111, 'Completion Time': 120, 'Failure Reason': 'boom', Accumulables: [] } }, 2);
    const [task] = at({ Event: 'SparkListenerTaskEnd', 'Stage ID': 3, 'Stage Attempt ID': 0, 'Task Type': 'ResultTask', 'Task End Reason': { Reason: 'TaskKilled', 'Kill Reason': 'stage cancelled' }, 'Task Info': { 'Task ID': 5, Index: 0, Attempt: 0, 'Partition ID': 0, 'Launch Time': 112, 'Finish Time': 119, 'Executor ID': '1', Host: 'h', Locality: 'NODE_LOCAL', Speculative: true, Failed: false, Killed: true } }, 3);
    const [job] = at({ Event: 'SparkListenerJobEnd', 'Job ID': 1, 'Completion Time': 121, 'Job Result': { Result: 'JobFailed', Exception: { Message: 'Job aborted due to stage failure' } } }, 4);
    const [rm] = at({ Event: 'SparkListenerExecutorRemoved', Timestamp: 122, 'Executor ID': '1', 'Removed Reason': 'Executor killed by driver.' }, 5);
    at({ Event: 'SparkListenerExecutorRemoved', Timestamp: 123, 'Executor ID': '2', 'Removed Reason': 'Container exited with code 137' }, 6);
    const [end] = at({ Event: 'SparkListenerApplicationEnd', Timestamp: 130 }, 7);
    expect(stage.body).toMatchObject({ $case: 'stageCompleted', value: { jobId: 1, stage: { failureReason: 'boom', parentIds: [1, 2], submissionTimeMs: 111n, completionTimeMs: 120n } } });
    expect(stage.eventId).toBe('evlog:app-9:2:2');
    expect(stage.appAttemptId).toBe('2');
    expect(task.body).toMatchObject({ value: { reason: 'TaskKilled', reasonMessage: 'TaskKilled (stage cancelled)', metrics: undefined, info: { killed: true, speculative: true, locality: 2 } } });
    expect(job.body).toMatchObject({ value: { result: 2, failureReason: 'Job aborted due to stage failure' } });
    expect(rm.body).toMatchObject({ $case: 'executorRemoved', value: { executorId: '1', reason: 'Executor killed by driver.' } });
    expect(end.body!.value).toMatchObject({ executorsKilled: 1n, executorsFailed: 1n, failedJobsCount: 1n, numFailedStages: 1n, numTaskKilled: 1n, numTaskFailed: 0n, totalTaskCount: 1n, exitCode: undefined, completionTimeMs: 130n, startTimeMs: 100n });
  });

  it('failure reasons as Spark\'s toErrorString writes them', async () => {
    const { reasonMessage } = await import('../src/mapper');
    expect(reasonMessage({ Reason: 'TaskKilled', 'Kill Reason': 'another attempt succeeded' })).toBe('TaskKilled (another attempt succeeded)');
    expect(reasonMessage({ Reason: 'ExecutorLostFailure', 'Executor ID': '3', 'Exit Caused By App': true, 'Loss Reason': 'Container killed' })).toBe('ExecutorLostFailure (executor 3 exited caused by one of the running tasks) Reason: Container killed');
    expect(reasonMessage({ Reason: 'FetchFailed', 'Block Manager Address': { 'Executor ID': '1', Host: 'h', Port: 7 }, 'Shuffle ID': 0, 'Map ID': 5, 'Map Index': 2, 'Reduce ID': 1, Message: 'boom' })).toBe(
      'FetchFailed(BlockManagerId(1, h, 7, None), shuffleId=0, mapIndex=2, mapId=5, reduceId=1, message=\nboom\n)',
    );
    expect(reasonMessage({ Reason: 'Success' })).toBe('');
  });
});

describe('sparkMeasure drop-in: replayed logs as the listener', () => {
  it('allow-list: the listener\'s keys, every key of sparkMeasure V2\'s list (the JVM test fixture) and five safe extras', () => {
    // The JVM listener's test fixture holds sparkMeasure V2's list, copied from its source (see its header).
    const fixtureFile = new URL('../../spark-listener/src/test/resources/sparkmeasure-v2-sparkconfigs-allowlist.txt', import.meta.url);
    const v2 = readFileSync(fixtureFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(v2).toHaveLength(61);
    expect(SPARK_CONFIG_ALLOW_LIST).toEqual(['spark.app.name', 'spark.master', 'spark.submit.deployMode', 'spark.task.cpus', 'spark.scheduler.mode', ...v2]);
  });

  it('labels: spark.sparkmeasure.appLabels.<k> when spark.sparkwire.labels.<k> is absent', () => {
    const m = new EventLogMapper('app-x');
    m.map({ Event: 'SparkListenerEnvironmentUpdate', 'Spark Properties': { 'spark.sparkmeasure.appLabels.team': 'sm', 'spark.sparkmeasure.appLabels.env': 'prod', 'spark.sparkwire.labels.team': 'sw' } }, 1);
    const out = m.map({ Event: 'SparkListenerApplicationStart', 'App Name': 'a', 'App ID': 'app-x', Timestamp: 1, User: 'u' }, 2) as SparkEvent[];
    expect(out[0].labels).toEqual({ env: 'prod', team: 'sw' });
  });
});
