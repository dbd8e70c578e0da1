/**
 * sparkwire sidecar benchmark. From the repository root:
 *
 *   npx tsx testing/bench/src/run.ts [options]
 *
 * Starts a real Kafka broker (testing/kafka), the sidecar as its own process, N gRPC
 * clients; measures sustained events/s (closed loop), publish->ack latency at a fixed
 * rate (open loop), the sidecar's RSS; then Kafka's ProducerPerformance on the same broker
 * at the same record size. Prints a table, updates docs/benchmarks.md, optionally writes JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, runBench, type BenchOptions, type BenchResult } from './bench';
import { zlibZstd } from './kafka-clients/codecs';
import { formatConsole, formatMarkdown, updateDoc } from './report';
import { REPO_ROOT } from './sidecar-process';

const USAGE = `Usage: npx tsx testing/bench/src/run.ts [options]

Load
  --clients N               concurrent gRPC clients, one Stream each (default ${DEFAULTS.clients})
  --batch-size N            events per batch (default ${DEFAULTS.batchSize}, the Java client's default)
  --window N                unacked batches per client in the throughput phase (default ${DEFAULTS.window})
  --events N                events per client in the throughput phase; 0 = timed (default ${DEFAULTS.eventsPerClient})
  --warmup-s S              throughput warm-up, not measured (default ${DEFAULTS.warmupS})
  --duration-s S            throughput measured window (default ${DEFAULTS.durationS})
  --rate N                  events/s of the paced latency phase; 0 = unthrottled only, no latency phase (default ${DEFAULTS.rate})
  --latency-batch-size N    events per batch in the latency phase (default: --batch-size)
  --latency-duration-s S    latency measured window (default ${DEFAULTS.latencyDurationS}, after ${DEFAULTS.latencyWarmupS} s warm-up)
  --no-sync-before-latency  do not write the dirty page cache back (sync) before the latency phase
Sidecar and Kafka
  --encoding json|protobuf  sidecar kafka.encoding (default ${DEFAULTS.encoding})
  --compression none|gzip|lz4|zstd
                            sidecar kafka.compression, and ProducerPerformance's (default ${DEFAULTS.compression}; zstd: Node 22.15+)
  --partitions N            topic partitions (default ${DEFAULTS.partitions})
  --sidecar-max-batch-records auto|default|N
                            kafka.maxBatchRecords (default: the sidecar's own; auto: what fits the
                            broker's 1 MiB message.max.bytes, for sidecars without kafka.maxRequestBytes)
  --sidecar-arg ARG         extra argument for \`sparkwire serve\` (repeatable, e.g. --sidecar-arg=--log-level=warn)
  --sidecar-node-flag FLAG  extra node/V8 flag for the sidecar (repeatable, e.g. --sidecar-node-flag=--max-semi-space-size=32)
  --sidecar-bin PATH        script to run instead of apps/sidecar/bin/sparkwire.js (e.g. a bundled build)
  --no-build                do not rebuild the sidecar bundle (apps/sidecar/build.mjs) first
  --bootstrap HOST:PORT     use this broker instead of starting one
Integrity (a failed check fails the run: exit 1, no figures written to the docs)
  --drain-timeout-s S       wait at most this long for the spool to drain into Kafka (default ${DEFAULTS.drainTimeoutS})
  --drain-stall-s S         give up earlier when neither spool nor topic moved this long (default ${DEFAULTS.drainStallS})
  --count-only              check the record count only, do not read the topic back by event id
ProducerPerformance
  --pp-records N            records per ProducerPerformance run; 0 = skip (default ${DEFAULTS.ppRecords})
  --pp-batch-size N         batch.size of the tuned run (default ${DEFAULTS.ppBatchSize})
  --pp-linger-ms N          linger.ms of the tuned run (default ${DEFAULTS.ppLingerMs})
  --no-pp-defaults          skip the run with the producer's default batch.size/linger.ms
Output
  --profile auto|always|never  CPU-profile the sidecar (auto: when a target is missed) (default ${DEFAULTS.profile})
  --profile-duration-s S    profiled load duration (default ${DEFAULTS.profileDurationS})
  --output-json PATH        write the full result as JSON
  --from-json PATH          do not run: print and document a result saved with --output-json
  --docs PATH               markdown file whose generated block is updated (default docs/benchmarks.md)
  --no-docs                 do not touch the docs
  --strict                  exit 1 when a target is missed (always exit 1 on lost or failed events)
  -h, --help
`;

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name}: ${JSON.stringify(v)} is not a non-negative number`);
  return n;
}

class UsageError extends Error {}

export function parseOptions(argv: string[]): {
  bench: Partial<BenchOptions>;
  outputJson?: string;
  fromJson?: string;
  docs?: string;
  strict: boolean;
  help: boolean;
} {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      clients: { type: 'string' },
      'batch-size': { type: 'string' },
      window: { type: 'string' },
      events: { type: 'string' },
      'warmup-s': { type: 'string' },
      'duration-s': { type: 'string' },
      rate: { type: 'string' },
      'latency-batch-size': { type: 'string' },
      'latency-duration-s': { type: 'string' },
      'no-sync-before-latency': { type: 'boolean' },
      encoding: { type: 'string' },
      compression: { type: 'string' },
      partitions: { type: 'string' },
      'sidecar-max-batch-records': { type: 'string' },
      'sidecar-arg': { type: 'string', multiple: true },
      'sidecar-node-flag': { type: 'string', multiple: true },
      'sidecar-bin': { type: 'string' },
      'no-build': { type: 'boolean' },
      bootstrap: { type: 'string' },
      'drain-timeout-s': { type: 'string' },
      'drain-stall-s': { type: 'string' },
      'count-only': { type: 'boolean' },
      'pp-records': { type: 'string' },
      'pp-batch-size': { type: 'string' },
      'pp-linger-ms': { type: 'string' },
      'no-pp-defaults': { type: 'boolean' },
      profile: { type: 'string' },
      'profile-duration-s': { type: 'string' },
      'output-json': { type: 'string' },
      'from-json': { type: 'string' },
      docs: { type: 'string' },
      'no-docs': { type: 'boolean' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const encoding = values.encoding ?? DEFAULTS.encoding;
  if (encoding !== 'json' && encoding !== 'protobuf') throw new UsageError('--encoding must be json or protobuf');
  const compression = values.compression ?? DEFAULTS.compression;
  if (compression !== 'none' && compression !== 'gzip' && compression !== 'lz4' && compression !== 'zstd') throw new UsageError('--compression must be none, gzip, lz4 or zstd');
  if (compression === 'zstd' && !zlibZstd()) {
    throw new UsageError(`--compression zstd: the sidecar's zstd is node:zlib's (Node 22.15+), this is Node ${process.versions.node}; run with .cache/node-24/bin first on PATH`);
  }
  const profile = values.profile ?? DEFAULTS.profile;
  if (profile !== 'auto' && profile !== 'always' && profile !== 'never') throw new UsageError('--profile must be auto, always or never');
  const mbr = values['sidecar-max-batch-records'] ?? 'default';
  const sidecarMaxBatchRecords = mbr === 'auto' || mbr === 'default' ? mbr : num(mbr, 'sidecar-max-batch-records', 0);
  const clients = num(values.clients, 'clients', DEFAULTS.clients);
  const batchSize = num(values['batch-size'], 'batch-size', DEFAULTS.batchSize);
  if (clients < 1 || batchSize < 1) throw new UsageError('--clients and --batch-size must be at least 1');
  const bench: Partial<BenchOptions> = {
    clients,
    batchSize,
    window: Math.max(1, num(values.window, 'window', DEFAULTS.window)),
    eventsPerClient: num(values.events, 'events', DEFAULTS.eventsPerClient),
    warmupS: num(values['warmup-s'], 'warmup-s', DEFAULTS.warmupS),
    durationS: num(values['duration-s'], 'duration-s', DEFAULTS.durationS),
    rate: num(values.rate, 'rate', DEFAULTS.rate),
    latencyBatchSize: num(values['latency-batch-size'], 'latency-batch-size', batchSize),
    latencyDurationS: num(values['latency-duration-s'], 'latency-duration-s', DEFAULTS.latencyDurationS),
    syncBeforeLatency: !values['no-sync-before-latency'],
    encoding,
    compression,
    partitions: num(values.partitions, 'partitions', DEFAULTS.partitions),
    sidecarMaxBatchRecords,
    sidecarArgs: values['sidecar-arg'] ?? [],
    sidecarNodeFlags: values['sidecar-node-flag'] ?? [],
    sidecarBin: values['sidecar-bin'],
    build: !values['no-build'],
    bootstrap: values.bootstrap,
    drainTimeoutS: num(values['drain-timeout-s'], 'drain-timeout-s', DEFAULTS.drainTimeoutS),
    drainStallS: num(values['drain-stall-s'], 'drain-stall-s', DEFAULTS.drainStallS),
    verifyIds: !values['count-only'],
    ppRecords: num(values['pp-records'], 'pp-records', DEFAULTS.ppRecords),
    ppBatchSize: num(values['pp-batch-size'], 'pp-batch-size', DEFAULTS.ppBatchSize),
    ppLingerMs: num(values['pp-linger-ms'], 'pp-linger-ms', DEFAULTS.ppLingerMs),
    ppDefaultRun: !values['no-pp-defaults'],
    profile,
    profileDurationS: num(values['profile-duration-s'], 'profile-duration-s', DEFAULTS.profileDurationS),
  };
  if ((bench.durationS ?? 0) <= 0 && (bench.eventsPerClient ?? 0) <= 0) throw new UsageError('--duration-s must be positive when --events is 0');
  return {
    bench,
    outputJson: values['output-json'],
    fromJson: values['from-json'],
    docs: values['no-docs'] ? undefined : path.resolve(REPO_ROOT, values.docs ?? 'docs/benchmarks.md'),
    strict: values.strict ?? false,
    help: values.help ?? false,
  };
}

const OUTPUT_FLAGS = new Set(['--output-json', '--from-json', '--docs']);

/** Why a run failed (lost, withheld, extra or failed events), or undefined when it did not. */
export function failureOf(r: BenchResult): string | undefined {
  const errors = r.throughput.errors.length + (r.latency?.errors.length ?? 0);
  const reasons: string[] = [];
  if (errors > 0) reasons.push(`${errors} batches or streams failed`);
  // Results saved before the integrity check existed only have the (too early) count.
  if (r.integrity ? !r.integrity.ok : r.topic.recordsInTopic !== r.topic.recordsExpected) {
    reasons.push(r.integrity?.summary ?? `topic holds ${r.topic.recordsInTopic} records, expected ${r.topic.recordsExpected}`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

function withoutOutputFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].split('=')[0];
    if (name === '--no-docs') continue;
    if (OUTPUT_FLAGS.has(name)) {
      if (!argv[i].includes('=')) i++;
      continue;
    }
    out.push(argv[i]);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // The command as recorded in the docs: without the flags that only choose where output goes.
  const command = ['npx tsx testing/bench/src/run.ts', ...withoutOutputFlags(argv)].join(' ');
  const result: BenchResult = parsed.fromJson
    ? JSON.parse(readFileSync(path.resolve(parsed.fromJson), 'utf8'))
    : { ...(await runBench(parsed.bench)), command };
  process.stdout.write(`${formatConsole(result)}\n`);
  const failure = failureOf(result);
  if (parsed.outputJson) {
    // Written even for a failed run (it says so in .integrity): the evidence, not a figure.
    writeFileSync(path.resolve(parsed.outputJson), `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`wrote ${parsed.outputJson}\n`);
  }
  if (failure) {
    process.stderr.write(`FAILED: the topic does not hold exactly the acked records, or batches failed: ${failure}\n`);
    if (parsed.docs) process.stderr.write(`not updating ${path.relative(process.cwd(), parsed.docs) || parsed.docs}: a failed run has no figures\n`);
    return 1;
  }
  if (parsed.docs) {
    updateDoc(parsed.docs, formatMarkdown(result, result.command ?? 'npx tsx testing/bench/src/run.ts'));
    process.stderr.write(`updated ${path.relative(process.cwd(), parsed.docs) || parsed.docs}\n`);
  }
  return parsed.strict && result.targets.some((t) => !t.met) ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('testing/bench/src/run.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
