// sparkMeasure-compatible JSON (KafkaSink, KafkaSinkExtended, KafkaSinkV2).
//
// Consumers written for sparkMeasure keep working: the event names, field names and field
// types below are exactly sparkMeasure's, quirks included (stageId is a string in stage
// records and a number in task records; ids of jobs and queries are strings; an unset
// time is 0). sparkwire's additions are extra fields (appName, appAttemptId, labels,
// eventId, ...) and new event names (executors_removed, streaming_*, observations,
// connect_operations, connect_sessions).
// One compact JSON object per record; stage and task ends become two records each, as in
// sparkMeasure. Field-by-field vectors: proto/golden/.
// Spark's longs are exact: a record holds an int64 as a number when it is a safe integer and
// as a bigint above 2^53 (jsonLong), and the JSON text carries its exact decimal digits.
import type { ConnectContext, SparkEvent, StageInfo, TaskInfo, TaskMetrics } from '@sparkwire/proto';
import { ConnectOperationPhase, ConnectSessionPhase, TaskLocality } from '@sparkwire/proto';
import type { Encoder } from './encoder';
import { taskEndJson, taskStartJson } from './task-json';
import { jsonLong as L, jsonText } from './json-text';

type Json = Record<string, unknown>;

export const sparkMeasureJsonEncoder: Encoder = {
  name: 'json',
  encode(event) {
    const body = event.body;
    if (body?.$case === 'taskEnd') return taskEndJson(event, body.value);
    if (body?.$case === 'taskStart') return taskStartJson(event, body.value);
    return toSparkMeasureRecords(event).map(jsonText);
  },
};

/** The sparkMeasure records (as objects) for one event. */
export function toSparkMeasureRecords(ev: SparkEvent): Json[] {
  const body = ev.body;
  if (!body) return [];
  const envelope = (name: string): Json => ({
    name,
    appId: ev.appId,
    // sparkMeasure's epochMillis is when its listener saw the event.
    epochMillis: L(ev.emittedTimeMs || ev.eventTimeMs),
  });
  const extras: Json = {
    appName: ev.appName,
    appAttemptId: ev.appAttemptId,
    eventId: ev.eventId,
    eventTimeMs: L(ev.eventTimeMs),
    labels: ev.labels,
  };
  const one = (name: string, fields: Json): Json[] => [{ ...envelope(name), ...fields, ...extras }];
  // KafkaSinkV2: each label as a flat `appLabels.<key>` string field (a dot in the JSON key) on
  // both applications_started and applications_ended; `labels` (the object, on every record)
  // stays too, as sparkwire wrote it before.
  const appLabels: Json = {};
  for (const [k, val] of Object.entries(ev.labels)) appLabels[`appLabels.${k}`] = val;

  switch (body.$case) {
    case 'applicationStart': {
      const v = body.value;
      return one('applications_started', {
        appName: ev.appName,
        startTime: L(v.startTimeMs),
        ...appLabels,
        sparkUser: v.sparkUser,
        sparkVersion: v.sparkVersion,
      });
    }
    case 'applicationEnd': {
      const v = body.value;
      return one('applications_ended', {
        appName: ev.appName,
        startTime: L(v.startTimeMs),
        completionTime: L(v.completionTimeMs),
        duration: L(v.completionTimeMs - v.startTimeMs),
        executorsFailed: L(v.executorsFailed),
        executorsKilled: L(v.executorsKilled),
        totalJobsCompleted: L(v.totalJobsCompleted),
        succeededJobsCount: L(v.succeededJobsCount),
        failedJobsCount: L(v.failedJobsCount),
        numStagesCompleted: L(v.numStagesCompleted),
        numSucceededStages: L(v.numSucceededStages),
        numFailedStages: L(v.numFailedStages),
        totalTaskCount: L(v.totalTaskCount),
        numTaskFailed: L(v.numTaskFailed),
        numTaskKilled: L(v.numTaskKilled),
        sparkConfigs: v.sparkConfigs,
        ...appLabels,
        ...(v.exitCode !== undefined ? { exitCode: v.exitCode } : {}),
      });
    }
    case 'executorAdded': {
      const v = body.value;
      return one('executors_started', {
        executorId: v.executorId,
        host: v.host,
        totalCores: v.totalCores,
        startTime: L(ev.eventTimeMs),
      });
    }
    case 'executorRemoved': {
      const v = body.value;
      return one('executors_removed', { executorId: v.executorId, reason: v.reason, removeTime: L(ev.eventTimeMs) });
    }
    case 'jobStart': {
      const v = body.value;
      return one('jobs_started', {
        jobId: String(v.jobId),
        startTime: L(ev.eventTimeMs),
        stageIds: v.stageIds,
        ...(v.sqlExecutionId !== undefined ? { sqlExecutionId: L(v.sqlExecutionId) } : {}),
        jobGroup: v.jobGroup,
        description: v.description,
        ...connectFields(v.connect),
      });
    }
    case 'jobEnd': {
      const v = body.value;
      return one('jobs_ended', {
        jobId: String(v.jobId),
        completionTime: L(ev.eventTimeMs),
        jobResult: v.result === 2 ? 'JobFailed' : 'JobSucceeded',
        failureReason: v.failureReason,
        ...connectFields(v.connect),
      });
    }
    case 'stageSubmitted': {
      const s = body.value.stage!;
      return one('stages_started', {
        ...stageFields(s, false),
        stageName: s.name,
        numTasks: s.numTasks,
        // A string, as sparkMeasure's jobId on jobs_* is: one JSON type per field name.
        ...(body.value.jobId !== undefined ? { jobId: String(body.value.jobId) } : {}),
      });
    }
    case 'stageCompleted': {
      const s = body.value.stage!;
      const m = body.value.metrics;
      const extra: Json = { stageName: s.name, numTasks: s.numTasks };
      if (body.value.jobId !== undefined) extra.jobId = String(body.value.jobId);
      const ended = { ...envelope('stages_ended'), ...stageFields(s, true), ...extra, ...extras };
      const metrics = {
        ...envelope('stage_metrics'),
        ...stageFields(s, true),
        failureReason: s.failureReason,
        ...stageMetricFields(m, true),
        ...extra,
        stageDuration: s.completionTimeMs !== undefined && s.submissionTimeMs !== undefined ? L(s.completionTimeMs - s.submissionTimeMs) : 0,
        diskBytesSpilled: m ? L(m.diskBytesSpilled) : 0,
        ...extras,
      };
      return [ended, metrics];
    }
    case 'taskStart': {
      const v = body.value;
      return one('tasks_started', { ...taskFields(v.stageId, v.info!), stageAttemptId: v.stageAttemptId });
    }
    case 'taskEnd': {
      const v = body.value;
      const info = v.info!;
      const base = { ...taskFields(v.stageId, info), finishTime: L(info.finishTimeMs) };
      const successful = v.reason === 'Success' || (!info.failed && !info.killed);
      const metrics: Json = {
        ...envelope('task_metrics'),
        ...base,
        failed: info.failed,
        speculative: info.speculative,
        killed: info.killed,
        finished: info.finishTimeMs !== 0n,
        successful,
        executorId: info.executorId,
        duration: info.finishTimeMs !== 0n ? L(info.finishTimeMs - info.launchTimeMs) : 0,
        host: info.host,
        taskLocality: localityCode(info.locality),
        // sparkMeasure adds metrics only when Spark gave some (it gives none for most failures).
        ...(v.metrics ? { ...stageMetricFields(v.metrics, false), diskBytesSpilled: L(v.metrics.diskBytesSpilled) } : {}),
        stageAttemptId: v.stageAttemptId,
        taskType: v.taskType,
        index: info.index,
        partitionId: info.partitionId,
        endReason: v.reason,
        ...(v.reasonMessage ? { endReasonMessage: v.reasonMessage } : {}),
        ...extras,
      };
      return [{ ...envelope('tasks_ended'), ...base, stageAttemptId: v.stageAttemptId, ...extras }, metrics];
    }
    case 'sqlExecutionStart': {
      const v = body.value;
      return one('queries_started', {
        queryId: String(v.executionId),
        description: v.description,
        startTime: L(ev.eventTimeMs),
        ...(v.rootExecutionId !== undefined ? { rootExecutionId: L(v.rootExecutionId) } : {}),
      });
    }
    case 'sqlExecutionEnd': {
      const v = body.value;
      return one('queries_ended', {
        queryId: String(v.executionId),
        endTime: L(ev.eventTimeMs),
        ...(v.errorMessage ? { errorMessage: v.errorMessage } : {}),
      });
    }
    case 'streamingQueryStarted': {
      const v = body.value;
      return one('streaming_query_started', { queryId: v.id, runId: v.runId, queryName: v.name, startTime: L(ev.eventTimeMs) });
    }
    case 'streamingProgress': {
      const v = body.value;
      return one('streaming_progress', {
        queryId: v.id,
        runId: v.runId,
        queryName: v.name,
        timestamp: v.timestamp,
        batchId: L(v.batchId),
        batchDuration: L(v.batchDurationMs),
        numInputRows: L(v.numInputRows),
        inputRowsPerSecond: v.inputRowsPerSecond,
        processedRowsPerSecond: v.processedRowsPerSecond,
        durationMs: longMap(v.durationMs),
        eventTime: v.eventTime,
        stateOperators: v.stateOperators.map((o) => ({
          operatorName: o.operatorName,
          numRowsTotal: L(o.numRowsTotal),
          numRowsUpdated: L(o.numRowsUpdated),
          memoryUsedBytes: L(o.memoryUsedBytes),
          numRowsDroppedByWatermark: L(o.numRowsDroppedByWatermark),
          customMetrics: longMap(o.customMetrics),
        })),
        sources: v.sources.map((s) => ({
          description: s.description,
          startOffset: s.startOffset,
          endOffset: s.endOffset,
          latestOffset: s.latestOffset,
          numInputRows: L(s.numInputRows),
          inputRowsPerSecond: s.inputRowsPerSecond,
          processedRowsPerSecond: s.processedRowsPerSecond,
          metrics: s.metrics,
        })),
        sink: v.sink ? { description: v.sink.description, numOutputRows: L(v.sink.numOutputRows) } : null,
        observedMetrics: v.observedMetrics,
      });
    }
    case 'streamingQueryTerminated': {
      const v = body.value;
      return one('streaming_query_terminated', {
        queryId: v.id,
        runId: v.runId,
        endTime: L(ev.eventTimeMs),
        ...(v.exception ? { exception: v.exception } : {}),
      });
    }
    case 'observation': {
      const v = body.value;
      return one('observations', {
        observationName: v.name,
        numeric: v.numeric,
        text: v.text,
        ...(v.queryId ? { queryId: v.queryId } : {}),
        ...(v.batchId !== undefined ? { batchId: L(v.batchId) } : {}),
      });
    }
    case 'connectOperation': {
      const v = body.value;
      const started = v.phase === ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED;
      return one('connect_operations', {
        phase: OPERATION_PHASES[v.phase] ?? '',
        connectOperationId: v.operationId,
        connectSessionId: v.sessionId,
        connectUserId: v.userId,
        connectJobTag: v.jobTag,
        phaseTime: L(ev.eventTimeMs),
        // What Spark gives on one phase only is written on that phase only.
        ...(started ? { connectUserName: v.userName, statementText: v.statementText, jobTags: v.jobTags } : {}),
        ...(v.phase === ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED ? { errorMessage: v.errorMessage } : {}),
        ...(v.producedRowCount !== undefined ? { producedRowCount: L(v.producedRowCount) } : {}),
      });
    }
    case 'connectSession': {
      const v = body.value;
      return one('connect_sessions', {
        phase: SESSION_PHASES[v.phase] ?? '',
        connectSessionId: v.sessionId,
        connectUserId: v.userId,
        phaseTime: L(ev.eventTimeMs),
      });
    }
  }
}

// Spark's event class suffixes (SparkListenerConnectOperation<Phase>), as jobResult uses Spark's names.
const OPERATION_PHASES: Partial<Record<ConnectOperationPhase, string>> = {
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED]: 'Started',
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_ANALYZED]: 'Analyzed',
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION]: 'ReadyForExecution',
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_FINISHED]: 'Finished',
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED]: 'Failed',
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_CANCELED]: 'Canceled',
  [ConnectOperationPhase.CONNECT_OPERATION_PHASE_CLOSED]: 'Closed',
};
const SESSION_PHASES: Partial<Record<ConnectSessionPhase, string>> = {
  [ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED]: 'Started',
  [ConnectSessionPhase.CONNECT_SESSION_PHASE_CLOSED]: 'Closed',
};

/** Spark Connect attribution of a job (absent outside a Connect server): flat string fields. */
function connectFields(c: ConnectContext | undefined): Json {
  if (!c) return {};
  return {
    connectSessionId: c.sessionId,
    connectOperationId: c.operationId,
    connectUserId: c.userId,
    jobTags: c.jobTags,
  };
}

function stageFields(s: StageInfo, ended: boolean): Json {
  const f: Json = {
    stageId: String(s.stageId),
    attemptNumber: s.attemptNumber,
    submissionTime: s.submissionTimeMs !== undefined ? L(s.submissionTimeMs) : 0,
  };
  if (ended) f.completionTime = s.completionTimeMs !== undefined ? L(s.completionTimeMs) : 0;
  return f;
}

function taskFields(stageId: number, info: TaskInfo): Json {
  return {
    taskId: L(info.taskId),
    attemptNumber: info.attemptNumber,
    stageId,
    launchTime: L(info.launchTimeMs),
  };
}

function longMap(m: { [key: string]: bigint }): Json {
  const out: Json = {};
  for (const k of Object.keys(m)) out[k] = L(m[k]);
  return out;
}

// sparkMeasure's task locality codes: 0 PROCESS_LOCAL ... 4 ANY, -1 anything else.
export function localityCode(l: TaskLocality): number {
  switch (l) {
    case TaskLocality.TASK_LOCALITY_PROCESS_LOCAL:
      return 0;
    case TaskLocality.TASK_LOCALITY_NODE_LOCAL:
      return 1;
    case TaskLocality.TASK_LOCALITY_RACK_LOCAL:
      return 2;
    case TaskLocality.TASK_LOCALITY_NO_PREF:
      return 3;
    case TaskLocality.TASK_LOCALITY_ANY:
      return 4;
    default:
      return -1;
  }
}

/** sparkMeasure's metric names in raw Spark units; task records omit shuffleRemoteBytesReadToDisk. */
function stageMetricFields(m: TaskMetrics | undefined, stage: boolean): Json {
  const z = (n: bigint | undefined) => (n === undefined ? 0 : L(n));
  const f: Json = {
    executorRunTime: z(m?.executorRunTimeMs),
    executorCpuTime: z(m?.executorCpuTimeNs),
    executorDeserializeCpuTime: z(m?.executorDeserializeCpuTimeNs),
    executorDeserializeTime: z(m?.executorDeserializeTimeMs),
    jvmGCTime: z(m?.jvmGcTimeMs),
    memoryBytesSpilled: z(m?.memoryBytesSpilled),
    peakExecutionMemory: z(m?.peakExecutionMemory),
    resultSerializationTime: z(m?.resultSerializationTimeMs),
    resultSize: z(m?.resultSize),
    bytesRead: z(m?.bytesRead),
    recordsRead: z(m?.recordsRead),
    bytesWritten: z(m?.bytesWritten),
    recordsWritten: z(m?.recordsWritten),
    shuffleTotalBytesRead: z(m?.shuffleTotalBytesRead),
    shuffleRemoteBytesRead: z(m?.shuffleRemoteBytesRead),
    shuffleRemoteBytesReadToDisk: z(m?.shuffleRemoteBytesReadToDisk),
    shuffleLocalBytesRead: z(m?.shuffleLocalBytesRead),
    shuffleTotalBlocksFetched: z(m?.shuffleTotalBlocksFetched),
    shuffleLocalBlocksFetched: z(m?.shuffleLocalBlocksFetched),
    shuffleRemoteBlocksFetched: z(m?.shuffleRemoteBlocksFetched),
    shuffleRecordsRead: z(m?.shuffleRecordsRead),
    shuffleFetchWaitTime: z(m?.shuffleFetchWaitTimeMs),
    shuffleBytesWritten: z(m?.shuffleBytesWritten),
    shuffleRecordsWritten: z(m?.shuffleRecordsWritten),
    shuffleWriteTime: z(m?.shuffleWriteTimeNs),
  };
  if (!stage) delete f.shuffleRemoteBytesReadToDisk;
  return f;
}
