import { describe, expect, it } from 'vitest';
import type { PublishRequest, SparkEvent } from '@sparkwire/proto';
import { syntheticApplication } from '@sparkwire/testkit';
import { PipelineError, Status } from './errors';
import { validateBatch } from './validate';

const limits = { maxBatchEvents: 100, maxBatchBytes: 10_000 };
const now = Date.UTC(2026, 10, 24, 12, 0, 0);
const events = syntheticApplication({ appId: 'app-v', stagesPerJob: [1], tasksPerStage: 2, executors: 1, sqlExecutions: 0, failedTasks: 0, streamingProgress: 0, startMs: now - 60_000 });
const req = (evs: SparkEvent[]): PublishRequest => ({ clientId: 'c1', batchSeq: 1n, events: evs, clientStats: undefined });

function refusal(r: PublishRequest, size = 100): PipelineError {
  try {
    validateBatch(r, size, limits, now);
  } catch (err) {
    return err as PipelineError;
  }
  throw new Error('expected the batch to be refused');
}

describe('validateBatch', () => {
  it('accepts a well-formed batch', () => {
    expect(() => validateBatch(req(events), 100, limits, now)).not.toThrow();
  });

  const cases: Array<[string, (evs: SparkEvent[]) => SparkEvent[], string]> = [
    ['missing app id', (e) => e.map((x, i) => (i === 3 ? { ...x, appId: '' } : x)), 'events[3].app_id'],
    ['missing body', (e) => e.map((x, i) => (i === 2 ? { ...x, body: undefined } : x)), 'events[2].body'],
    ['missing event id', (e) => e.map((x, i) => (i === 1 ? { ...x, eventId: '' } : x)), 'events[1].event_id'],
    ['negative timestamp', (e) => e.map((x, i) => (i === 4 ? { ...x, eventTimeMs: -5n } : x)), 'events[4].event_time_ms'],
    ['timestamp in seconds', (e) => e.map((x, i) => (i === 0 ? { ...x, eventTimeMs: BigInt(Math.floor(now / 1000)) } : x)), 'events[0].event_time_ms'],
    ['absurd future timestamp', (e) => e.map((x, i) => (i === 0 ? { ...x, eventTimeMs: BigInt(now * 10) } : x)), 'events[0].event_time_ms'],
    ['bad emitted time', (e) => e.map((x, i) => (i === 0 ? { ...x, emittedTimeMs: 12n } : x)), 'events[0].emitted_time_ms'],
    ['int64 max timestamp (compared exactly, not as a double)', (e) => e.map((x, i) => (i === 2 ? { ...x, eventTimeMs: 2n ** 63n - 1n } : x)), 'events[2].event_time_ms'],
    ['int64 min emitted time', (e) => e.map((x, i) => (i === 2 ? { ...x, emittedTimeMs: -(2n ** 63n) } : x)), 'events[2].emitted_time_ms'],
    ['duplicate event id', (e) => e.map((x, i) => (i === 5 ? { ...x, eventId: e[1].eventId } : x)), 'events[5].event_id'],
    [
      'unknown enum value',
      (e) =>
        e.map((x) =>
          x.body?.$case === 'taskStart' ? ({ ...x, body: { $case: 'taskStart', value: { ...x.body.value, info: { ...x.body.value.info!, locality: 42 } } } } as unknown as SparkEvent) : x,
        ),
      '.task_start.info.locality',
    ],
    ['unknown job result', (e) => e.map((x) => (x.body?.$case === 'jobEnd' ? ({ ...x, body: { $case: 'jobEnd', value: { ...x.body.value, result: 9 } } } as unknown as SparkEvent) : x)), '.job_end.result'],
  ];
  for (const [name, mutate, field] of cases) {
    it(`refuses ${name} with INVALID_ARGUMENT naming ${field}`, () => {
      const err = refusal(req(mutate(events) as SparkEvent[]));
      expect(err.code).toBe(Status.INVALID_ARGUMENT);
      expect(err.message).toContain(field);
      expect(err.field).toContain(field);
    });
  }

  it('refuses a batch over the event limit with RESOURCE_EXHAUSTED', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ ...events[0], eventId: `e${i}` }));
    const err = refusal(req(many));
    expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(err.message).toContain('max_batch_events 100');
  });

  it('refuses a batch over the byte limit with RESOURCE_EXHAUSTED', () => {
    const err = refusal(req(events), 10_001);
    expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(err.message).toContain('max_batch_bytes 10000');
  });

  it('requires a client id', () => {
    expect(refusal({ ...req(events), clientId: '' }).message).toContain('client_id');
  });
});
