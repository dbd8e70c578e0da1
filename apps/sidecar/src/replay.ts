// `sparkwire replay <event log file or folder>...`: feeds Spark event logs (History Server
// storage, spark.eventLog.dir) through the same pipeline as live events, to Kafka
// (sparkMeasure-compatible records) and OpenTelemetry traces. Configuration as for `serve`
// (flags, SPARKWIRE_* variables, --config FILE); docs/replay.md.
//
// Replaying the same log twice publishes nothing the second time: event ids are
// deterministic (application, attempt, position in the log), and before publishing the
// replay reads the target topic(s) back for the replayed ids they already hold.
// Exit codes: 0 done (bad lines are skipped and counted), 1 failure (Kafka unreachable, a
// publish failed, a corrupt compressed stream), 2 usage (a missing file, an unsupported codec,
// bad configuration).
//
// The event log reader (with its zstd, lz4 and snappy codecs: lz4js alone allocates 5 MB when
// loaded) and the progress bar are loaded when a replay runs, not by every `sparkwire` command.
import type { Command } from 'commander';
import type * as CliProgress from 'cli-progress';
import { createLogger, createPipeline, PipelineError, Status, type SparkwireConfig } from '@sparkwire/sdk';
import type { BadLine, EventLogSource, LogStats, ReadProgress } from '@sparkwire/event-log';
import type { SparkEvent } from '@sparkwire/proto';
import { loadPackage } from './load-package';
import { readReplayedIds } from './replay-read-back';

export interface ReplayDeps {
  io: { out: (s: string) => void; err: (s: string) => void; isTTY?: boolean };
  addSettingOptions: (cmd: Command) => unknown;
  configFrom: (opts: Record<string, unknown>, attrs: unknown) => SparkwireConfig;
  setAction: (action: () => Promise<number>) => void;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface ReplaySummary {
  logs: { path: string; appId: string; files: number; codec: string; inProgress: boolean; read: number; mapped: number; skipped: number; badLines: number }[];
  /** Lines read (events in the logs, bad lines included). */
  eventsRead: number;
  /** Log events mapped to sparkwire events. */
  mapped: number;
  /** Log events sparkwire does not carry, by Spark event name (plus LogStart/EnvironmentUpdate, read for context). */
  skipped: number;
  skippedByEvent: Record<string, number>;
  /** Events published to the sink. */
  published: number;
  /** Events not published because the topic already holds them (read-back) or this run already published them. */
  duplicates: number;
  /** Task events not published because extended mode is off (as `serve` does). */
  filtered: number;
  badLines: number;
  bad: BadLine[];
  problems: { file: string; message: string }[];
  readBack?: { records: number; replayedIds: number; ms: number };
  /** Where the time went: connecting the sink, reading back, reading+publishing, closing (flushing traces). */
  phasesMs: { start: number; readBack: number; publish: number; close: number };
  ms: number;
  error?: string;
}

export function addReplayCommand(program: Command, deps: ReplayDeps): void {
  const { io } = deps;
  const cmd = program
    .command('replay')
    .description('publish Spark event logs (files, rolling eventlog_v2_* folders, or folders of them; zstd, lz4, snappy or none) like live events: Kafka and traces')
    .argument('<paths...>', 'event log files or folders')
    .option('--output <format>', 'summary on stdout: text or json', 'text')
    .option('--batch-size <n>', 'events per pipeline batch', '500')
    .option('--no-read-back', 'do not read the topic back for events a previous replay published (duplicates are then possible across runs)')
    .option('--progress-interval-ms <ms>', 'how often a progress line is written to stderr when it is not a terminal', '2000')
    .addHelpText(
      'after',
      '\nExit codes: 0 done (bad lines are reported, skipped and counted), 1 failure (Kafka unreachable, publish failed, corrupt compressed stream), 2 usage (missing file, unsupported codec, bad configuration).\n',
    )
    .exitOverride();
  const attrs = deps.addSettingOptions(cmd);
  cmd.action((paths: string[], opts) => {
    deps.setAction(async () => {
      const output = String(opts.output);
      if (output !== 'text' && output !== 'json') {
        io.err(`sparkwire replay: --output must be text or json, not ${output}\n`);
        return EXIT_USAGE;
      }
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        io.err(`sparkwire replay: --batch-size must be a positive integer\n`);
        return EXIT_USAGE;
      }
      const { EventLogError, resolveLogs } = await import('@sparkwire/event-log');
      let sources: EventLogSource[];
      try {
        sources = resolveLogs(paths);
      } catch (err) {
        if (err instanceof EventLogError) {
          io.err(`sparkwire replay: ${err.message}\n`);
          return EXIT_USAGE;
        }
        throw err;
      }
      // configFrom throws ConfigError: the CLI answers it with exit code 2.
      const config = deps.configFrom(opts, attrs);
      const summary = await replay(sources, config, {
        io,
        batchSize,
        readBack: opts.readBack !== false,
        progressIntervalMs: Number(opts.progressIntervalMs) || 2000,
      });
      if (output === 'json') io.out(`${JSON.stringify(summary)}\n`);
      else io.out(textSummary(summary));
      return summary.error ? EXIT_FAILED : EXIT_OK;
    });
  });
}

export interface ReplayOptions {
  io: ReplayDeps['io'];
  batchSize: number;
  readBack: boolean;
  progressIntervalMs: number;
}

/** Replays the logs through one pipeline built from the configuration; never throws (the summary carries the error). */
export async function replay(sources: EventLogSource[], cfg: SparkwireConfig, o: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const { mapEventLog, newStats } = await import('@sparkwire/event-log');
  const summary: ReplaySummary = {
    logs: [], eventsRead: 0, mapped: 0, skipped: 0, skippedByEvent: {}, published: 0, duplicates: 0, filtered: 0, badLines: 0, bad: [], problems: [], phasesMs: { start: 0, readBack: 0, publish: 0, close: 0 }, ms: 0,
  };
  let mark = Date.now();
  const phase = (k: keyof ReplaySummary['phasesMs']) => {
    const now = Date.now();
    summary.phasesMs[k] += now - mark;
    mark = now;
  };
  // Replay is a one-shot producer that waits for Kafka's acks itself: no spool (the serve
  // spool directory may belong to a running sidecar), no Prometheus endpoint.
  const config: SparkwireConfig = { ...cfg, spool: { ...cfg.spool, enabled: false } };
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const built = createPipeline(config, { logger: log });
  const progress = new Progress(o, sources.reduce((n, s) => n + s.files.reduce((m, f) => m + f.bytes, 0), 0));
  let existing = new Set<string>();
  try {
    await built.start();
    const ready = await waitUntil(() => built.sink.isReady(), config.kafka ? Math.max(5_000, config.kafka.connectTimeoutMs * 3) : 5_000);
    if (!ready) throw new Error(`sink ${built.sink.name} ${built.sink.unavailableReason?.() ?? 'is not reachable'}`);
    phase('start');
    if (config.kafka && o.readBack) {
      const rb = await readReplayedIds(config);
      existing = rb.ids;
      summary.readBack = { records: rb.records, replayedIds: rb.ids.size, ms: rb.ms };
    }
    phase('readBack');
    const read: ReadProgress = { bytesRead: 0 };
    progress.start();
    for (const src of sources) {
      const stats = newStats();
      const onBadLine = (b: BadLine) => progress.message(`sparkwire replay: ${b.file}:${b.line}: bad line skipped: ${b.error}`);
      let appId = src.appIdFromName;
      try {
        for await (const batch of mapEventLog(src, stats, { batchSize: o.batchSize, progress: read, onBadLine })) {
          if (batch.length) appId = batch[0].appId;
          const fresh: SparkEvent[] = [];
          for (const e of batch) {
            if (existing.has(e.eventId)) summary.duplicates++;
            else fresh.push(e);
          }
          if (fresh.length) await publish(built.pipeline, fresh);
          progress.update(read.bytesRead, summary, stats);
        }
      } finally {
        addLog(summary, src, appId, stats);
      }
      for (const p of stats.problems) progress.message(`sparkwire replay: ${p.file}: ${p.message}`);
    }
  } catch (err) {
    summary.error = (err as Error).message;
  } finally {
    progress.stop();
    phase(summary.phasesMs.readBack || summary.readBack || summary.logs.length ? 'publish' : 'start');
    try {
      await built.close();
    } catch (err) {
      summary.error ??= `closing the pipeline: ${(err as Error).message}`;
    }
    phase('close');
  }
  const st = built.pipeline.stats;
  summary.published = sum(st.published);
  summary.duplicates += sum(st.duplicates);
  summary.filtered = sum(st.filtered);
  summary.ms = Date.now() - started;
  if (summary.error) o.io.err(`sparkwire replay: ${summary.error}\n`);
  if (summary.badLines) o.io.err(`sparkwire replay: ${summary.badLines} bad line(s) skipped\n`);
  return summary;
}

function addLog(summary: ReplaySummary, src: EventLogSource, appId: string, stats: LogStats): void {
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0) + stats.context;
  summary.logs.push({
    path: src.path, appId, files: src.files.length, codec: [...new Set(src.files.map((f) => f.codec))].join(','), inProgress: src.inProgress,
    read: stats.read, mapped: stats.mapped, skipped, badLines: stats.badLines,
  });
  summary.eventsRead += stats.read;
  summary.mapped += stats.mapped;
  summary.skipped += skipped;
  for (const [k, v] of Object.entries(stats.skipped)) summary.skippedByEvent[k] = (summary.skippedByEvent[k] ?? 0) + v;
  if (stats.context) {
    summary.skippedByEvent['(context: LogStart, EnvironmentUpdate)'] = (summary.skippedByEvent['(context: LogStart, EnvironmentUpdate)'] ?? 0) + stats.context;
  }
  summary.badLines += stats.badLines;
  summary.bad.push(...stats.bad.slice(0, Math.max(0, 1000 - summary.bad.length)));
  summary.problems.push(...stats.problems);
}

/** One batch through the pipeline; UNAVAILABLE (Kafka away for a moment) is retried for a while. */
async function publish(pipeline: ReturnType<typeof createPipeline>['pipeline'], events: SparkEvent[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    try {
      await pipeline.publishEvents(events, 'sparkwire-replay');
      return;
    } catch (err) {
      if (!(err instanceof PipelineError) || err.code !== Status.UNAVAILABLE || Date.now() > deadline) throw err;
      // A timed-out publish goes on: let it finish, so the retry dedupes against it.
      await pipeline.drain();
      await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
    }
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function sum(m: Record<string, number> | Map<string, number>): number {
  const values = m instanceof Map ? [...m.values()] : Object.values(m);
  return values.reduce((a, b) => a + b, 0);
}

/** Progress on stderr: a bar (cli-progress) on a terminal, a plain line every interval otherwise. */
class Progress {
  private bar: CliProgress.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last = { bytes: 0, events: 0 };
  private readonly tty: boolean;

  constructor(
    private readonly o: ReplayOptions,
    private readonly totalBytes: number,
  ) {
    this.tty = o.io.isTTY ?? Boolean(process.stderr.isTTY);
  }

  start(): void {
    if (this.tty) {
      const cliProgress = loadPackage<typeof CliProgress>('cli-progress', 'the replay progress bar', () => require('cli-progress'));
      this.bar = new cliProgress.SingleBar(
        { format: 'replay [{bar}] {percentage}% | {events} events | {rate} events/s | {bad} bad', stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, this.totalBytes), 0, { events: 0, rate: 0, bad: 0 });
    } else {
      const t0 = Date.now();
      this.timer = setInterval(() => {
        const s = (Date.now() - t0) / 1000;
        this.o.io.err(`sparkwire replay: ${this.last.events} events read, ${pct(this.last.bytes, this.totalBytes)} of ${this.totalBytes} bytes, ${Math.round(this.last.events / Math.max(s, 0.001))} events/s\n`);
      }, this.o.progressIntervalMs);
      this.timer.unref();
    }
  }

  private t0 = Date.now();

  update(bytes: number, summary: ReplaySummary, current: LogStats): void {
    this.last = { bytes, events: summary.eventsRead + current.read };
    this.bar?.update(Math.min(bytes, this.totalBytes), {
      events: this.last.events,
      rate: Math.round(this.last.events / Math.max((Date.now() - this.t0) / 1000, 0.001)),
      bad: summary.badLines + current.badLines,
    });
  }

  message(line: string): void {
    if (this.bar) this.bar.stop();
    this.o.io.err(`${line}\n`);
    if (this.bar) this.bar.start(Math.max(1, this.totalBytes), Math.min(this.last.bytes, this.totalBytes), { events: this.last.events, rate: 0, bad: 0 });
  }

  stop(): void {
    if (this.bar) {
      this.bar.update(this.totalBytes);
      this.bar.stop();
    }
    if (this.timer) clearInterval(this.timer);
  }
}

function pct(a: number, b: number): string {
  return b ? `${Math.min(100, Math.round((a / b) * 100))}%` : '100%';
}

export function textSummary(s: ReplaySummary): string {
  const lines = [
    ...s.logs.map((l) => `${l.path}: app ${l.appId}, ${l.files} file(s), codec ${l.codec}${l.inProgress ? ', in progress' : ''}: ${l.read} read, ${l.mapped} mapped, ${l.skipped} skipped, ${l.badLines} bad lines`),
    `events read ${s.eventsRead}, mapped ${s.mapped}, skipped ${s.skipped}, published ${s.published}, duplicates ${s.duplicates}, filtered ${s.filtered}, bad lines ${s.badLines} (${s.ms} ms: start ${s.phasesMs.start}, read-back ${s.phasesMs.readBack}, publish ${s.phasesMs.publish}, close ${s.phasesMs.close})`,
  ];
  if (s.readBack) lines.push(`read back ${s.readBack.records} records (${s.readBack.replayedIds} replayed event ids) in ${s.readBack.ms} ms`);
  if (s.error) lines.push(`failed: ${s.error}`);
  return `${lines.join('\n')}\n`;
}
