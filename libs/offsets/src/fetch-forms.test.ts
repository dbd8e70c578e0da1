import { describe, expect, it } from 'vitest';
import { encodeMark } from './commit-metadata';
import { startOffsets } from './fetch-forms';

describe('restart offsets', () => {
  const logs = new Map([
    ['events', [{ partition: 0, low: 5, high: 100 }, { partition: 1, low: 0, high: 40 }]],
    ['my-topic', [{ partition: 0, low: 0, high: 7 }]],
  ]);
  const stored = [
    { topic: 'events', partition: 0, offset: 60, metadata: encodeMark({ q: 'q', b: 3, f: 50, n: 1 }) },
    { topic: 'events', partition: 1, offset: -1, metadata: null },
  ];

  it('committed offsets where there are, the policy elsewhere, in both Spark forms', () => {
    const r = startOffsets(['events', 'my-topic'], logs, stored, 'earliest');
    expect(r.assignOffsets).toEqual({ 'events-0': 60, 'events-1': 0, 'my-topic-0': 0 });
    expect(JSON.parse(r.startingOffsetsJson)).toEqual({ events: { '0': 60, '1': 0 }, 'my-topic': { '0': 0 } });
    expect(r.partitions[0]).toMatchObject({ committed: true, queryId: 'q', batchId: 3, logStartOffset: 5, logEndOffset: 100 });
    expect(r.partitions[1].committed).toBe(false);
    expect(r.groupHasCommits).toBe(true);
  });

  it('latest resolves to the log-end offset; a group without commits says so', () => {
    const r = startOffsets(['events'], logs, [], 'latest');
    expect(r.assignOffsets).toEqual({ 'events-0': 100, 'events-1': 40 });
    expect(r.groupHasCommits).toBe(false);
  });
});
