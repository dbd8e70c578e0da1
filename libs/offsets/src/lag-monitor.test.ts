import { describe, expect, it } from 'vitest';
import { CommitStore } from './commit-store';
import { LagMonitor } from './lag-monitor';
import { Status } from './status-rules';
import { silentLog, TestKafka } from '../test/test-kafka';

function setup(groups: string[] = []) {
  let now = 1_000_000;
  const kafka = new TestKafka().addTopic('events', 1, 0);
  const monitor = new LagMonitor(kafka, { pollMs: 1000, windowMs: 10_000, stallAfterMs: 4_000, tableSize: 50, groups }, silentLog, () => now);
  const store = new CommitStore(kafka, { onCommitted: (g, r, at) => monitor.noteCommit(g, r.committed, at) }, () => now);
  let batch = 0n;
  const commitTo = (offset: number | bigint) => {
    const from = kafka.offsetOf('g', 'events', 0);
    return store.commit({ group: 'g', queryId: 'q', batchId: batch++, force: false, ranges: [{ topic: 'events', partition: 0, fromOffset: from > 0n ? from : 0n, untilOffset: BigInt(offset) }] });
  };
  return { kafka, monitor, commitTo, advance: (ms: number) => (now += ms), now: () => now };
}

describe('LagMonitor', () => {
  it('follows configured groups, discovers their topics, and exports lag per partition', async () => {
    const s = setup(['g']);
    s.kafka.setHigh('events', 0, 100);
    await s.commitTo(40);
    await s.monitor.pollAll();
    const [g] = s.monitor.snapshot();
    expect(g).toMatchObject({ group: 'g', totalLag: 60n, partitions: [{ topic: 'events', partition: 0, committed: 40n, logEnd: 100n, lag: 60n }] });
  });

  it('moves through OK, LAGGING, STALLED and STOPPED as a scripted producer and committer behave', async () => {
    const s = setup();
    let produced = 0;
    const tick = async (producePerSec: number, commitPerSec: number | 'none') => {
      s.advance(1000);
      produced += producePerSec;
      s.kafka.setHigh('events', 0, produced);
      if (commitPerSec !== 'none') await s.commitTo(Math.min(produced, Number(s.kafka.offsetOf('g', 'events', 0)) + commitPerSec));
      await s.monitor.pollAll();
      return s.monitor.snapshot().find((g) => g.group === 'g')!;
    };
    // Keeping up.
    for (let i = 0; i < 5; i++) expect((await tick(100, 100)).status).toBe(Status.OK);
    // Producer faster than the committer: lag grows while commits advance.
    const seen: Status[] = [];
    for (let i = 0; i < 10; i++) seen.push((await tick(100, 60)).status);
    expect(seen.slice(-3)).toEqual([Status.LAGGING, Status.LAGGING, Status.LAGGING]);
    // Committer stops advancing (re-commits the same batch: alive, not moving).
    const stalled: Status[] = [];
    for (let i = 0; i < 5; i++) stalled.push((await tick(100, 0)).status);
    expect(stalled[stalled.length - 1]).toBe(Status.STALLED);
    // No commits at all for a window.
    let last = Status.OK;
    for (let i = 0; i < 11; i++) last = (await tick(100, 'none')).status;
    expect(last).toBe(Status.STOPPED);
    // Catches up.
    s.advance(1000);
    await s.commitTo(produced);
    await s.monitor.pollAll();
    expect(s.monitor.snapshot()[0].status).toBe(Status.OK);
  });

  it('lag(): fresh figures, NOT_FOUND for a group without commits or an unknown topic', async () => {
    const s = setup();
    s.kafka.setHigh('events', 0, 10);
    await expect(s.monitor.lag('nobody')).rejects.toMatchObject({ code: 5, field: 'group' });
    await expect(s.monitor.lag('g', ['nope'])).rejects.toMatchObject({ code: 5, field: 'topics[0]' });
    await s.commitTo(4);
    const r = await s.monitor.lag('g');
    expect(r.partitions[0]).toMatchObject({ committed: 4n, logEnd: 10n, lag: 6n });
    expect(s.monitor.followed).toContain('g');
  });

  it('keeps the last figures when Kafka is down and recovers', async () => {
    const s = setup(['g']);
    s.kafka.setHigh('events', 0, 10);
    await s.commitTo(5);
    await s.monitor.pollAll();
    s.kafka.down = true;
    await s.monitor.pollAll();
    expect(s.monitor.snapshot()[0].totalLag).toBe(5n);
    s.kafka.down = false;
    s.kafka.setHigh('events', 0, 12);
    await s.monitor.pollAll();
    expect(s.monitor.snapshot()[0].totalLag).toBe(7n);
  });
});

describe('LagMonitor and deleted topics', () => {
  it('stops following a topic that is gone and keeps polling the rest', async () => {
    const s = setup(['g']);
    s.kafka.addTopic('other', 1, 5);
    s.kafka.setHigh('events', 0, 10);
    await s.commitTo(4);
    s.monitor.follow('g', ['other']);
    await s.monitor.pollAll();
    expect(s.monitor.snapshot()[0].partitions.map((p) => p.topic)).toEqual(['events', 'other']);
    s.kafka.topics.delete('other');
    const logOffsets = s.kafka.logOffsets.bind(s.kafka);
    s.kafka.logOffsets = async (t) => {
      if (!s.kafka.topics.has(t)) throw Object.assign(new Error('gone'), { code: 5 });
      return logOffsets(t);
    };
    await s.monitor.pollAll();
    await s.monitor.pollAll();
    expect(s.monitor.snapshot()[0].partitions.map((p) => p.topic)).toEqual(['events']);
    expect(s.monitor.polls).toBe(3);
  });
});
