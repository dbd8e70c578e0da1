// Runs the real parts: the sidecar as its own process (from the bundle, as users run it),
// PySpark job scripts as subprocesses with the project venv, and reads Kafka back.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join, relative, resolve } from 'node:path';
import { freePort, healthStatus, readTopic, spawnSidecar, waitFor } from '@sparkwire/testkit';

export const ROOT = resolve(import.meta.dirname, '../../..');
/**
 * The venv whose PySpark runs the jobs: `.venv` (PySpark 4), or another Spark line's, e.g.
 * SPARKWIRE_SPARK_VENV=.venv-spark35 (PySpark 3.5); relative to the repository root.
 */
export const SPARK_VENV = resolve(ROOT, process.env.SPARKWIRE_SPARK_VENV || '.venv');
export const PYTHON = join(SPARK_VENV, 'bin/python');
/**
 * How much of the suite this Spark line's project runs (vitest.config.ts): `full` on the newest
 * supported line, `core` on the oldest (what depends on the Spark line: the listener jar of
 * that line against that Spark; not the client's outage handling, whose code is one source
 * for every line's jar), `smoke` on the ones in between.
 */
export type E2eLevel = 'full' | 'core' | 'smoke';
const LEVEL_ENV = process.env.SPARKWIRE_E2E_LEVEL;
export const E2E_LEVEL: E2eLevel = LEVEL_ENV === 'smoke' || LEVEL_ENV === 'core' ? LEVEL_ENV : 'full';
/** The project's cache (tools/setup.sh): $SPARKWIRE_CACHE, else <repo>/.cache. */
export const CACHE_DIR = resolve(process.env.SPARKWIRE_CACHE || join(ROOT, '.cache'));

/** A venv's pip-installed Spark: its pyspark folder (a SPARK_HOME) and versions, from spark-core's jar. */
export interface SparkInstall {
  venv: string;
  sparkHome: string;
  sparkVersion: string;
  scala: string;
}

export function sparkInstall(venv: string = SPARK_VENV): SparkInstall | undefined {
  const lib = resolve(ROOT, venv, 'lib');
  if (!existsSync(lib)) return undefined;
  for (const py of readdirSync(lib)) {
    const sparkHome = join(lib, py, 'site-packages', 'pyspark');
    if (!existsSync(join(sparkHome, 'jars'))) continue;
    for (const n of readdirSync(join(sparkHome, 'jars'))) {
      const m = n.match(/^spark-core_(\d+\.\d+)-(\d+\.\d+\.\d+[^/]*)\.jar$/);
      if (m) return { venv, sparkHome, sparkVersion: m[2], scala: m[1] };
    }
  }
  return undefined;
}

/** This project's Spark line (the venv's PySpark). */
export const SPARK = sparkInstall();
/** "PySpark 3.5.9 (.venv-spark35)": names the line in logs and skip reasons. */
export const LINE_NAME = `PySpark ${SPARK?.sparkVersion ?? '?'} (${relative(ROOT, SPARK_VENV) || SPARK_VENV})`;
export const JOBS = resolve(import.meta.dirname, '../jobs');
/**
 * The freshly built listener jars, one per Spark line (libs/spark-listener/lines/<line>/target),
 * searched first by sparkwire.jar_path(), which picks the one of the venv's Spark; else the jars
 * packaged in the venv's sparkwire.
 */
export const LISTENER_JAR_DIRS = ['spark35_2.12', 'spark35_2.13', 'spark4_2.13'].map((l) => join(ROOT, 'libs/spark-listener/lines', l, 'target'));

// ---------------------------------------------------------------- the sidecar process

export interface ClientReport {
  clientId: string;
  clientKind: string;
  droppedBufferFull: number;
  droppedSidecarUnavailable: number;
  sparkDroppedEvents: number;
  eventsSent: number;
  taskEventsSkipped: number;
}

/** `stats` of the sidecar's "sparkwire sidecar stopped" log line. */
export interface SidecarStats {
  received: Record<string, number>;
  published: Record<string, number>;
  filtered: Record<string, number>;
  duplicates: Record<string, number>;
  rejected: Record<string, number>;
  clients: ClientReport[];
}

export interface Sidecar {
  address: string;
  port: number;
  logs: string[];
  /** SIGTERM (graceful: flushes in-flight batches), resolves with the shutdown stats. */
  stop(): Promise<SidecarStats>;
  /** Events received so far (its Prometheus sparkwire_events_received_total, every kind). */
  eventsReceived(): Promise<number>;
}

export interface SidecarOptions {
  /** Kafka; empty ('') for the file sink, writing NDJSON into `fileDir`. */
  bootstrap: string;
  topic: string;
  extended: boolean;
  fileDir?: string;
  /** Fixed port (for a restart on the same address); a free one when omitted. */
  port?: number;
  /** More `sparkwire serve` flags (e.g. an OTLP endpoint). */
  extraArgs?: string[];
}

export async function startSidecar(o: SidecarOptions): Promise<Sidecar> {
  const sink = o.bootstrap ? ['--kafka-brokers', o.bootstrap, '--kafka-topic', o.topic, '--kafka-partitions', '1'] : ['--file-dir', o.fileDir ?? 'sparkwire-data/events'];
  const s = await spawnSidecar({ port: o.port, args: [...sink, ...(o.extended ? ['--extended'] : []), ...(o.extraArgs ?? [])] });
  const sinkHealth = o.bootstrap ? 'sparkwire.kafka' : 'sparkwire.file';
  await waitFor(`sidecar ${sinkHealth} SERVING`, async () => (await healthStatus(s.address, sinkHealth)) === 'SERVING');
  return {
    address: s.address,
    port: s.port,
    logs: s.logs,
    async eventsReceived() {
      let n = 0;
      for (const [k, v] of await s.scrape()) if (k.startsWith('sparkwire_events_received_total')) n += v;
      return n;
    },
    async stop() {
      const code = await s.stop();
      if (code !== 0) throw new Error(`sidecar exited with ${code}:\n${s.logs.slice(-20).join('\n')}`);
      const stats = s.stoppedStats<SidecarStats>();
      if (!stats) throw new Error(`no "sparkwire sidecar stopped" line:\n${s.logs.slice(-20).join('\n')}`);
      return stats;
    },
  };
}

export { freePort, waitFor };

// ---------------------------------------------------------------- PySpark job scripts

/** A JSON line a job script printed with the SPARKWIRE_E2E prefix (jobs/common.py emit()). */
export interface JobLine {
  kind: string;
  [k: string]: any;
}

export interface JobRun {
  code: number | null;
  lines: JobLine[];
  /** The "result" line: what Spark itself reported, read in the job. */
  result: any;
  stdout: string;
  /** The driver log (log4j2 console appender writes to stderr). */
  stderr: string;
  wallMs: number;
}

const PREFIX = 'SPARKWIRE_E2E ';

/**
 * Runs `.venv/bin/python jobs/<script> '<settings json>'`. onLine sees each SPARKWIRE_E2E
 * line as it is printed (the restart test stops the sidecar on a phase marker).
 */
export async function runJob(script: string, settings: unknown, onLine?: (l: JobLine) => void, timeoutMs = 300_000): Promise<JobRun> {
  if (!existsSync(PYTHON)) throw new Error(`no ${PYTHON}: run \`npm run setup\` first`);
  const env: NodeJS.ProcessEnv = { ...process.env, PYSPARK_PYTHON: PYTHON, PYSPARK_DRIVER_PYTHON: PYTHON, PYTHONUNBUFFERED: '1' };
  delete env.SPARKWIRE_JAR; // a fixed jar would bypass the per-line choice
  env.SPARKWIRE_JAR_DIRS = LISTENER_JAR_DIRS.join(delimiter);
  const started = Date.now();
  const proc: ChildProcess = spawn(PYTHON, ['-u', join(JOBS, script), JSON.stringify(settings)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: JobLine[] = [];
  let stdout = '';
  let stderr = '';
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const s = d.toString();
    stdout += s;
    buf += s;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.startsWith(PREFIX)) continue;
      const parsed = JSON.parse(line.slice(PREFIX.length)) as JobLine;
      lines.push(parsed);
      onLine?.(parsed);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  clearTimeout(timer);
  const run: JobRun = { code, lines, result: lines.find((l) => l.kind === 'result'), stdout, stderr, wallMs: Date.now() - started };
  if (code !== 0 || !run.result) {
    throw new Error(`job ${script} failed (exit ${code}):\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-8000)}`);
  }
  return run;
}

// ---------------------------------------------------------------- Kafka

export type KafkaRecord = Record<string, any> & { name: string; eventId: string; appId: string };

export interface TopicRead {
  /** Every record as read (duplicates included). */
  raw: KafkaRecord[];
  /** One per (eventId, name): what docs/kafka-records.md tells exactly-once consumers to keep. */
  records: KafkaRecord[];
  duplicates: number;
  /** Record keys seen. */
  keys: Set<string | null>;
}

/**
 * Reads the whole topic: at least `expected` records (what Spark's report implies), then
 * until 1.5 s pass without more, so extra records (duplicates, strays) are seen too.
 */
export async function readRecords(bootstrap: string, topic: string, expected: number): Promise<TopicRead> {
  const got = await readTopic(bootstrap, topic, expected, 90_000, 1500);
  const raw = got.map((r) => JSON.parse(r.value.toString()) as KafkaRecord);
  const seen = new Set<string>();
  const records: KafkaRecord[] = [];
  for (const r of raw) {
    const k = `${r.eventId}/${r.name}`;
    if (seen.has(k)) continue;
    seen.add(k);
    records.push(r);
  }
  return { raw, records, duplicates: raw.length - records.length, keys: new Set(got.map((r) => r.key)) };
}

export function countByName(records: KafkaRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.name] = (out[r.name] ?? 0) + 1;
  return out;
}
