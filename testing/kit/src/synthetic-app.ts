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
      eventTimeMs: BigInt(at),
      emittedTimeMs: BigInt(at + 1),
      labels: spec.labels ?? {},
      body,
    });
  };
  const startMs = clock;
  emit({ $case: 'applicationStart', value: { startTimeMs: BigInt(clock), sparkUser: 'spark', sparkVersion: '4.0.1', traceparent: '', sparkConfigs: { 'spark.master': 'local[2]' } } });
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
      emit({ $case: 'sqlExecutionStart', value: { executionId: BigInt(sql), description: `SELECT count(*) FROM t${sql}`, details: '', rootExecutionId: undefined } });
    }
    const stageIds = Array.from({ length: stages }, (_, i) => stageId + i);
    emit({ $case: 'jobStart', value: { jobId, stageIds, sqlExecutionId: sql === undefined ? undefined : BigInt(sql), jobGroup: '', description: `job ${jobId}`, connect: undefined } });
    for (const sid of stageIds) {
      clock += 5;
      const submitted = clock;
      const stage = { stageId: sid, attemptNumber: 0, name: `stage ${sid}`, numTasks: spec.tasksPerStage, submissionTimeMs: BigInt(submitted), completionTimeMs: undefined, failureReason: '', parentIds: sid > stageIds[0] ? [sid - 1] : [] };
      emit({ $case: 'stageSubmitted', value: { stage, jobId } });
      const agg = zeroMetrics();
      for (let index = 0; index < spec.tasksPerStage; index++) {
        const attempts = failuresLeft > 0 && index === 0 ? 2 : 1;
        if (attempts === 2) failuresLeft--;
        for (let attempt = 0; attempt < attempts; attempt++) {
          const failed = attempts === 2 && attempt === 0;
          const launch = clock;
          const info = {
            taskId: BigInt(taskId++),
            index,
            attemptNumber: attempt,
            partitionId: index,
            launchTimeMs: BigInt(launch),
            finishTimeMs: 0n,
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
                info: { ...info, finishTimeMs: BigInt(clock), failed },
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
      emit({ $case: 'stageCompleted', value: { stage: { ...stage, completionTimeMs: BigInt(clock) }, metrics: agg, jobId } });
    }
    stageId += stages;
    clock += 1;
    emit({ $case: 'jobEnd', value: { jobId, result: JobResult.JOB_RESULT_SUCCEEDED, failureReason: '', connect: undefined } });
    if (sql !== undefined) emit({ $case: 'sqlExecutionEnd', value: { executionId: BigInt(sql), errorMessage: '' } });
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
          batchId: BigInt(b),
          batchDurationMs: 120n,
          numInputRows: BigInt(100 * (b + 1)),
          inputRowsPerSecond: 100,
          processedRowsPerSecond: 833.3,
          durationMs: { addBatch: 80n, getBatch: 1n, latestOffset: 2n, queryPlanning: 10n, triggerExecution: 120n, walCommit: 15n },
          eventTime: {},
          stateOperators: [],
          sources: [
            {
              description: 'RateStreamV2[rowsPerSecond=100, rampUpTimeSeconds=0, numPartitions=default',
              startOffset: String(b * 100),
              endOffset: String((b + 1) * 100),
              latestOffset: String((b + 1) * 100),
              numInputRows: 100n,
              inputRowsPerSecond: 100,
              processedRowsPerSecond: 833.3,
              metrics: {},
            },
          ],
          sink: { description: 'org.apache.spark.sql.execution.streaming.ConsoleTable$@1', numOutputRows: 100n },
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
      startTimeMs: BigInt(startMs),
      completionTimeMs: BigInt(clock),
      exitCode: 0,
      executorsFailed: 0n,
      executorsKilled: 0n,
      totalJobsCompleted: BigInt(jobs),
      succeededJobsCount: BigInt(jobs),
      failedJobsCount: 0n,
      numStagesCompleted: BigInt(totals.stages),
      numSucceededStages: BigInt(totals.stages),
      numFailedStages: 0n,
      totalTaskCount: BigInt(totals.tasks),
      numTaskFailed: BigInt(totals.failed),
      numTaskKilled: 0n,
      sparkConfigs: { 'spark.master': 'local[2]' },
    },
  });
  return events;
}

export function zeroMetrics(): TaskMetrics {
  return {
    executorRunTimeMs: 0n, executorCpuTimeNs: 0n, executorDeserializeTimeMs: 0n, executorDeserializeCpuTimeNs: 0n, jvmGcTimeMs: 0n,
    memoryBytesSpilled: 0n, diskBytesSpilled: 0n, peakExecutionMemory: 0n, resultSerializationTimeMs: 0n, resultSize: 0n,
    bytesRead: 0n, recordsRead: 0n, bytesWritten: 0n, recordsWritten: 0n, shuffleTotalBytesRead: 0n, shuffleRemoteBytesRead: 0n,
    shuffleRemoteBytesReadToDisk: 0n, shuffleLocalBytesRead: 0n, shuffleTotalBlocksFetched: 0n, shuffleLocalBlocksFetched: 0n,
    shuffleRemoteBlocksFetched: 0n, shuffleRecordsRead: 0n, shuffleFetchWaitTimeMs: 0n, shuffleBytesWritten: 0n,
    shuffleRecordsWritten: 0n, shuffleWriteTimeNs: 0n,
  };
}

/** Plausible metrics of one short task; varies with the index so sums are checkable. */
export function taskMetrics(index: number): TaskMetrics {
  const m = zeroMetrics();
  m.executorRunTimeMs = BigInt(10 + (index % 7));
  m.executorCpuTimeNs = m.executorRunTimeMs * 900_000n;
  m.executorDeserializeTimeMs = 1n;
  m.executorDeserializeCpuTimeNs = 800_000n;
  m.jvmGcTimeMs = index % 5 === 0 ? 2n : 0n;
  m.resultSize = 1500n;
  m.peakExecutionMemory = 1n << 20n;
  m.bytesRead = 4096n;
  m.recordsRead = 100n;
  m.shuffleBytesWritten = 2048n;
  m.shuffleRecordsWritten = 50n;
  m.shuffleWriteTimeNs = 150_000n;
  m.shuffleTotalBytesRead = 1024n;
  m.shuffleLocalBytesRead = 1024n;
  m.shuffleLocalBlocksFetched = 2n;
  m.shuffleTotalBlocksFetched = 2n;
  m.shuffleRecordsRead = 25n;
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
