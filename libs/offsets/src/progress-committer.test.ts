import { describe, expect, it } from 'vitest';
import type { SparkEvent, StreamingProgress } from '@sparkwire/proto';
import { CommitStore } from './commit-store';
import { kafkaRanges, parseMappings, ProgressCommitter } from './progress-committer';
import { silentLog, TestKafka } from '../test/test-kafka';

const progress = (o: Partial<StreamingProgress> & { start?: object | null; end: object }): SparkEvent =>
  ({
    eventId: `e-${Math.random()}`,
    appId: 'app',
    body: {
      $case: 'streamingProgress',
      value: {
        id: o.id ?? 'qid-1',
        runId: 'run',
        name: o.name ?? 'ingest',
        batchId: o.batchId ?? 0n,
        sources: [
          {
            description: 'KafkaV2[Subscribe[events]]',
            startOffset: o.start === undefined || o.start === null ? '' : JSON.stringify(o.start),
            endOffset: JSON.stringify(o.end),
            latestOffset: '',
            numInputRows: 0,
            inputRowsPerSecond: 0,
            processedRowsPerSecond: 0,
            metrics: {},
          },
          { description: 'RateStreamV2[rowsPerSecond=1]', startOffset: '1', endOffset: '2', latestOffset: '', numInputRows: 0, inputRowsPerSecond: 0, processedRowsPerSecond: 0, metrics: {} },
        ],
      },
    },
  }) as unknown as SparkEvent;

function setup(force = false) {
  const kafka = new TestKafka().addTopic('events', 2, 1000);
  const store = new CommitStore(kafka);
  const pc = new ProgressCommitter(store, parseMappings(['ingest=ingest-group', 'qid-9=by-id']), silentLog, { force, retryMinMs: 5, retryMaxMs: 20 });
  return { kafka, pc };
}

describe('commit from progress', () => {
  it('reads the Kafka sources of a progress event as ranges (other sources ignored)', () => {
    const ev = progress({ start: { events: { '0': 5, '1': 7 } }, end: { events: { '0': 10, '1': 7 } } });
    expect(kafkaRanges((ev.body as { value: StreamingProgress }).value)).toEqual([
      { topic: 'events', partition: 0, fromOffset: 5n, untilOffset: 10n },
      { topic: 'events', partition: 1, fromOffset: 7n, untilOffset: 7n },
    ]);
    // Offsets above 2^53 come through exactly (the offsets JSON is not read through doubles).
    const big = progress({ start: { events: { '0': 5 } }, end: { events: { '0': 10 } } });
    const src = (big.body as { value: StreamingProgress }).value.sources[0];
    src.startOffset = '{"events":{"0":9007199254740993}}';
    src.endOffset = '{"events":{"0":9223372036854775807}}';
    expect(kafkaRanges((big.body as { value: StreamingProgress }).value)).toEqual([{ topic: 'events', partition: 0, fromOffset: 9007199254740993n, untilOffset: 9223372036854775807n }]);
    expect(parseMappings(['a=b', 'x=y=z'])).toEqual([{ query: 'a', group: 'b' }, { query: 'x=y', group: 'z' }]);
  });

  it('commits each batch of a mapped query (by name or id), fenced and idempotent', async () => {
    const { kafka, pc } = setup();
    pc.onEvents([progress({ batchId: 0n, start: null, end: { events: { '0': 10, '1': 4 } } })]);
    pc.onEvents([progress({ batchId: 1n, start: { events: { '0': 10, '1': 4 } }, end: { events: { '0': 25, '1': 9 } } })]);
    await pc.drain();
    pc.onEvents([progress({ batchId: 1n, start: { events: { '0': 10, '1': 4 } }, end: { events: { '0': 25, '1': 9 } } })]); // resent event
    pc.onEvents([progress({ name: 'unmapped', batchId: 0n, end: { events: { '0': 999 } } })]);
    pc.onEvents([progress({ name: '', id: 'qid-9', batchId: 0n, end: { events: { '0': 3 } } })]);
    await pc.drain();
    expect(kafka.offsetOf('ingest-group', 'events', 0)).toBe(25n);
    expect(kafka.offsetOf('ingest-group', 'events', 1)).toBe(9n);
    expect(kafka.offsetOf('by-id', 'events', 0)).toBe(3n);
    expect(kafka.groups.has('unmapped')).toBe(false);
    expect(pc.stats).toMatchObject({ committed: 3, alreadyCommitted: 1, refused: 0 });
  });

  it('a batch that does not start where the group is gets refused (counted), unless force is configured', async () => {
    const a = setup();
    a.pc.onEvents([progress({ batchId: 0n, end: { events: { '0': 10 } } })]);
    a.pc.onEvents([progress({ batchId: 1n, start: { events: { '0': 20 } }, end: { events: { '0': 30 } } })]);
    await a.pc.drain();
    expect(a.pc.stats.refused).toBe(1);
    expect(a.kafka.offsetOf('ingest-group', 'events', 0)).toBe(10n);
    const b = setup(true);
    b.pc.onEvents([progress({ batchId: 0n, end: { events: { '0': 10 } } })]);
    b.pc.onEvents([progress({ batchId: 1n, start: { events: { '0': 20 } }, end: { events: { '0': 30 } } })]);
    await b.pc.drain();
    expect(b.kafka.offsetOf('ingest-group', 'events', 0)).toBe(30n);
  });

  it('Kafka down: retries, merging later batches so the fence still holds when it is back', async () => {
    const { kafka, pc } = setup();
    pc.onEvents([progress({ batchId: 0n, end: { events: { '0': 10 } } })]);
    await pc.drain();
    kafka.down = true;
    pc.onEvents([progress({ batchId: 1n, start: { events: { '0': 10 } }, end: { events: { '0': 20 } } })]);
    await new Promise((r) => setTimeout(r, 30));
    pc.onEvents([progress({ batchId: 2n, start: { events: { '0': 20 } }, end: { events: { '0': 35 } } })]);
    await new Promise((r) => setTimeout(r, 30));
    kafka.down = false;
    await pc.drain();
    expect(kafka.offsetOf('ingest-group', 'events', 0)).toBe(35n);
    expect(pc.stats.retries).toBeGreaterThan(0);
    expect(pc.stats.refused).toBe(0);
    expect(kafka.commitRequests).toHaveLength(2); // batch 0, then batches 1+2 as one
  });
});
