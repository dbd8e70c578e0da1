// SparkMetricsObserver: an EventObserver that turns published Spark events into metrics.
//
// Counters come from StageCompleted's aggregated TaskMetrics (in both modes, so nothing is
// counted twice), streaming figures from StreamingProgress. Labels are the application
// name and the user labels, plus the streaming query name for streaming metrics: never an
// application id, task id, run id or anything else that grows without bound. Per
// application the observer holds a label set, a set of executor ids and, per streaming
// query, the latest progress figures; an application is forgotten at ApplicationEnd, after
// staleAfterMs without events, or when more than maxApps are tracked.
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { EventObserver } from '@sparkwire/pipeline';
import { JobResult, type SparkEvent, type StreamingProgress } from '@sparkwire/proto';
import { SIDECAR_METRICS, SPARK_METRICS } from './catalog';
import { counter, histogram, observableGauge } from './instruments';

export interface SparkMetricsOptions {
  /** Applications tracked at once (least recently active forgotten beyond it). Default 1,000. */
  maxApps?: number;
  /** An application without events this long is forgotten. Default 24 h. */
  staleAfterMs?: number;
  /** Most user labels copied onto metrics (in key order). Default 16. */
  maxLabels?: number;
  now?: () => number;
}

interface QueryState {
  attrs: Attributes;
  batchInputRows: number;
  inputRate: number;
  processedRate: number;
  latestBatch: number;
  /** source description -> offsets behind latest by stat (min, max, avg). */
  behind: Map<string, Partial<Record<'min' | 'max' | 'avg', number>>>;
}

interface AppState {
  attrs: Attributes;
  started: boolean;
  executors: Set<string>;
  failedTasksCounted: number;
  queries: Map<string, QueryState>;
  lastSeen: number;
}

const MAX_LABEL_VALUE = 128;
const BEHIND_KEYS = { min: 'minOffsetsBehindLatest', max: 'maxOffsetsBehindLatest', avg: 'avgOffsetsBehindLatest' } as const;

type GaugeName = 'running' | 'executors' | 'batchRows' | 'inputRate' | 'processedRate' | 'behind';

export class SparkMetricsObserver implements EventObserver {
  readonly name = 'otel-metrics';
  private readonly apps = new Map<string, AppState>();
  /** The newest entry of `apps` (the application of the last event), found without building its key. */
  private lastApp: { appId: string; attemptId: string; app: AppState } | undefined;
  /**
   * Series to report as 0 once at the next collection: the SDK keeps the last value of a
   * series no callback observes any more, so an ended application or stopped query would
   * otherwise look alive forever.
   */
  private zeroes: Array<{ gauge: GaugeName; attrs: Attributes }> = [];
  private readonly maxApps: number;
  private readonly staleAfterMs: number;
  private readonly maxLabels: number;
  private readonly now: () => number;
  private readonly c: {
    jobs: Counter;
    stages: Counter;
    stageDuration: Histogram;
    runTime: Counter;
    cpuTime: Counter;
    gcTime: Counter;
    shuffleRead: Counter;
    shuffleWrite: Counter;
    spillMemory: Counter;
    spillDisk: Counter;
    inputBytes: Counter;
    inputRecords: Counter;
    outputBytes: Counter;
    outputRecords: Counter;
    tasksFailed: Counter;
    streamingRows: Counter;
    streamingDuration: Histogram;
    batchSize: Histogram;
  };

  constructor(meter: Meter, options: SparkMetricsOptions = {}) {
    this.maxApps = options.maxApps ?? 1_000;
    this.staleAfterMs = options.staleAfterMs ?? 24 * 3600 * 1000;
    this.maxLabels = options.maxLabels ?? 16;
    this.now = options.now ?? Date.now;
    const S = SPARK_METRICS;
    this.c = {
      jobs: counter(meter, S.jobsCompleted),
      stages: counter(meter, S.stagesCompleted),
      stageDuration: histogram(meter, S.stageDuration),
      runTime: counter(meter, S.runTime),
      cpuTime: counter(meter, S.cpuTime),
      gcTime: counter(meter, S.gcTime),
      shuffleRead: counter(meter, S.shuffleRead),
      shuffleWrite: counter(meter, S.shuffleWrite),
      spillMemory: counter(meter, S.spillMemory),
      spillDisk: counter(meter, S.spillDisk),
      inputBytes: counter(meter, S.inputBytes),
      inputRecords: counter(meter, S.inputRecords),
      outputBytes: counter(meter, S.outputBytes),
      outputRecords: counter(meter, S.outputRecords),
      tasksFailed: counter(meter, S.tasksFailed),
      streamingRows: counter(meter, S.streamingInputRows),
      streamingDuration: histogram(meter, S.streamingBatchDuration),
      batchSize: histogram(meter, SIDECAR_METRICS.batchSize),
    };
    this.registerGauges(meter);
  }

  onEvents(events: SparkEvent[]): void {
    if (events.length > 0) this.c.batchSize.record(events.length);
    for (const ev of events) {
      try {
        this.handle(ev);
      } catch {
        // A malformed event must not stop the others; the pipeline counts observer errors only for throws.
      }
    }
  }

  /** Applications tracked now (for tests and the memory bound). */
  trackedApps(): number {
    return this.apps.size;
  }

  private handle(ev: SparkEvent): void {
    const body = ev.body;
    if (!body) return;
    const app = this.appFor(ev);
    const attrs = app.attrs;
    switch (body.$case) {
      case 'applicationStart':
        app.started = true;
        return;
      case 'applicationEnd': {
        // Metrics are doubles (Prometheus, OTLP): Spark's longs convert with Number() here.
        const missing = Number(body.value.numTaskFailed) - app.failedTasksCounted;
        if (missing > 0) this.c.tasksFailed.add(missing, attrs);
        this.forget(appKey(ev), app);
        return;
      }
      case 'jobEnd':
        this.c.jobs.add(1, { ...attrs, result: body.value.result === JobResult.JOB_RESULT_FAILED ? 'failed' : 'succeeded' });
        return;
      case 'stageCompleted': {
        const { stage, metrics: m } = body.value;
        const status = { ...attrs, status: stage!.failureReason ? 'failed' : 'succeeded' };
        this.c.stages.add(1, status);
        const start = stage!.submissionTimeMs === undefined ? undefined : Number(stage!.submissionTimeMs);
        const end = Number(stage!.completionTimeMs ?? ev.eventTimeMs);
        if (start !== undefined && end >= start) this.c.stageDuration.record((end - start) / 1000, status);
        if (m) {
          this.c.runTime.add(Number(m.executorRunTimeMs) / 1000, attrs);
          this.c.cpuTime.add(Number(m.executorCpuTimeNs) / 1e9, attrs);
          this.c.gcTime.add(Number(m.jvmGcTimeMs) / 1000, attrs);
          this.c.shuffleRead.add(Number(m.shuffleTotalBytesRead), attrs);
          this.c.shuffleWrite.add(Number(m.shuffleBytesWritten), attrs);
          this.c.spillMemory.add(Number(m.memoryBytesSpilled), attrs);
          this.c.spillDisk.add(Number(m.diskBytesSpilled), attrs);
          this.c.inputBytes.add(Number(m.bytesRead), attrs);
          this.c.inputRecords.add(Number(m.recordsRead), attrs);
          this.c.outputBytes.add(Number(m.bytesWritten), attrs);
          this.c.outputRecords.add(Number(m.recordsWritten), attrs);
        }
        return;
      }
      case 'taskEnd': {
        const info = body.value.info;
        if (info?.failed && !info.killed) {
          app.failedTasksCounted++;
          this.c.tasksFailed.add(1, attrs);
        }
        return;
      }
      case 'executorAdded':
        app.executors.add(body.value.executorId);
        return;
      case 'executorRemoved':
        app.executors.delete(body.value.executorId);
        return;
      case 'streamingProgress':
        this.progress(app, body.value);
        return;
      case 'streamingQueryTerminated': {
        const q = app.queries.get(body.value.id);
        if (q) this.zeroQuery(q);
        app.queries.delete(body.value.id);
        return;
      }
      default:
        return;
    }
  }

  private progress(app: AppState, p: StreamingProgress): void {
    let q = app.queries.get(p.id);
    if (!q) {
      q = { attrs: { ...app.attrs, 'spark.streaming.query.name': p.name || p.id }, batchInputRows: 0, inputRate: 0, processedRate: 0, latestBatch: 0, behind: new Map() };
      app.queries.set(p.id, q);
    }
    q.batchInputRows = Number(p.numInputRows);
    q.inputRate = Number.isFinite(p.inputRowsPerSecond) ? p.inputRowsPerSecond : 0;
    q.processedRate = Number.isFinite(p.processedRowsPerSecond) ? p.processedRowsPerSecond : 0;
    q.latestBatch = Number(p.batchId);
    this.c.streamingRows.add(Number(p.numInputRows), q.attrs);
    this.c.streamingDuration.record(Number(p.batchDurationMs) / 1000, q.attrs);
    for (const s of p.sources) {
      const behind: Partial<Record<'min' | 'max' | 'avg', number>> = {};
      for (const [stat, key] of Object.entries(BEHIND_KEYS) as [keyof typeof BEHIND_KEYS, string][]) {
        const v = Number(s.metrics[key]);
        if (s.metrics[key] !== undefined && Number.isFinite(v)) behind[stat] = v;
      }
      if (Object.keys(behind).length > 0) q.behind.set(s.description, behind);
    }
  }

  private zeroQuery(q: QueryState): void {
    for (const gauge of ['batchRows', 'inputRate', 'processedRate'] as const) this.zeroes.push({ gauge, attrs: q.attrs });
    for (const [source, stats] of q.behind) {
      for (const stat of Object.keys(stats)) this.zeroes.push({ gauge: 'behind', attrs: { ...q.attrs, 'spark.streaming.source': source, stat } });
    }
  }

  private forget(key: string, app: AppState): void {
    this.apps.delete(key);
    if (this.lastApp?.app === app) this.lastApp = undefined;
    this.zeroes.push({ gauge: 'running', attrs: app.attrs }, { gauge: 'executors', attrs: app.attrs });
    for (const q of app.queries.values()) this.zeroQuery(q);
    // Bounded like everything else: a backlog no collection ever reads is cut.
    if (this.zeroes.length > 10_000) this.zeroes.splice(0, this.zeroes.length - 10_000);
  }

  private appFor(ev: SparkEvent): AppState {
    // Events come in runs of one application: the newest entry of the LRU map needs no move.
    const last = this.lastApp;
    if (last && last.appId === ev.appId && last.attemptId === ev.appAttemptId) {
      last.app.lastSeen = this.now();
      return last.app;
    }
    const key = appKey(ev);
    let app = this.apps.get(key);
    if (app) this.apps.delete(key);
    else {
      if (this.apps.size >= this.maxApps) {
        const [oldKey, oldApp] = this.apps.entries().next().value!;
        this.forget(oldKey, oldApp);
      }
      app = { attrs: this.labelsOf(ev), started: false, executors: new Set(), failedTasksCounted: 0, queries: new Map(), lastSeen: 0 };
    }
    app.lastSeen = this.now();
    this.apps.set(key, app);
    this.lastApp = { appId: ev.appId, attemptId: ev.appAttemptId, app };
    return app;
  }

  private labelsOf(ev: SparkEvent): Attributes {
    const attrs: Attributes = { 'spark.app.name': ev.appName || 'unknown' };
    for (const k of Object.keys(ev.labels).sort().slice(0, this.maxLabels)) attrs[`spark.label.${k}`] = ev.labels[k].slice(0, MAX_LABEL_VALUE);
    return attrs;
  }

  private forgetStale(): void {
    const now = this.now();
    for (const [key, app] of this.apps) {
      if (now - app.lastSeen <= this.staleAfterMs) break;
      this.forget(key, app);
    }
  }

  private registerGauges(meter: Meter): void {
    const S = SPARK_METRICS;
    const running = observableGauge(meter, S.applications);
    const executors = observableGauge(meter, S.executorsActive);
    const batchRows = observableGauge(meter, S.streamingBatchInputRows);
    const inputRate = observableGauge(meter, S.streamingInputRate);
    const processedRate = observableGauge(meter, S.streamingProcessedRate);
    const latest = observableGauge(meter, S.streamingLatestBatch);
    const behind = observableGauge(meter, S.offsetsBehind);
    const gauges = { running, executors, batchRows, inputRate, processedRate, behind };
    meter.addBatchObservableCallback(
      (r) => {
        this.forgetStale();
        // Zeroes first: a live application with the same labels observes after them and wins.
        for (const z of this.zeroes.splice(0)) r.observe(gauges[z.gauge], 0, z.attrs);
        // Several runs of one application name add up under the same labels.
        const sums = new Map<string, { attrs: Attributes; running: number; executors: number }>();
        for (const app of this.apps.values()) {
          const k = JSON.stringify(app.attrs);
          const s = sums.get(k) ?? { attrs: app.attrs, running: 0, executors: 0 };
          if (app.started) s.running++;
          s.executors += app.executors.size;
          sums.set(k, s);
          for (const q of app.queries.values()) {
            r.observe(batchRows, q.batchInputRows, q.attrs);
            r.observe(inputRate, q.inputRate, q.attrs);
            r.observe(processedRate, q.processedRate, q.attrs);
            r.observe(latest, q.latestBatch, q.attrs);
            for (const [source, stats] of q.behind) {
              for (const [stat, v] of Object.entries(stats)) r.observe(behind, v, { ...q.attrs, 'spark.streaming.source': source, stat });
            }
          }
        }
        for (const s of sums.values()) {
          r.observe(running, s.running, s.attrs);
          r.observe(executors, s.executors, s.attrs);
        }
      },
      [running, executors, batchRows, inputRate, processedRate, latest, behind],
    );
  }
}

function appKey(ev: SparkEvent): string {
  return `${ev.appId}\n${ev.appAttemptId}`;
}
