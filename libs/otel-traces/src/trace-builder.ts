// SparkTraceBuilder: an EventObserver that turns published Spark events into spans.
//
//   spark.application                      ApplicationStart .. ApplicationEnd
//   +- spark.sql.execution                 SqlExecutionStart .. SqlExecutionEnd (nested ones under their root)
//   |  +- spark.job                        JobStart .. JobEnd (under the application when no SQL execution)
//   |     +- spark.stage                   StageInfo.submissionTime .. completionTime
//   |        +- spark.task                 TaskInfo.launchTime .. finishTime (extended mode, sampled)
//   +- spark.streaming.query               StreamingQueryStarted .. Terminated
//      +- spark.streaming.batch            progress.timestamp .. + batchDuration
//
// Bounded state: a span is built only when it ends. Stage, task and micro-batch spans are
// built from their end event alone (it carries their start time); only open applications,
// SQL executions, jobs, stages and streaming queries are remembered, each a few hundred
// bytes, capped by maxOpenSpans / maxApps and closed after openSpanTimeoutMs. A span closed
// that way (or at application end, or at shutdown) is marked spark.span.incomplete=true with
// spark.span.close_reason, ends at the application's latest Spark event time, and its real
// end, should it arrive later, is dropped rather than exported twice.
//
// Spark's longs are bigints: times (ms since the epoch, durations) become numbers, exact far
// beyond any real date; counters and ids stay exact as attributes (longAttr: a number up to
// 2^53 - 1, the decimal string above).
import { SpanKind, type Attributes, type AttributeValue } from '@opentelemetry/api';
import { emptyResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { EventObserver } from '@sparkwire/pipeline';
import { JobResult, TaskLocality, type SparkEvent, type StreamingProgress } from '@sparkwire/proto';
import { A, EVENT_NAMES, PREFIX, SPAN_NAMES, confAttributes, labelAttributes, longAttr, metricAttributes, type CloseReason } from './attributes';
import { parseTraceparent, sampleUnit, spanIdFor, traceIdFor, type RemoteParent, type SparkSpanKind } from './ids';
import {
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_TYPE,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_SERVICE_NAME,
  EXCEPTION_EVENT_NAME,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_SYSTEM_VALUE_KAFKA,
} from './semconv';
import { buildSpan, cleanAttributes, msToHrTime } from './spans';

/** Where finished spans go: a SpanProcessor (BatchSpanProcessor) fits. */
export interface SpanSink {
  onEnd(span: ReadableSpan): void;
}

export interface TraceBuilderOptions {
  sink: SpanSink;
  /** Build spark.task spans from TaskEnd events (they only arrive in extended mode). Default true. */
  taskSpans?: boolean;
  /** Share of successful tasks kept, decided by the task's span id (failed tasks are always kept). Default 1. */
  taskSampleRatio?: number;
  /** An open span older than this (sidecar clock), or an application silent this long, is closed. Default 24 h. */
  openSpanTimeoutMs?: number;
  /** Most open jobs, stages, SQL executions and streaming queries held; the oldest is closed beyond it. Default 10,000. */
  maxOpenSpans?: number;
  /** Most applications tracked at once; the least recently active is closed beyond it. Default 1,000. */
  maxApps?: number;
  /** service.name of the spans; default: the Spark application name. */
  serviceName?: string;
  /** Resource attributes under each application's own (telemetry.sdk.*, OTEL_RESOURCE_ATTRIBUTES). */
  baseResource?: Resource;
  /** The sidecar's clock, for timeouts (tests inject one). */
  now?: () => number;
}

type OpenKind = 'sql' | 'job' | 'stage' | 'streaming_query';

interface OpenSpan {
  gkey: string;
  app: AppState;
  kind: OpenKind;
  key: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  attributes: Record<string, AttributeValue | undefined>;
  openedAt: number;
  /** Stages: the job they belong to. Jobs: their stage ids. */
  jobId?: number;
  stageIds?: number[];
}

interface AppState {
  akey: string;
  appId: string;
  attemptId: string;
  appName: string;
  labels: Record<string, string>;
  traceId: string;
  appSpanId: string;
  remoteParent?: RemoteParent;
  resource: Resource;
  startMs?: number;
  firstEventMs: number;
  lastEventMs: number;
  lastSeen: number;
  startAttributes: Record<string, AttributeValue | undefined>;
  open: Map<string, OpenSpan>;
  stageJob: Map<number, number>;
  events: TimedEvent[];
  droppedEvents: number;
}

export interface TraceBuilderStats {
  apps: number;
  openSpans: Record<OpenKind, number>;
  spansEmitted: Record<SparkSpanKind, number>;
  closedEarly: Record<CloseReason, number>;
  /** End events of spans already closed early (not exported twice). */
  lateEndsDropped: number;
  /** Successful tasks left out by taskSampleRatio. */
  tasksSampledOut: number;
  /** Events that could not be turned into spans (a bug or a malformed event). */
  errors: number;
}

const MAX_APP_EVENTS = 64;
const CLOSED_EARLY_MEMORY = 10_000;
const DAY_MS = 24 * 3600 * 1000;

const LOCALITY: Record<number, string> = {
  [TaskLocality.TASK_LOCALITY_PROCESS_LOCAL]: 'PROCESS_LOCAL',
  [TaskLocality.TASK_LOCALITY_NODE_LOCAL]: 'NODE_LOCAL',
  [TaskLocality.TASK_LOCALITY_RACK_LOCAL]: 'RACK_LOCAL',
  [TaskLocality.TASK_LOCALITY_NO_PREF]: 'NO_PREF',
  [TaskLocality.TASK_LOCALITY_ANY]: 'ANY',
};

function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export class SparkTraceBuilder implements EventObserver {
  readonly name = 'otel-traces';
  private readonly sink: SpanSink;
  private readonly taskSpans: boolean;
  private readonly taskSampleRatio: number;
  private readonly timeoutMs: number;
  private readonly maxOpenSpans: number;
  private readonly maxApps: number;
  private readonly serviceName?: string;
  private readonly baseResource: Resource;
  private readonly now: () => number;
  /** Applications, least recently active first. */
  private readonly apps = new Map<string, AppState>();
  /** Every open span, oldest (by open or last activity) first. */
  private readonly open = new Map<string, OpenSpan>();
  /** Span ids closed early, so a late end is not exported a second time (bounded, oldest forgotten). */
  private readonly closedEarlyIds = new Map<string, true>();
  private readonly counters: Omit<TraceBuilderStats, 'apps' | 'openSpans'> = {
    spansEmitted: zeroed(['application', 'sql', 'job', 'stage', 'task', 'streaming_query', 'streaming_batch'] as const),
    closedEarly: zeroed(['application_end', 'timeout', 'evicted', 'sidecar_shutdown', 'start_not_seen'] as const),
    lateEndsDropped: 0,
    tasksSampledOut: 0,
    errors: 0,
  };
  private sweepTimer?: NodeJS.Timeout;

  constructor(options: TraceBuilderOptions) {
    this.sink = options.sink;
    this.taskSpans = options.taskSpans ?? true;
    this.taskSampleRatio = options.taskSampleRatio ?? 1;
    this.timeoutMs = options.openSpanTimeoutMs ?? DAY_MS;
    this.maxOpenSpans = options.maxOpenSpans ?? 10_000;
    this.maxApps = options.maxApps ?? 1_000;
    this.serviceName = options.serviceName;
    this.baseResource = options.baseResource ?? emptyResource();
    this.now = options.now ?? Date.now;
  }

  /** Runs the timeout sweep periodically (unref'd: never keeps the process alive). */
  startSweeping(intervalMs = Math.min(60_000, Math.max(1_000, Math.floor(this.timeoutMs / 10)))): void {
    this.stopSweeping();
    this.sweepTimer = setInterval(() => this.sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  onEvents(events: SparkEvent[]): void {
    for (const ev of events) {
      try {
        this.handle(ev);
      } catch {
        this.counters.errors++;
      }
    }
  }

  /** Closes what has been open (or silent) longer than the timeout. */
  sweep(now = this.now()): void {
    for (const s of this.open.values()) {
      if (now - s.openedAt <= this.timeoutMs) break;
      this.closeEarly(s, 'timeout');
    }
    for (const app of this.apps.values()) {
      if (now - app.lastSeen <= this.timeoutMs) break;
      this.closeApp(app, 'timeout');
    }
  }

  /** Closes every open span and application (sidecar shutdown). */
  closeAll(reason: CloseReason = 'sidecar_shutdown'): void {
    for (const app of [...this.apps.values()]) this.closeApp(app, reason);
  }

  stats(): TraceBuilderStats {
    const openSpans = zeroed(['sql', 'job', 'stage', 'streaming_query'] as const);
    for (const s of this.open.values()) openSpans[s.kind]++;
    return {
      apps: this.apps.size,
      openSpans,
      spansEmitted: { ...this.counters.spansEmitted },
      closedEarly: { ...this.counters.closedEarly },
      lateEndsDropped: this.counters.lateEndsDropped,
      tasksSampledOut: this.counters.tasksSampledOut,
      errors: this.counters.errors,
    };
  }

  /** Entries of state held: open spans + applications + remembered early closes. */
  stateSize(): { apps: number; openSpans: number; closedEarlyIds: number; stageJobLinks: number } {
    let stageJobLinks = 0;
    for (const a of this.apps.values()) stageJobLinks += a.stageJob.size;
    return { apps: this.apps.size, openSpans: this.open.size, closedEarlyIds: this.closedEarlyIds.size, stageJobLinks };
  }

  // ---- event handling ----

  private handle(ev: SparkEvent): void {
    const body = ev.body;
    if (!body) return;
    const app = this.appFor(ev);
    const t = Number(ev.eventTimeMs);
    switch (body.$case) {
      case 'applicationStart': {
        const v = body.value;
        app.startMs = Number(v.startTimeMs) || t;
        const parent = parseTraceparent(v.traceparent);
        if (parent) {
          app.remoteParent = parent;
          app.traceId = parent.traceId;
        }
        app.startAttributes = { [A.sparkUser]: v.sparkUser || undefined, [A.sparkVersion]: v.sparkVersion || undefined, ...confAttributes(v.sparkConfigs) };
        return;
      }
      case 'applicationEnd': {
        const v = body.value;
        const end = Number(v.completionTimeMs) || t;
        app.startMs ??= Number(v.startTimeMs) || undefined;
        this.emitApp(app, end, {
          [A.exitCode]: v.exitCode,
          [A.jobsSucceeded]: longAttr(v.succeededJobsCount),
          [A.jobsFailed]: longAttr(v.failedJobsCount),
          [A.stagesCompleted]: longAttr(v.numStagesCompleted),
          [A.stagesFailed]: longAttr(v.numFailedStages),
          [A.tasksTotal]: longAttr(v.totalTaskCount),
          [A.tasksFailed]: longAttr(v.numTaskFailed),
          [A.tasksKilled]: longAttr(v.numTaskKilled),
          [A.executorsFailed]: longAttr(v.executorsFailed),
          [A.executorsKilled]: longAttr(v.executorsKilled),
        }, v.exitCode !== undefined && v.exitCode !== 0 ? `application exited with code ${v.exitCode}` : undefined, 'application_end');
        return;
      }
      case 'sqlExecutionStart': {
        const v = body.value;
        const root = v.rootExecutionId;
        const parent = root !== undefined && root !== v.executionId ? spanIdFor(app.appId, app.attemptId, 'sql', String(root)) : app.appSpanId;
        this.openSpan(app, 'sql', String(v.executionId), parent, t, {
          [A.sqlExecutionId]: longAttr(v.executionId),
          [A.sqlRootExecutionId]: longAttr(root),
          [A.sqlDescription]: v.description || undefined,
        });
        return;
      }
      case 'sqlExecutionEnd': {
        const v = body.value;
        this.endSpan(app, 'sql', String(v.executionId), t, {}, v.errorMessage || undefined, app.appSpanId);
        return;
      }
      case 'jobStart': {
        const v = body.value;
        const parent = v.sqlExecutionId !== undefined ? spanIdFor(app.appId, app.attemptId, 'sql', String(v.sqlExecutionId)) : app.appSpanId;
        const s = this.openSpan(app, 'job', String(v.jobId), parent, t, {
          [A.jobId]: v.jobId,
          [A.sqlExecutionId]: longAttr(v.sqlExecutionId),
          [A.jobGroup]: v.jobGroup || undefined,
          [A.jobDescription]: v.description || undefined,
          [A.jobStageIds]: v.stageIds,
          [A.connectSessionId]: v.connect?.sessionId || undefined,
          [A.connectOperationId]: v.connect?.operationId || undefined,
          [A.connectUserId]: v.connect?.userId || undefined,
          [A.jobTags]: v.connect?.jobTags.length ? v.connect.jobTags : undefined,
        });
        s.stageIds = v.stageIds;
        for (const sid of v.stageIds) app.stageJob.set(sid, v.jobId);
        return;
      }
      case 'jobEnd': {
        const v = body.value;
        const failed = v.result === JobResult.JOB_RESULT_FAILED;
        const open = app.open.get(`job:${v.jobId}`);
        for (const sid of open?.stageIds ?? []) if (app.stageJob.get(sid) === v.jobId) app.stageJob.delete(sid);
        this.endSpan(app, 'job', String(v.jobId), t, { [A.jobId]: v.jobId, [A.jobResult]: failed ? 'failed' : 'succeeded' }, failed ? v.failureReason || 'job failed' : undefined, app.appSpanId);
        return;
      }
      case 'stageSubmitted': {
        const st = body.value.stage!;
        const jobId = body.value.jobId ?? app.stageJob.get(st.stageId);
        const parent = jobId !== undefined ? spanIdFor(app.appId, app.attemptId, 'job', jobId) : app.appSpanId;
        const s = this.openSpan(app, 'stage', `${st.stageId}.${st.attemptNumber}`, parent, optMs(st.submissionTimeMs) ?? t, {
          [A.stageId]: st.stageId,
          [A.stageAttempt]: st.attemptNumber,
          [A.stageName]: st.name || undefined,
          [A.stageNumTasks]: st.numTasks,
          [A.stageParentIds]: st.parentIds,
          [A.jobId]: jobId,
        });
        s.jobId = jobId;
        return;
      }
      case 'stageCompleted': {
        const { stage: st, metrics } = body.value;
        const key = `${st!.stageId}.${st!.attemptNumber}`;
        const open = app.open.get(`stage:${key}`);
        if (open) this.forget(open);
        const jobId = body.value.jobId ?? open?.jobId ?? app.stageJob.get(st!.stageId);
        const spanId = spanIdFor(app.appId, app.attemptId, 'stage', key);
        if (this.wasClosedEarly(spanId)) return;
        const failure = st!.failureReason || undefined;
        this.emit(app, 'stage', {
          spanId,
          parentSpanId: jobId !== undefined ? spanIdFor(app.appId, app.attemptId, 'job', jobId) : app.appSpanId,
          startMs: optMs(st!.submissionTimeMs) ?? open?.startMs ?? t,
          endMs: optMs(st!.completionTimeMs) ?? t,
          attributes: {
            [A.stageId]: st!.stageId,
            [A.stageAttempt]: st!.attemptNumber,
            [A.stageName]: st!.name || undefined,
            [A.stageNumTasks]: st!.numTasks,
            [A.stageParentIds]: st!.parentIds,
            [A.jobId]: jobId,
            ...metricAttributes(metrics),
          },
          error: failure,
          events: failure ? [exceptionEvent(optMs(st!.completionTimeMs) ?? t, 'StageFailure', failure)] : undefined,
        });
        return;
      }
      case 'taskEnd': {
        if (!this.taskSpans) return;
        const v = body.value;
        const info = v.info!;
        const spanId = spanIdFor(app.appId, app.attemptId, 'task', String(info.taskId));
        const failed = info.failed && !info.killed;
        if (!failed && this.taskSampleRatio < 1 && sampleUnit(spanId) >= this.taskSampleRatio) {
          this.counters.tasksSampledOut++;
          return;
        }
        const end = Number(info.finishTimeMs) || t;
        const message = v.reasonMessage || v.reason || 'task failed';
        this.emit(app, 'task', {
          spanId,
          parentSpanId: spanIdFor(app.appId, app.attemptId, 'stage', `${v.stageId}.${v.stageAttemptId}`),
          startMs: Number(info.launchTimeMs) || end,
          endMs: end,
          attributes: {
            [A.taskId]: longAttr(info.taskId),
            [A.taskIndex]: info.index,
            [A.taskAttempt]: info.attemptNumber,
            [A.taskPartition]: info.partitionId,
            [A.taskType]: v.taskType || undefined,
            [A.taskLocality]: LOCALITY[info.locality],
            [A.taskSpeculative]: info.speculative,
            [A.taskEndReason]: v.reason || undefined,
            [A.taskKilled]: info.killed || undefined,
            [A.executorId]: info.executorId || undefined,
            [A.executorHost]: info.host || undefined,
            [A.stageId]: v.stageId,
            [A.stageAttempt]: v.stageAttemptId,
            ...metricAttributes(v.metrics),
          },
          error: failed ? message : undefined,
          events: failed ? [exceptionEvent(end, v.reason || 'TaskFailure', message)] : undefined,
        });
        return;
      }
      case 'executorAdded':
      case 'executorRemoved': {
        const v = body.value;
        const attrs = body.$case === 'executorAdded'
          ? { [A.executorId]: v.executorId, [A.executorHost]: body.value.host, 'spark.executor.cores': body.value.totalCores }
          : { [A.executorId]: v.executorId, 'spark.executor.removed_reason': body.value.reason };
        if (app.events.length < MAX_APP_EVENTS) {
          app.events.push({ time: msToHrTime(t), name: body.$case === 'executorAdded' ? EVENT_NAMES.executorAdded : EVENT_NAMES.executorRemoved, attributes: cleanAttributes(attrs) });
        } else app.droppedEvents++;
        return;
      }
      case 'streamingQueryStarted': {
        const v = body.value;
        this.openSpan(app, 'streaming_query', v.runId, app.appSpanId, t, {
          [A.queryId]: v.id,
          [A.queryRunId]: v.runId,
          [A.queryName]: v.name || undefined,
        });
        return;
      }
      case 'streamingProgress':
        this.emitBatch(app, body.value, t);
        return;
      case 'streamingQueryTerminated': {
        const v = body.value;
        this.endSpan(app, 'streaming_query', v.runId, t, { [A.queryId]: v.id, [A.queryRunId]: v.runId }, v.exception || undefined, app.appSpanId);
        return;
      }
      default:
        return;
    }
  }

  private emitBatch(app: AppState, p: StreamingProgress, t: number): void {
    const query = app.open.get(`streaming_query:${p.runId}`);
    if (query) this.touch(query);
    const parsed = Date.parse(p.timestamp);
    const batchMs = Number(p.batchDurationMs);
    const start = Number.isFinite(parsed) ? parsed : t - batchMs;
    const durations: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(p.durationMs)) durations[`${PREFIX.streamingDuration}${k}`] = longAttr(v);
    const topics = new Set<string>();
    let kafkaSources = 0;
    const events: TimedEvent[] = p.sources.map((s) => {
      const kafka = isKafkaSource(s.description);
      const sourceTopics = kafka ? kafkaTopics(s.endOffset || s.startOffset) : [];
      if (kafka) kafkaSources++;
      for (const tp of sourceTopics) topics.add(tp);
      const metrics: Record<string, AttributeValue> = {};
      for (const [k, v] of Object.entries(s.metrics)) metrics[`${PREFIX.sourceMetrics}${k}`] = v;
      return {
        time: msToHrTime(start),
        name: EVENT_NAMES.streamingSource,
        attributes: cleanAttributes({
          [A.sourceDescription]: s.description,
          [A.sourceStartOffset]: s.startOffset || undefined,
          [A.sourceEndOffset]: s.endOffset || undefined,
          [A.sourceLatestOffset]: s.latestOffset || undefined,
          [A.sourceNumInputRows]: longAttr(s.numInputRows),
          [A.sourceInputRowsPerSecond]: finite(s.inputRowsPerSecond),
          [A.sourceProcessedRowsPerSecond]: finite(s.processedRowsPerSecond),
          [ATTR_MESSAGING_SYSTEM]: kafka ? MESSAGING_SYSTEM_VALUE_KAFKA : undefined,
          [ATTR_MESSAGING_DESTINATION_NAME]: sourceTopics.length === 1 ? sourceTopics[0] : undefined,
          ...metrics,
        }),
      };
    });
    // A micro-batch reading only Kafka is a messaging "process" operation over a batch.
    const allKafka = kafkaSources > 0 && kafkaSources === p.sources.length;
    let stateRows = 0n;
    let stateMemory = 0n;
    for (const op of p.stateOperators) {
      stateRows += op.numRowsTotal;
      stateMemory += op.memoryUsedBytes;
    }
    this.emit(app, 'streaming_batch', {
      spanId: spanIdFor(app.appId, app.attemptId, 'streaming_batch', `${p.runId}.${p.batchId}`),
      parentSpanId: spanIdFor(app.appId, app.attemptId, 'streaming_query', p.runId),
      startMs: start,
      endMs: start + batchMs,
      kind: allKafka ? SpanKind.CONSUMER : SpanKind.INTERNAL,
      attributes: {
        [A.queryId]: p.id,
        [A.queryRunId]: p.runId,
        [A.queryName]: p.name || undefined,
        [A.batchId]: longAttr(p.batchId),
        [A.batchDurationMs]: longAttr(p.batchDurationMs),
        [A.numInputRows]: longAttr(p.numInputRows),
        [A.inputRowsPerSecond]: finite(p.inputRowsPerSecond),
        [A.processedRowsPerSecond]: finite(p.processedRowsPerSecond),
        ...durations,
        [A.sinkDescription]: p.sink?.description || undefined,
        [A.sinkNumOutputRows]: p.sink ? longAttr(p.sink.numOutputRows) : undefined,
        [A.stateRowsTotal]: p.stateOperators.length > 0 ? longAttr(stateRows) : undefined,
        [A.stateMemoryBytes]: p.stateOperators.length > 0 ? longAttr(stateMemory) : undefined,
        [A.watermark]: p.eventTime.watermark || undefined,
        [ATTR_MESSAGING_SYSTEM]: allKafka ? MESSAGING_SYSTEM_VALUE_KAFKA : undefined,
        [ATTR_MESSAGING_OPERATION_TYPE]: allKafka ? MESSAGING_OPERATION_TYPE_VALUE_PROCESS : undefined,
        [ATTR_MESSAGING_OPERATION_NAME]: allKafka ? 'process' : undefined,
        [ATTR_MESSAGING_DESTINATION_NAME]: allKafka && topics.size === 1 ? [...topics][0] : undefined,
        [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: allKafka ? longAttr(p.numInputRows) : undefined,
      },
      events,
    });
  }

  // ---- state ----

  private appFor(ev: SparkEvent): AppState {
    const akey = `${ev.appId}\n${ev.appAttemptId}`;
    const now = this.now();
    let app = this.apps.get(akey);
    if (app) {
      this.apps.delete(akey); // re-inserted last: the map stays in order of last activity
    } else {
      if (this.apps.size >= this.maxApps) this.closeApp(this.apps.values().next().value!, 'evicted');
      const appName = ev.appName;
      const labels = { ...ev.labels };
      app = {
        akey,
        appId: ev.appId,
        attemptId: ev.appAttemptId,
        appName,
        labels,
        traceId: traceIdFor(ev.appId, ev.appAttemptId),
        appSpanId: spanIdFor(ev.appId, ev.appAttemptId, 'application', ''),
        resource: this.baseResource.merge(
          resourceFromAttributes(
            cleanAttributes({
              [ATTR_SERVICE_NAME]: this.serviceName ?? (appName || 'spark'),
              [A.appId]: ev.appId,
              [A.appName]: appName || undefined,
              [A.appAttemptId]: ev.appAttemptId || undefined,
              ...labelAttributes(labels),
            }),
          ),
        ),
        firstEventMs: Number(ev.eventTimeMs),
        lastEventMs: Number(ev.eventTimeMs),
        lastSeen: now,
        startAttributes: {},
        open: new Map(),
        stageJob: new Map(),
        events: [],
        droppedEvents: 0,
      };
    }
    app.lastSeen = now;
    const t = Number(ev.eventTimeMs);
    if (t > app.lastEventMs) app.lastEventMs = t;
    this.apps.set(akey, app);
    return app;
  }

  private openSpan(app: AppState, kind: OpenKind, key: string, parentSpanId: string, startMs: number, attributes: Record<string, AttributeValue | undefined>): OpenSpan {
    const local = `${kind}:${key}`;
    const existing = app.open.get(local);
    if (existing) this.forget(existing); // a resent start: keep the newest
    if (this.open.size >= this.maxOpenSpans) this.closeEarly(this.open.values().next().value!, 'evicted');
    const s: OpenSpan = {
      gkey: `${app.akey}\n${local}`,
      app,
      kind,
      key,
      spanId: spanIdFor(app.appId, app.attemptId, kind, key),
      parentSpanId,
      startMs,
      attributes,
      openedAt: this.now(),
    };
    app.open.set(local, s);
    this.open.set(s.gkey, s);
    return s;
  }

  /** Moves an open span to the young end of the timeout order (a streaming query that reports progress is alive). */
  private touch(s: OpenSpan): void {
    s.openedAt = this.now();
    this.open.delete(s.gkey);
    this.open.set(s.gkey, s);
  }

  private forget(s: OpenSpan): void {
    s.app.open.delete(`${s.kind}:${s.key}`);
    this.open.delete(s.gkey);
    if (s.kind === 'job') for (const sid of s.stageIds ?? []) if (s.app.stageJob.get(sid) === Number(s.key)) s.app.stageJob.delete(sid);
  }

  /** The end of an open span: built with the start remembered, or marked start_not_seen. */
  private endSpan(app: AppState, kind: OpenKind, key: string, endMs: number, extra: Record<string, AttributeValue | undefined>, error: string | undefined, fallbackParent: string): void {
    const s = app.open.get(`${kind}:${key}`);
    const spanId = s?.spanId ?? spanIdFor(app.appId, app.attemptId, kind, key);
    if (s) this.forget(s);
    if (this.wasClosedEarly(spanId)) return;
    if (!s) this.counters.closedEarly.start_not_seen++;
    this.emit(app, kind, {
      spanId,
      parentSpanId: s?.parentSpanId ?? fallbackParent,
      startMs: s?.startMs ?? endMs,
      endMs,
      attributes: { ...s?.attributes, ...extra, ...(s ? {} : { [A.incomplete]: true, [A.closeReason]: 'start_not_seen' }) },
      error,
      events: error ? [exceptionEvent(endMs, kind === 'job' ? 'JobFailure' : kind === 'sql' ? 'SqlExecutionFailure' : 'StreamingQueryException', error)] : undefined,
    });
  }

  private closeEarly(s: OpenSpan, reason: CloseReason, endMs = s.app.lastEventMs): void {
    this.forget(s);
    this.counters.closedEarly[reason]++;
    this.rememberClosedEarly(s.spanId);
    this.emit(s.app, s.kind, {
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      startMs: s.startMs,
      endMs,
      attributes: { ...s.attributes, [A.incomplete]: true, [A.closeReason]: reason },
    });
  }

  private closeApp(app: AppState, reason: CloseReason): void {
    this.emitApp(app, app.lastEventMs, {}, undefined, reason);
  }

  /** Closes what the application left open, then builds its span and forgets it. */
  private emitApp(app: AppState, endMs: number, endAttributes: Record<string, AttributeValue | undefined>, error: string | undefined, reason: CloseReason): void {
    const normalEnd = reason === 'application_end';
    for (const s of [...app.open.values()]) this.closeEarly(s, normalEnd ? 'application_end' : reason, endMs);
    this.apps.delete(app.akey);
    if (this.wasClosedEarly(app.appSpanId)) return;
    if (!normalEnd) {
      this.counters.closedEarly[reason]++;
      this.rememberClosedEarly(app.appSpanId);
    }
    this.emit(app, 'application', {
      spanId: app.appSpanId,
      parentSpanId: app.remoteParent?.spanId,
      parentIsRemote: Boolean(app.remoteParent),
      startMs: app.startMs ?? app.firstEventMs,
      endMs,
      attributes: {
        [A.appId]: app.appId,
        [A.appName]: app.appName || undefined,
        [A.appAttemptId]: app.attemptId || undefined,
        ...labelAttributes(app.labels),
        ...app.startAttributes,
        ...endAttributes,
        ...(normalEnd ? {} : { [A.incomplete]: true, [A.closeReason]: reason }),
      },
      error,
      // A non-zero exit code: the `exception` event like every other failure (not counted against MAX_APP_EVENTS).
      events: error ? [...app.events, exceptionEvent(endMs, 'ApplicationFailure', error)] : app.events,
      droppedEventsCount: app.droppedEvents,
    });
  }

  private rememberClosedEarly(spanId: string): void {
    this.closedEarlyIds.set(spanId, true);
    if (this.closedEarlyIds.size > CLOSED_EARLY_MEMORY) this.closedEarlyIds.delete(this.closedEarlyIds.keys().next().value!);
  }

  private wasClosedEarly(spanId: string): boolean {
    if (!this.closedEarlyIds.has(spanId)) return false;
    this.closedEarlyIds.delete(spanId);
    this.counters.lateEndsDropped++;
    return true;
  }

  private emit(
    app: AppState,
    kind: SparkSpanKind,
    s: {
      spanId: string;
      parentSpanId?: string;
      parentIsRemote?: boolean;
      startMs: number;
      endMs: number;
      attributes: Record<string, AttributeValue | undefined>;
      error?: string;
      events?: TimedEvent[];
      droppedEventsCount?: number;
      kind?: SpanKind;
    },
  ): void {
    this.counters.spansEmitted[kind]++;
    this.sink.onEnd(
      buildSpan({
        name: SPAN_NAMES[kind],
        kind: s.kind,
        traceId: app.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId,
        parentIsRemote: s.parentIsRemote,
        startMs: s.startMs,
        endMs: s.endMs,
        attributes: cleanAttributes(s.attributes),
        error: s.error,
        events: s.events,
        droppedEventsCount: s.droppedEventsCount,
        resource: app.resource,
      }),
    );
  }
}

function exceptionEvent(atMs: number, type: string, message: string): TimedEvent {
  return { time: msToHrTime(atMs), name: EXCEPTION_EVENT_NAME, attributes: cleanAttributes({ [ATTR_EXCEPTION_TYPE]: type, [ATTR_EXCEPTION_MESSAGE]: message }) };
}

/** An optional Spark time in ms as a number (a double holds every real epoch time exactly). */
function optMs(ms: bigint | undefined): number | undefined {
  return ms === undefined ? undefined : Number(ms);
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** Spark's Kafka source describes itself as KafkaV2[Subscribe[topic]] (or KafkaSource[...] in older versions). */
export function isKafkaSource(description: string): boolean {
  return /^Kafka(V2|Source|MicroBatch)/i.test(description);
}

/** Topic names from a Kafka source's offsets JSON ({"topic":{"0":123}}). */
export function kafkaTopics(offsetsJson: string): string[] {
  try {
    const o = JSON.parse(offsetsJson) as unknown;
    return o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o) : [];
  } catch {
    return [];
  }
}
