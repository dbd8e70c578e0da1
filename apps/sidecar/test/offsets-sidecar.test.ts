// sparkwire.v1.OffsetsService of the sidecar as its own process, against a real broker:
// the service behind the same token as ListenerService, commit/fetch/lag over gRPC with
// field-naming errors, commit from progress fed by streaming_progress events through
// ListenerService, the lag metrics on the scrape endpoint, a sidecar without offsets, and
// Kafka going away (UNAVAILABLE).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import kafkajs, { type Admin } from 'kafkajs';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { ListenerClient, type SidecarProcess, spawnSidecar, waitFor } from '@sparkwire/testkit';
import { CommitResponse_Outcome, LagStatus, OffsetsServiceClient, StartPolicy, type CommitRequest, type SparkEvent } from '@sparkwire/proto';
import { metricsAddress, scrape } from './otel-helpers';

const { Kafka, Partitioners, logLevel } = kafkajs;
const TOKEN = 'offsets-test-token-0123456789';

let broker: Broker;
let sidecar: SidecarProcess;
let admin: Admin;
let client: OffsetsServiceClient;

const md = (token = TOKEN) => {
  const m = new grpc.Metadata();
  if (token) m.set('authorization', `Bearer ${token}`);
  return m;
};
type Unary<Q, R> = (req: Q, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: R) => void) => unknown;
const call = <Q, R>(c: OffsetsServiceClient, method: 'commit' | 'fetch' | 'lag', req: Q, token = TOKEN): Promise<R> =>
  new Promise((resolve, reject) => ((c[method] as unknown as Unary<Q, R>).bind(c))(req, md(token), (err, res) => (err ? reject(err) : resolve(res!))));
const commitReq = (batchId: number | bigint, ranges: [string, number, number | bigint, number | bigint][], over: Partial<CommitRequest> = {}): CommitRequest => ({
  group: 'svc-group',
  queryId: 'q-svc',
  batchId: BigInt(batchId),
  force: false,
  ranges: ranges.map(([topic, partition, fromOffset, untilOffset]) => ({ topic, partition, fromOffset: BigInt(fromOffset), untilOffset: BigInt(untilOffset) })),
  ...over,
});
async function refusal(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('expected an error');
}

beforeAll(async () => {
  broker = await startBroker();
  const kafka = new Kafka({ clientId: 'offsets-sidecar-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'orders', numPartitions: 2 }] });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (const partition of [0, 1]) await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 50 }, () => ({ partition, value: 'x' })) });
  await producer.disconnect();
  sidecar = await spawnSidecar({ args: [
    '--kafka-brokers', broker.bootstrap,
    '--kafka-topic', 'offsets-events',
    '--server-token', TOKEN,
    '--metrics-port', '0',
    '--offsets-enabled', 'true',
    '--offsets-lag-poll-ms', '200',
    '--offsets-commit-from-progress', 'orders-query=progress-group',
  ] });
  await waitFor('kafka SERVING', async () => (await sidecar.health('sparkwire.kafka')) === 'SERVING');
  client = new OffsetsServiceClient(sidecar.address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await admin?.disconnect().catch(() => undefined);
  await sidecar?.stop();
  await broker?.stop();
});

describe('OffsetsService in the sidecar process', () => {
  it('is served next to ListenerService, behind the same token, and SERVING in health', async () => {
    expect(await sidecar.health('sparkwire.v1.OffsetsService')).toBe('SERVING');
    const e = await refusal(call(client, 'fetch', { group: 'svc-group', topics: ['orders'], policy: 0 }, ''));
    expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('commit / fetch / lag round trip over gRPC', async () => {
    const r = await call<CommitRequest, { outcome: number; committed: unknown[] }>(client, 'commit', commitReq(0, [['orders', 0, 0, 20], ['orders', 1, 0, 35]]));
    expect(r.outcome).toBe(CommitResponse_Outcome.COMMITTED);
    const again = await call<CommitRequest, { outcome: number }>(client, 'commit', commitReq(0, [['orders', 0, 0, 20], ['orders', 1, 0, 35]]));
    expect(again.outcome).toBe(CommitResponse_Outcome.ALREADY_COMMITTED);
    const f = await call<object, { startingOffsetsJson: string; assignOffsets: Record<string, bigint>; policy: number }>(client, 'fetch', { group: 'svc-group', topics: ['orders'], policy: 0 });
    expect(JSON.parse(f.startingOffsetsJson)).toEqual({ orders: { '0': 20, '1': 35 } });
    expect(f.assignOffsets).toEqual({ 'orders-0': 20n, 'orders-1': 35n });
    expect(f.policy).toBe(StartPolicy.START_POLICY_EARLIEST);
    const lag = await call<object, { totalLag: bigint; status: number; partitions: { lag: bigint; committedOffset: bigint; logEndOffset: bigint }[] }>(client, 'lag', { group: 'svc-group', topics: [] });
    expect(lag.totalLag).toBe(100n - 20n - 35n);
    expect(lag.partitions.map((p) => [p.committedOffset, p.logEndOffset, p.lag])).toEqual([[20n, 50n, 30n], [35n, 50n, 15n]]);
    expect(lag.status).toBe(LagStatus.LAG_STATUS_OK);
  });

  it('bad input and fencing: a status naming the field (also in the sparkwire-field trailer)', async () => {
    const cases: [CommitRequest, grpc.status, string][] = [
      [commitReq(1, [['orders', 0, 25, 30]]), grpc.status.FAILED_PRECONDITION, 'ranges[0].from_offset'],
      [commitReq(1, [['orders', 0, 20, 10]]), grpc.status.INVALID_ARGUMENT, 'ranges[0].until_offset'],
      [commitReq(1, [['orders', 0, -3, 10]]), grpc.status.INVALID_ARGUMENT, 'ranges[0].from_offset'],
      [commitReq(1, [['orders', 9, 0, 10]]), grpc.status.OUT_OF_RANGE, 'ranges[0].partition'],
      [commitReq(1, [['no-such-topic', 0, 0, 10]]), grpc.status.NOT_FOUND, 'ranges[0].topic'],
      [commitReq(1, [['orders', 0, 20, 30]], { group: '' }), grpc.status.INVALID_ARGUMENT, 'group'],
    ];
    for (const [req, code, field] of cases) {
      const e = await refusal(call(client, 'commit', req));
      expect([e.code, e.metadata.get('sparkwire-field')[0]], e.details).toEqual([code, field]);
      expect(e.details.startsWith(field)).toBe(true);
    }
    const unknown = await refusal(call(client, 'lag', { group: 'nobody', topics: [] }));
    expect([unknown.code, unknown.details]).toEqual([grpc.status.NOT_FOUND, 'group: group nobody has no committed offsets (unknown group)']);
  });

  it('int64 values above 2^53 pass exactly: valid ones work, out-of-range ones are refused naming the field', async () => {
    const max = 2n ** 63n - 1n;
    const big = 2n ** 53n + 1n; // not a double: it used to fail as INTERNAL "Error deserializing request"
    // A batch id up to int64 max commits and comes back exactly.
    const r = await call<CommitRequest, { outcome: number; committed: { offset: bigint }[] }>(client, 'commit', commitReq(max, [['orders', 0, 0, 3]], { group: 'big-group' }));
    expect(r.outcome).toBe(CommitResponse_Outcome.COMMITTED);
    expect(r.committed.map((p) => p.offset)).toEqual([3n]);
    const again = await call<CommitRequest, { outcome: number }>(client, 'commit', commitReq(max, [['orders', 0, 0, 3]], { group: 'big-group' }));
    expect(again.outcome).toBe(CommitResponse_Outcome.ALREADY_COMMITTED);
    const older = await call<CommitRequest, { outcome: number }>(client, 'commit', commitReq(max - 1n, [['orders', 0, 0, 3]], { group: 'big-group' }));
    expect(older.outcome).toBe(CommitResponse_Outcome.ALREADY_COMMITTED); // max - 1 is a different (older) batch, exactly
    const f = await call<object, { partitions: { partition: number; batchId: bigint; offset: bigint }[] }>(client, 'fetch', { group: 'big-group', topics: ['orders'], policy: 0 });
    expect(f.partitions.find((p) => p.partition === 0)).toMatchObject({ batchId: max, offset: 3n });
    const [t] = await admin.fetchOffsets({ groupId: 'big-group', topics: ['orders'] });
    expect(t.partitions.find((p) => p.partition === 0)?.metadata).toBe(`sparkwire/1 {"q":"q-svc","b":${max},"f":0,"n":1}`);
    // Out of range for Kafka or for the log: a status naming the field, the value exact in the message.
    const cases: [CommitRequest, grpc.status, string, string][] = [
      [commitReq(1, [['orders', 0, 3, big]], { group: 'big-group' }), grpc.status.OUT_OF_RANGE, 'ranges[0].until_offset', `${big} is beyond the log-end offset 50`],
      [commitReq(1, [['orders', 0, 3, max]], { group: 'big-group' }), grpc.status.OUT_OF_RANGE, 'ranges[0].until_offset', `${max} is beyond`],
      [commitReq(-1n, [['orders', 0, 3, 5]], { group: 'big-group' }), grpc.status.INVALID_ARGUMENT, 'batch_id', 'got -1'],
      [commitReq(-max - 1n, [['orders', 0, 3, 5]], { group: 'big-group' }), grpc.status.INVALID_ARGUMENT, 'batch_id', `got ${-max - 1n}`],
      [commitReq(1, [['orders', 0, -big, 5]], { group: 'big-group' }), grpc.status.INVALID_ARGUMENT, 'ranges[0].from_offset', `got ${-big}`],
      [commitReq(1, [['orders', 0, 3, -max - 1n]], { group: 'big-group' }), grpc.status.INVALID_ARGUMENT, 'ranges[0].until_offset', `got ${-max - 1n}`],
    ];
    for (const [req, code, field, text] of cases) {
      const e = await refusal(call(client, 'commit', req));
      expect([e.code, e.metadata.get('sparkwire-field')[0]], e.details).toEqual([code, field]);
      expect(e.details.startsWith(field), e.details).toBe(true);
      expect(e.details).toContain(text);
    }
  });

  it('commits from progress: each micro-batch of the mapped query lands in its group', async () => {
    const progress = (batchId: bigint, start: object | null, end: object): SparkEvent =>
      ({
        eventId: `progress-${batchId}`,
        appId: 'app-offsets',
        appName: 'offsets',
        appAttemptId: '',
        eventTimeMs: BigInt(Date.now()),
        emittedTimeMs: BigInt(Date.now()),
        labels: {},
        body: {
          $case: 'streamingProgress',
          value: {
            id: 'query-id-1', runId: 'run-1', name: 'orders-query', timestamp: new Date().toISOString(), batchId,
            batchDurationMs: 100n, numInputRows: 10n, inputRowsPerSecond: 1, processedRowsPerSecond: 1, durationMs: {}, eventTime: {}, stateOperators: [], observedMetrics: {}, sink: undefined,
            sources: [{ description: 'KafkaV2[Subscribe[orders]]', startOffset: start ? JSON.stringify(start) : '', endOffset: JSON.stringify(end), latestOffset: '', numInputRows: 10n, inputRowsPerSecond: 1, processedRowsPerSecond: 1, metrics: {} }],
          },
        },
      }) as SparkEvent;
    const listener = new ListenerClient(sidecar.address, { token: TOKEN });
    await listener.publish({ clientId: 'progress-client', batchSeq: 1n, events: [progress(0n, null, { orders: { '0': 12, '1': 7 } })], clientStats: undefined });
    await listener.publish({ clientId: 'progress-client', batchSeq: 2n, events: [progress(1n, { orders: { '0': 12, '1': 7 } }, { orders: { '0': 30, '1': 9 } })], clientStats: undefined });
    listener.close();
    let offsets: string[] = [];
    await waitFor('progress-group committed', async () => {
      const [t] = await admin.fetchOffsets({ groupId: 'progress-group', topics: ['orders'] });
      offsets = t.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);
      return offsets.join() === '30,9';
    });
    expect(offsets).toEqual(['30', '9']);
  });

  it('exports lag in records and seconds and the group status on the scrape endpoint', async () => {
    const address = metricsAddress(sidecar);
    await waitFor('offsets metrics', async () => (await scrape(address)).value('sparkwire_offsets_lag', { group: 'progress-group', topic: 'orders', partition: '0' }) === 20);
    const s = await scrape(address);
    expect(s.value('sparkwire_offsets_lag', { group: 'svc-group', topic: 'orders', partition: '0' })).toBe(30);
    expect(s.value('sparkwire_offsets_committed_offset', { group: 'svc-group', topic: 'orders', partition: '1' })).toBe(35);
    expect(s.value('sparkwire_offsets_log_end_offset', { topic: 'orders', partition: '1' })).toBe(50);
    expect(s.value('sparkwire_offsets_group_lag', { group: 'progress-group' })).toBe(20 + 41);
    expect(s.value('sparkwire_offsets_lag_seconds', { group: 'svc-group', topic: 'orders', partition: '0' })).toBeGreaterThanOrEqual(0);
    expect(s.value('sparkwire_offsets_group_status', { group: 'svc-group', status: 'OK' })).toBe(1);
    expect(s.value('sparkwire_offsets_group_status', { group: 'svc-group', status: 'STOPPED' })).toBe(0);
    expect(s.value('sparkwire_offsets_commits_total', { result: 'committed' })).toBeGreaterThanOrEqual(3);
    expect(s.value('sparkwire_offsets_commits_total', { result: 'already_committed' })).toBeGreaterThanOrEqual(1);
    expect(s.value('sparkwire_offsets_commits_total', { result: 'FAILED_PRECONDITION' })).toBeGreaterThanOrEqual(1);
  });

  it('a sidecar without offsets says how to turn them on', async () => {
    const plain = await spawnSidecar({ args: ['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'offsets-events', '--metrics-enabled', 'false'] });
    const c = new OffsetsServiceClient(plain.address, grpc.credentials.createInsecure());
    try {
      expect(await plain.health('sparkwire.v1.OffsetsService')).toBe('NOT_SERVING');
      const e = await refusal(call(c, 'fetch', { group: 'g', topics: ['orders'], policy: 0 }, ''));
      expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(e.details).toMatch(/--offsets-enabled/);
    } finally {
      c.close();
      await plain.stop();
    }
  });

  it('Kafka unreachable: UNAVAILABLE, and the commit goes through once Kafka is back', async () => {
    await admin.disconnect();
    await broker.stop();
    const started = Date.now();
    const e = await refusal(call(client, 'commit', commitReq(1, [['orders', 0, 20, 25]])));
    expect(e.code).toBe(grpc.status.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(30_000);
    await broker.restart();
    let r: { outcome: number } | undefined;
    await waitFor('commit after restart', async () => {
      r = await call<CommitRequest, { outcome: number }>(client, 'commit', commitReq(1, [['orders', 0, 20, 25]])).catch(() => undefined);
      return r !== undefined;
    }, 60_000);
    expect(r!.outcome).toBe(CommitResponse_Outcome.COMMITTED);
  });
});
