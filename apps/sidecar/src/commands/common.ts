// What the operator commands (report, tail, status, lag, offsets) share: where Kafka is,
// progress on stderr, exit codes, and errors that are the user's (exit 2) or the run's (exit 1).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type * as CliProgress from 'cli-progress';
import type CliTable from 'cli-table3';
import { createKafkaClient, kafkaConnectionSettings, type KafkaAdmin, type KafkaClient, type KafkaConnectionConfig } from '@sparkwire/kafka-client';
import { ConfigError, parseConfig } from '@sparkwire/sdk';
import { configFilePath, fromEnv, mergeSources, readConfigFile } from '../config-sources';
import { loadPackage } from '../load-package';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** stdout / stderr are terminals (progress bars, confirmation prompts). */
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

export interface CommandDeps {
  io: Io;
  setAction: (action: () => Promise<number>) => void;
}

/** A mistake in the command line: exit code 2, like commander's own usage errors. */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super(message, 'usage');
  }
}

export const EXIT_CODES_HELP = '\nExit codes: 0 ok, 1 failure (unreachable, not found, not serving), 2 usage or configuration error.\n';

// ---------------------------------------------------------------- Kafka

export interface KafkaTarget {
  client: KafkaClient;
  brokers: string[];
  topic: string;
  tasksTopic?: string;
}

/** --brokers, --topic, --tasks-topic, --config: the Kafka that `serve` writes to. */
export function addKafkaOptions(cmd: Command, withTopics = true): Command {
  cmd.option('--brokers <list>', 'Kafka bootstrap brokers, host:port[,host:port] (default: kafka.brokers of --config, else $SPARKWIRE_KAFKA_BROKERS, else 127.0.0.1:9092)');
  if (withTopics) {
    cmd
      .option('--topic <name>', 'the events topic (default: kafka.topic of --config, else $SPARKWIRE_KAFKA_TOPIC, else spark-events)')
      .option('--tasks-topic <name>', 'the task records topic when the sidecar writes them apart (default: kafka.tasksTopic of --config, else none)');
  }
  return cmd.option('-c, --config <file>', "the sidecar's YAML/JSON configuration: brokers, topics, TLS and SASL from its kafka section (env: SPARKWIRE_CONFIG)");
}

interface KafkaOpts {
  brokers?: string;
  topic?: string;
  tasksTopic?: string;
  config?: string;
}

export function kafkaTarget(opts: KafkaOpts, env: NodeJS.ProcessEnv): KafkaTarget {
  const file = configFilePath(opts.config, env);
  let k: Record<string, any> | undefined;
  if (file) {
    const cfg = parseConfig(mergeSources(readConfigFile(file), fromEnv(env)));
    k = cfg.kafka as Record<string, any> | undefined;
  }
  const brokers = (opts.brokers ?? k?.brokers?.join(',') ?? env.SPARKWIRE_KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((s: string) => s.trim())
    .filter(Boolean);
  for (const b of brokers) if (!/^[^\s:]+:\d+$/.test(b)) throw new UsageError(`--brokers: ${JSON.stringify(b)} is not host:port`);
  // TLS and SASL from the config file's kafka section, through the one mapping the sidecar uses;
  // a command gives up sooner than the sidecar does.
  const conn = kafkaConnectionSettings({
    ...(k as KafkaConnectionConfig | undefined),
    brokers,
    clientId: 'sparkwire-cli',
    client: 'kafkajs',
    connectTimeoutMs: 5000,
    requestTimeoutMs: 15000,
    retries: 2,
    tls: Boolean(k?.tls),
    tlsRejectUnauthorized: k?.tlsRejectUnauthorized !== false,
    saslPassword: k?.saslPassword ?? (k?.saslPasswordFile ? readFileSync(k.saslPasswordFile, 'utf8').trimEnd() : undefined),
  } as KafkaConnectionConfig);
  return {
    client: createKafkaClient(conn, SILENT, CLI_TUNING),
    brokers,
    topic: (typeof opts.topic === 'string' ? opts.topic : undefined) ?? k?.topic ?? env.SPARKWIRE_KAFKA_TOPIC ?? 'spark-events',
    tasksTopic: opts.tasksTopic ?? k?.tasksTopic ?? env.SPARKWIRE_KAFKA_TASKS_TOPIC,
  };
}

/** Runs `fn` with a connected admin client of the target, disconnected afterwards whatever happens. */
export async function withAdmin<T>(target: KafkaTarget, fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = target.client.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

// A command says what failed in its own words (exit 1 with a message); the client's retry
// chatter would only repeat it.
const SILENT = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const CLI_TUNING = { retryInitialMs: 200, retryMaxMs: 2000, minLevel: 'error' as const };

// ---------------------------------------------------------------- options

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}: ${JSON.stringify(v)} is not a non-negative integer`);
    return n;
  };
}

/** "10m", "90s", "2h", "1d", "500ms" -> ms. */
export function parseDuration(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m) throw new UsageError(`${name}: ${JSON.stringify(v)} is not a duration like 90s, 10m, 2h, 1d`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * mult);
}

export function outputFormat(v: string): 'text' | 'json' {
  if (v !== 'text' && v !== 'json') throw new UsageError(`--output: ${JSON.stringify(v)} is not text or json`);
  return v;
}

// ---------------------------------------------------------------- progress

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * Progress on stderr, only once the work has run for `afterMs` (2 s): a bar with counts and
 * rate on a terminal, otherwise a plain line every `everyMs` (5 s).
 */
export function progress(io: Io, label: string, opts: { afterMs?: number; everyMs?: number; enabled?: boolean } = {}): Progress {
  if (opts.enabled === false) return { update() {}, stop() {} };
  const started = Date.now();
  const afterMs = opts.afterMs ?? 2000;
  const everyMs = opts.everyMs ?? 5000;
  let bar: CliProgress.SingleBar | undefined;
  let lastLine = 0;
  let done = 0;
  let total = 0;
  const rate = () => Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
  const tick = () => {
    if (Date.now() - started < afterMs) return;
    if (io.stderrIsTTY) {
      if (!bar) {
        const cliProgress = loadPackage<typeof CliProgress>('cli-progress', 'a progress bar', () => require('cli-progress'));
        bar = new cliProgress.SingleBar(
          { format: `${label} [{bar}] {percentage}% | {value}/{total} records | {rate}/s | {eta_formatted} left`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, { rate: rate() });
      }
      bar.setTotal(total);
      bar.update(done, { rate: rate() });
    } else if (Date.now() - lastLine >= everyMs) {
      lastLine = Date.now();
      io.err(`${label}: ${done} of ${total} records (${total ? Math.floor((100 * done) / total) : 100}%), ${rate()}/s\n`);
    }
  };
  const timer = setInterval(tick, 500);
  timer.unref();
  return {
    update(d, t) {
      done = d;
      total = t;
    },
    stop() {
      clearInterval(timer);
      bar?.stop();
    },
  };
}

/** BigInts (exact longs) as JSON numbers in --output json. */
export function toJson(v: unknown, pretty = true): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x.toString()) : x), pretty ? 2 : undefined);
}

// ---------------------------------------------------------------- tables

/** A compact table (no lines between rows), plain header. */
export function table(head: string[]): CliTable.Table {
  const Table = loadPackage<typeof CliTable>('cli-table3', 'a table', () => require('cli-table3'));
  return new Table({ head, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
}
