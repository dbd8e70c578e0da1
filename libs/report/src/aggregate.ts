// One application's records -> sparkMeasure's StageMetrics report, aggregated exactly as its
// aggregateStageMetrics() does over the stages it saw complete (every stage_metrics record:
// failed attempts included), plus what the records also hold: per-job and per-stage rows and,
// when task records are present (extended mode), task skew and the slowest tasks.
//
// Units as sparkMeasure reports them: every time in ms; the nanosecond metrics
// (executorCpuTime, executorDeserializeCpuTime, shuffleWriteTime) are divided by 10^6 per
// stage with an integer division, as its StageVals does.
import { num, type SmRecord } from './decode';

/** sparkMeasure's report lines, in its order (Utils.zeroMetricsStage). */
export const AGGREGATED_METRICS = [
  'numStages',
  'numTasks',
  'elapsedTime',
  'stageDuration',
  'executorRunTime',
  'executorCpuTime',
  'executorDeserializeTime',
  'executorDeserializeCpuTime',
  'resultSerializationTime',
  'jvmGCTime',
  'shuffleFetchWaitTime',
  'shuffleWriteTime',
  'resultSize',
  'diskBytesSpilled',
  'memoryBytesSpilled',
  'peakExecutionMemory',
  'recordsRead',
  'bytesRead',
  'recordsWritten',
  'bytesWritten',
  'shuffleRecordsRead',
  'shuffleTotalBlocksFetched',
  'shuffleLocalBlocksFetched',
  'shuffleRemoteBlocksFetched',
  'shuffleTotalBytesRead',
  'shuffleLocalBytesRead',
  'shuffleRemoteBytesRead',
  'shuffleRemoteBytesReadToDisk',
  'shuffleBytesWritten',
  'shuffleRecordsWritten',
] as const;
export type AggregatedMetric = (typeof AGGREGATED_METRICS)[number];

const NANOS = new Set(['executorCpuTime', 'executorDeserializeCpuTime', 'shuffleWriteTime']);

export interface StageRow {
  stageId: number;
  attemptNumber: number;
  jobId?: number;
  stageName: string;
  numTasks: number;
  submissionTime: number;
  completionTime: number;
  failureReason: string;
  /** The stage's metrics in sparkMeasure's report units (times in ms). */
  metrics: Record<Exclude<AggregatedMetric, 'numStages' | 'elapsedTime'>, number>;
}

export interface JobRow {
  jobId: number;
  startTime: number;
  completionTime: number;
  durationMs: number;
  result: string;
  stageIds: number[];
  description: string;
  /** Tasks of the job's stages that ran (sum of their numTasks). */
  numTasks: number;
}

export interface TaskRow {
  taskId: number;
  stageId: number;
  stageAttemptId: number;
  attemptNumber: number;
  index: number;
  executorId: string;
  host: string;
  durationMs: number;
  executorRunTime: number;
  jvmGCTime: number;
  shuffleTotalBytesRead: number;
  successful: boolean;
}

export interface StageSkew {
  stageId: number;
  stageAttemptId: number;
  tasks: number;
  medianMs: number;
  maxMs: number;
  /** max / median (0 when the median is 0). */
  ratio: number;
  slowestTaskId: number;
}

export interface AppReport {
  appId: string;
  appName: string;
  startTime?: number;
  endTime?: number;
  /** Record names counted (after dropping repeats by eventId + name). */
  recordCounts: Record<string, number>;
  duplicates: number;
  aggregated: Record<AggregatedMetric, number>;
  stages: StageRow[];
  jobs: JobRow[];
  /** Only when task records are present. */
  tasks?: { count: number; skew: StageSkew[]; slowest: TaskRow[] };
}

export interface ReportOptions {
  /** Slowest tasks to list (default 10). */
  slowest?: number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Builds the report from one application's records (any order; repeats dropped by eventId + name). */
export function buildReport(appId: string, input: Iterable<SmRecord>, opts: ReportOptions = {}): AppReport {
  const seen = new Set<string>();
  const records: SmRecord[] = [];
  let duplicates = 0;
  for (const r of input) {
    if (r.appId !== appId) continue;
    const id = typeof r.eventId === 'string' && r.eventId ? `${r.eventId}/${r.name}` : undefined;
    if (id) {
      if (seen.has(id)) {
        duplicates++;
        continue;
      }
      seen.add(id);
    }
    records.push(r);
  }
  const recordCounts: Record<string, number> = {};
  for (const r of records) recordCounts[r.name] = (recordCounts[r.name] ?? 0) + 1;

  const byName = (n: string) => records.filter((r) => r.name === n);
  const appStart = byName('applications_started')[0];
  const appEnd = byName('applications_ended')[0];
  const appName = String(appStart?.appName ?? appEnd?.appName ?? records.find((r) => r.appName)?.appName ?? '');

  const stages: StageRow[] = byName('stage_metrics')
    .map((r) => {
      const metrics = {} as StageRow['metrics'];
      for (const m of AGGREGATED_METRICS) {
        if (m === 'numStages' || m === 'elapsedTime') continue;
        if (m === 'numTasks') metrics.numTasks = num(r.numTasks);
        else if (m === 'stageDuration') metrics.stageDuration = num(r.stageDuration) || Math.max(0, num(r.completionTime) - num(r.submissionTime));
        else metrics[m] = NANOS.has(m) ? Math.trunc(num(r[m]) / 1_000_000) : num(r[m]);
      }
      return {
        stageId: num(r.stageId),
        attemptNumber: num(r.attemptNumber),
        jobId: r.jobId === undefined ? undefined : num(r.jobId),
        stageName: String(r.stageName ?? ''),
        numTasks: num(r.numTasks),
        submissionTime: num(r.submissionTime),
        completionTime: num(r.completionTime),
        failureReason: String(r.failureReason ?? ''),
        metrics,
      };
    })
    .sort((a, b) => a.stageId - b.stageId || a.attemptNumber - b.attemptNumber);

  const aggregated = Object.fromEntries(AGGREGATED_METRICS.map((m) => [m, 0])) as Record<AggregatedMetric, number>;
  let minSubmission = Number.MAX_SAFE_INTEGER;
  let maxCompletion = 0;
  for (const s of stages) {
    aggregated.numStages += 1;
    for (const [m, v] of Object.entries(s.metrics)) {
      const k = m as AggregatedMetric;
      aggregated[k] = k === 'resultSize' ? Math.max(aggregated[k], v) : aggregated[k] + v;
    }
    minSubmission = Math.min(minSubmission, s.submissionTime);
    maxCompletion = Math.max(maxCompletion, s.completionTime);
  }
  aggregated.elapsedTime = stages.length ? maxCompletion - minSubmission : 0;

  const ends = new Map(byName('jobs_ended').map((r) => [String(r.jobId), r]));
  const jobs: JobRow[] = byName('jobs_started')
    .map((r) => {
      const end = ends.get(String(r.jobId));
      const stageIds = Array.isArray(r.stageIds) ? r.stageIds.map(num) : [];
      const startTime = num(r.startTime);
      const completionTime = end ? num(end.completionTime) : 0;
      const ran = stages.filter((s) => (s.jobId !== undefined ? s.jobId === num(r.jobId) : stageIds.includes(s.stageId)));
      return {
        jobId: num(r.jobId),
        startTime,
        completionTime,
        durationMs: end ? completionTime - startTime : 0,
        result: end ? String(end.jobResult ?? 'JobSucceeded') : 'RUNNING',
        stageIds,
        description: String(r.description ?? ''),
        numTasks: ran.reduce((n, s) => n + s.numTasks, 0),
      };
    })
    .sort((a, b) => a.jobId - b.jobId);

  const report: AppReport = {
    appId,
    appName,
    startTime: appStart ? num(appStart.startTime) : undefined,
    endTime: appEnd ? num(appEnd.completionTime) : undefined,
    recordCounts,
    duplicates,
    aggregated,
    stages,
    jobs,
  };

  const taskRecords = byName('task_metrics');
  if (taskRecords.length > 0) {
    const tasks: TaskRow[] = taskRecords.map((r) => ({
      taskId: num(r.taskId),
      stageId: num(r.stageId),
      stageAttemptId: num(r.stageAttemptId),
      attemptNumber: num(r.attemptNumber),
      index: num(r.index),
      executorId: String(r.executorId ?? ''),
      host: String(r.host ?? ''),
      durationMs: num(r.duration),
      executorRunTime: num(r.executorRunTime),
      jvmGCTime: num(r.jvmGCTime),
      shuffleTotalBytesRead: num(r.shuffleTotalBytesRead),
      successful: r.successful !== false,
    }));
    const groups = new Map<string, TaskRow[]>();
    for (const t of tasks) {
      const k = `${t.stageId}.${t.stageAttemptId}`;
      const g = groups.get(k);
      if (g) g.push(t);
      else groups.set(k, [t]);
    }
    const skew: StageSkew[] = [...groups.values()]
      .map((g) => {
        const med = median(g.map((t) => t.durationMs));
        const slowest = g.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
        return {
          stageId: g[0].stageId,
          stageAttemptId: g[0].stageAttemptId,
          tasks: g.length,
          medianMs: med,
          maxMs: slowest.durationMs,
          ratio: med > 0 ? slowest.durationMs / med : 0,
          slowestTaskId: slowest.taskId,
        };
      })
      .sort((a, b) => a.stageId - b.stageId || a.stageAttemptId - b.stageAttemptId);
    const slowest = [...tasks].sort((a, b) => b.durationMs - a.durationMs || a.taskId - b.taskId).slice(0, opts.slowest ?? 10);
    report.tasks = { count: tasks.length, skew, slowest };
  }
  return report;
}
