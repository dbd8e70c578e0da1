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
//
// This file only routes each event to its entity's builder (*-spans.ts, executor-events.ts);
// the state they share, and every way a span is closed, are in trace-state.ts.
import { emptyResource, type Resource } from '@opentelemetry/resources';
import type { EventObserver } from '@sparkwire/pipeline';
import type { SparkEvent } from '@sparkwire/proto';
import type { CloseReason } from './attributes';
import { applicationEnded, applicationStarted } from './application-spans';
import { tracesConfigSchema } from './config';
import { executorAdded, executorRemoved } from './executor-events';
import { jobEnded, jobStarted } from './job-spans';
import { sqlExecutionEnded, sqlExecutionStarted } from './sql-spans';
import { stageCompleted, stageSubmitted } from './stage-spans';
import { streamingProgress, streamingQueryStarted, streamingQueryTerminated } from './streaming-spans';
import { taskEnded } from './task-spans';
import { TraceState, type SpanSink, type TraceBuilderStats } from './trace-state';

export type { SpanSink, TraceBuilderStats } from './trace-state';
export { isKafkaSource, kafkaTopics } from './streaming-spans';

export interface TraceBuilderOptions {
  sink: SpanSink;
  // Unset, the four below are the otel.* settings' defaults (config.ts).
  /** Build spark.task spans from TaskEnd events (they only arrive in extended mode). */
  taskSpans?: boolean;
  /** Share of successful tasks kept, decided by the task's span id (failed tasks are always kept). */
  taskSampleRatio?: number;
  /** An open span older than this (sidecar clock), or an application silent this long, is closed. */
  openSpanTimeoutMs?: number;
  /** Most open jobs, stages, SQL executions and streaming queries held; the oldest is closed beyond it. */
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

// A builder made without the configuration (tests, embedding programs) behaves as the
// sidecar's does by default.
const otelDefaults = tracesConfigSchema.parse({});

export class SparkTraceBuilder implements EventObserver {
  readonly name = 'otel-traces';
  private readonly taskSpans: boolean;
  private readonly taskSampleRatio: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly state: TraceState;
  private sweepTimer?: NodeJS.Timeout;

  constructor(options: TraceBuilderOptions) {
    this.taskSpans = options.taskSpans ?? otelDefaults.taskSpans;
    this.taskSampleRatio = options.taskSampleRatio ?? otelDefaults.taskSampleRatio;
    this.timeoutMs = options.openSpanTimeoutMs ?? otelDefaults.openSpanTimeoutMs;
    this.now = options.now ?? Date.now;
    this.state = new TraceState({
      sink: options.sink,
      timeoutMs: this.timeoutMs,
      maxOpenSpans: options.maxOpenSpans ?? otelDefaults.maxOpenSpans,
      maxApps: options.maxApps ?? 1_000,
      serviceName: options.serviceName,
      baseResource: options.baseResource ?? emptyResource(),
      now: this.now,
    });
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
        this.state.counters.errors++;
      }
    }
  }

  /** Closes what has been open (or silent) longer than the timeout. */
  sweep(now = this.now()): void {
    this.state.sweep(now);
  }

  /** Closes every open span and application (sidecar shutdown). */
  closeAll(reason: CloseReason = 'sidecar_shutdown'): void {
    this.state.closeAll(reason);
  }

  stats(): TraceBuilderStats {
    return this.state.stats();
  }

  /** Entries of state held: open spans + applications + remembered early closes. */
  stateSize(): { apps: number; openSpans: number; closedEarlyIds: number; stageJobLinks: number } {
    return this.state.stateSize();
  }

  private handle(ev: SparkEvent): void {
    const body = ev.body;
    if (!body) return;
    const state = this.state;
    // Every event, handled or not, counts as the application's activity (timeouts, eviction order).
    const app = state.appFor(ev);
    const t = Number(ev.eventTimeMs);
    switch (body.$case) {
      case 'applicationStart':
        return applicationStarted(app, body.value, t);
      case 'applicationEnd':
        return applicationEnded(state, app, body.value, t);
      case 'sqlExecutionStart':
        return sqlExecutionStarted(state, app, body.value, t);
      case 'sqlExecutionEnd':
        return sqlExecutionEnded(state, app, body.value, t);
      case 'jobStart':
        return jobStarted(state, app, body.value, t);
      case 'jobEnd':
        return jobEnded(state, app, body.value, t);
      case 'stageSubmitted':
        return stageSubmitted(state, app, body.value, t);
      case 'stageCompleted':
        return stageCompleted(state, app, body.value, t);
      case 'taskEnd':
        if (!this.taskSpans) return;
        return taskEnded(state, app, body.value, t, this.taskSampleRatio);
      case 'executorAdded':
        return executorAdded(app, body.value, t);
      case 'executorRemoved':
        return executorRemoved(app, body.value, t);
      case 'streamingQueryStarted':
        return streamingQueryStarted(state, app, body.value, t);
      case 'streamingProgress':
        return streamingProgress(state, app, body.value, t);
      case 'streamingQueryTerminated':
        return streamingQueryTerminated(state, app, body.value, t);
      default:
        return;
    }
  }
}
