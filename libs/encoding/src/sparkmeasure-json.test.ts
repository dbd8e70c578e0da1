import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SparkEvent } from '@sparkwire/proto';
import { syntheticApplication } from '@sparkwire/synthetic';
import { protobufEncoder, sparkMeasureJsonEncoder, toSparkMeasureRecords } from './index';

const goldenDir = resolve(import.meta.dirname, '../../../proto/golden');

describe('golden vectors (proto/golden)', () => {
  const files = readdirSync(goldenDir).filter((f) => f.endsWith('.json'));
  it('cover every event body', () => {
    const cases = new Set(files.map((f) => JSON.parse(readFileSync(join(goldenDir, f), 'utf8')).event).map((e) => Object.keys(e).find((k) => !['eventId', 'appId', 'appName', 'appAttemptId', 'eventTimeMs', 'emittedTimeMs', 'labels'].includes(k))));
    expect([...cases].sort()).toEqual(
      ['applicationEnd', 'applicationStart', 'executorAdded', 'executorRemoved', 'jobEnd', 'jobStart', 'observation', 'sqlExecutionEnd', 'sqlExecutionStart', 'stageCompleted', 'stageSubmitted', 'streamingProgress', 'streamingQueryStarted', 'streamingQueryTerminated', 'taskEnd', 'taskStart'].sort(),
    );
  });
  for (const f of files) {
    it(`${f}: event in gives exactly the records out`, () => {
      const g = JSON.parse(readFileSync(join(goldenDir, f), 'utf8'));
      const ev = SparkEvent.fromJSON(g.event);
      expect(toSparkMeasureRecords(ev)).toEqual(g.records);
      // The wire form is compact JSON, one object per record.
      const lines = sparkMeasureJsonEncoder.encode(ev) as string[];
      expect(lines.map((l) => JSON.parse(l))).toEqual(g.records);
      for (const l of lines) expect(l).not.toContain('\n');
    });
  }
});

// sparkMeasure's field names and JSON types, from its KafkaSink/KafkaSinkExtended/V2
// sources (../shared/reference/sparkmeasure-kafkasink-format.md). Independent of the encoder.
const METRICS = 'executorRunTime executorCpuTime executorDeserializeCpuTime executorDeserializeTime jvmGCTime memoryBytesSpilled peakExecutionMemory resultSerializationTime resultSize bytesRead recordsRead bytesWritten recordsWritten shuffleTotalBytesRead shuffleRemoteBytesRead shuffleRemoteBytesReadToDisk shuffleLocalBytesRead shuffleTotalBlocksFetched shuffleLocalBlocksFetched shuffleRemoteBlocksFetched shuffleRecordsRead shuffleFetchWaitTime shuffleBytesWritten shuffleRecordsWritten shuffleWriteTime'.split(' ');
const num = 'number';
const str = 'string';
const bool = 'boolean';
const SPEC: Record<string, Record<string, string>> = {
  executors_started: { executorId: str, host: str, totalCores: num, startTime: num },
  stages_started: { stageId: str, attemptNumber: num, submissionTime: num },
  stages_ended: { stageId: str, attemptNumber: num, submissionTime: num, completionTime: num },
  stage_metrics: { stageId: str, attemptNumber: num, submissionTime: num, completionTime: num, failureReason: str, ...Object.fromEntries(METRICS.map((m) => [m, num])) },
  queries_started: { queryId: str, description: str, startTime: num },
  queries_ended: { queryId: str, endTime: num },
  jobs_started: { jobId: str, startTime: num },
  jobs_ended: { jobId: str, completionTime: num },
  applications_started: { appName: str, startTime: num },
  applications_ended: Object.fromEntries(
    'appName:s startTime completionTime duration executorsFailed executorsKilled totalJobsCompleted succeededJobsCount failedJobsCount numStagesCompleted numSucceededStages numFailedStages totalTaskCount numTaskFailed numTaskKilled'
      .split(' ')
      .map((f) => (f.endsWith(':s') ? [f.slice(0, -2), str] : [f, num])),
  ),
  tasks_started: { taskId: num, attemptNumber: num, stageId: num, launchTime: num },
  tasks_ended: { taskId: num, attemptNumber: num, stageId: num, launchTime: num, finishTime: num },
  task_metrics: {
    taskId: num, attemptNumber: num, stageId: num, launchTime: num, finishTime: num,
    failed: bool, speculative: bool, killed: bool, finished: bool, successful: bool,
    executorId: str, duration: num, host: str, taskLocality: num,
  },
};

describe('sparkMeasure field names and types', () => {
  const events = syntheticApplication({ appId: 'app-1', stagesPerJob: [2, 1], tasksPerStage: 3, executors: 2, sqlExecutions: 1, failedTasks: 1, streamingProgress: 1 });
  const records = events.flatMap((e) => toSparkMeasureRecords(e));

  for (const [name, fields] of Object.entries(SPEC)) {
    it(`${name} carries sparkMeasure's envelope and fields with its types`, () => {
      const mine = records.filter((r) => r.name === name);
      expect(mine.length).toBeGreaterThan(0);
      for (const r of mine) {
        expect(typeof r.appId).toBe(str);
        expect(typeof r.epochMillis).toBe(num);
        for (const [f, t] of Object.entries(fields)) {
          expect(typeof r[f], `${name}.${f}`).toBe(t);
        }
      }
    });
  }

  it('task_metrics carries the stage metrics minus shuffleRemoteBytesReadToDisk, only when Spark gave metrics', () => {
    const tm = records.filter((r) => r.name === 'task_metrics');
    const ok = tm.filter((r) => r.successful);
    const failed = tm.filter((r) => !r.successful);
    expect(failed).toHaveLength(1);
    for (const r of ok) {
      for (const m of METRICS.filter((x) => x !== 'shuffleRemoteBytesReadToDisk')) expect(typeof r[m], m).toBe(num);
      expect(r).not.toHaveProperty('shuffleRemoteBytesReadToDisk');
    }
    expect(failed[0]).not.toHaveProperty('executorRunTime');
    expect(failed[0].failed).toBe(true);
  });

  it('stage and task ends become two records each, other events one', () => {
    const stageEnds = events.filter((e) => e.body?.$case === 'stageCompleted').length;
    expect(records.filter((r) => r.name === 'stages_ended')).toHaveLength(stageEnds);
    expect(records.filter((r) => r.name === 'stage_metrics')).toHaveLength(stageEnds);
    const taskEnds = events.filter((e) => e.body?.$case === 'taskEnd').length;
    expect(records.filter((r) => r.name === 'task_metrics')).toHaveLength(taskEnds);
  });

  it('adds appName, labels and eventId to every record', () => {
    for (const r of records) {
      expect(r.eventId).toMatch(/^app-1-\d+$/);
      expect(typeof r.appName).toBe(str);
      expect(typeof r.labels).toBe('object');
    }
  });
});

describe('protobuf encoding', () => {
  it('round-trips a SparkEvent', () => {
    const ev = syntheticApplication({ appId: 'app-2', stagesPerJob: [1], tasksPerStage: 1, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0 })[4];
    const [bytes] = protobufEncoder.encode(ev) as Buffer[];
    expect(SparkEvent.decode(bytes)).toEqual(ev);
  });
});

describe('direct task JSON', () => {
  it('parses to exactly the object records, for every task event kind', () => {
    const events = syntheticApplication({ appId: 'app-"q"', stagesPerJob: [2], tasksPerStage: 30, executors: 3, sqlExecutions: 0, failedTasks: 2, streamingProgress: 0, labels: { 'te"am': 'a\nb' } });
    let n = 0;
    for (const ev of events) {
      const lines = sparkMeasureJsonEncoder.encode(ev) as string[];
      expect(lines.map((l) => JSON.parse(l))).toEqual(toSparkMeasureRecords(ev));
      if (ev.body?.$case === 'taskEnd' || ev.body?.$case === 'taskStart') n++;
    }
    expect(n).toBeGreaterThan(60);
  });
});
