// The operator commands against a real broker and real sidecar processes: `tail` (follow and
// read-to-end, filters, pretty/raw, both encodings), `report` over a protobuf topic, and
// `status` (health entries + Prometheus figures; exit 1 when the sidecar is gone).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import { envWithout, type SidecarProcess, spawnSidecar, syntheticApplication, type SyntheticAppSpec, waitFor } from '@sparkwire/testkit';
import { metricsAddress, sendApp } from './otel-helpers';

const BIN = resolve(import.meta.dirname, '../bin/sparkwire.js');
const SPEC: SyntheticAppSpec = { appId: 'app-cli-a', appName: 'etl-a', stagesPerJob: [2, 1], tasksPerStage: 4, executors: 1, sqlExecutions: 1, failedTasks: 0, streamingProgress: 0, labels: { team: 'alpha' } };
const appA = syntheticApplication({ ...SPEC, startMs: Date.now() - 60_000 });
const appB = syntheticApplication({ ...SPEC, appId: 'app-cli-b', appName: 'etl-b', labels: { team: 'beta' }, startMs: Date.now() - 30_000 });

let broker: Broker;
let jsonSidecar: SidecarProcess;
let protoSidecar: SidecarProcess;
let offsetsSidecar: SidecarProcess | undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function cli(args: string[], onStderr?: (s: string) => void): Promise<Run> {
  const env = envWithout();
  const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = { code: null, stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (r.stdout += d));
  p.stderr.on('data', (d) => {
    r.stderr += d;
    onStderr?.(r.stderr);
  });
  return new Promise((res) => p.on('exit', (code) => res({ ...r, code })));
}
const lines = (s: string) => s.split('\n').filter(Boolean);
const key = (r: any) => `${r.eventId}/${r.name}`;

beforeAll(async () => {
  broker = await startBroker();
  const common = ['--kafka-brokers', broker.bootstrap, '--kafka-partitions', '2', '--extended'];
  jsonSidecar = await spawnSidecar({ args: [...common, '--kafka-topic', 'cli-json'] });
  protoSidecar = await spawnSidecar({ args: [...common, '--kafka-topic', 'cli-proto', '--kafka-encoding', 'protobuf'] });
  for (const s of [jsonSidecar, protoSidecar]) await waitFor('kafka SERVING', async () => (await s.health('sparkwire.kafka')) === 'SERVING');
});
afterAll(async () => {
  await offsetsSidecar?.stop();
  await jsonSidecar?.stop();
  await protoSidecar?.stop().catch(() => undefined);
  await broker?.stop();
});

const kafka = (topic: string) => ['--brokers', broker.bootstrap, '--topic', topic];

describe('sparkwire tail', () => {
  it('follows a topic from now on, with filters, and stops at --limit', async () => {
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const following = cli(['tail', ...kafka('cli-json'), '--app-id', 'app-cli-a', '--name', 'stage_metrics', '--limit', '3'], (err) => err.includes('following') && ready());
    await isReady;
    for (const s of [jsonSidecar, protoSidecar]) {
      await sendApp(s.address, appA, { clientId: 'cli-a' });
      await sendApp(s.address, appB, { clientId: 'cli-b' });
    }
    const r = await following;
    expect(r.code).toBe(0);
    const got = lines(r.stdout).map((l) => JSON.parse(l));
    expect(got.map((g) => [g.name, g.appId])).toEqual([['stage_metrics', 'app-cli-a'], ['stage_metrics', 'app-cli-a'], ['stage_metrics', 'app-cli-a']]);
  });

  it('decodes both encodings to the same sparkMeasure records', async () => {
    const want = appA.flatMap((e) => toSparkMeasureRecords(e));
    const fromJson = await cli(['tail', ...kafka('cli-json'), '--from-beginning', '--until-end', '--app-id', 'app-cli-a']);
    const fromProto = await cli(['tail', ...kafka('cli-proto'), '--from-beginning', '--until-end', '--app-id', 'app-cli-a']);
    expect([fromJson.code, fromProto.code]).toEqual([0, 0]);
    const j = lines(fromJson.stdout).map((l) => JSON.parse(l));
    const p = lines(fromProto.stdout).map((l) => JSON.parse(l));
    expect(j).toHaveLength(want.length);
    const sort = (xs: any[]) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sort(p)).toEqual(sort(j));
  });

  it('filters by app name, label and record name; --pretty and --raw', async () => {
    const base = [...kafka('cli-proto'), '--from-beginning', '--until-end'];
    const byLabel = await cli(['tail', ...base, '--label', 'team=beta', '--name', 'jobs_started,jobs_ended']);
    expect(lines(byLabel.stdout).map((l) => JSON.parse(l)).map((r) => [r.appId, r.name])).toEqual([
      ['app-cli-b', 'jobs_started'], ['app-cli-b', 'jobs_ended'], ['app-cli-b', 'jobs_started'], ['app-cli-b', 'jobs_ended'],
    ]);
    const byName = await cli(['tail', ...base, '--app-name', 'etl-a', '--name', 'applications_started', '--pretty']);
    expect(byName.stdout).toMatch(/^--- \S+ cli-proto\/\d@\d+ key=app-cli-a protobuf\n\{\n {2}"name": "applications_started",/);
    console.log(byName.stdout, byLabel.stdout);
    const raw = await cli(['tail', ...base, '--app-id', 'app-cli-b', '--name', 'applications_started', '--raw']);
    const ev = JSON.parse(raw.stdout);
    expect(ev).toMatchObject({ appId: 'app-cli-b', appName: 'etl-b', applicationStart: {} });
    const since = await cli(['tail', ...kafka('cli-json'), '--since', '10m', '--until-end', '--app-id', 'app-cli-b', '--name', 'applications_ended']);
    expect(lines(since.stdout)).toHaveLength(1);
    expect((await cli(['tail', ...base, '--pretty', '--raw'])).code).toBe(2);
    expect((await cli(['tail', ...base, '--since', 'yesterday'])).code).toBe(2);
  });
});

describe('sparkwire report', () => {
  it('reads a protobuf topic and aggregates the same figures as the json one', async () => {
    const rp = await cli(['report', '--app', 'app-cli-a', ...kafka('cli-proto'), '--output', 'json']);
    const rj = await cli(['report', '--app', 'app-cli-a', ...kafka('cli-json'), '--output', 'json']);
    expect([rp.code, rj.code]).toEqual([0, 0]);
    const p = JSON.parse(rp.stdout);
    expect(p.aggregated).toEqual(JSON.parse(rj.stdout).aggregated);
    expect(p.aggregated.numStages).toBe(3);
    expect(p.aggregated.numTasks).toBe(12);
    expect(p.tasks.count).toBe(12);
    expect(p.jobs).toHaveLength(2);
  });
});

describe('sparkwire status', () => {
  it('shows health entries and the Prometheus figures, exit 0 while serving, 1 when gone', async () => {
    const url = `http://${metricsAddress(jsonSidecar)}/metrics`;
    const r = await cli(['status', '--address', jsonSidecar.address, '--metrics-url', url, '--output', 'json', '--require', ',sparkwire.v1.ListenerService,sparkwire.kafka,sparkwire.spool']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.health).toMatchObject({ '': 'SERVING', 'sparkwire.v1.ListenerService': 'SERVING', 'sparkwire.kafka': 'SERVING', 'sparkwire.spool': 'SERVING' });
    expect(s.metrics.eventsReceived).toBe(appA.length + appB.length);
    expect(s.metrics.spoolPendingEntries).toBe(0);
    expect(s.metrics.receivedPerSecond).toBe(0);
    const text = await cli(['status', '--address', jsonSidecar.address, '--metrics-url', url]);
    expect(text.stdout).toContain(`sidecar ${jsonSidecar.address}: SERVING`);
    expect(text.stdout).toContain('spool depth (entries)');
    console.log(text.stdout);

    const address = protoSidecar.address;
    await protoSidecar.stop();
    const gone = await cli(['status', '--address', address, '--no-metrics', '--timeout-ms', '1000']);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('UNREACHABLE');
    expect((await cli(['status', '--address', 'nohostport'])).code).toBe(2);
  });
});

describe('sparkwire lag / offsets', () => {
  it('commit, fetch, lag through the sidecar; reset in Kafka only without live members', async () => {
    const k = new kafkajs.Kafka({ clientId: 'cli-offsets-test', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'orders', numPartitions: 2 }] });
    const producer = k.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    for (const partition of [0, 1]) await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 50 }, () => ({ partition, value: 'x' })) });
    await producer.disconnect();
    offsetsSidecar = await spawnSidecar({ args: ['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'cli-offsets-events', '--offsets-enabled', 'true', '--offsets-lag-poll-ms', '200'] });
    const svc = ['--address', offsetsSidecar.address];

    const commit = ['offsets', 'commit', ...svc, '--group', 'g1', '--query-id', 'q1', '--batch-id', '0', '--range', 'orders:0:0:20', '--range', 'orders:1:0:35'];
    const c1 = await cli(commit);
    expect([c1.code, c1.stdout]).toEqual([0, 'COMMITTED: orders-0@20, orders-1@35\n']);
    expect((await cli(commit)).stdout).toMatch(/^ALREADY_COMMITTED/);
    const fenced = await cli(['offsets', 'commit', ...svc, '--group', 'g1', '--query-id', 'q1', '--batch-id', '1', '--range', 'orders:0:25:30']);
    expect(fenced.code).toBe(1);
    expect(fenced.stderr).toContain('ranges[0].from_offset');
    expect((await cli(['offsets', 'commit', ...svc, '--group', 'g1', '--query-id', 'q1', '--batch-id', '1', '--range', 'orders:0'])).code).toBe(2);

    const f = await cli(['offsets', 'fetch', ...svc, '--group', 'g1', '--topic', 'orders', '--starting-offsets']);
    expect(JSON.parse(f.stdout)).toEqual({ orders: { '0': 20, '1': 35 } });
    await waitFor('lag sampled', async () => JSON.parse((await cli(['lag', ...svc, '--group', 'g1', '--output', 'json'])).stdout).totalLag === 45);
    const all = await cli(['lag', ...svc, '--metrics-url', `http://${metricsAddress(offsetsSidecar)}/metrics`]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^group g1: OK, total lag 45 records/);
    const lag = await cli(['lag', ...svc, '--group', 'g1']);
    expect(lag.code).toBe(0);
    expect(lag.stdout).toMatch(/^group g1: OK, total lag 45 records/);
    console.log(lag.stdout);

    // reset: refused while the group has a live member, then done with --yes semantics (stdout is no terminal here).
    const live = k.consumer({ groupId: 'g1' });
    await live.connect();
    await live.subscribe({ topic: 'orders' });
    await live.run({ autoCommit: false, eachMessage: async () => undefined });
    await waitFor('member joined', async () => ((await admin.describeGroups(['g1'])).groups[0]?.members.length ?? 0) > 0);
    const refused = await cli(['offsets', 'reset', '--brokers', broker.bootstrap, '--group', 'g1', '--topic', 'orders', '--to', 'earliest']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('live member');
    await live.disconnect();
    const dry = await cli(['offsets', 'reset', '--brokers', broker.bootstrap, '--group', 'g1', '--topic', 'orders', '--to', 'earliest', '--dry-run', '--output', 'json']);
    expect(JSON.parse(dry.stdout).partitions).toEqual([
      { topic: 'orders', partition: 0, from: '20', to: '0' },
      { topic: 'orders', partition: 1, from: '35', to: '0' },
    ]);
    const reset = await cli(['offsets', 'reset', '--brokers', broker.bootstrap, '--group', 'g1', '--topic', 'orders', '--to', '10', '--partition', '1']);
    expect(reset.code).toBe(0);
    console.log(reset.stdout);
    const after = await admin.fetchOffsets({ groupId: 'g1', topics: ['orders'] });
    expect(after[0].partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '20'], [1, '10']]);
    expect((await cli(['offsets', 'reset', '--brokers', broker.bootstrap, '--group', 'g1', '--topic', 'orders', '--to', 'middle'])).code).toBe(2);
    await admin.disconnect();
  });
});
