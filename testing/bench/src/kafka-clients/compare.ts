/**
 * Kafka clients for Node side by side (issue #9), from the repository root:
 *
 *   npx tsx testing/bench/src/kafka-clients/compare.ts [--records 200000] [--rounds 3]
 *       [--clients kafkajs,platformatic,platformatic2,confluent,kafkajs@node24] [--compression none,gzip,lz4,zstd]
 *       [--inflight 1,5] [--batch-records 1000] [--pp-records N] [--bootstrap HOST:PORT] [--output-json PATH]
 *
 * One broker (testing/kafka), the same records for every client (the sidecar's extended-mode
 * JSON task records, keyed by application id), acks=all and idempotence on. Each run is a
 * process of its own (worker.ts) producing N records to a fresh 6-partition topic, in
 * interleaved rounds; a run whose topic does not then hold exactly N records is a failed run.
 * Kafka's ProducerPerformance runs in every round at the same record size, as the reference.
 * A client runs on the machine's node unless its package needs a newer one (@platformatic/kafka
 * 2.x) or a codec needs one (node:zlib zstd, Node 22.15+): then on tools/node-lts.sh's Node 24.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runProducerPerformance, startBroker, type Broker } from '@sparkwire/kafka-broker';
import { kafkaClient } from '../integrity';
import { CLIENT_NAMES } from './adapters';
import type { ClientInfo, Compression } from './types';
import type { RunSpec, WorkerResult } from './worker';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../../../..');
const PARTITIONS = 6;

export interface Runtime {
  id: string;
  bin: string;
  version: string;
}

export interface Config {
  client: string;
  runtime: Runtime;
  maxInFlight: number;
  compression: Compression;
}

export interface RunOutcome {
  config: Config;
  round: number;
  topic: string;
  ok: boolean;
  inTopic?: number;
  result?: WorkerResult;
  error?: string;
}

/** The machine's node, and the newest Node of tools/node-lts.sh (24) when it is there. */
export function runtimes(): Runtime[] {
  const out: Runtime[] = [];
  const sys = process.execPath;
  out.push({ id: `node${process.versions.node.split('.')[0]}`, bin: sys, version: process.version });
  try {
    const bins = execFileSync('bash', [path.join(REPO_ROOT, 'tools/node-lts.sh'), '--print'], { encoding: 'utf8' }).trim().split('\n');
    for (const bin of bins.slice(-1)) {
      if (!existsSync(bin)) continue;
      const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
      const id = `node${version.slice(1).split('.')[0]}`;
      if (!out.some((r) => r.id === id)) out.push({ id, bin, version });
    }
  } catch {
    // no LTS nodes: the machine's only
  }
  return out;
}

function runWorker(rt: Runtime, spec: object, timeoutMs: number): Promise<{ line: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(rt.bin, ['--import', 'tsx', path.join(HERE, 'worker.ts'), JSON.stringify(spec)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => /^(INFO|RESULT|ERROR) /.test(l)) ?? `ERROR ${JSON.stringify(`no result (exit ${code}, timeout ${timeoutMs} ms?): ${err.slice(-500)}`)}`;
      resolve({ line, stderr: err, code });
    });
  });
}

/** Which clients are installed and what they support, per runtime. */
export async function probe(rts: Runtime[]): Promise<Map<string, Record<string, ClientInfo | null>>> {
  const out = new Map<string, Record<string, ClientInfo | null>>();
  for (const rt of rts) {
    const { line } = await runWorker(rt, { mode: 'info' }, 60_000);
    out.set(rt.id, line.startsWith('INFO ') ? (JSON.parse(line.slice(5)) as Record<string, ClientInfo | null>) : {});
  }
  return out;
}

/** Clients that must not run on an older runtime than their package's engines allow. */
const MIN_NODE: Record<string, number> = { platformatic2: 22 };

/** The configurations to measure: each on the oldest runtime that has what it needs. */
export function plan(rts: Runtime[], infos: Map<string, Record<string, ClientInfo | null>>, clients: string[], compressions: Compression[], inflights: number[]): { configs: Config[]; skipped: string[] } {
  const configs: Config[] = [];
  const skipped: string[] = [];
  for (const spec of clients) {
    // `name@node24`: this client on that runtime only (e.g. to tell a client's figures from the runtime's).
    const [client, only] = spec.split('@');
    for (const compression of compressions) {
      for (const k of inflights) {
        if (k !== 1 && compression !== 'none') continue; // in flight is measured uncompressed
        const rt = rts.find((r) => {
          if (only && r.id !== only) return false;
          const i = infos.get(r.id)?.[client];
          return i && Number(r.version.slice(1).split('.')[0]) >= (MIN_NODE[client] ?? 0) && i.maxInFlight.includes(k) && i.compression[compression];
        });
        if (rt) configs.push({ client, runtime: rt, maxInFlight: k, compression });
        else skipped.push(`${spec} ${compression} in-flight ${k}`);
      }
    }
  }
  return { configs, skipped };
}

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

export async function topicRecords(bootstrap: string, topic: string): Promise<number> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

let topicSeq = 0;

/** One run: a fresh topic, the worker, then the count check. */
export async function runOne(bootstrap: string, c: Config, records: number, batchRecords: number, round: number): Promise<RunOutcome> {
  const topic = `kc-${c.client}-${c.compression}-k${c.maxInFlight}-r${round}-${Date.now().toString(36)}-${topicSeq++}`;
  await createTopic(bootstrap, topic);
  const spec: RunSpec & { mode: 'run' } = { mode: 'run', client: c.client, bootstrap, topic, records, batchRecords, maxInFlight: c.maxInFlight, compression: c.compression };
  const { line } = await runWorker(c.runtime, spec, Math.max(120_000, records * 2));
  const inTopic = await topicRecords(bootstrap, topic);
  if (line.startsWith('RESULT ')) {
    const result = JSON.parse(line.slice(7)) as WorkerResult;
    const ok = inTopic === records && result.acked === records;
    return { config: c, round, topic, ok, inTopic, result, error: ok ? undefined : `topic holds ${inTopic} records, ${records} sent and acked` };
  }
  return { config: c, round, topic, ok: false, inTopic, error: String(JSON.parse(line.slice(6))).split('\n').slice(0, 3).join(' | ') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');
const key = (c: Config) => `${c.client}|${c.runtime.id}|${c.maxInFlight}|${c.compression}`;

export interface Report {
  markdown: string;
  failed: RunOutcome[];
}

export function report(outcomes: RunOutcome[], pp: Array<{ round: number; recordsPerSec: number }>, infos: Map<string, Record<string, ClientInfo | null>>, baseline: string): Report {
  const groups = new Map<string, RunOutcome[]>();
  for (const o of outcomes) groups.set(key(o.config), [...(groups.get(key(o.config)) ?? []), o]);
  const base = new Map<number, number>();
  const baseCpu = new Map<number, number>();
  for (const o of outcomes) {
    if (key(o.config) !== baseline || !o.ok) continue;
    base.set(o.round, o.result!.recordsPerSec);
    baseCpu.set(o.round, o.result!.cpuUsPerRecord);
  }
  const ppBy = new Map(pp.map((p) => [p.round, p.recordsPerSec]));
  const rows: string[] = [
    '| client | node | in flight | compression | records/s (median) | records/s x kafkajs (per round, median) | x ProducerPerformance | CPU us/record (median) | CPU x kafkajs (per round, median) | peak RSS MB | runs ok |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [k, runs] of groups) {
    const c = runs[0].config;
    const ok = runs.filter((r) => r.ok);
    const info = infos.get(c.runtime.id)?.[c.client];
    const ratios = ok.filter((r) => base.has(r.round)).map((r) => r.result!.recordsPerSec / base.get(r.round)!);
    const cpuRatios = ok.filter((r) => baseCpu.has(r.round)).map((r) => r.result!.cpuUsPerRecord / baseCpu.get(r.round)!);
    const ppRatios = ok.filter((r) => ppBy.has(r.round)).map((r) => r.result!.recordsPerSec / ppBy.get(r.round)!);
    rows.push(
      `| ${info?.pkg ?? c.client} ${info?.version ?? ''} | ${c.runtime.version} | ${c.maxInFlight} | ${c.compression === 'none' ? 'none' : `${c.compression} (${info?.compression[c.compression] ?? '?'})`} | ` +
        `${fmt(median(ok.map((r) => r.result!.recordsPerSec)))} | ${k === baseline ? '1 (baseline)' : fmt(median(ratios), 2)} | ${fmt(median(ppRatios), 2)} | ` +
        `${fmt(median(ok.map((r) => r.result!.cpuUsPerRecord)), 1)} | ${k === baseline ? '1 (baseline)' : fmt(median(cpuRatios), 2)} | ${fmt(Math.max(...ok.map((r) => r.result!.peakRssBytes)) / 2 ** 20)} | ${ok.length}/${runs.length} |`,
    );
  }
  if (pp.length) rows.push(`| ProducerPerformance (Java, acks=all, idempotence on by default, batch.size 1 MiB, linger.ms 10) | - | 5 (default) | none | ${fmt(median(pp.map((p) => p.recordsPerSec)))} | - | 1 | - | - | - | ${pp.length}/${pp.length} |`);
  const failed = outcomes.filter((o) => !o.ok);
  const fails = failed.map((f) => `- FAILED: ${f.config.client} ${f.config.runtime.id} in-flight ${f.config.maxInFlight} ${f.config.compression}, round ${f.round}: ${f.error}`);
  return { markdown: [...rows, ...(fails.length ? ['', ...fails] : [])].join('\n'), failed };
}

interface SavedRun {
  started: string;
  records: number;
  rounds: number;
  batchRecords: number;
  avgBytes: number;
  loadBefore: number[];
  loadAfter: number[];
  cpus: number;
  cpuModel: string;
  infos: Record<string, Record<string, ClientInfo | null>>;
  outcomes: RunOutcome[];
  pp: Array<{ round: number; recordsPerSec: number }>;
}

function header(j: SavedRun, loadAfter: number[]): string {
  return (
    `Run ${j.started}: ${j.records} records of ${fmt(j.avgBytes)} B on average per run, ${j.rounds} interleaved rounds, ${PARTITIONS} partitions, batches of ${j.batchRecords} records per send(); ` +
    `${j.cpus ?? '?'} cpus (${j.cpuModel ?? '?'}), load average before ${j.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${(loadAfter ?? []).map((l) => l.toFixed(2)).join(' ')}.\n\n`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
      clients: { type: 'string', default: CLIENT_NAMES.join(',') },
      compression: { type: 'string', default: 'none,gzip,lz4,zstd' },
      inflight: { type: 'string', default: '1,5' },
      'batch-records': { type: 'string', default: '1000' },
      'pp-records': { type: 'string' },
      bootstrap: { type: 'string' },
      'output-json': { type: 'string' },
      'from-json': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('Usage: npx tsx testing/bench/src/kafka-clients/compare.ts [--records N] [--rounds N] [--clients a,b] [--compression none,gzip,lz4,zstd] [--inflight 1,5] [--batch-records N] [--pp-records N] [--bootstrap H:P] [--output-json PATH]\n');
    return;
  }
  if (values['from-json']) {
    // Re-render a run saved with --output-json.
    const j = JSON.parse(readFileSync(values['from-json'], 'utf8')) as SavedRun;
    const infos = new Map(Object.entries(j.infos));
    const b = j.outcomes.find((o) => o.config.client === 'kafkajs' && o.config.maxInFlight === 1 && o.config.compression === 'none');
    process.stdout.write(`${header(j, j.loadAfter)}${report(j.outcomes, j.pp, infos, b ? key(b.config) : '').markdown}\n`);
    return;
  }
  const records = Number(values.records);
  const rounds = Number(values.rounds);
  const batchRecords = Number(values['batch-records']);
  const ppRecords = values['pp-records'] !== undefined ? Number(values['pp-records']) : records;
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const rts = runtimes();
  const infos = await probe(rts);
  for (const rt of rts) log(`${rt.id} (${rt.version}): ${Object.entries(infos.get(rt.id) ?? {}).map(([n, i]) => `${n}=${i ? `${i.version}${i.note ? ` (${i.note})` : ''}` : 'not installed'}`).join(', ')}`);
  const { configs, skipped } = plan(rts, infos, values.clients.split(','), values.compression.split(',') as Compression[], values.inflight.split(',').map(Number));
  if (skipped.length) log(`not measured (client not installed, or no such setting/codec): ${skipped.join('; ')}`);
  log(`${configs.length} configurations x ${rounds} rounds x ${records} records; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const started = new Date().toISOString();
  const loadBefore = os.loadavg();

  let broker: Broker | undefined;
  const outcomes: RunOutcome[] = [];
  const pp: Array<{ round: number; recordsPerSec: number }> = [];
  let avgBytes = 0;
  try {
    let bootstrap = values.bootstrap;
    if (!bootstrap) {
      broker = await startBroker();
      bootstrap = broker.bootstrap;
      log(`broker ${bootstrap}`);
    }
    for (let round = 1; round <= rounds; round++) {
      // Interleaved: every configuration once per round, the order rotated round by round.
      const order = configs.map((_, i) => configs[(i + round - 1) % configs.length]);
      for (const c of order) {
        const o = await runOne(bootstrap, c, records, batchRecords, round);
        outcomes.push(o);
        if (o.result) avgBytes = o.result.avgRecordBytes;
        log(
          `round ${round} ${c.client} ${c.runtime.id} k=${c.maxInFlight} ${c.compression}: ` +
            (o.result ? `${fmt(o.result.recordsPerSec)} rec/s, ${fmt(o.result.cpuUsPerRecord, 1)} us/rec, peak RSS ${fmt(o.result.peakRssBytes / 2 ** 20)} MB, topic ${o.inTopic}` : '') +
            (o.ok ? '' : ` FAILED: ${o.error}`),
        );
      }
      if (ppRecords > 0 && avgBytes > 0) {
        const topic = `kc-pp-r${round}-${Date.now().toString(36)}`;
        await createTopic(bootstrap, topic);
        const r = await runProducerPerformance({ bootstrap, topic, numRecords: ppRecords, recordSize: Math.round(avgBytes), acks: 'all', batchSize: 1_048_576, lingerMs: 10 });
        pp.push({ round, recordsPerSec: r.recordsPerSec });
        log(`round ${round} ProducerPerformance: ${fmt(r.recordsPerSec)} rec/s`);
      }
    }
  } finally {
    await broker?.stop();
  }
  const baseline = configs.find((c) => c.client === 'kafkajs' && c.maxInFlight === 1 && c.compression === 'none');
  const r = report(outcomes, pp, infos, baseline ? key(baseline) : '');
  const saved: SavedRun = { started, records, rounds, batchRecords, avgBytes, loadBefore, loadAfter: os.loadavg(), cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? '?', infos: Object.fromEntries(infos), outcomes, pp };
  process.stdout.write(`${header(saved, saved.loadAfter)}${r.markdown}\n`);
  if (values['output-json']) writeFileSync(values['output-json'], JSON.stringify(saved, null, 2));
  if (r.failed.length) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
