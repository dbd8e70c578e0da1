import { describe, expect, it } from 'vitest';
import { CommitStore } from './commit-store';
import { TestKafka } from '../test/test-kafka';
import type { CommitInput } from './validate';

const req = (ranges: [string, number, number, number][], over: Partial<CommitInput> = {}): CommitInput => ({
  group: 'g',
  queryId: 'q',
  batchId: 0n,
  force: false,
  ranges: ranges.map(([topic, partition, fromOffset, untilOffset]) => ({ topic, partition, fromOffset: BigInt(fromOffset), untilOffset: BigInt(untilOffset) })),
  ...over,
});

function setup() {
  const kafka = new TestKafka().addTopic('events', 3, 1000).addTopic('other', 1, 50);
  return { kafka, store: new CommitStore(kafka) };
}

async function rejection(p: Promise<unknown>): Promise<{ code: number; field?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; field?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('CommitStore', () => {
  it('commits every range in one request, and the offsets are the ranges\' until offsets', async () => {
    const { kafka, store } = setup();
    const r = await store.commit(req([['events', 0, 0, 10], ['events', 1, 0, 20], ['other', 0, 0, 5]]));
    expect(r.outcome).toBe('committed');
    expect(kafka.commitRequests).toHaveLength(1);
    expect(kafka.commitRequests[0].map((o) => o.offset)).toEqual([10n, 20n, 5n]);
    expect(kafka.offsetOf('g', 'events', 1)).toBe(20n);
  });

  it('a re-commit of the same batch changes nothing', async () => {
    const { kafka, store } = setup();
    await store.commit(req([['events', 0, 0, 10]]));
    const again = await store.commit(req([['events', 0, 0, 10]]));
    expect(again).toEqual({ outcome: 'already_committed', committed: [{ topic: 'events', partition: 0, offset: 10n }] });
    expect(kafka.commitRequests).toHaveLength(1);
  });

  it.each([
    ['empty group', req([['events', 0, 0, 1]], { group: '' }), 3, 'group'],
    ['missing query id', req([['events', 0, 0, 1]], { queryId: '' }), 3, 'query_id'],
    ['negative batch', req([['events', 0, 0, 1]], { batchId: -1n }), 3, 'batch_id'],
    ['batch id below int64 min', req([['events', 0, 0, 1]], { batchId: -(2n ** 63n) - 1n }), 3, 'batch_id'],
    ['batch id above int64 max', req([['events', 0, 0, 1]], { batchId: 2n ** 63n }), 3, 'batch_id'],
    ['until above int64 max', { ...req([]), ranges: [{ topic: 'events', partition: 0, fromOffset: 0n, untilOffset: 2n ** 63n }] }, 3, 'ranges[0].until_offset'],
    ['until above 2^53, beyond the log end', { ...req([]), ranges: [{ topic: 'events', partition: 0, fromOffset: 0n, untilOffset: 2n ** 53n + 1n }] }, 11, 'ranges[0].until_offset'],
    ['no ranges', req([]), 3, 'ranges'],
    ['negative from', req([['events', 0, -5, 1]]), 3, 'ranges[0].from_offset'],
    ['negative until', req([['events', 0, 0, -1]]), 3, 'ranges[0].until_offset'],
    ['until before from', req([['events', 0, 9, 3]]), 3, 'ranges[0].until_offset'],
    ['negative partition', req([['events', -1, 0, 3]]), 3, 'ranges[0].partition'],
    ['bad topic name', req([['no spaces', 0, 0, 3]]), 3, 'ranges[0].topic'],
    ['partition twice', req([['events', 0, 0, 3], ['events', 0, 3, 4]]), 3, 'ranges[1]'],
    ['unknown topic', req([['events', 0, 0, 3], ['nope', 0, 0, 3]]), 5, 'ranges[1].topic'],
    ['partition out of range', req([['events', 3, 0, 3]]), 11, 'ranges[0].partition'],
    ['until beyond the log end', req([['other', 0, 0, 51]]), 11, 'ranges[0].until_offset'],
  ])('%s: refused with a status naming the field, nothing written', async (_what, c, code, field) => {
    const { kafka, store } = setup();
    const e = await rejection(store.commit(c));
    expect(e.code).toBe(code);
    expect(e.field).toBe(field);
    expect(e.message.startsWith(field)).toBe(true);
    expect(kafka.commitRequests).toHaveLength(0);
  });

  it('all partitions or none: one fenced range keeps every other range of the commit out', async () => {
    const { kafka, store } = setup();
    await store.commit(req([['events', 0, 0, 10], ['events', 1, 0, 10]]));
    const e = await rejection(store.commit(req([['events', 0, 10, 20], ['events', 1, 12, 20]], { batchId: 1n })));
    expect(e.code).toBe(9);
    expect(e.message).toMatch(/events-1 has committed offset 10 .* starts at 12/);
    expect(kafka.offsetOf('g', 'events', 0)).toBe(10n);
    expect(kafka.commitRequests).toHaveLength(1);
  });

  it('Kafka unreachable: UNAVAILABLE, nothing written; the same batch goes through later', async () => {
    const { kafka, store } = setup();
    kafka.down = true;
    expect((await rejection(store.commit(req([['events', 0, 0, 10]])))).code).toBe(14);
    kafka.down = false;
    expect((await store.commit(req([['events', 0, 0, 10]]))).outcome).toBe('committed');
  });

  it('commits to one group are serialized: racing batches are fenced on what the previous one wrote', async () => {
    const { kafka, store } = setup();
    kafka.commitDelayMs = 20;
    const results = await Promise.allSettled([
      store.commit(req([['events', 0, 0, 10]], { batchId: 0n })),
      store.commit(req([['events', 0, 10, 20]], { batchId: 1n })),
      store.commit(req([['events', 0, 10, 20]], { batchId: 1n })), // a duplicate racing its original
      store.commit(req([['events', 0, 10, 30]], { batchId: 2n, queryId: 'other' })), // an overlap racing
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.outcome : (r.reason as { code: number }).code))).toEqual([
      'committed',
      'committed',
      'already_committed',
      9,
    ]);
    expect(kafka.offsetOf('g', 'events', 0)).toBe(20n);
  });

  it('batch ids and offsets above 2^53 are committed exactly, up to int64 max', async () => {
    const max = 2n ** 63n - 1n;
    const kafka = new TestKafka().addTopic('big', 1, max);
    const store = new CommitStore(kafka);
    const from = 2n ** 53n + 1n;
    const c = { ...req([]), batchId: max, ranges: [{ topic: 'big', partition: 0, fromOffset: from, untilOffset: max }] };
    expect((await store.commit(c)).committed).toEqual([{ topic: 'big', partition: 0, offset: max }]);
    expect(kafka.commitRequests[0][0].metadata).toBe(`sparkwire/1 {"q":"q","b":${max},"f":${from},"n":1}`);
    expect(await store.commit(c)).toEqual({ outcome: 'already_committed', committed: [{ topic: 'big', partition: 0, offset: max }] });
    expect(kafka.commitRequests).toHaveLength(1);
  });

  it('a very long query id is refused before anything is sent', async () => {
    const { store } = setup();
    expect((await rejection(store.commit(req([['events', 0, 0, 1]], { queryId: 'x'.repeat(300) })))).field).toBe('query_id');
  });
});
