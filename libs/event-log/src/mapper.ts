// Spark's JSON event log (org.apache.spark.util.JsonProtocol; SQL and streaming events are
// Jackson-serialized case classes) -> sparkwire.v1 SparkEvents, filled field by field the way
// the JVM listener fills them from live events (libs/spark-listener EventMapper, SqlEvents,
// StreamingEvents, SparkwireListener's job/stage bookkeeping and ApplicationEnd totals).
// Where the listener uses the wall clock (`now`, an event without Spark's own time) the
// replay uses the time of the last event before it that had one: deterministic, and close.
import { JobResult, SparkEvent, TaskLocality, type ConnectContext, type StageInfo, type TaskInfo, type TaskMetrics } from '@sparkwire/proto';
import { dbl, int, long, str, type Json } from './json';

export const MAX_MESSAGE_CHARS = 4_096;
export const MAX_TEXT_CHARS = 16_384;

/**
 * The listener's allow-list of resource and tuning keys (SparkwireConfig.SPARK_CONFIG_ALLOW_LIST,
 * same keys, same order): sparkwire's five naming and scheduling keys, then sparkMeasure V2's
 * 61 (KafkaSinkV2 v0.28), matched exactly.
 */
export const SPARK_CONFIG_ALLOW_LIST = [
  'spark.app.name', 'spark.master', 'spark.submit.deployMode', 'spark.task.cpus', 'spark.scheduler.mode',
  'spark.sparkmeasure.appLabels.', 'spark.sparkmeasure.', 'spark.executor.instances', 'spark.executor.memory',
  'spark.executor.memoryOverhead', 'spark.executor.cores', 'spark.executor.heartbeatInterval', 'spark.driver.memory',
  'spark.driver.memoryOverhead', 'spark.driver.cores', 'spark.driver.maxResultSize',
  'spark.dynamicAllocation.enabled', 'spark.dynamicAllocation.minExecutors', 'spark.dynamicAllocation.maxExecutors',
  'spark.dynamicAllocation.initialExecutors', 'spark.dynamicAllocation.executorIdleTimeout',
  'spark.dynamicAllocation.cachedExecutorIdleTimeout', 'spark.dynamicAllocation.schedulerBacklogTimeout',
  'spark.sql.shuffle.partitions', 'spark.default.parallelism', 'spark.sql.adaptive.enabled',
  'spark.sql.adaptive.coalescePartitions.enabled', 'spark.sql.adaptive.coalescePartitions.minPartitionNum',
  'spark.sql.adaptive.advisoryPartitionSizeInBytes', 'spark.sql.adaptive.skewJoin.enabled',
  'spark.sql.adaptive.skewJoin.skewedPartitionFactor', 'spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes',
  'spark.shuffle.service.enabled', 'spark.shuffle.compress', 'spark.shuffle.spill.compress',
  'spark.shuffle.file.buffer', 'spark.shuffle.io.retryWait', 'spark.shuffle.io.maxRetries', 'spark.memory.fraction',
  'spark.memory.storageFraction', 'spark.memory.offHeap.enabled', 'spark.memory.offHeap.size',
  'spark.kubernetes.executor.request.cores', 'spark.kubernetes.executor.limit.cores',
  'spark.kubernetes.driver.request.cores', 'spark.kubernetes.driver.limit.cores',
  'spark.kubernetes.memoryOverheadFactor', 'spark.kubernetes.allocation.batch.size',
  'spark.kubernetes.allocation.batch.delay', 'spark.kubernetes.executor.deleteOnTermination', 'spark.serializer',
  'spark.kryoserializer.buffer.max', 'spark.kryoserializer.buffer', 'spark.rdd.compress', 'spark.network.timeout',
  'spark.rpc.askTimeout', 'spark.rpc.lookupTimeout', 'spark.sql.autoBroadcastJoinThreshold',
  'spark.sql.broadcastTimeout', 'spark.sql.files.maxPartitionBytes', 'spark.sql.files.openCostInBytes',
  'spark.sql.files.minPartitionNum', 'spark.speculation', 'spark.speculation.multiplier',
  'spark.speculation.quantile', 'spark.speculation.interval',
];
const LABELS_PREFIX = 'spark.sparkwire.labels.';
/** sparkMeasure's labels, read for a key sparkwire's own labels do not set (as the listener does). */
const SPARKMEASURE_LABELS_PREFIX = 'spark.sparkmeasure.appLabels.';
const TRACEPARENT = 'spark.sparkwire.traceparent';

export const SQL_START = 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart';
export const SQL_END = 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd';
export const QUERY_STARTED = 'org.apache.spark.sql.streaming.StreamingQueryListener$QueryStartedEvent';
export const QUERY_PROGRESS = 'org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent';
export const QUERY_TERMINATED = 'org.apache.spark.sql.streaming.StreamingQueryListener$QueryTerminatedEvent';

/** Event-log events read only for context (version, configuration); not counted as skipped. */
export const CONTEXT_EVENTS = new Set(['SparkListenerLogStart', 'SparkListenerEnvironmentUpdate']);

type Body = NonNullable<SparkEvent['body']>;

/** One mapped event before its envelope is known (events Spark logs before ApplicationStart). */
interface Mapped {
  position: number;
  timeMs: bigint;
  body: Body;
}

export interface AppIdentity {
  appId: string;
  appName: string;
  attemptId: string;
}

/** "evlog:<appId>:<attempt or ->:<position>": the same for every replay of the same log. */
export function replayEventId(appId: string, attemptId: string, position: number): string {
  return `evlog:${appId}:${attemptId || '-'}:${position}`;
}

export function truncate(s: unknown, max: number): string {
  if (s === null || s === undefined) return '';
  const t = String(s);
  if (t.length <= max) return t;
  let end = max;
  const c = t.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${t.slice(0, end)}...`;
}

/**
 * Maps one application's event log, line by line, in order. Stateful like the live listener:
 * stage -> job from JobStart, ApplicationEnd totals counted over the events seen.
 */
/**
 * A job's Spark Connect context from its spark.job.tags (the listener's ConnectContexts):
 * SparkConnect_OperationTag_User_<u>_Session_<s>_Operation_<o>, and the client's own tags
 * SparkConnect_SessionTag_User_<u>_Session_<s>_Tag_<tag> as the client set them.
 */
export function connectContext(raw: string | undefined): ConnectContext | undefined {
  if (!raw) return undefined;
  const tags = raw.split(',').map((t) => t.trim());
  let c: ConnectContext | undefined;
  for (const t of tags) {
    const m = /^SparkConnect_OperationTag_User_(.*)_Session_([0-9A-Za-z-]+)_Operation_([0-9A-Za-z-]+)$/s.exec(t);
    if (m) {
      c = { userId: m[1], sessionId: m[2], operationId: m[3], jobTags: [] };
      break;
    }
  }
  if (!c) return undefined;
  const prefix = `SparkConnect_SessionTag_User_${c.userId}_Session_${c.sessionId}_Tag_`;
  for (const t of tags) {
    if (t.startsWith(prefix) && t.length > prefix.length && c.jobTags.length < 32) c.jobTags.push(truncate(t.slice(prefix.length), 256));
  }
  return c;
}

export class EventLogMapper {
  private identity: AppIdentity | undefined;
  private readonly fallback: AppIdentity;
  private readonly pending: Mapped[] = [];
  private sparkVersion = '';
  private traceparent = '';
  private labels: Record<string, string> = {};
  private sparkConfigs: Record<string, string> = {};
  private lastTimeMs = 0n;
  private readonly stageToJob = new Map<number, number>();
  private readonly jobStages = new Map<number, number[]>();
  // Spark Connect context of running jobs, copied from the job start onto its end (as the listener does)
  private readonly jobConnect = new Map<number, ConnectContext>();
  private rememberConnect(jobId: number, c: ConnectContext | undefined): ConnectContext | undefined {
    if (c) this.jobConnect.set(jobId, c);
    return c;
  }
  private takeConnect(jobId: number): ConnectContext | undefined {
    const c = this.jobConnect.get(jobId);
    this.jobConnect.delete(jobId);
    return c;
  }
  private readonly totals = {
    startTimeMs: 0n, executorsFailed: 0n, executorsKilled: 0n, jobsCompleted: 0n, jobsSucceeded: 0n, jobsFailed: 0n,
    stagesCompleted: 0n, stagesSucceeded: 0n, stagesFailed: 0n, tasks: 0n, tasksFailed: 0n, tasksKilled: 0n,
  };

  /** @param fallbackAppId the app id from the log's file name, for a log without ApplicationStart. */
  constructor(fallbackAppId = '', fallbackAttemptId = '') {
    this.fallback = { appId: fallbackAppId, appName: '', attemptId: fallbackAttemptId };
  }

  get app(): AppIdentity | undefined {
    return this.identity;
  }

  /**
   * Maps one parsed line. Returns the events ready to publish (the envelope known), 'context'
   * for lines read only for context, or 'skipped' for an event sparkwire does not carry.
   */
  map(e: Json, position: number): SparkEvent[] | 'context' | 'skipped' {
    const kind = str(e.Event);
    if (kind === 'SparkListenerLogStart') {
      this.sparkVersion = str(e['Spark Version']);
      return 'context';
    }
    if (kind === 'SparkListenerEnvironmentUpdate') {
      this.environment(e);
      return 'context';
    }
    const body = this.body(kind, e);
    if (!body) return 'skipped';
    const out: Mapped = { position, timeMs: body.timeMs, body: body.body };
    if (body.timeMs > 0n) this.lastTimeMs = body.timeMs;
    if (!this.identity) {
      if (kind !== 'SparkListenerApplicationStart') {
        this.pending.push(out);
        return [];
      }
      this.identity = { appId: str(e['App ID']) || this.fallback.appId, appName: str(e['App Name']), attemptId: str(e['App Attempt ID']) };
      const flushed = this.pending.splice(0).map((m) => this.envelope(m));
      return [...flushed, this.envelope(out)];
    }
    return [this.envelope(out)];
  }

  /** Events still waiting for an ApplicationStart (end of a log that has none). */
  finish(): SparkEvent[] {
    if (!this.identity) this.identity = { ...this.fallback, appName: this.sparkConfigsAppName() };
    return this.pending.splice(0).map((m) => this.envelope(m));
  }

  private sparkConfigsAppName(): string {
    return this.sparkConfigs['spark.app.name'] ?? '';
  }

  private envelope(m: Mapped): SparkEvent {
    const id = this.identity!;
    return SparkEvent.fromPartial({
      eventId: replayEventId(id.appId, id.attemptId, m.position),
      appId: id.appId,
      appName: id.appName || this.sparkConfigsAppName(),
      appAttemptId: id.attemptId,
      eventTimeMs: m.timeMs,
      emittedTimeMs: 0n,
      labels: { ...this.labels },
      body: m.body as any,
    });
  }

  private environment(e: Json): void {
    const props = toMap(e['Spark Properties']);
    const found: Record<string, string> = {};
    // sparkMeasure's appLabels first, so sparkwire's own labels win on a clash (as SparkwireConfig).
    for (const prefix of [SPARKMEASURE_LABELS_PREFIX, LABELS_PREFIX]) {
      for (const k of Object.keys(props)) if (k.startsWith(prefix) && k.length > prefix.length) found[k.slice(prefix.length)] = props[k];
    }
    const labels: Record<string, string> = {};
    for (const k of Object.keys(found).sort()) labels[k] = found[k];
    this.labels = labels;
    this.traceparent = (props[TRACEPARENT] ?? '').trim();
    const cfg: Record<string, string> = {};
    for (const k of SPARK_CONFIG_ALLOW_LIST) if (props[k] !== undefined) cfg[k] = props[k];
    // Spark adds spark.scheduler.mode to the logged properties when the conf lacks it
    // (SparkEnv.environmentDetails), always as the default FIFO: the listener, reading the
    // conf, has none then. A conf that set FIFO explicitly is indistinguishable (docs/replay.md).
    if (cfg['spark.scheduler.mode'] === 'FIFO') delete cfg['spark.scheduler.mode'];
    this.sparkConfigs = cfg;
    if (!this.fallback.appId && props['spark.app.id']) this.fallback.appId = props['spark.app.id'];
  }

  private now(): bigint {
    return this.lastTimeMs;
  }

  private body(kind: string, e: Json): { timeMs: bigint; body: Body } | undefined {
    const t = this.totals;
    switch (kind) {
      case 'SparkListenerApplicationStart': {
        const time = long(e.Timestamp);
        t.startTimeMs = time;
        return {
          timeMs: time,
          body: { $case: 'applicationStart', value: { startTimeMs: time, sparkUser: str(e.User), sparkVersion: this.sparkVersion, traceparent: this.traceparent, sparkConfigs: { ...this.sparkConfigs } } },
        };
      }
      case 'SparkListenerApplicationEnd': {
        const ts = long(e.Timestamp);
        const time = ts > 0n ? ts : this.now();
        const exit = e.ExitCode ?? e['Exit Code'];
        return {
          timeMs: time,
          body: {
            $case: 'applicationEnd',
            value: {
              startTimeMs: t.startTimeMs, completionTimeMs: time,
              exitCode: exit === undefined || exit === null ? undefined : int(exit),
              executorsFailed: t.executorsFailed, executorsKilled: t.executorsKilled,
              totalJobsCompleted: t.jobsCompleted, succeededJobsCount: t.jobsSucceeded, failedJobsCount: t.jobsFailed,
              numStagesCompleted: t.stagesCompleted, numSucceededStages: t.stagesSucceeded, numFailedStages: t.stagesFailed,
              totalTaskCount: t.tasks, numTaskFailed: t.tasksFailed, numTaskKilled: t.tasksKilled,
              sparkConfigs: { ...this.sparkConfigs },
            },
          },
        };
      }
      case 'SparkListenerJobStart': {
        const jobId = int(e['Job ID']);
        const stageIds: number[] = Array.isArray(e['Stage IDs']) ? e['Stage IDs'].map(int) : [];
        this.jobStages.set(jobId, stageIds);
        for (const s of stageIds) this.stageToJob.set(s, jobId);
        const p = toMap(e.Properties);
        const sqlId = p['spark.sql.execution.id'];
        return {
          timeMs: long(e['Submission Time']),
          body: {
            $case: 'jobStart',
            value: {
              jobId,
              stageIds,
              sqlExecutionId: sqlId !== undefined && /^\s*-?\d+\s*$/.test(sqlId) ? BigInt(sqlId.trim()) : undefined,
              jobGroup: p['spark.jobGroup.id'] ?? '',
              description: truncate(p['spark.job.description'], MAX_TEXT_CHARS),
              connect: this.rememberConnect(jobId, connectContext(p['spark.job.tags'])),
            },
          },
        };
      }
      case 'SparkListenerJobEnd': {
        const jobId = int(e['Job ID']);
        const r = e['Job Result'] ?? {};
        const ok = str(r.Result) === 'JobSucceeded';
        t.jobsCompleted++;
        if (ok) t.jobsSucceeded++;
        else t.jobsFailed++;
        const stages = this.jobStages.get(jobId);
        this.jobStages.delete(jobId);
        for (const s of stages ?? []) if (this.stageToJob.get(s) === jobId) this.stageToJob.delete(s);
        let failureReason = '';
        if (!ok) {
          const msg = r.Exception?.Message;
          failureReason = truncate(msg === null || msg === undefined || msg === '' ? 'java.lang.Exception' : msg, MAX_MESSAGE_CHARS);
        }
        return {
          timeMs: long(e['Completion Time']),
          body: { $case: 'jobEnd', value: { jobId, result: ok ? JobResult.JOB_RESULT_SUCCEEDED : JobResult.JOB_RESULT_FAILED, failureReason, connect: this.takeConnect(jobId) } },
        };
      }
      case 'SparkListenerStageSubmitted': {
        const s = e['Stage Info'] ?? {};
        const stage = stageInfo(s);
        const job = this.stageToJob.get(stage.stageId);
        return {
          timeMs: stage.submissionTimeMs ?? this.now(),
          body: { $case: 'stageSubmitted', value: { stage, jobId: job } },
        };
      }
      case 'SparkListenerStageCompleted': {
        const s = e['Stage Info'] ?? {};
        const stage = stageInfo(s);
        t.stagesCompleted++;
        if (s['Failure Reason'] !== undefined && s['Failure Reason'] !== null) t.stagesFailed++;
        else t.stagesSucceeded++;
        const job = this.stageToJob.get(stage.stageId);
        return {
          timeMs: stage.completionTimeMs ?? this.now(),
          body: { $case: 'stageCompleted', value: { stage, metrics: stageMetrics(s.Accumulables), jobId: job } },
        };
      }
      case 'SparkListenerTaskStart': {
        const info = e['Task Info'] ? taskInfo(e['Task Info']) : undefined;
        return {
          timeMs: info && info.launchTimeMs > 0n ? info.launchTimeMs : this.now(),
          body: { $case: 'taskStart', value: { stageId: int(e['Stage ID']), stageAttemptId: int(e['Stage Attempt ID']), info } },
        };
      }
      case 'SparkListenerTaskEnd': {
        const reason = e['Task End Reason'] ?? {};
        const reasonName = str(reason.Reason);
        t.tasks++;
        if (reasonName === 'TaskKilled') t.tasksKilled++;
        else if (reasonName !== 'Success' && reasonName !== '') t.tasksFailed++;
        const info = e['Task Info'] ? taskInfo(e['Task Info']) : undefined;
        const m = e['Task Metrics'];
        return {
          timeMs: info && info.finishTimeMs > 0n ? info.finishTimeMs : this.now(),
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
      case 'SparkListenerExecutorAdded': {
        const info = e['Executor Info'];
        return {
          timeMs: long(e.Timestamp),
          body: { $case: 'executorAdded', value: { executorId: str(e['Executor ID']), host: info ? str(info.Host) : '', totalCores: info ? int(info['Total Cores']) : 0 } },
        };
      }
      case 'SparkListenerExecutorRemoved': {
        const reason = str(e['Removed Reason']);
        if (reason.toLowerCase().includes('kill')) t.executorsKilled++;
        else t.executorsFailed++;
        return {
          timeMs: long(e.Timestamp),
          body: { $case: 'executorRemoved', value: { executorId: str(e['Executor ID']), reason: truncate(reason, MAX_MESSAGE_CHARS) } },
        };
      }
      case SQL_START: {
        const time = long(e.time);
        const root = e.rootExecutionId;
        return {
          timeMs: time > 0n ? time : this.now(),
          body: {
            $case: 'sqlExecutionStart',
            value: {
              executionId: long(e.executionId),
              description: truncate(e.description, MAX_TEXT_CHARS),
              details: truncate(e.details, MAX_TEXT_CHARS),
              rootExecutionId: root === undefined || root === null ? undefined : long(root),
            },
          },
        };
      }
      case SQL_END: {
        const time = long(e.time);
        const err = e.errorMessage;
        return {
          timeMs: time > 0n ? time : this.now(),
          body: { $case: 'sqlExecutionEnd', value: { executionId: long(e.executionId), errorMessage: err === undefined || err === null ? '' : truncate(err, MAX_MESSAGE_CHARS) } },
        };
      }
      case QUERY_STARTED:
        return {
          timeMs: parseIso(e.timestamp) ?? this.now(),
          body: { $case: 'streamingQueryStarted', value: { id: str(e.id), runId: str(e.runId), name: str(e.name) } },
        };
      case QUERY_TERMINATED:
        return {
          timeMs: this.now(),
          body: {
            $case: 'streamingQueryTerminated',
            value: { id: str(e.id), runId: str(e.runId), exception: e.exception === undefined || e.exception === null ? '' : truncate(e.exception, MAX_MESSAGE_CHARS) },
          },
        };
      case QUERY_PROGRESS: {
        const p = e.progress ?? {};
        return { timeMs: parseIso(p.timestamp) ?? this.now(), body: { $case: 'streamingProgress', value: progress(p) } };
      }
      default:
        return undefined;
    }
  }
}

function toMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const kv of v) if (Array.isArray(kv) && kv.length === 2 && kv[1] !== null) out[str(kv[0])] = str(kv[1]);
  } else if (v && typeof v === 'object') {
    for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined) out[k] = str(val);
  }
  return out;
}

function parseIso(v: unknown): bigint | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : BigInt(ms);
}

function optLong(v: unknown): bigint | undefined {
  return v === undefined || v === null ? undefined : long(v);
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

function numMap(v: unknown): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = long(x);
  return out;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = typeof x === 'object' ? JSON.stringify(x) : String(x);
  return out;
}

/** StreamingQueryProgress as Jackson writes it (numInputRows and the rates are sums over sources, as in Spark). */
export function progress(p: Json) {
  const sources: Json[] = Array.isArray(p.sources) ? p.sources.filter((s: unknown) => s && typeof s === 'object') : [];
  const stateOps: Json[] = Array.isArray(p.stateOperators) ? p.stateOperators.filter((s: unknown) => s && typeof s === 'object') : [];
  const sum = (k: string) => sources.reduce((n, s) => n + dbl(s[k]), 0);
  return {
    id: str(p.id),
    runId: str(p.runId),
    name: str(p.name),
    timestamp: str(p.timestamp),
    batchId: long(p.batchId),
    batchDurationMs: long(p.batchDuration),
    numInputRows: sources.reduce((n, s) => n + long(s.numInputRows), 0n),
    inputRowsPerSecond: sum('inputRowsPerSecond'),
    processedRowsPerSecond: sum('processedRowsPerSecond'),
    durationMs: numMap(p.durationMs),
    eventTime: strMap(p.eventTime),
    stateOperators: stateOps.map((s) => ({
      operatorName: str(s.operatorName),
      numRowsTotal: long(s.numRowsTotal),
      numRowsUpdated: long(s.numRowsUpdated),
      memoryUsedBytes: long(s.memoryUsedBytes),
      numRowsDroppedByWatermark: long(s.numRowsDroppedByWatermark),
      customMetrics: numMap(s.customMetrics),
    })),
    sources: sources.map((s) => ({
      description: str(s.description),
      startOffset: offset(s.startOffset),
      endOffset: offset(s.endOffset),
      latestOffset: offset(s.latestOffset),
      numInputRows: long(s.numInputRows),
      inputRowsPerSecond: dbl(s.inputRowsPerSecond),
      processedRowsPerSecond: dbl(s.processedRowsPerSecond),
      metrics: strMap(s.metrics),
    })),
    sink: p.sink && typeof p.sink === 'object' ? { description: str(p.sink.description), numOutputRows: long(p.sink.numOutputRows) } : undefined,
    observedMetrics: strMap(p.observedMetrics),
  };
}

/** A source offset is the source's own JSON text; Jackson writes it as a string (or null). */
function offset(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
