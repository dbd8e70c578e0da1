// Exactly once on real PySpark, with offsets in Kafka through the sidecar: a Structured
// Streaming job (job.py) reads a Kafka topic, writes each batch to an idempotent sink and
// commits after the output with sparkwire's foreachBatch helper. It is killed (SIGKILL of
// the driver and its JVM) at random points three times, each time restarted from the
// offsets the sidecar fetches, and a fourth run finishes. Every input record must be in the
// sink exactly once, and the group's committed offsets must be the log end.
//
// The kill points are random (seeded; the seed is printed and can be replayed with
// OFFSETS_E2E_SEED): the first anywhere (Spark's startup included), the other two right
// after a random batch's output, before or while its offsets are committed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { startBroker, type Broker } from '@sparkwire/kafka-broker';
import { mulberry32, REPO_ROOT, spawnSidecar, type SidecarProcess } from '@sparkwire/testkit';
import { ensureSparkKafkaJars } from './spark-kafka-jars';

const { Kafka, Partitioners, logLevel } = kafkajs;
const PYTHON = join(REPO_ROOT, '.venv/bin/python');
const JOB = resolve(import.meta.dirname, 'job.py');
const TOPIC = 'e2e-orders';
const GROUP = 'e2e-orders-etl';
const PARTITIONS = 3;

let broker: Broker;
let sidecar: SidecarProcess;
let admin: Admin;
let producer: Producer;
let jars: string[];
let out: string;

interface Run {
  proc: ChildProcess;
  events: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<number | null>;
}

function startJob(seed: number, expected = 0): Run {
  const args = [JOB, '--endpoint', sidecar.address, '--bootstrap', broker.bootstrap, '--topic', TOPIC, '--group', GROUP, '--out', out, '--jars', jars.join(','), '--seed', String(seed)];
  if (expected) args.push('--expected', String(expected));
  // Own process group: a kill takes the driver and the JVM it launched, like a crashed host.
  const proc = spawn(PYTHON, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYSPARK_PYTHON: PYTHON } });
  const events: Run['events'] = [];
  const stderr: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        events.push(JSON.parse(line));
      } catch {
        /* Spark's own output */
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (stderr.length > 200) stderr.shift();
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, events, stderr, exited };
}

function killGroup(run: Run): void {
  try {
    process.kill(-run.proc.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number, run?: Run): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (run && run.proc.exitCode !== null) throw new Error(`job exited (${run.proc.exitCode}) while waiting for ${what}:\n${run.stderr.join('').slice(-3000)}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${run ? `:\n${run.stderr.join('').slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let produced: string[] = [];
async function produce(perPartition: number, tag: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    const values = Array.from({ length: perPartition }, (_, i) => `${tag}-p${p}-${i}`);
    await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ partition: p, value })) });
    produced.push(...values);
  }
}

beforeAll(async () => {
  [broker, jars] = await Promise.all([startBroker(), ensureSparkKafkaJars()]);
  sidecar = await spawnSidecar({ args: ['--kafka-brokers', broker.bootstrap, '--kafka-topic', 'e2e-events', '--offsets-enabled', 'true', '--metrics-enabled', 'false'] });
  const kafka = new Kafka({ clientId: 'offsets-e2e', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  out = mkdtempSync(join(tmpdir(), 'offsets-e2e-sink-'));
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await sidecar?.stop();
  await broker?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

it('killed at random points and restarted 3 times from fetched offsets, the sink ends with every record exactly once', async () => {
  const seed = Number(process.env.OFFSETS_E2E_SEED) || Date.now() % 1_000_000;
  console.log(`offsets-e2e seed ${seed} (replay with OFFSETS_E2E_SEED=${seed})`);
  const rnd = mulberry32(seed);
  await produce(150, 'a');
  const kills: string[] = [];

  for (let run = 1; run <= 3; run++) {
    if (run === 2) await produce(60, 'b'); // new input arriving between runs
    const job = startJob(seed + run);
    // Run 1: after 0-3 written batches and a random 0-1.5 s (anywhere, startup included).
    // Runs 2 and 3: the moment the 1st-3rd batch's output is written, i.e. most likely
    // between an output and its commit (the job pauses 0-300 ms there).
    const batches = run === 1 ? Math.floor(rnd() * 4) : 1 + Math.floor(rnd() * 3);
    const written = () => job.events.filter((e) => e.event === 'written').length;
    await until(`run ${run}: ${batches} written batches`, () => written() >= batches && job.events.some((e) => e.event === 'start'), 120_000, job);
    if (run === 1) await new Promise((r) => setTimeout(r, rnd() * 1500));
    killGroup(job);
    await job.exited;
    const last = job.events[job.events.length - 1];
    kills.push(`run ${run}: killed after ${written()} written / ${job.events.filter((e) => e.event === 'committed').length} committed batches, last event ${String(last?.event)}`);
  }
  console.log(kills.join('\n'));

  // Where the killed runs left the group: the last run must start exactly there. (After a
  // second: a commit the last kill cut off in flight may still land, in milliseconds.)
  await new Promise((r) => setTimeout(r, 1000));
  const [before] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  const committedBefore = Object.fromEntries(before.partitions.map((p) => [String(p.partition), Number(p.offset)]));
  console.log(`committed before the last run: ${JSON.stringify(committedBefore)}`);

  // The last run finishes by itself once everything is committed.
  await produce(30, 'c');
  const final = startJob(seed + 4, produced.length);
  const code = await Promise.race([final.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 180_000))]);
  if (code !== 0) {
    killGroup(final);
    throw new Error(`final run ended with ${code}:\n${final.stderr.join('').slice(-4000)}`);
  }
  expect(final.events.find((e) => e.event === 'done')).toMatchObject({ status: 'OK', logEnd: produced.length });
  // The last run started from the group's committed offsets (the log start, 0, where the
  // killed runs committed nothing: possible when each was killed before its first commit).
  const started = final.events.find((e) => e.event === 'start')!.startingOffsets as Record<string, Record<string, number>>;
  const expectedStart = Object.fromEntries(Object.entries(committedBefore).map(([p, o]) => [p, o < 0 ? 0 : o]));
  expect(started[TOPIC]).toEqual(expectedStart);

  // Every input record exactly once in the sink.
  const records: string[] = [];
  for (const f of readdirSync(out).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(out, f), 'utf8').split('\n')) if (line) records.push(JSON.parse(line).value);
  }
  const counts = new Map<string, number>();
  for (const v of records) counts.set(v, (counts.get(v) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const missing = produced.filter((v) => !counts.has(v));
  const extra = records.filter((v) => !produced.includes(v));
  expect({ duplicated, missing, extra }).toEqual({ duplicated: [], missing: [], extra: [] });
  expect(records.length).toBe(produced.length);

  // And the group's offsets are the log end: what kafkajs (any Kafka tool) sees.
  const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  const ends = await admin.fetchTopicOffsets(TOPIC);
  for (const p of committed.partitions) expect(p.offset).toBe(ends.find((e) => e.partition === p.partition)!.high);
});
