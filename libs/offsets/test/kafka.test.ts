// The offsets library against a real Kafka broker (testing/kafka: a KRaft JVM, no mocks):
// commits land in the group's committed offsets where every Kafka tool sees them, fencing
// and idempotence hold (also across a new Offsets instance, i.e. a sidecar restart), lag is
// produced minus committed, the seconds estimate holds on a producer with a known rate,
// and the status rules move through OK, LAGGING and STALLED in a scripted scenario.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { createKafkaOffsets, Offsets, Status, STATUS_NAMES, type OffsetsConfig } from '../src/index';
import type { CommitInput } from '../src/validate';

const { Kafka, Partitioners, logLevel } = kafkajs;
const log = { info() {}, warn() {}, error() {}, debug() {} };

let broker: Broker;
let admin: Admin;
let producer: Producer;
const kafkaOf = (bootstrap: string) => new Kafka({ clientId: 'offsets-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });

const config = (over: Partial<OffsetsConfig> = {}): OffsetsConfig => ({
  defaultPolicy: 'earliest',
  groups: [],
  pollMs: 250,
  windowMs: 4_000,
  stallAfterMs: 1_500,
  tableSize: 200,
  commitFromProgress: [],
  commitFromProgressForce: false,
  ...over,
});
const connect = (bootstrap: string, over: Partial<OffsetsConfig> = {}) =>
  Offsets.connect({ brokers: [bootstrap], clientId: 'offsets-test', connectTimeoutMs: 1000, requestTimeoutMs: 5000, retries: 1 }, config(over), log);

async function produce(topic: string, partition: number, n: number): Promise<void> {
  await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition, value: `v${i}` })) });
}

const commit = (group: string, batchId: number | bigint, ranges: [string, number, number | bigint, number | bigint][], over: Partial<CommitInput> = {}): CommitInput => ({
  group,
  queryId: 'query-1',
  batchId: BigInt(batchId),
  force: false,
  ranges: ranges.map(([topic, partition, fromOffset, untilOffset]) => ({ topic, partition, fromOffset: BigInt(fromOffset), untilOffset: BigInt(untilOffset) })),
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<{ code: number; field?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; field?: string; message: string };
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  broker = await startBroker();
  const kafka = kafkaOf(broker.bootstrap);
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'rate', numPartitions: 1 }, { topic: 'status', numPartitions: 1 }] });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (const p of [0, 1, 2]) await produce('orders', p, 100);
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.stop();
});

describe('commits and restart offsets in Kafka itself', () => {
  let offsets: Offsets;
  beforeAll(() => {
    offsets = connect(broker.bootstrap);
  });
  afterAll(() => offsets.close());

  it('commit/fetch round trip: the ranges\' until offsets become the group\'s offsets, in both Spark forms', async () => {
    const before = await offsets.fetch('g1', ['orders']);
    expect(before.groupHasCommits).toBe(false);
    expect(before.assignOffsets).toEqual({ 'orders-0': 0n, 'orders-1': 0n, 'orders-2': 0n }); // earliest
    expect((await offsets.fetch('g1', ['orders'], 'latest')).assignOffsets).toEqual({ 'orders-0': 100n, 'orders-1': 100n, 'orders-2': 100n });

    const r = await offsets.commit(commit('g1', 0, [['orders', 0, 0, 40], ['orders', 1, 0, 30]]));
    expect(r.outcome).toBe('committed');
    const after = await offsets.fetch('g1', ['orders']);
    expect(after.assignOffsets).toEqual({ 'orders-0': 40n, 'orders-1': 30n, 'orders-2': 0n });
    expect(JSON.parse(after.startingOffsetsJson)).toEqual({ orders: { '0': 40, '1': 30, '2': 0 } });
    expect(after.partitions.map((p) => [p.committed, p.queryId, p.batchId])).toEqual([[true, 'query-1', 0n], [true, 'query-1', 0n], [false, '', 0n]]);
  });

  it('the committed offsets are the consumer group\'s: kafkajs admin reads them, a kafkajs consumer starts there', async () => {
    const fetched = await admin.fetchOffsets({ groupId: 'g1', topics: ['orders'] });
    const parts = fetched[0].partitions.sort((a, b) => a.partition - b.partition);
    expect(parts.map((p) => p.offset)).toEqual(['40', '30', '-1']);
    expect(parts[0].metadata).toMatch(/^sparkwire\/1 \{"q":"query-1","b":0,"f":0,"n":2\}$/);
    const groups = await admin.describeGroups(['g1']);
    expect(groups.groups[0].state).toBe('Empty');

    // An ordinary consumer of the group (a copy of it, so g1 stays free of members) resumes there.
    await offsets.commit(commit('g1-copy', 0, [['orders', 0, 0, 40], ['orders', 1, 0, 30], ['orders', 2, 0, 100]]));
    const consumer = kafkaOf(broker.bootstrap).consumer({ groupId: 'g1-copy' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders' });
    const firsts = new Map<number, number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${[...firsts]} seen`)), 30_000);
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (!firsts.has(partition)) firsts.set(partition, Number(message.offset));
          if (firsts.has(0) && firsts.has(1)) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    expect(firsts.get(0)).toBe(40);
    expect(firsts.get(1)).toBe(30);
    expect(firsts.has(2)).toBe(false); // at the log end: nothing to read
  });

  it('fencing refuses a gap and an overlap (nothing written), the force flag overrides', async () => {
    const gap = await rejection(offsets.commit(commit('g1', 1, [['orders', 1, 30, 35], ['orders', 0, 45, 50]])));
    expect(gap.code).toBe(9); // FAILED_PRECONDITION
    expect(gap.message).toMatch(/partition orders-0 has committed offset 40 by batch 0 of query query-1, but the range starts at 45: a gap/);
    const overlap = await rejection(offsets.commit(commit('g1', 1, [['orders', 0, 35, 50]])));
    expect(overlap.message).toMatch(/orders-0 has committed offset 40 .* starts at 35: an overlap: 5 records/);
    // All or none: orders-1's valid range in the refused commit was not written either.
    expect((await offsets.fetch('g1', ['orders'])).assignOffsets).toMatchObject({ 'orders-0': 40n, 'orders-1': 30n });

    expect((await offsets.commit(commit('g1', 1, [['orders', 0, 45, 50]], { force: true }))).outcome).toBe('committed');
    expect((await offsets.fetch('g1', ['orders'])).assignOffsets['orders-0']).toBe(50n);
  });

  it('a re-commit of the same batch changes nothing, also from a fresh instance (a restarted sidecar)', async () => {
    await offsets.commit(commit('g1', 2, [['orders', 0, 50, 60], ['orders', 1, 30, 42]]));
    const stored = async () => (await admin.fetchOffsets({ groupId: 'g1', topics: ['orders'] }))[0].partitions.sort((a, b) => a.partition - b.partition);
    const before = await stored();
    expect((await offsets.commit(commit('g1', 2, [['orders', 0, 50, 60], ['orders', 1, 30, 42]]))).outcome).toBe('already_committed');
    const restarted = connect(broker.bootstrap);
    try {
      const again = await restarted.commit(commit('g1', 2, [['orders', 0, 50, 60], ['orders', 1, 30, 42]]));
      expect(again).toEqual({ outcome: 'already_committed', committed: [{ topic: 'orders', partition: 0, offset: 60n }, { topic: 'orders', partition: 1, offset: 42n }] });
      // And the next batch is fenced on what the previous instance wrote.
      expect((await rejection(restarted.commit(commit('g1', 3, [['orders', 0, 59, 70]])))).code).toBe(9);
    } finally {
      await restarted.close();
    }
    expect(await stored()).toEqual(before);
  });

  it('bad input gets a status naming the field', async () => {
    const cases: [() => Promise<unknown>, number, string][] = [
      [() => offsets.commit(commit('g1', 9, [['missing-topic', 0, 0, 1]])), 5, 'ranges[0].topic'],
      [() => offsets.commit(commit('g1', 9, [['orders', 7, 0, 1]])), 11, 'ranges[0].partition'],
      [() => offsets.commit(commit('g1', 9, [['orders', 2, 0, 101]])), 11, 'ranges[0].until_offset'],
      [() => offsets.commit(commit('g1', 9, [['orders', 2, -1, 1]])), 3, 'ranges[0].from_offset'],
      [() => offsets.commit(commit('g1', 9, [['orders', 2, 5, 1]])), 3, 'ranges[0].until_offset'],
      // int64 values a double cannot hold: exact, and refused only where Kafka or the log would refuse them.
      [() => offsets.commit(commit('g1', 9, [['orders', 2, 0, 2n ** 53n + 1n]])), 11, 'ranges[0].until_offset'],
      [() => offsets.commit(commit('g1', 9, [['orders', 2, 0, 2n ** 63n - 1n]])), 11, 'ranges[0].until_offset'],
      [() => offsets.commit(commit('g1', -(2n ** 63n), [['orders', 2, 0, 1]])), 3, 'batch_id'],
      [() => offsets.commit(commit('g1', 9, [['orders', 2, -(2n ** 53n) - 1n, 1]])), 3, 'ranges[0].from_offset'],
      [() => offsets.fetch('g1', ['orders', 'missing-topic']), 5, 'topics[1]'],
      [() => offsets.fetch('', ['orders']), 3, 'group'],
      [() => offsets.lag('never-committed'), 5, 'group'],
      [() => offsets.lag('g1', ['missing-topic']), 5, 'topics[0]'],
    ];
    for (const [p, code, field] of cases) expect(await rejection(p()), field).toMatchObject({ code, field });
    expect((await rejection(offsets.commit(commit('g1', 9, [['orders', 2, 0, 2n ** 53n + 1n]])))).message).toBe(
      'ranges[0].until_offset: 9007199254740993 is beyond the log-end offset 100 of orders-2',
    );
  });

  it('a batch id of int64 max is committed into Kafka and read back exactly', async () => {
    const max = 2n ** 63n - 1n;
    expect((await offsets.commit(commit('g-max', max, [['orders', 0, 0, 7]]))).outcome).toBe('committed');
    const [t] = await admin.fetchOffsets({ groupId: 'g-max', topics: ['orders'] });
    expect(t.partitions.find((p) => p.partition === 0)?.metadata).toBe(`sparkwire/1 {"q":"query-1","b":${max},"f":0,"n":1}`);
    expect((await offsets.fetch('g-max', ['orders'])).partitions[0]).toMatchObject({ batchId: max, offset: 7n, committed: true });
    expect((await offsets.commit(commit('g-max', max, [['orders', 0, 0, 7]]))).outcome).toBe('already_committed');
    expect((await offsets.commit(commit('g-max', max - 1n, [['orders', 0, 0, 7]]))).outcome).toBe('already_committed'); // an older batch
  });

  it('a group with live members is refused (the committing group must not be consumed with)', async () => {
    const consumer = kafkaOf(broker.bootstrap).consumer({ groupId: 'g-live' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders' });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    while (!joined) await new Promise((r) => setTimeout(r, 100));
    try {
      expect(await rejection(offsets.commit(commit('g-live', 0, [['orders', 0, 0, 1]])))).toMatchObject({ code: 9, field: 'group', message: expect.stringMatching(/^group: the group has live members/) });
    } finally {
      await consumer.disconnect();
    }
  });

  it('Kafka unreachable: UNAVAILABLE, nothing written', async () => {
    const dead = Offsets.connect({ brokers: ['127.0.0.1:1'], clientId: 'dead', connectTimeoutMs: 300, requestTimeoutMs: 1000, retries: 0 }, config(), log);
    try {
      const started = Date.now();
      expect((await rejection(dead.commit(commit('g1', 7, [['orders', 0, 60, 61]])))).code).toBe(14);
      expect((await rejection(dead.fetch('g1', ['orders']))).code).toBe(14);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await dead.close();
    }
    expect((await offsets.fetch('g1', ['orders'])).assignOffsets['orders-0']).toBe(60n);
  });
});

describe('lag', () => {
  it('lag equals produced minus committed; seconds within 0.5 s of the truth on a 50 records/s producer', async () => {
    const offsets = connect(broker.bootstrap);
    try {
      await offsets.commit(commit('g-rate', 0, [['rate', 0, 0, 0]]));
      offsets.start(); // samples the log end of 'rate' every 250 ms
      // One record every 20 ms for 4 s; remember when each offset was acknowledged.
      const ackedAt: number[] = [];
      const end = Date.now() + 4_000;
      while (Date.now() < end) {
        const [meta] = await producer.send({ topic: 'rate', acks: -1, messages: [{ partition: 0, value: 'x' }] });
        ackedAt[Number(meta.baseOffset)] = Date.now();
        await new Promise((r) => setTimeout(r, 20));
      }
      const produced = ackedAt.length;
      const k = Math.floor(produced / 3);
      await offsets.commit(commit('g-rate', 1, [['rate', 0, 0, k]]));
      const lag = await offsets.lag('g-rate');
      const p = lag.partitions[0];
      expect(p.logEnd).toBe(BigInt(produced));
      expect(p.committed).toBe(BigInt(k));
      expect(p.lag).toBe(BigInt(produced - k));
      // The truth: record k was appended just before its ack.
      const truth = (lag.sampledAtMs - ackedAt[k]) / 1000;
      expect(Math.abs(p.lagSeconds - truth), `estimate ${p.lagSeconds} s vs ${truth} s`).toBeLessThan(0.5);
      expect(lag.maxLagSeconds).toBe(p.lagSeconds);
    } finally {
      await offsets.close();
    }
  });

  it('status moves through OK, LAGGING and STALLED in a scripted producer/committer scenario', async () => {
    const offsets = connect(broker.bootstrap, { pollMs: 200, windowMs: 4_000, stallAfterMs: 1_500 });
    const seen: string[] = [];
    let committedTo = 0;
    let produced = 0;
    let batch = 0;
    const step = async (produce: number, commitUpTo: (p: number, c: number) => number | undefined) => {
      await producer.send({ topic: 'status', acks: -1, messages: Array.from({ length: produce }, () => ({ partition: 0, value: 'x' })) });
      produced += produce;
      const until = commitUpTo(produced, committedTo);
      if (until !== undefined) {
        await offsets.commit(commit('g-status', batch++, [['status', 0, committedTo, until]]));
        committedTo = until;
      }
      await new Promise((r) => setTimeout(r, 200));
      await offsets.monitor.pollAll();
      const g = offsets.monitor.snapshot().find((x) => x.group === 'g-status');
      if (g) seen.push(STATUS_NAMES[g.status]);
    };
    try {
      // Keeping up: everything produced is committed.
      for (let i = 0; i < 6; i++) await step(20, (p) => p);
      const okUntil = seen.length;
      // Falling behind: 20 produced, 8 committed per step.
      for (let i = 0; i < 16; i++) await step(20, (_p, c) => c + 8);
      const laggingUntil = seen.length;
      // Committer stops advancing (a stuck job re-committing its last batch).
      for (let i = 0; i < 10; i++) {
        await step(20, () => undefined);
        await offsets.commit(commit('g-status', batch - 1, [['status', 0, committedTo - 8, committedTo]]));
      }
      const okPhase = seen.slice(0, okUntil);
      const lagPhase = seen.slice(okUntil, laggingUntil);
      const stallPhase = seen.slice(laggingUntil);
      expect(okPhase.every((s) => s === 'OK'), okPhase.join()).toBe(true);
      expect(lagPhase.slice(-4), lagPhase.join()).toEqual(['LAGGING', 'LAGGING', 'LAGGING', 'LAGGING']);
      expect(stallPhase.slice(-3), stallPhase.join()).toEqual(['STALLED', 'STALLED', 'STALLED']);
      const lag = await offsets.lag('g-status');
      expect(lag.status).toBe(Status.STALLED);
      expect(lag.partitions[0].reason).toMatch(/has not advanced/);
    } finally {
      await offsets.close();
    }
  });
});

describe('createKafkaOffsets', () => {
  it('lists the topics a group has offsets for', async () => {
    const k = createKafkaOffsets({ brokers: [broker.bootstrap], clientId: 't', connectTimeoutMs: 1000, requestTimeoutMs: 5000, retries: 1 }, log);
    try {
      expect(await k.groupTopics('g1')).toEqual(['orders']);
      expect(await k.groupTopics('nobody')).toEqual([]);
    } finally {
      await k.close();
    }
  });
});
