// The trace builder's bounded state, shared by the per-entity span builders: applications
// (least recently active first), the open-span table (oldest first), the span ids closed
// early, and the counters. Everything that closes spans lives here, because closing is the
// same for every entity and is also triggered from outside any event (timeout sweep,
// eviction, shutdown). See trace-builder.ts for the bounds and what an early close means.
import type { SpanKind, AttributeValue } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { SparkEvent } from '@sparkwire/proto';
import { A, SPAN_NAMES, labelAttributes, type CloseReason } from './attributes';
import { spanIdFor, traceIdFor, type RemoteParent, type SparkSpanKind } from './ids';
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_TYPE, ATTR_SERVICE_NAME, EXCEPTION_EVENT_NAME } from './semconv';
import { buildSpan, cleanAttributes, msToHrTime } from './spans';

/** Where finished spans go: a SpanProcessor (BatchSpanProcessor) fits. */
export interface SpanSink {
  onEnd(span: ReadableSpan): void;
}

export type OpenKind = 'sql' | 'job' | 'stage' | 'streaming_query';

export type SpanAttributes = Record<string, AttributeValue | undefined>;

export interface OpenSpan {
  gkey: string;
  app: AppState;
  kind: OpenKind;
  key: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  attributes: SpanAttributes;
  openedAt: number;
  /** Stages: the job they belong to. Jobs: their stage ids. */
  jobId?: number;
  stageIds?: number[];
}

export interface AppState {
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
  startAttributes: SpanAttributes;
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

/** A finished span as the builders describe it; emit() adds the trace, resource and name. */
export interface SpanSpec {
  spanId: string;
  parentSpanId?: string;
  parentIsRemote?: boolean;
  startMs: number;
  endMs: number;
  attributes: SpanAttributes;
  error?: string;
  events?: TimedEvent[];
  droppedEventsCount?: number;
  kind?: SpanKind;
}

export interface TraceStateConfig {
  sink: SpanSink;
  timeoutMs: number;
  maxOpenSpans: number;
  maxApps: number;
  serviceName?: string;
  baseResource: Resource;
  now: () => number;
}

const CLOSED_EARLY_MEMORY = 10_000;

export function zeroed<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export function exceptionEvent(atMs: number, type: string, message: string): TimedEvent {
  return { time: msToHrTime(atMs), name: EXCEPTION_EVENT_NAME, attributes: cleanAttributes({ [ATTR_EXCEPTION_TYPE]: type, [ATTR_EXCEPTION_MESSAGE]: message }) };
}

export class TraceState {
  readonly now: () => number;
  /** Applications, least recently active first. */
  private readonly apps = new Map<string, AppState>();
  /** Every open span, oldest (by open or last activity) first. */
  private readonly open = new Map<string, OpenSpan>();
  /** Span ids closed early, so a late end is not exported a second time (bounded, oldest forgotten). */
  private readonly closedEarlyIds = new Map<string, true>();
  readonly counters: Omit<TraceBuilderStats, 'apps' | 'openSpans'> = {
    spansEmitted: zeroed(['application', 'sql', 'job', 'stage', 'task', 'streaming_query', 'streaming_batch'] as const),
    closedEarly: zeroed(['application_end', 'timeout', 'evicted', 'sidecar_shutdown', 'start_not_seen'] as const),
    lateEndsDropped: 0,
    tasksSampledOut: 0,
    errors: 0,
  };

  constructor(private readonly config: TraceStateConfig) {
    this.now = config.now;
  }

  /** Closes what has been open (or silent) longer than the timeout. */
  sweep(now: number): void {
    for (const s of this.open.values()) {
      if (now - s.openedAt <= this.config.timeoutMs) break;
      this.closeEarly(s, 'timeout');
    }
    for (const app of this.apps.values()) {
      if (now - app.lastSeen <= this.config.timeoutMs) break;
      this.closeApp(app, 'timeout');
    }
  }

  closeAll(reason: CloseReason): void {
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

  stateSize(): { apps: number; openSpans: number; closedEarlyIds: number; stageJobLinks: number } {
    let stageJobLinks = 0;
    for (const a of this.apps.values()) stageJobLinks += a.stageJob.size;
    return { apps: this.apps.size, openSpans: this.open.size, closedEarlyIds: this.closedEarlyIds.size, stageJobLinks };
  }

  appFor(ev: SparkEvent): AppState {
    const akey = `${ev.appId}\n${ev.appAttemptId}`;
    const now = this.now();
    let app = this.apps.get(akey);
    if (app) {
      this.apps.delete(akey); // re-inserted last: the map stays in order of last activity
    } else {
      if (this.apps.size >= this.config.maxApps) this.closeApp(this.apps.values().next().value!, 'evicted');
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
        resource: this.config.baseResource.merge(
          resourceFromAttributes(
            cleanAttributes({
              [ATTR_SERVICE_NAME]: this.config.serviceName ?? (appName || 'spark'),
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

  openSpan(app: AppState, kind: OpenKind, key: string, parentSpanId: string, startMs: number, attributes: SpanAttributes): OpenSpan {
    const local = `${kind}:${key}`;
    const existing = app.open.get(local);
    if (existing) this.forget(existing); // a resent start: keep the newest
    if (this.open.size >= this.config.maxOpenSpans) this.closeEarly(this.open.values().next().value!, 'evicted');
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
  touch(s: OpenSpan): void {
    s.openedAt = this.now();
    this.open.delete(s.gkey);
    this.open.set(s.gkey, s);
  }

  forget(s: OpenSpan): void {
    s.app.open.delete(`${s.kind}:${s.key}`);
    this.open.delete(s.gkey);
    if (s.kind === 'job') for (const sid of s.stageIds ?? []) if (s.app.stageJob.get(sid) === Number(s.key)) s.app.stageJob.delete(sid);
  }

  /** The end of an open span: built with the start remembered, or marked start_not_seen. */
  endSpan(app: AppState, kind: OpenKind, key: string, endMs: number, extra: SpanAttributes, error: string | undefined, fallbackParent: string): void {
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

  closeEarly(s: OpenSpan, reason: CloseReason, endMs = s.app.lastEventMs): void {
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

  closeApp(app: AppState, reason: CloseReason): void {
    this.emitApp(app, app.lastEventMs, {}, undefined, reason);
  }

  /** Closes what the application left open, then builds its span and forgets it. */
  emitApp(app: AppState, endMs: number, endAttributes: SpanAttributes, error: string | undefined, reason: CloseReason): void {
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

  /** True (and the late end counted) when the span was already exported by an early close. */
  wasClosedEarly(spanId: string): boolean {
    if (!this.closedEarlyIds.has(spanId)) return false;
    this.closedEarlyIds.delete(spanId);
    this.counters.lateEndsDropped++;
    return true;
  }

  emit(app: AppState, kind: SparkSpanKind, s: SpanSpec): void {
    this.counters.spansEmitted[kind]++;
    this.config.sink.onEnd(
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
