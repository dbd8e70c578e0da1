// Real processes for the fault-injection scenarios: the sidecar (from its bundle, as users
// run it), the load generator, and what is in Kafka at the end, counted by event id.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import kafkajs from 'kafkajs';
import { toSparkMeasureRecords } from '@sparkwire/encoding';
import type { SparkEvent } from '@sparkwire/proto';
import { freePort, readTopic, rssOf, sleep, spawnSidecar, waitFor as kitWaitFor, type ReadRecord, type SidecarProcess } from '@sparkwire/testkit';
import { batchEvents, templateEvents, type LoadgenOptions } from './loadgen';

export const ROOT = resolve(import.meta.dirname, '../../..');
const LOADGEN = join(ROOT, 'testing/fault-injection/src/loadgen.ts');

/** SPARKWIRE_FAULTS_LONG=1 runs the long variants (e.g. the full 30 s broker outage). */
export const LONG = process.env.SPARKWIRE_FAULTS_LONG === '1';

/**
 * SPARKWIRE_FAULTS_KAFKA_CLIENT=kafkajs|platformatic runs every scenario with a Kafka sink on
 * that kafka.client; unset, the sidecar's own default (kafka.client in
 * libs/kafka-client/src/config.ts). The sidecar itself never sees SPARKWIRE_* variables of the
 * test's shell: the kit filters them, so the choice is passed as --kafka-client.
 */
const KAFKA_CLIENT = process.env.SPARKWIRE_FAULTS_KAFKA_CLIENT;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sparkwire-fi-${prefix}-`));
}

/** The kit's waitFor with this suite's default: a minute (broker outages, long drains). */
export function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<number> {
  return kitWaitFor(what, check, timeoutMs, everyMs);
}

export { freePort, rssOf, sleep };

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
  private s!: SidecarProcess;
  maxSpoolBytes = 0;

  constructor(readonly opts: SidecarOptions) {}

  static async start(opts: SidecarOptions): Promise<Sidecar> {
    const s = new Sidecar(opts);
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    const { env, port, spoolDir } = this.opts;
    const args = KAFKA_CLIENT && this.opts.args.some((a) => a.startsWith('--kafka-')) ? [...this.opts.args, '--kafka-client', KAFKA_CLIENT] : this.opts.args;
    this.s = await spawnSidecar({ args, env, port, spoolDir, startTimeoutMs: 60_000, sampleEveryMs: 100, onSample: () => this.sampleSpool() });
  }

  private sampleSpool(): void {
    if (this.opts.spoolDir) this.maxSpoolBytes = Math.max(this.maxSpoolBytes, dirBytes(this.opts.spoolDir));
  }

  get proc(): ChildProcess {
    return this.s.proc;
  }
  get address(): string {
    return this.s.address;
  }
  get metricsAddress(): string {
    return this.s.metricsAddress;
  }
  get logs(): string[] {
    return this.s.logs;
  }
  get maxRssBytes(): number {
    return this.s.maxRssBytes;
  }
  get startedMs(): number {
    return this.s.startedMs;
  }
  get alive(): boolean {
    return this.s.alive;
  }
  get rssBytes(): number {
    return this.s.rssBytes;
  }

  /** Sends the signal and waits for the exit (SIGKILL: at once, no cleanup). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const code = await this.s.stop(signal);
    // FI_DEBUG=1 keeps each sidecar's log in results/ for a look after the run.
    if (process.env.FI_DEBUG) {
      mkdirSync(join(ROOT, 'testing/fault-injection/results'), { recursive: true });
      writeFileSync(join(ROOT, `testing/fault-injection/results/sidecar-${this.s.pid}.log`), this.logs.join('\n'));
    }
    return code;
  }

  /** Log lines (parsed) with this message. */
  logged(msg: string): Array<Record<string, any>> {
    return this.s.logged(msg);
  }

  /** The Prometheus text of the sidecar. */
  metrics(): Promise<string> {
    return this.s.metrics();
  }

  /** grpc.health.v1 status of a service ("" = the process). Plaintext servers only. */
  health(service: string): Promise<string> {
    return this.s.health(service);
  }

  metric(name: string): Promise<number | undefined> {
    return this.s.metric(name);
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
export function readAll(bootstrap: string, topic: string, minRecords: number, timeoutMs = 120_000): Promise<ReadRecord[]> {
  return readTopic(bootstrap, topic, minRecords, timeoutMs);
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
