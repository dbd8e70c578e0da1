import { describe, expect, it } from 'vitest';
import { encodeMark, decodeMark } from './commit-metadata';
import { decide } from './fencing';
import type { StoredOffset } from './kafka-offsets';
import type { CommitInput } from './validate';

const commit = (ranges: [number, number, number][], over: Partial<CommitInput> = {}): CommitInput => ({
  group: 'g',
  queryId: 'q1',
  batchId: 5n,
  force: false,
  ranges: ranges.map(([partition, fromOffset, untilOffset]) => ({ topic: 't', partition, fromOffset: BigInt(fromOffset), untilOffset: BigInt(untilOffset) })),
  ...over,
});
const stored = (partition: number, offset: number | bigint, mark?: { q: string; b: number | bigint; f: number | bigint; n: number }): StoredOffset => ({
  topic: 't',
  partition,
  offset: BigInt(offset),
  metadata: mark ? encodeMark({ ...mark, b: BigInt(mark.b), f: BigInt(mark.f) }) : null,
});

describe('fencing', () => {
  it('a first commit (no stored offset) is accepted from anywhere and marked with its query, batch and range', () => {
    const d = decide(commit([[0, 40, 50]]), [stored(0, -1)]);
    expect(d).toEqual({ kind: 'commit', offsets: [50n], marks: [{ q: 'q1', b: 5n, f: 40n, n: 1 }] });
  });

  it('a range starting at the committed offset is accepted', () => {
    expect(decide(commit([[0, 50, 60], [1, 7, 7]]), [stored(0, 50), stored(1, 7)]).kind).toBe('commit');
  });

  it('a gap is refused naming the partition, the stored and the given offsets', () => {
    expect(() => decide(commit([[0, 50, 60], [1, 9, 12]]), [stored(0, 50), stored(1, 7, { q: 'q1', b: 4, f: 0, n: 2 })])).toThrow(
      /ranges\[1\]\.from_offset: partition t-1 has committed offset 7 by batch 4 of query q1, but the range starts at 9: a gap: 2 records \[7, 9\)/,
    );
  });

  it('an overlap is refused; force overrides both', () => {
    const c = commit([[0, 45, 60]]);
    expect(() => decide(c, [stored(0, 50)])).toThrow(/an overlap: 5 records \[45, 50\) were already committed/);
    try {
      decide(c, [stored(0, 50)]);
    } catch (e) {
      expect(e).toMatchObject({ code: 9, field: 'ranges[0].from_offset' });
    }
    expect(decide({ ...c, force: true }, [stored(0, 50)]).kind).toBe('commit');
  });

  it('the same batch again with the same ranges is "already committed", even with force', () => {
    const s = [stored(0, 60, { q: 'q1', b: 5, f: 50, n: 2 }), stored(1, 12, { q: 'q1', b: 5, f: 7, n: 2 })];
    const c = commit([[0, 50, 60], [1, 7, 12]]);
    expect(decide(c, s)).toEqual({ kind: 'already', reason: 'same_batch' });
    expect(decide({ ...c, force: true }, s)).toEqual({ kind: 'already', reason: 'same_batch' });
  });

  it('the same batch with different ranges is refused', () => {
    const s = [stored(0, 60, { q: 'q1', b: 5, f: 50, n: 1 })];
    expect(() => decide(commit([[0, 50, 70]]), s)).toThrow(/batch 5 of query q1 was already committed with different ranges: t-0 holds \[50, 60\)/);
  });

  it('an earlier batch of the same query whose offsets were passed changes nothing', () => {
    const s = [stored(0, 70, { q: 'q1', b: 6, f: 60, n: 1 })];
    expect(decide(commit([[0, 50, 60]]), s)).toEqual({ kind: 'already', reason: 'older_batch' });
  });

  it('another query (a new run) is fenced like anyone else', () => {
    const s = [stored(0, 60, { q: 'q1', b: 5, f: 50, n: 1 })];
    expect(decide(commit([[0, 60, 65]], { queryId: 'q2', batchId: 0n }), s).kind).toBe('commit');
    expect(() => decide(commit([[0, 0, 65]], { queryId: 'q2', batchId: 0n }), s)).toThrow(/overlap/);
  });

  it('an unknown start (progress committer, first batch) is not fenced and begins where the group was', () => {
    const d = decide(commit([[0, -1, 80]]), [stored(0, 60)]);
    expect(d).toMatchObject({ kind: 'commit', marks: [{ f: 60n }] });
  });

  it('metadata that sparkwire did not write is ignored', () => {
    expect(decodeMark('some other tool')).toBeUndefined();
    expect(decodeMark('sparkwire/1 {bad')).toBeUndefined();
    expect(decodeMark(encodeMark({ q: 'x', b: 1n, f: 2n, n: 3 }))).toEqual({ q: 'x', b: 1n, f: 2n, n: 3 });
    // The text is what JSON.stringify wrote before offsets were bigints: old marks still decode.
    expect(encodeMark({ q: 'x"y', b: 1n, f: 2n, n: 3 })).toBe(`sparkwire/1 ${JSON.stringify({ q: 'x"y', b: 1, f: 2, n: 3 })}`);
  });

  it('batch ids and offsets above 2^53 stay exact, up to int64 max', () => {
    const max = 2n ** 63n - 1n;
    const mark = { q: 'q1', b: max, f: 2n ** 53n + 1n, n: 1 };
    expect(decodeMark(encodeMark(mark))).toEqual(mark);
    // One record apart just above 2^53 (a double cannot tell them apart): still fenced exactly.
    const at = 2n ** 53n + 1n;
    expect(() => decide(commit([], { ranges: [{ topic: 't', partition: 0, fromOffset: at + 1n, untilOffset: at + 5n }] }), [stored(0, at)])).toThrow(
      /committed offset 9007199254740993, but the range starts at 9007199254740994: a gap: 1 records/,
    );
    const s = [stored(0, at + 5n, { q: 'q1', b: max, f: at, n: 1 })];
    const again = commit([], { batchId: max, ranges: [{ topic: 't', partition: 0, fromOffset: at, untilOffset: at + 5n }] });
    expect(decide(again, s)).toEqual({ kind: 'already', reason: 'same_batch' });
    expect(decide({ ...again, batchId: max - 1n }, s)).toEqual({ kind: 'already', reason: 'older_batch' });
  });
});
