// `sparkwire tail`: follows the topic(s) and prints records, decoded from either encoding,
// filtered by application id, application name, label, record name.
import type { Command } from 'commander';
import { decodeValue, type Decoded, type SmRecord } from '@sparkwire/report';
import { readRecords, type ReadRecord } from '@sparkwire/report';
import { SparkEvent } from '@sparkwire/proto';
import { jsonText } from '@sparkwire/encoding';
import type { KafkaAdmin } from '@sparkwire/kafka-client';
import { EXIT_CODES_HELP, EXIT_OK, addKafkaOptions, kafkaTarget, parseDuration, positiveInt, progress, toJson, UsageError, withAdmin, type CommandDeps } from './common';

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export interface TailFilter {
  appIds: string[];
  appNames: string[];
  labels: Array<[string, string]>;
  names: string[];
}

export function matches(r: SmRecord, f: TailFilter): boolean {
  if (f.appIds.length && !f.appIds.includes(r.appId)) return false;
  if (f.appNames.length && !f.appNames.includes(String(r.appName ?? ''))) return false;
  if (f.names.length && !f.names.includes(r.name)) return false;
  const labels = (r.labels ?? {}) as Record<string, string>;
  for (const [k, v] of f.labels) if (labels[k] !== v) return false;
  return true;
}

export function addTailCommand(program: Command, deps: CommandDeps): void {
  const { io } = deps;
  const cmd = program
    .command('tail')
    .description('follow the topic(s) and print records (json and protobuf encodings decoded), filtered by application, label, record name')
    .option('--app-id <id>', 'only records of this application id (repeatable, or comma-separated)', collect)
    .option('--app-name <name>', 'only records of this application name (spark.app.name; repeatable)', collect)
    .option('--label <k=v>', 'only records whose labels have k=v (repeatable: all must match)', (v: string, prev: string[] = []) => [...prev, v], [])
    .option('--name <record>', 'only these record names, e.g. stage_metrics,jobs_ended (repeatable, or comma-separated)', collect)
    .option('--pretty', 'a header line (time, topic/partition@offset, key) and the record as indented JSON')
    .option('--raw', 'the value as stored: the JSON text, or for protobuf the SparkEvent as proto3 JSON (default: one compact sparkMeasure-shaped JSON record per line, decoded from either encoding)')
    .option('--from-beginning', 'start at the beginning of the topic(s) (default: only records that arrive from now on)')
    .option('--since <duration>', 'start at records written this long ago, e.g. 90s, 10m, 2h, 1d')
    .option('--until-end', 'stop at the end of the topic(s) as it was when tail started, instead of following')
    .option('-q, --quiet', 'nothing on stderr: no "following ..." line, no progress of --until-end reads (shown after 2 s)')
    .option('--limit <n>', 'stop after printing this many records (default: no limit)', positiveInt('--limit'))
    .addHelpText('after', `\nStops on Ctrl-C (SIGINT) or SIGTERM. Uses a throwaway consumer group (no offsets committed).${EXIT_CODES_HELP}`)
    .exitOverride();
  addKafkaOptions(cmd);
  cmd.action((opts) => {
    deps.setAction(async () => {
      if (opts.pretty && opts.raw) throw new UsageError('--pretty and --raw exclude each other');
      if (opts.fromBeginning && opts.since) throw new UsageError('--from-beginning and --since exclude each other');
      const labels = ((opts.label ?? []) as string[]).map((l): [string, string] => {
        const i = l.indexOf('=');
        if (i <= 0) throw new UsageError(`--label: ${JSON.stringify(l)} is not k=v`);
        return [l.slice(0, i), l.slice(i + 1)];
      });
      const filter: TailFilter = { appIds: opts.appId ?? [], appNames: opts.appName ?? [], labels, names: opts.name ?? [] };
      const sinceMs = opts.since ? Date.now() - parseDuration('--since', opts.since) : undefined;
      const target = kafkaTarget(opts, io.env);
      const topics = [target.topic, ...(target.tasksTopic ? [target.tasksTopic] : [])];
      let printed = 0;
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((r) => (stop = r));
      const print = (m: ReadRecord) => {
        if (opts.limit !== undefined && printed >= opts.limit) return;
        let d: Decoded;
        try {
          d = decodeValue(m.value);
        } catch (err) {
          io.err(`sparkwire tail: ${m.topic}/${m.partition}@${m.offset}: ${(err as Error).message}\n`);
          return;
        }
        const shown = d.records.filter((r) => matches(r, filter));
        if (shown.length === 0) return;
        if (opts.raw) {
          io.out(`${d.encoding === 'json' ? m.value.toString('utf8') : JSON.stringify(SparkEvent.toJSON(d.event!))}\n`);
          printed++;
        } else {
          for (const r of shown) {
            if (opts.limit !== undefined && printed >= opts.limit) break;
            if (opts.pretty) io.out(`--- ${new Date(m.timestamp).toISOString()} ${m.topic}/${m.partition}@${m.offset} key=${m.key ?? '(none)'} ${d.encoding}\n${pretty(r)}\n`);
            else io.out(`${jsonText(r)}\n`);
            printed++;
          }
        }
        if (opts.limit !== undefined && printed >= opts.limit) stop();
      };

      if (opts.untilEnd) {
        const bar = progress(io, `reading ${topics.join(', ')}`, { enabled: !opts.quiet });
        try {
          await withAdmin(target, async (admin) => {
            const reading = readRecords(admin, topics, { sinceMs: opts.fromBeginning ? undefined : (sinceMs ?? Date.now()), onRecord: print, onProgress: (p) => bar.update(p.read, p.total) });
            // Stopped at --limit: what is still being read no longer matters, nor how it ends.
            reading.catch(() => undefined);
            await Promise.race([reading, stopped]);
          });
        } finally {
          bar.stop();
        }
        return EXIT_OK;
      }
      await withAdmin(target, (admin) =>
        follow(admin, topics, { fromBeginning: Boolean(opts.fromBeginning), sinceMs }, print, stopped, (from) => {
          if (!opts.quiet) io.err(`sparkwire tail: following ${topics.join(', ')} from ${from} (Ctrl-C to stop)\n`);
        }),
      );
      return EXIT_OK;
    });
  });
}

function pretty(r: SmRecord): string {
  return toJson(r);
}

async function follow(
  admin: KafkaAdmin,
  topics: string[],
  start: { fromBeginning: boolean; sinceMs?: number },
  onRecord: (r: ReadRecord) => void,
  stopped: Promise<void>,
  onReady?: (from: string) => void,
): Promise<void> {
  const onSignal = () => stopSelf();
  let stopSelf: () => void = () => undefined;
  const signalled = new Promise<void>((r) => (stopSelf = r));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length) throw new Error(`no such topic: ${missing.join(', ')}`);
    // Where the read starts is fixed before "following" is said: the log start, the first
    // record at or after --since, or (by default) the log end as it is now.
    const from: Array<{ topic: string; partition: number; offset: bigint }> = [];
    for (const topic of topics) {
      if (start.sinceMs !== undefined && !start.fromBeginning) {
        for (const o of await admin.topicOffsetsByTimestamp(topic, start.sinceMs)) from.push({ topic, partition: o.partition, offset: o.offset });
      } else {
        for (const h of await admin.topicOffsets(topic)) from.push({ topic, partition: h.partition, offset: start.fromBeginning ? h.low : h.high });
      }
    }
    onReady?.(start.fromBeginning ? 'the beginning' : start.sinceMs !== undefined ? new Date(start.sinceMs).toISOString() : 'now');
    await admin.follow(
      topics,
      from,
      (topic, key, value, at) => onRecord({ topic, partition: at.partition, offset: at.offset, timestamp: at.timestamp, key: key ? key.toString() : null, value }),
      Promise.race([stopped, signalled]),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
