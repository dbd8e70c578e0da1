// SparkListenerStageSubmitted / Completed. The log names no job for a stage: it comes from the
// JobStart that listed it. The metrics come from the stage's accumulators (stageMetrics).
import type { StageInfo, TaskMetrics } from '@sparkwire/proto';
import { int, long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, optLong, truncate } from './values';

export function stageSubmitted(s: MapperState, e: Json): MappedBody {
  const si = e['Stage Info'] ?? {};
  const stage = stageInfo(si);
  const job = s.stageToJob.get(stage.stageId);
  return {
    timeMs: stage.submissionTimeMs ?? s.now(),
    body: { $case: 'stageSubmitted', value: { stage, jobId: job } },
  };
}

export function stageCompleted(s: MapperState, e: Json): MappedBody {
  const t = s.totals;
  const si = e['Stage Info'] ?? {};
  const stage = stageInfo(si);
  t.stagesCompleted++;
  if (si['Failure Reason'] !== undefined && si['Failure Reason'] !== null) t.stagesFailed++;
  else t.stagesSucceeded++;
  const job = s.stageToJob.get(stage.stageId);
  return {
    timeMs: stage.completionTimeMs ?? s.now(),
    body: { $case: 'stageCompleted', value: { stage, metrics: stageMetrics(si.Accumulables), jobId: job } },
  };
}

export function stageInfo(s: Json): StageInfo {
  const failure = s['Failure Reason'];
  return {
    stageId: int(s['Stage ID']),
    attemptNumber: int(s['Stage Attempt ID']),
    name: str(s['Stage Name']),
    numTasks: int(s['Number of Tasks']),
    submissionTimeMs: optLong(s['Submission Time']),
    completionTimeMs: optLong(s['Completion Time']),
    failureReason: failure === undefined || failure === null ? '' : truncate(failure, MAX_MESSAGE_CHARS),
    parentIds: Array.isArray(s['Parent IDs']) ? s['Parent IDs'].map(int) : [],
  };
}

/**
 * A stage's aggregated TaskMetrics (the listener reads StageInfo.taskMetrics, which the event
 * log does not write): the same values from the stage's internal accumulators, which back
 * StageInfo.taskMetrics. An accumulator Spark did not list is 0.
 */
export function stageMetrics(accumulables: unknown): TaskMetrics {
  const a = new Map<string, bigint>();
  if (Array.isArray(accumulables)) {
    for (const x of accumulables) {
      const name = str(x?.Name);
      if (name.startsWith('internal.metrics.')) a.set(name.slice('internal.metrics.'.length), long(x.Value));
    }
  }
  const g = (k: string) => a.get(k) ?? 0n;
  return {
    executorRunTimeMs: g('executorRunTime'),
    executorCpuTimeNs: g('executorCpuTime'),
    executorDeserializeTimeMs: g('executorDeserializeTime'),
    executorDeserializeCpuTimeNs: g('executorDeserializeCpuTime'),
    jvmGcTimeMs: g('jvmGCTime'),
    memoryBytesSpilled: g('memoryBytesSpilled'),
    diskBytesSpilled: g('diskBytesSpilled'),
    peakExecutionMemory: g('peakExecutionMemory'),
    resultSerializationTimeMs: g('resultSerializationTime'),
    resultSize: g('resultSize'),
    bytesRead: g('input.bytesRead'),
    recordsRead: g('input.recordsRead'),
    bytesWritten: g('output.bytesWritten'),
    recordsWritten: g('output.recordsWritten'),
    shuffleTotalBytesRead: g('shuffle.read.remoteBytesRead') + g('shuffle.read.localBytesRead'),
    shuffleRemoteBytesRead: g('shuffle.read.remoteBytesRead'),
    shuffleRemoteBytesReadToDisk: g('shuffle.read.remoteBytesReadToDisk'),
    shuffleLocalBytesRead: g('shuffle.read.localBytesRead'),
    shuffleTotalBlocksFetched: g('shuffle.read.remoteBlocksFetched') + g('shuffle.read.localBlocksFetched'),
    shuffleLocalBlocksFetched: g('shuffle.read.localBlocksFetched'),
    shuffleRemoteBlocksFetched: g('shuffle.read.remoteBlocksFetched'),
    shuffleRecordsRead: g('shuffle.read.recordsRead'),
    shuffleFetchWaitTimeMs: g('shuffle.read.fetchWaitTime'),
    shuffleBytesWritten: g('shuffle.write.bytesWritten'),
    shuffleRecordsWritten: g('shuffle.write.recordsWritten'),
    shuffleWriteTimeNs: g('shuffle.write.writeTime'),
  };
}
