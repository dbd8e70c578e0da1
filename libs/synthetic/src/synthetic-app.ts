// A synthetic Spark application: the events a real run emits, in the order Spark emits
// them, with plausible metrics. Deterministic for a given spec.
import { JobResult, TaskLocality, type SparkEvent, type TaskMetrics } from '@sparkwire/proto';

export interface SyntheticAppSpec {
  appId: string;
  appName?: string;
  /** Stages of each job, e.g. [4, 3, 3]. */
  stagesPerJob: number[];
  tasksPerStage: number;
  executors: number;
  /** The first N jobs run for SQL executions (one execution per job). */
  sqlExecutions: number;
  /** Tasks that fail once and are retried (second attempt succeeds). */
  failedTasks: number;
  streamingProgress: number;
  labels?: Record<string, string>;
  startMs?: number;
}

export const ISSUE_SPEC: SyntheticAppSpec = {
  appId: 'app-20261124120000-0001',
  appName: 'synthetic-etl',
  stagesPerJob: [4, 3, 3],
  tasksPerStage: 200,
  executors: 2,
  sqlExecutions: 2,
  failedTasks: 1,
  streamingProgress: 3,
  labels: { team: 'data-platform', pipeline: 'synthetic' },
};

export function syntheticApplication(spec: SyntheticAppSpec): SparkEvent[] {
  const events: SparkEvent[] = [];
  let clock = spec.startMs ?? Date.UTC(2026, 10, 24, 12, 0, 0);
  let seq = 0;
  const emit = (body: SparkEvent['body'], at = clock): void => {
    events.push({
      eventId: `${spec.appId}-${++seq}`,
      appId: spec.appId,
      appName: spec.appName ?? 'synthetic',
      appAttemptId: '1',
      eventTimeMs: at,
      emittedTimeMs: at + 1,
      labels: spec.labels ?? {},
      body,
    });
  };
  const startMs = clock;
  emit({ $case: 'applicationStart', value: { startTimeMs: clock, sparkUser: 'spark', sparkVersion: '4.0.1', traceparent: '', sparkConfigs: { 'spark.master': 'local[2]' } } });
  for (let e = 1; e <= spec.executors; e++) {
    emit({ $case: 'executorAdded', value: { executorId: String(e), host: `worker-${e}`, totalCores: 2 } });
  }
  let stageId = 0;
  let taskId = 0;
  let failuresLeft = spec.failedTasks;
  const totals = { tasks: 0, failed: 0, stages: 0 };
  spec.stagesPerJob.forEach((stages, jobId) => {
    const sql = jobId < spec.sqlExecutions ? jobId : undefined;
    if (sql !== undefined) {
      emit({ $case: 'sqlExecutionStart', value: { executionId: sql, description: `SELECT count(*) FROM t${sql}`, details: '', rootExecutionId: undefined } });
    }
    const stageIds = Array.from({ length: stages }, (_, i) => stageId + i);
    emit({ $case: 'jobStart', value: { jobId, stageIds, sqlExecutionId: sql, jobGroup: '', description: `job ${jobId}` } });
    for (const sid of stageIds) {
      clock += 5;
      const submitted = clock;
      const stage = { stageId: sid, attemptNumber: 0, name: `stage ${sid}`, numTasks: spec.tasksPerStage, submissionTimeMs: submitted, completionTimeMs: undefined, failureReason: '', parentIds: sid > stageIds[0] ? [sid - 1] : [] };
      emit({ $case: 'stageSubmitted', value: { stage, jobId } });
      const agg = zeroMetrics();
      for (let index = 0; index < spec.tasksPerStage; index++) {
        const attempts = failuresLeft > 0 && index === 0 ? 2 : 1;
        if (attempts === 2) failuresLeft--;
        for (let attempt = 0; attempt < attempts; attempt++) {
          const failed = attempts === 2 && attempt === 0;
          const launch = clock;
          const info = {
            taskId: taskId++,
            index,
            attemptNumber: attempt,
            partitionId: index,
            launchTimeMs: launch,
            finishTimeMs: 0,
            executorId: String((index % spec.executors) + 1),
            host: `worker-${(index % spec.executors) + 1}`,
            locality: TaskLocality.TASK_LOCALITY_PROCESS_LOCAL,
            speculative: false,
            failed: false,
            killed: false,
          };
          emit({ $case: 'taskStart', value: { stageId: sid, stageAttemptId: 0, info } }, launch);
          clock += 1;
          const m = failed ? undefined : taskMetrics(index);
          if (m) addMetrics(agg, m);
          emit(
            {
              $case: 'taskEnd',
              value: {
                stageId: sid,
                stageAttemptId: 0,
                taskType: 'ResultTask',
                info: { ...info, finishTimeMs: clock, failed },
                reason: failed ? 'ExceptionFailure' : 'Success',
                reasonMessage: failed ? 'java.lang.RuntimeException: injected failure' : '',
                metrics: m,
              },
            },
            clock,
          );
          totals.tasks++;
          if (failed) totals.failed++;
        }
      }
      clock += 2;
      totals.stages++;
      emit({ $case: 'stageCompleted', value: { stage: { ...stage, completionTimeMs: clock }, metrics: agg, jobId } });
    }
    stageId += stages;
    clock += 1;
    emit({ $case: 'jobEnd', value: { jobId, result: JobResult.JOB_RESULT_SUCCEEDED, failureReason: '' } });
    if (sql !== undefined) emit({ $case: 'sqlExecutionEnd', value: { executionId: sql, errorMessage: '' } });
  });
  if (spec.streamingProgress > 0) {
    const id = '6a9c1a57-0000-4000-8000-000000000001';
    const runId = '6a9c1a57-0000-4000-8000-000000000002';
    emit({ $case: 'streamingQueryStarted', value: { id, runId, name: 'rate-to-console' } });
    for (let b = 0; b < spec.streamingProgress; b++) {
      clock += 1000;
      emit({
        $case: 'streamingProgress',
        value: {
          id,
          runId,
          name: 'rate-to-console',
          timestamp: new Date(clock).toISOString(),
          batchId: b,
          batchDurationMs: 120,
          numInputRows: 100 * (b + 1),
          inputRowsPerSecond: 100,
          processedRowsPerSecond: 833.3,
          durationMs: { addBatch: 80, getBatch: 1, latestOffset: 2, queryPlanning: 10, triggerExecution: 120, walCommit: 15 },
          eventTime: {},
          stateOperators: [],
          sources: [
            {
              description: 'RateStreamV2[rowsPerSecond=100, rampUpTimeSeconds=0, numPartitions=default',
              startOffset: String(b * 100),
              endOffset: String((b + 1) * 100),
              latestOffset: String((b + 1) * 100),
              numInputRows: 100,
              inputRowsPerSecond: 100,
              processedRowsPerSecond: 833.3,
              metrics: {},
            },
          ],
          sink: { description: 'org.apache.spark.sql.execution.streaming.ConsoleTable$@1', numOutputRows: 100 },
          observedMetrics: {},
        },
      });
    }
    emit({ $case: 'streamingQueryTerminated', value: { id, runId, exception: '' } });
  }
  for (let e = 1; e <= spec.executors; e++) emit({ $case: 'executorRemoved', value: { executorId: String(e), reason: 'application finished' } });
  clock += 10;
  const jobs = spec.stagesPerJob.length;
  emit({
    $case: 'applicationEnd',
    value: {
      startTimeMs: startMs,
      completionTimeMs: clock,
      exitCode: 0,
      executorsFailed: 0,
      executorsKilled: 0,
      totalJobsCompleted: jobs,
      succeededJobsCount: jobs,
      failedJobsCount: 0,
      numStagesCompleted: totals.stages,
      numSucceededStages: totals.stages,
      numFailedStages: 0,
      totalTaskCount: totals.tasks,
      numTaskFailed: totals.failed,
      numTaskKilled: 0,
      sparkConfigs: { 'spark.master': 'local[2]' },
    },
  });
  return events;
}

export function zeroMetrics(): TaskMetrics {
  return {
    executorRunTimeMs: 0, executorCpuTimeNs: 0, executorDeserializeTimeMs: 0, executorDeserializeCpuTimeNs: 0, jvmGcTimeMs: 0,
    memoryBytesSpilled: 0, diskBytesSpilled: 0, peakExecutionMemory: 0, resultSerializationTimeMs: 0, resultSize: 0,
    bytesRead: 0, recordsRead: 0, bytesWritten: 0, recordsWritten: 0, shuffleTotalBytesRead: 0, shuffleRemoteBytesRead: 0,
    shuffleRemoteBytesReadToDisk: 0, shuffleLocalBytesRead: 0, shuffleTotalBlocksFetched: 0, shuffleLocalBlocksFetched: 0,
    shuffleRemoteBlocksFetched: 0, shuffleRecordsRead: 0, shuffleFetchWaitTimeMs: 0, shuffleBytesWritten: 0,
    shuffleRecordsWritten: 0, shuffleWriteTimeNs: 0,
  };
}

/** Plausible metrics of one short task; varies with the index so sums are checkable. */
export function taskMetrics(index: number): TaskMetrics {
  const m = zeroMetrics();
  m.executorRunTimeMs = 10 + (index % 7);
  m.executorCpuTimeNs = m.executorRunTimeMs * 900_000;
  m.executorDeserializeTimeMs = 1;
  m.executorDeserializeCpuTimeNs = 800_000;
  m.jvmGcTimeMs = index % 5 === 0 ? 2 : 0;
  m.resultSize = 1500;
  m.peakExecutionMemory = 1 << 20;
  m.bytesRead = 4096;
  m.recordsRead = 100;
  m.shuffleBytesWritten = 2048;
  m.shuffleRecordsWritten = 50;
  m.shuffleWriteTimeNs = 150_000;
  m.shuffleTotalBytesRead = 1024;
  m.shuffleLocalBytesRead = 1024;
  m.shuffleLocalBlocksFetched = 2;
  m.shuffleTotalBlocksFetched = 2;
  m.shuffleRecordsRead = 25;
  return m;
}

function addMetrics(into: TaskMetrics, m: TaskMetrics): void {
  for (const k of Object.keys(m) as (keyof TaskMetrics)[]) into[k] += m[k];
}

/** Splits events into batches of at most `size`, keeping order. */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
