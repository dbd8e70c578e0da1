import { describe, expect, it } from 'vitest';
import { encodeMark } from './commit-metadata';
import { startOffsets } from './fetch-forms';

describe('restart offsets', () => {
  const logs = new Map([
    ['events', [{ partition: 0, low: 5n, high: 100n }, { partition: 1, low: 0n, high: 40n }]],
    ['my-topic', [{ partition: 0, low: 0n, high: 7n }]],
  ]);
  const stored = [
    { topic: 'events', partition: 0, offset: 60n, metadata: encodeMark({ q: 'q', b: 3n, f: 50n, n: 1 }) },
    { topic: 'events', partition: 1, offset: -1n, metadata: null },
  ];

  it('committed offsets where there are, the policy elsewhere, in both Spark forms', () => {
    const r = startOffsets(['events', 'my-topic'], logs, stored, 'earliest');
    expect(r.assignOffsets).toEqual({ 'events-0': 60n, 'events-1': 0n, 'my-topic-0': 0n });
    expect(r.startingOffsetsJson).toBe('{"events":{"0":60,"1":0},"my-topic":{"0":0}}');
    expect(r.partitions[0]).toMatchObject({ committed: true, queryId: 'q', batchId: 3n, logStartOffset: 5n, logEndOffset: 100n });
    expect(r.partitions[1].committed).toBe(false);
    expect(r.groupHasCommits).toBe(true);
  });

  it('latest resolves to the log-end offset; a group without commits says so', () => {
    const r = startOffsets(['events'], logs, [], 'latest');
    expect(r.assignOffsets).toEqual({ 'events-0': 100n, 'events-1': 40n });
    expect(r.groupHasCommits).toBe(false);
  });

  it('offsets above 2^53 are exact in both forms', () => {
    const big = 2n ** 53n + 1n;
    const r = startOffsets(['t'], new Map([['t', [{ partition: 0, low: 0n, high: big + 10n }]]]), [{ topic: 't', partition: 0, offset: big, metadata: encodeMark({ q: 'q', b: 2n ** 63n - 1n, f: 0n, n: 1 }) }], 'earliest');
    expect(r.assignOffsets).toEqual({ 't-0': big });
    expect(r.startingOffsetsJson).toBe('{"t":{"0":9007199254740993}}');
    expect(r.partitions[0].batchId).toBe(2n ** 63n - 1n);
  });
});
