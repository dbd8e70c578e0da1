// Real processes for the fault-injection scenarios: the sidecar (from its bundle, as users
// run it), the load generator, and what is in Kafka at the end, counted by event id.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import kafkajs from 'kafkajs';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import type { SparkEvent } from '@sparkwire/proto';
import { batchEvents, templateEvents, type LoadgenOptions } from './loadgen';

export const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'apps/sidecar/bin/sparkwire.js');
const LOADGEN = join(ROOT, 'testing/fault-injection/src/loadgen.ts');

/** SPARKWIRE_FAULTS_LONG=1 runs the long variants (e.g. the full 30 s broker outage). */
export const LONG = process.env.SPARKWIRE_FAULTS_LONG === '1';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sparkwire-fi-${prefix}-`));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - t0;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

/** Resident memory of a process, bytes (from /proc). */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of the files in a directory tree. */
export function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    try {
      n += f.isDirectory() ? dirBytes(p) : statSync(p).size;
    } catch {
      /* removed meanwhile */
    }
  }
  return n;
}

export interface SidecarOptions {
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Fixed port (so a restarted sidecar is found at the same address); 0 picks one. */
  port?: number;
  spoolDir?: string;
}

/** `sparkwire serve` in its own process, with its memory and spool size sampled. */
export class Sidecar {
  proc!: ChildProcess;
  address = '';
  metricsAddress = '';
  readonly logs: string[] = [];
  maxRssBytes = 0;
  maxSpoolBytes = 0;
  startedMs = 0;
  private exited!: Promise<number | null>;
  private sampler?: NodeJS.Timeout;

  constructor(readonly opts: SidecarOptions) {}

  static async start(opts: SidecarOptions): Promise<Sidecar> {
    const s = new Sidecar(opts);
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    const args = [BIN, 'serve', '--server-port', String(this.opts.port ?? 0), '--metrics-port', '0', ...(this.opts.spoolDir ? ['--spool-dir', this.opts.spoolDir] : []), ...this.opts.args];
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPARKWIRE_'))), ...this.opts.env };
    const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.exited = new Promise((r) => proc.on('exit', (code) => r(code)));
    const listening = new Promise<void>((res, rej) => {
      let buf = '';
      const timer = setTimeout(() => rej(new Error(`sidecar did not start:\n${this.logs.slice(-30).join('\n')}`)), 60_000);
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.logs.push(line);
          if (line.includes('"sparkwire sidecar listening"')) {
            const o = JSON.parse(line);
            this.address = o.address;
            this.metricsAddress = o.metricsAddress ?? '';
            clearTimeout(timer);
            res();
          }
        }
      });
      proc.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString()));
      void this.exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`sidecar exited with ${code}:\n${this.logs.slice(-30).join('\n')}`));
      });
    });
    await listening;
    this.startedMs = Date.now() - t0;
    this.sampler = setInterval(() => this.sample(), 100);
  }

  sample(): void {
    const rss = rssOf(this.proc.pid!);
    if (rss) this.maxRssBytes = Math.max(this.maxRssBytes, rss);
    if (this.opts.spoolDir) this.maxSpoolBytes = Math.max(this.maxSpoolBytes, dirBytes(this.opts.spoolDir));
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get rssBytes(): number {
    return rssOf(this.proc.pid!) ?? 0;
  }

  /** Sends the signal and waits for the exit (SIGKILL: at once, no cleanup). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    clearInterval(this.sampler);
    if (this.alive) this.proc.kill(signal);
    const code = await this.exited;
    // FI_DEBUG=1 keeps each sidecar's log in results/ for a look after the run.
    if (process.env.FI_DEBUG) {
      mkdirSync(join(ROOT, 'testing/fault-injection/results'), { recursive: true });
      writeFileSync(join(ROOT, `testing/fault-injection/results/sidecar-${this.proc.pid}.log`), this.logs.join('\n'));
    }
    return code;
  }

  /** Log lines (parsed) with this message. */
  logged(msg: string): Array<Record<string, any>> {
    const out: Array<Record<string, any>> = [];
    for (const l of this.logs) {
      if (!l.includes(msg)) continue;
      try {
        out.push(JSON.parse(l));
      } catch {
        /* not JSON */
      }
    }
    return out;
  }

  /** The Prometheus text of the sidecar. */
  async metrics(): Promise<string> {
    return (await fetch(`http://${this.metricsAddress}/metrics`)).text();
  }

  /** grpc.health.v1 status of a service ("" = the process). Plaintext servers only. */
  health(service: string): Promise<string> {
    const def = protoLoader.loadSync('health/v1/health.proto', { enums: String, includeDirs: [join(ROOT, 'node_modules/grpc-health-check/proto')] });
    const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
    const client = new Health(this.address, grpc.credentials.createInsecure());
    return new Promise((res, rej) =>
      client.check({ service }, (e: Error | null, r: { status: string }) => {
        client.close();
        if (e) rej(e);
        else res(r.status);
      }),
    );
  }

  async metric(name: string): Promise<number | undefined> {
    const text = await this.metrics();
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  }
}

export interface LoadgenSummary {
  type: 'summary';
  reason: string;
  generatedEvents: number;
  ackedBatches: number;
  ackedEvents: number;
  refusedBatches: number;
  unackedBatches: number;
  resentBatches: number;
  reconnects: number;
  maxUnacked: number;
  errors: Record<string, number>;
  durationMs: number;
}

/** The load generator in its own process. */
export class Loadgen {
  readonly proc: ChildProcess;
  readonly done: Promise<LoadgenSummary>;
  readonly lines: string[] = [];
  last?: Record<string, any>;

  constructor(readonly opts: LoadgenOptions) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', LOADGEN, JSON.stringify(opts)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.done = new Promise((res, rej) => {
      let buf = '';
      let summary: LoadgenSummary | undefined;
      this.proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.lines.push(line);
          try {
            const o = JSON.parse(line);
            this.last = o;
            if (o.type === 'summary') summary = o;
          } catch {
            /* not JSON */
          }
        }
      });
      this.proc.stderr!.on('data', (d: Buffer) => this.lines.push(d.toString()));
      this.proc.on('exit', (code) => (summary ? res(summary) : rej(new Error(`loadgen exited ${code} without a summary:\n${this.lines.slice(-20).join('\n')}`))));
    });
  }

  /** Acked batch numbers so far (from the ack file). */
  ackedSeqs(): number[] {
    if (!existsSync(this.opts.ackFile)) return [];
    return readFileSync(this.opts.ackFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }

  /** The events of every acked batch. */
  ackedEvents(): SparkEvent[] {
    const template = templateEvents(this.opts.appId);
    return this.ackedSeqs().flatMap((seq) => batchEvents(this.opts, seq, template));
  }

  get ackedCount(): number {
    return (this.last?.ackedEvents as number | undefined) ?? 0;
  }
}

export function loadgenOptions(o: Partial<LoadgenOptions> & { address: string; name: string; dir: string }): LoadgenOptions {
  return {
    clientId: `${o.name}-client`,
    prefix: `${o.name}-${Date.now().toString(36)}`,
    appId: `app-${o.name}`,
    rate: 4000,
    batchSize: 100,
    total: 40_000,
    window: 32,
    buffer: 2000,
    ackFile: join(o.dir, `${o.name}.acks`),
    ...o,
  };
}

export interface KafkaCount {
  /** Events acked by the sidecar. */
  acked: number;
  /** Of those, present in Kafka (at least one record with the event id). */
  inKafka: number;
  /** Acked events with no record in Kafka. */
  lost: number;
  /** Records present more than once (same event id and record name), counted beyond the first. */
  duplicates: number;
  /** Records read from the topic. */
  records: number;
  lostIds: string[];
  /** Records whose event number is below one already seen in the same partition (Spark order broken). */
  outOfOrder: number;
}

/** Offsets of a topic: the sum of high watermarks (records ever written). */
export async function topicEnd(bootstrap: string, topic: string): Promise<number> {
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], clientId: 'fi-offsets', logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 1 } }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  } catch {
    return 0;
  } finally {
    await admin.disconnect();
  }
}

/** Reads the whole topic (until `minRecords` and then a quiet period). */
export async function readAll(bootstrap: string, topic: string, minRecords: number, timeoutMs = 120_000): Promise<Array<{ key: string | null; value: Buffer; partition: number }>> {
  const kafka = new kafkajs.Kafka({ brokers: [bootstrap], clientId: 'fi-reader', logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `fi-reader-${Math.random().toString(36).slice(2)}`, maxBytes: 50 * 1024 * 1024 });
  const out: Array<{ key: string | null; value: Buffer; partition: number }> = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) out.push({ key: m.key ? m.key.toString() : null, value: m.value!, partition: batch.partition });
      last = Date.now();
    },
  });
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs && !(out.length >= minRecords && Date.now() - last > 1500)) await sleep(100);
  await consumer.disconnect();
  return out;
}

/** Every acked event present in Kafka? Any record twice? Counted by event id (JSON encoding). */
export async function countInKafka(bootstrap: string, topic: string, acked: SparkEvent[]): Promise<KafkaCount> {
  let expectedRecords = 0;
  for (const e of acked) expectedRecords += toSparkMeasureRecords(e).length;
  const records = await readAll(bootstrap, topic, expectedRecords);
  return countRecords(records, acked.map((e) => e.eventId));
}

/** Counts by event id; order is checked per partition on the number at the end of the id. */
export function countRecords(records: Array<{ value: Buffer; partition?: number }>, ackedIds: string[]): KafkaCount {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  const highest = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  for (const r of records) {
    const o = JSON.parse(r.value.toString()) as { eventId: string; name: string };
    const k = `${o.eventId}\u0000${o.name}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > 1) duplicates++;
    ids.add(o.eventId);
    const dash = o.eventId.lastIndexOf('-');
    const num = Number(o.eventId.slice(dash + 1));
    const stream = `${r.partition ?? 0}/${o.eventId.slice(0, dash)}`;
    if (n === 1 && Number.isFinite(num)) {
      if (num < (highest.get(stream) ?? 0)) outOfOrder++;
      else highest.set(stream, num);
    }
  }
  const lostIds = ackedIds.filter((id) => !ids.has(id));
  return { acked: ackedIds.length, inKafka: ackedIds.length - lostIds.length, lost: lostIds.length, duplicates, records: records.length, lostIds: lostIds.slice(0, 20), outOfOrder };
}

/** Waits until the topic holds at least n records; returns how long that took. */
export async function waitForTopic(bootstrap: string, topic: string, n: number, timeoutMs = 180_000): Promise<number> {
  return waitFor(`${n} records in ${topic}`, async () => (await topicEnd(bootstrap, topic)) >= n, timeoutMs, 250);
}

export function expectedRecords(events: SparkEvent[]): number {
  let n = 0;
  for (const e of events) n += toSparkMeasureRecords(e).length;
  return n;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const MiB = 1024 * 1024;

/**
 * The sidecar's memory bound in these runs (defaults: server.maxInFlightBytes 64 MiB,
 * spool.cacheBytes 32 MiB); see docs/reliability.md, "Bounded resources".
 */
export const RSS_BOUND = 400 * MiB;
