import { describe, expect, it } from 'vitest';
import { ISSUE_SPEC, batches, syntheticApplication } from './synthetic-app';

describe('syntheticApplication', () => {
  const app = syntheticApplication(ISSUE_SPEC);
  const count = (c: string) => app.filter((e) => e.body?.$case === c).length;

  it('has the issue\'s shape: 3 jobs, 10 stages, 2,000 tasks (+1 retry), 2 executors, 2 SQL executions, 3 progress events', () => {
    expect(count('jobStart')).toBe(3);
    expect(count('stageCompleted')).toBe(10);
    expect(count('taskStart')).toBe(2001);
    expect(count('executorAdded')).toBe(2);
    expect(count('sqlExecutionStart')).toBe(2);
    expect(count('streamingProgress')).toBe(3);
  });

  it('has unique event ids, non-decreasing Spark times and totals that match its events', () => {
    expect(new Set(app.map((e) => e.eventId)).size).toBe(app.length);
    for (let i = 1; i < app.length; i++) expect(app[i].eventTimeMs).toBeGreaterThanOrEqual(app[i - 1].eventTimeMs);
    const end = app[app.length - 1].body;
    expect(end?.$case).toBe('applicationEnd');
    if (end?.$case === 'applicationEnd') {
      expect(end.value.totalTaskCount).toBe(BigInt(count('taskEnd')));
      expect(end.value.numTaskFailed).toBe(1n);
    }
  });

  it('stage metrics are the sums of their tasks', () => {
    const stage0 = app.find((e) => e.body?.$case === 'stageCompleted')!;
    const tasks = app.filter((e) => e.body?.$case === 'taskEnd' && e.body.value.stageId === 0);
    const sum = tasks.reduce((s, e) => s + (e.body?.$case === 'taskEnd' ? e.body.value.metrics?.executorRunTimeMs ?? 0n : 0n), 0n);
    expect(stage0.body?.$case === 'stageCompleted' && stage0.body.value.metrics?.executorRunTimeMs).toBe(sum);
  });

  it('batches keeps order and sizes', () => {
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
