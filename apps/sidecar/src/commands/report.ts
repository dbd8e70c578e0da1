// `sparkwire report --app <id>`: one application's records read back from Kafka (json or
// protobuf encoding), and sparkMeasure's StageMetrics report over them: the aggregated
// `name => value (human)` lines, the stages with their duration, then per-job and per-stage
// tables and, with task records (extended mode), task skew and the slowest tasks.
import type { Command } from 'commander';
import { buildReport, decodeValue, formatBytes, formatDuration, stageMetricsText, type AppReport, type SmRecord } from '@sparkwire/report';
import { readRecords } from '@sparkwire/report';
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK, addKafkaOptions, kafkaTarget, outputFormat, positiveInt, progress, toJson, UsageError, table, withAdmin, type CommandDeps } from './common';

export function addReportCommand(program: Command, deps: CommandDeps): void {
  const { io } = deps;
  const cmd = program
    .command('report')
    .description("read one application's records back from Kafka and print sparkMeasure's aggregated stage metrics report, per-job and per-stage tables and (with task records) task skew")
    .requiredOption('--app <id>', 'the Spark application id (spark.app.id, e.g. local-1764590000000 or app-20261201...)')
    .option('--output <format>', 'text (sparkMeasure lines and tables) or json (the whole report as one object, for scripts)', outputFormat, 'text')
    .option('--slowest <n>', 'how many of the slowest tasks to list (extended mode)', positiveInt('--slowest'), 10)
    .option('--timeout-ms <ms>', 'give up reading after this long', positiveInt('--timeout-ms'), 120_000)
    .option('--no-progress', 'no progress on stderr (shown after 2 s: a bar on a terminal, a line every 5 s otherwise)')
    .addHelpText('after', `\nReads every partition of the topic(s) from the beginning to their end at the start of the read.${EXIT_CODES_HELP}`)
    .exitOverride();
  addKafkaOptions(cmd);
  cmd.action((opts) => {
    deps.setAction(async () => {
      const target = kafkaTarget(opts, io.env);
      if (!opts.app) throw new UsageError('--app is required');
      const topics = [target.topic, ...(target.tasksTopic ? [target.tasksTopic] : [])];
      const records: SmRecord[] = [];
      let undecodable = 0;
      const bar = progress(io, `reading ${topics.join(', ')}`, { enabled: opts.progress });
      try {
        await withAdmin(target, (admin) => readRecords(admin, topics, {
          timeoutMs: opts.timeoutMs,
          onProgress: (p) => bar.update(p.read, p.total),
          onRecord: (r) => {
            // The record key is the application id (kafka.key appId, the default): skip others undecoded.
            if (r.key !== null && r.key !== opts.app) return;
            try {
              for (const rec of decodeValue(r.value).records) if (rec.appId === opts.app) records.push(rec);
            } catch {
              undecodable++;
            }
          },
        }));
      } finally {
        bar.stop();
      }
      if (records.length === 0) {
        io.err(`sparkwire report: no records of application ${opts.app} in ${topics.join(', ')} (${target.brokers.join(',')})\n`);
        return EXIT_FAILED;
      }
      const report = buildReport(opts.app, records, { slowest: opts.slowest });
      if (undecodable) io.err(`sparkwire report: ${undecodable} record(s) could not be decoded and were skipped\n`);
      if (opts.output === 'json') io.out(`${toJson(report)}\n`);
      else io.out(renderText(report));
      return EXIT_OK;
    });
  });
}

const ms = (v: number) => `${formatDuration(v)}`;

export function renderText(r: AppReport): string {
  const out: string[] = [];
  const when = (t?: number) => (t ? new Date(t).toISOString().replace('T', ' ').replace('Z', ' UTC') : '?');
  out.push(`Application ${r.appId}${r.appName ? ` (${r.appName})` : ''}: started ${when(r.startTime)}, ended ${r.endTime ? when(r.endTime) : '(no applications_ended record)'}`);
  out.push(`Records: ${Object.entries(r.recordCounts).map(([k, v]) => `${k} ${v}`).join(', ')}${r.duplicates ? ` (${r.duplicates} repeats dropped)` : ''}`, '');
  out.push(stageMetricsText(r));

  const jobs = table(['job', 'result', 'duration', 'stages', 'tasks', 'description']);
  for (const j of r.jobs) jobs.push([j.jobId, j.result, j.completionTime ? ms(j.durationMs) : 'running', j.stageIds.join(','), j.numTasks, j.description.slice(0, 60)]);
  out.push('Jobs:', jobs.toString(), '');

  const stages = table(['stage', 'job', 'name', 'tasks', 'duration', 'run time', 'CPU time', 'GC', 'input', 'shuffle read', 'shuffle write', 'spilled (disk)', 'status']);
  for (const s of r.stages) {
    const m = s.metrics;
    stages.push([
      `${s.stageId}.${s.attemptNumber}`,
      s.jobId ?? '',
      s.stageName.slice(0, 40),
      s.numTasks,
      ms(m.stageDuration),
      ms(m.executorRunTime),
      ms(m.executorCpuTime),
      ms(m.jvmGCTime),
      formatBytes(m.bytesRead),
      formatBytes(m.shuffleTotalBytesRead),
      formatBytes(m.shuffleBytesWritten),
      formatBytes(m.diskBytesSpilled),
      s.failureReason ? `failed: ${s.failureReason.split('\n')[0].slice(0, 40)}` : 'ok',
    ]);
  }
  out.push('Stages:', stages.toString(), '');

  if (r.tasks) {
    const skew = table(['stage', 'tasks', 'median task', 'max task', 'max / median', 'slowest task']);
    for (const s of r.tasks.skew) skew.push([`${s.stageId}.${s.stageAttemptId}`, s.tasks, ms(s.medianMs), ms(s.maxMs), s.ratio ? s.ratio.toFixed(1) : '-', s.slowestTaskId]);
    out.push(`Task skew (${r.tasks.count} task records):`, skew.toString(), '');
    const slow = table(['task', 'stage', 'index', 'attempt', 'executor', 'host', 'duration', 'run time', 'GC', 'shuffle read', 'ok']);
    for (const t of r.tasks.slowest) slow.push([t.taskId, `${t.stageId}.${t.stageAttemptId}`, t.index, t.attemptNumber, t.executorId, t.host, ms(t.durationMs), ms(t.executorRunTime), ms(t.jvmGCTime), formatBytes(t.shuffleTotalBytesRead), t.successful ? 'yes' : 'no']);
    out.push(`Slowest ${r.tasks.slowest.length} tasks:`, slow.toString(), '');
  } else {
    out.push('(no task records: the sidecar ran in stage-level mode; --extended adds task skew and the slowest tasks)', '');
  }
  return `${out.join('\n')}`;
}
