// Bounded state: 100,000 task events (and their stages and jobs) leave nothing behind,
// and the heap comes back to where it was, while every span went to the sink.
import { describe, expect, it } from 'vitest';
import { syntheticApplication } from '@sparkwire/testkit';
import { SparkTraceBuilder } from './trace-builder';

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

describe('trace builder memory', () => {
  // Skipped only when run without --expose-gc (outside vitest.config.ts, which sets it for
  // the project's test target): without a forced collection the heap figure means nothing.
  it.skipIf(!gc)('100,000 task events: span state and heap return to baseline', () => {
    let emitted = 0;
    const b = new SparkTraceBuilder({ sink: { onEnd: () => void emitted++ } });
    // 50 stages x 1,000 tasks = 50,000 tasks = 100,000 task events (start + end).
    const app = syntheticApplication({ appId: 'app-mem', stagesPerJob: [10, 10, 10, 10, 10], tasksPerStage: 1000, executors: 4, sqlExecutions: 5, failedTasks: 0, streamingProgress: 0 });
    const taskEvents = app.filter((e) => e.body?.$case === 'taskStart' || e.body?.$case === 'taskEnd').length;
    expect(taskEvents).toBe(100_000);
    const baselineState = b.stateSize();
    const baselineHeap = heapAfterGc();
    let peakOpen = 0;
    for (let i = 0; i < app.length; i += 500) {
      b.onEvents(app.slice(i, i + 500));
      peakOpen = Math.max(peakOpen, b.stateSize().openSpans);
    }
    expect(emitted).toBe(1 + 5 + 5 + 50 + 50_000);
    // At most one SQL execution, one job and one stage were ever open at once.
    expect(peakOpen).toBeLessThanOrEqual(3);
    expect(b.stateSize()).toEqual(baselineState);
    const grown = heapAfterGc() - baselineHeap;
    expect(grown).toBeLessThan(2 * 1024 * 1024);
    // 100,000 events and two forced collections: seconds on a loaded 2-core machine.
  }, 120_000);
});
