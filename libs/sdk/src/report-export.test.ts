// The report library is part of the SDK for embedding users: records in, sparkMeasure's report out.
import { describe, expect, it } from 'vitest';
import { report } from './index';

describe('sdk report', () => {
  it('aggregates records read back by the embedding program', () => {
    const r = report.buildReport('a', [{ name: 'stage_metrics', appId: 'a', stageId: '0', numTasks: 2, submissionTime: 1, completionTime: 1201, executorRunTime: 900 }]);
    expect(report.stageMetricsText(r).split('\n').slice(0, 4)).toEqual(['Aggregated Spark stage metrics:', 'numStages => 1', 'numTasks => 2', 'elapsedTime => 1200 (1 s)']);
    expect(typeof report.readRecords).toBe('function');
    expect(typeof report.decodeValue).toBe('function');
  });
});
