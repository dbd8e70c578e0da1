// SparkListenerTaskStart / End, with the task's info, metrics and end reason as the listener
// fills them (TaskFailedReason.toErrorString for the message).
import { TaskLocality, type TaskInfo, type TaskMetrics } from '@sparkwire/proto';
import { int, long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, truncate } from './values';

export function taskStart(s: MapperState, e: Json): MappedBody {
  const info = e['Task Info'] ? taskInfo(e['Task Info']) : undefined;
  return {
    timeMs: info && info.launchTimeMs > 0n ? info.launchTimeMs : s.now(),
    body: { $case: 'taskStart', value: { stageId: int(e['Stage ID']), stageAttemptId: int(e['Stage Attempt ID']), info } },
  };
}

export function taskEnd(s: MapperState, e: Json): MappedBody {
  const t = s.totals;
  const reason = e['Task End Reason'] ?? {};
  const reasonName = str(reason.Reason);
  t.tasks++;
  if (reasonName === 'TaskKilled') t.tasksKilled++;
  else if (reasonName !== 'Success' && reasonName !== '') t.tasksFailed++;
  const info = e['Task Info'] ? taskInfo(e['Task Info']) : undefined;
  const m = e['Task Metrics'];
  return {
    timeMs: info && info.finishTimeMs > 0n ? info.finishTimeMs : s.now(),
    body: {
      $case: 'taskEnd',
      value: {
        stageId: int(e['Stage ID']),
        stageAttemptId: int(e['Stage Attempt ID']),
        taskType: str(e['Task Type']),
        info,
        reason: reasonName,
        reasonMessage: truncate(reasonMessage(reason), MAX_MESSAGE_CHARS),
        metrics: m && typeof m === 'object' ? taskMetrics(m) : undefined,
      },
    },
  };
}

const LOCALITY: Record<string, TaskLocality> = {
  PROCESS_LOCAL: TaskLocality.TASK_LOCALITY_PROCESS_LOCAL,
  NODE_LOCAL: TaskLocality.TASK_LOCALITY_NODE_LOCAL,
  RACK_LOCAL: TaskLocality.TASK_LOCALITY_RACK_LOCAL,
  NO_PREF: TaskLocality.TASK_LOCALITY_NO_PREF,
  ANY: TaskLocality.TASK_LOCALITY_ANY,
};

export function taskInfo(t: Json): TaskInfo {
  return {
    taskId: long(t['Task ID']),
    index: int(t.Index),
    attemptNumber: int(t.Attempt),
    partitionId: t['Partition ID'] === undefined ? -1 : int(t['Partition ID']),
    launchTimeMs: long(t['Launch Time']),
    finishTimeMs: long(t['Finish Time']),
    executorId: str(t['Executor ID']),
    host: str(t.Host),
    locality: LOCALITY[str(t.Locality)] ?? TaskLocality.TASK_LOCALITY_UNSPECIFIED,
    speculative: t.Speculative === true,
    failed: t.Failed === true,
    killed: t.Killed === true,
  };
}

/** TaskMetrics from a TaskEnd's "Task Metrics" (JsonProtocol.taskMetricsToJson). */
export function taskMetrics(m: Json): TaskMetrics {
  const sr = m['Shuffle Read Metrics'] ?? {};
  const sw = m['Shuffle Write Metrics'] ?? {};
  const inp = m['Input Metrics'] ?? {};
  const out = m['Output Metrics'] ?? {};
  const remoteBytes = long(sr['Remote Bytes Read']);
  const localBytes = long(sr['Local Bytes Read']);
  const remoteBlocks = long(sr['Remote Blocks Fetched']);
  const localBlocks = long(sr['Local Blocks Fetched']);
  return {
    executorRunTimeMs: long(m['Executor Run Time']),
    executorCpuTimeNs: long(m['Executor CPU Time']),
    executorDeserializeTimeMs: long(m['Executor Deserialize Time']),
    executorDeserializeCpuTimeNs: long(m['Executor Deserialize CPU Time']),
    jvmGcTimeMs: long(m['JVM GC Time']),
    memoryBytesSpilled: long(m['Memory Bytes Spilled']),
    diskBytesSpilled: long(m['Disk Bytes Spilled']),
    peakExecutionMemory: long(m['Peak Execution Memory']),
    resultSerializationTimeMs: long(m['Result Serialization Time']),
    resultSize: long(m['Result Size']),
    bytesRead: long(inp['Bytes Read']),
    recordsRead: long(inp['Records Read']),
    bytesWritten: long(out['Bytes Written']),
    recordsWritten: long(out['Records Written']),
    // ShuffleReadMetrics.totalBytesRead / totalBlocksFetched: remote + local
    shuffleTotalBytesRead: remoteBytes + localBytes,
    shuffleRemoteBytesRead: remoteBytes,
    shuffleRemoteBytesReadToDisk: long(sr['Remote Bytes Read To Disk']),
    shuffleLocalBytesRead: localBytes,
    shuffleTotalBlocksFetched: remoteBlocks + localBlocks,
    shuffleLocalBlocksFetched: localBlocks,
    shuffleRemoteBlocksFetched: remoteBlocks,
    shuffleRecordsRead: long(sr['Total Records Read']),
    shuffleFetchWaitTimeMs: long(sr['Fetch Wait Time']),
    shuffleBytesWritten: long(sw['Shuffle Bytes Written']),
    shuffleRecordsWritten: long(sw['Shuffle Records Written']),
    shuffleWriteTimeNs: long(sw['Shuffle Write Time']),
  };
}

/** TaskFailedReason.toErrorString for the reasons JsonProtocol writes; '' for Success. */
export function reasonMessage(r: Json): string {
  switch (str(r.Reason)) {
    case 'Success':
    case '':
      return '';
    case 'ExceptionFailure': {
      if (r['Full Stack Trace'] !== undefined && r['Full Stack Trace'] !== null) return str(r['Full Stack Trace']);
      const st = Array.isArray(r['Stack Trace'])
        ? r['Stack Trace'].map((f: Json) => `        ${str(f['Declaring Class'])}.${str(f['Method Name'])}(${f['File Name'] ? `${str(f['File Name'])}:${int(f['Line Number'])}` : 'Unknown Source'})`).join('\n')
        : '';
      return `${str(r['Class Name'])}: ${str(r.Description)}\n${st}`;
    }
    case 'TaskKilled':
      return `TaskKilled (${str(r['Kill Reason'])})`;
    case 'FetchFailed': {
      const bm = r['Block Manager Address'];
      const addr = bm ? `BlockManagerId(${str(bm['Executor ID'])}, ${str(bm.Host)}, ${int(bm.Port)}, None)` : 'null';
      return `FetchFailed(${addr}, shuffleId=${int(r['Shuffle ID'])}, mapIndex=${int(r['Map Index'])}, mapId=${long(r['Map ID'])}, reduceId=${int(r['Reduce ID'])}, message=\n${str(r.Message)}\n)`;
    }
    case 'ExecutorLostFailure': {
      const behavior = r['Exit Caused By App'] === false ? 'unrelated to the running tasks' : 'caused by one of the running tasks';
      const reason = r['Loss Reason'];
      return `ExecutorLostFailure (executor ${str(r['Executor ID'])} exited ${behavior})${reason === undefined || reason === null ? '' : ` Reason: ${str(reason)}`}`;
    }
    case 'TaskResultLost':
      return 'TaskResultLost (result lost from block manager)';
    case 'TaskCommitDenied':
      return `TaskCommitDenied (Driver denied task commit) for job: ${int(r['Job ID'])}, partition: ${int(r['Partition ID'])}, attemptNumber: ${int(r['Attempt Number'])}`;
    case 'Resubmitted':
      return 'Resubmitted (resubmitted due to node loss)';
    case 'UnknownReason':
      return 'UnknownReason';
    default:
      return str(r.Reason);
  }
}
