import { describe, expect, it } from 'vitest';
import { SparkEvent } from '@sparkwire/proto';
import { protobufEncoder, sparkMeasureJsonEncoder } from '@sparkwire/encoding';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport, decodeValue, formatBytes, formatDuration, prettyPrintValue, stageMetricsText, type SmRecord } from './index';

describe('sparkMeasure formatting (Utils.formatDuration / formatBytes / prettyPrintValues)', () => {
  it('formats durations as sparkMeasure does', () => {
    expect([0, 45, 99, 100, 449, 950, 999, 1000, 1499, 1500, 59_499, 60_000, 72_000, 599_999, 600_000, 3_540_000, 3_600_000, 5_400_000].map(formatDuration)).toEqual([
      '0 ms', '45 ms', '99 ms', '0.1 s', '0.4 s', '1.0 s', '1.0 s', '1 s', '1 s', '2 s', '59 s', '1.0 min', '1.2 min', '10.0 min', '10 min', '59 min', '1.0 h', '1.5 h',
    ]);
  });
  it('formats bytes with sparkMeasure integer divisions', () => {
    expect([0, 472, 2047, 2048, 16091, 53323939, 97044360, 3 * 1024 ** 3, 5 * 1024 ** 4].map(formatBytes)).toEqual([
      '0 Bytes', '472 Bytes', '2047 Bytes', '2.0 KB', '15.0 KB', '50.0 MB', '92.0 MB', '3.0 GB', '5.0 TB',
    ]);
  });
  it('picks the unit from the metric name', () => {
    expect(prettyPrintValue('numTasks', 17)).toBe('numTasks => 17');
    expect(prettyPrintValue('elapsedTime', 1291)).toBe('elapsedTime => 1291 (1 s)');
    expect(prettyPrintValue('resultSize', 16091)).toBe('resultSize => 16091 (15.0 KB)');
    expect(prettyPrintValue('peakExecutionMemory', 0)).toBe('peakExecutionMemory => 0');
    expect(prettyPrintValue('Stage 0 duration', 593)).toBe('Stage 0 duration => 593 (0.6 s)');
  });
});

const golden = join(import.meta.dirname, '../../../proto/golden');
function goldenEvents(): SparkEvent[] {
  return readdirSync(golden)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => SparkEvent.fromJSON(JSON.parse(readFileSync(join(golden, f), 'utf8')).event));
}

describe('decodeValue', () => {
  it('gives the same records from the json and the protobuf encoding of every golden event', () => {
    for (const ev of goldenEvents()) {
      const fromJson = sparkMeasureJsonEncoder.encode(ev).flatMap((v) => decodeValue(Buffer.from(v as string)).records);
      const fromProto = protobufEncoder.encode(ev).flatMap((v) => decodeValue(v as Buffer));
      expect(fromProto.every((d) => d.encoding === 'protobuf')).toBe(true);
      expect(fromProto.flatMap((d) => d.records)).toEqual(fromJson);
    }
  });
  it('rejects garbage with a DecodeError', () => {
    expect(() => decodeValue(Buffer.from('{not json'))).toThrow(/not a JSON record/);
    expect(() => decodeValue(Buffer.from([0xff, 0xff, 0xff]))).toThrow(/neither/);
  });
});

const stage = (id: number, sub: number, done: number, m: Partial<Record<string, number>>): SmRecord => ({
  name: 'stage_metrics', appId: 'app-1', eventId: `s${id}`, stageId: String(id), attemptNumber: 0, submissionTime: sub, completionTime: done,
  stageDuration: done - sub, numTasks: 4, jobId: '0', stageName: `count at x.py:${id}`, failureReason: '', ...m,
});

describe('buildReport', () => {
  const records: SmRecord[] = [
    { name: 'applications_started', appId: 'app-1', eventId: 'a', appName: 'etl', startTime: 900 },
    { name: 'jobs_started', appId: 'app-1', eventId: 'j0', jobId: '0', startTime: 990, stageIds: [0, 1], description: 'count' },
    { name: 'jobs_ended', appId: 'app-1', eventId: 'j0e', jobId: '0', completionTime: 3100, jobResult: 'JobSucceeded' },
    stage(0, 1000, 2000, { executorRunTime: 1500, executorCpuTime: 1_234_999_999, shuffleWriteTime: 5_500_000, resultSize: 2000, peakExecutionMemory: 10, bytesRead: 3000 }),
    stage(1, 2100, 3000, { executorRunTime: 700, executorCpuTime: 600_000_000, shuffleWriteTime: 1_999_999, resultSize: 5000, peakExecutionMemory: 5, bytesRead: 1000 }),
    stage(1, 2100, 3000, {}), // a repeat (same eventId): dropped
    { name: 'stage_metrics', appId: 'other', eventId: 'x', stageId: '9', numTasks: 100 },
    ...[10, 20, 30, 400].map((d, i) => ({ name: 'task_metrics', appId: 'app-1', eventId: `t${i}`, taskId: i, stageId: 0, stageAttemptId: 0, duration: d, executorId: '0', host: 'h', successful: true }) as SmRecord),
  ];
  const r = buildReport('app-1', records, { slowest: 2 });
  it('aggregates as sparkMeasure: sums, max(resultSize), elapsedTime, ns -> ms per stage', () => {
    expect(r.duplicates).toBe(1);
    expect(r.aggregated.numStages).toBe(2);
    expect(r.aggregated.numTasks).toBe(8);
    expect(r.aggregated.elapsedTime).toBe(2000);
    expect(r.aggregated.stageDuration).toBe(1900);
    expect(r.aggregated.executorRunTime).toBe(2200);
    expect(r.aggregated.executorCpuTime).toBe(1234 + 600);
    expect(r.aggregated.shuffleWriteTime).toBe(5 + 1);
    expect(r.aggregated.resultSize).toBe(5000);
    expect(r.aggregated.peakExecutionMemory).toBe(15);
    expect(r.aggregated.bytesRead).toBe(4000);
    expect(r.appName).toBe('etl');
    expect(r.jobs).toMatchObject([{ jobId: 0, durationMs: 2110, result: 'JobSucceeded', numTasks: 8 }]);
  });
  it('finds task skew and the slowest tasks', () => {
    expect(r.tasks!.skew).toEqual([{ stageId: 0, stageAttemptId: 0, tasks: 4, medianMs: 25, maxMs: 400, ratio: 16, slowestTaskId: 3 }]);
    expect(r.tasks!.slowest.map((t) => t.taskId)).toEqual([3, 2]);
  });
  it('prints the sparkMeasure lines in its order', () => {
    const text = stageMetricsText(r).split('\n');
    expect(text.slice(0, 5)).toEqual(['Aggregated Spark stage metrics:', 'numStages => 2', 'numTasks => 8', 'elapsedTime => 2000 (2 s)', 'stageDuration => 1900 (2 s)']);
    expect(text).toContain('executorCpuTime => 1834 (2 s)');
    expect(text).toContain('resultSize => 5000 (4.0 KB)');
    expect(text).toContain('shuffleRecordsWritten => 0');
    expect(text.slice(-4)).toEqual(['Stages and their duration:', 'Stage 0 duration => 1000 (1 s)', 'Stage 1 duration => 900 (0.9 s)', '']);
  });
});
