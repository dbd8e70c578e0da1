import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { SparkEvent } from '@sparkwire/proto';
import { syntheticApplication } from '@sparkwire/testkit';
import { SparkMetricsObserver } from './spark-metrics';

const meter = () => new MeterProvider().getMeter('test');
const events = (appId: string) => syntheticApplication({ appId, stagesPerJob: [1], tasksPerStage: 2, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0 });
const task = (appId: string, appAttemptId?: string): SparkEvent => {
  const ev = events(appId).find((e) => e.body?.$case === 'taskStart')!;
  return appAttemptId === undefined ? ev : { ...ev, appAttemptId };
};

describe('SparkMetricsObserver application tracking', () => {
  it('tracks each application (and attempt) once however its events interleave', () => {
    const o = new SparkMetricsObserver(meter());
    o.onEvents([task('a'), task('a'), task('b'), task('a'), task('a', '2'), task('a', '2'), task('b')]);
    expect(o.trackedApps()).toBe(3);
  });

  it('an application that ended is tracked anew by a later event, not through the last one seen', () => {
    const o = new SparkMetricsObserver(meter());
    const all = events('a');
    o.onEvents(all);
    expect(o.trackedApps()).toBe(0); // applicationEnd forgets it
    o.onEvents([task('a')]);
    expect(o.trackedApps()).toBe(1);
  });

  it('forgets the least recently active beyond maxApps, the current one included when it is the oldest', () => {
    let now = 0;
    const o = new SparkMetricsObserver(meter(), { maxApps: 2, staleAfterMs: 1000, now: () => now });
    o.onEvents([task('a'), task('b'), task('b'), task('c')]);
    expect(o.trackedApps()).toBe(2); // a went
    now = 5000;
    o.onEvents([task('c')]);
    (o as unknown as { forgetStale(): void }).forgetStale();
    expect(o.trackedApps()).toBe(1); // b stale, c seen at 5000
    now = 10_000;
    (o as unknown as { forgetStale(): void }).forgetStale();
    expect(o.trackedApps()).toBe(0);
    o.onEvents([task('c')]);
    expect(o.trackedApps()).toBe(1);
  });
});
