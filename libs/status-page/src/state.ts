// The status page's model: what the pipeline published, folded into applications, their jobs,
// stages (with task progress) and streaming queries. An EventObserver (sees each published
// event once). Bounded: at most maxApps applications, maxJobs jobs and maxStages stages per
// application, maxBatches batches per streaming query; finished entries are evicted first,
// oldest first. Task progress needs task events, i.e. extended mode; without them a stage's
// progress is known when it completes.
import type { EventObserver } from '@sparkwire/pipeline';
import { JobResult, type SparkEvent } from '@sparkwire/proto';
import { statusConfigSchema, type StatusConfig } from './config';

/** The bounds of the `status` section (config.ts; a parsed section can be passed as it is), and what tests set. */
export interface StatusStateOptions extends Partial<Pick<StatusConfig, 'maxApps' | 'maxJobs' | 'maxStages'>> {
  maxBatches?: number;
  /** Clock (tests). */
  now?: () => number;
}

// A model built without the configuration (tests, embedding programs) keeps what the
// sidecar's page keeps by default.
const statusDefaults = statusConfigSchema.parse({});

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface StageView {
  stageId: number;
  attempt: number;
  name: string;
  jobId?: number;
  status: RunStatus;
  numTasks: number;
  /** Successful task ends (one per task index). */
  completedTasks: number;
  runningTasks: number;
  failedTasks: number;
  submittedMs?: number;
  completedMs?: number;
  failureReason?: string;
}

export interface JobView {
  jobId: number;
  description: string;
  status: RunStatus;
  stageIds: number[];
  startMs: number;
  endMs?: number;
  /** Over the stages submitted so far (a stage's task count is known once it is submitted). */
  numTasks: number;
  completedTasks: number;
  stagesSubmitted: number;
  failureReason?: string;
}

export interface BatchView {
  batchId: number;
  timestamp: string;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  batchDurationMs: number;
  /** Largest maxOffsetsBehindLatest over the batch's sources (Kafka sources report it), if any. */
  offsetsBehind?: number;
}

export interface QueryView {
  id: string;
  runId: string;
  name: string;
  status: 'active' | 'terminated' | 'failed';
  exception?: string;
  /** Newest first. */
  batches: BatchView[];
}

export interface AppView {
  appId: string;
  appName: string;
  attemptId: string;
  sparkUser?: string;
  sparkVersion?: string;
  status: 'running' | 'ended';
  startMs?: number;
  endMs?: number;
  lastEventMs: number;
  events: number;
  executors: number;
  /** Newest first. */
  jobs: JobView[];
  /** Newest first. */
  stages: StageView[];
  queries: QueryView[];
}

export interface StateView {
  apps: AppView[];
  /** Events observed per second over the last 10 s, and since start. */
  eventsPerSecond: number;
  eventsTotal: number;
  /** Entries dropped to stay bounded. */
  evicted: { apps: number; jobs: number; stages: number };
}

interface Stage extends StageView {
  done: Set<number>;
  running: Set<string>;
}
interface App {
  view: Omit<AppView, 'jobs' | 'stages' | 'queries' | 'executors'>;
  executors: Set<string>;
  jobs: Map<number, JobView>;
  stages: Map<string, Stage>;
  /** stageId -> jobId, from jobStart (task events do not carry the job). */
  stageJob: Map<number, number>;
  queries: Map<string, QueryView>;
}

const RATE_WINDOW_S = 10;

export class StatusState implements EventObserver {
  readonly name = 'status-page';
  private readonly apps = new Map<string, App>();
  private readonly opts: Required<StatusStateOptions>;
  private total = 0;
  /** Events per second, a ring of the last RATE_WINDOW_S + 1 seconds. */
  private readonly ring = new Array<number>(RATE_WINDOW_S + 1).fill(0);
  private ringSecond = 0;
  private readonly evicted = { apps: 0, jobs: 0, stages: 0 };

  constructor(opts: StatusStateOptions = {}) {
    this.opts = {
      maxApps: opts.maxApps ?? statusDefaults.maxApps,
      maxJobs: opts.maxJobs ?? statusDefaults.maxJobs,
      maxStages: opts.maxStages ?? statusDefaults.maxStages,
      maxBatches: opts.maxBatches ?? 5,
      now: opts.now ?? Date.now,
    };
  }

  onEvents(events: SparkEvent[]): void {
    this.tick(events.length);
    for (const ev of events) this.apply(ev);
  }

  view(): StateView {
    this.tick(0);
    const sec = this.ringSecond;
    let sum = 0;
    // The current second is partial: the last RATE_WINDOW_S whole seconds.
    for (let s = sec - RATE_WINDOW_S; s < sec; s++) sum += this.ring[((s % this.ring.length) + this.ring.length) % this.ring.length];
    const apps = [...this.apps.values()]
      .sort((a, b) => Number(b.view.status === 'running') - Number(a.view.status === 'running') || b.view.lastEventMs - a.view.lastEventMs)
      .map((a) => this.appView(a));
    return { apps, eventsPerSecond: sum / RATE_WINDOW_S, eventsTotal: this.total, evicted: { ...this.evicted } };
  }

  private appView(a: App): AppView {
    const stages = [...a.stages.values()].reverse().map(({ done: _d, running: _r, ...s }) => ({ ...s, runningTasks: _r.size }));
    const jobs = [...a.jobs.values()].reverse().map((j) => {
      let numTasks = 0;
      let completedTasks = 0;
      const submitted = new Set<number>();
      for (const s of a.stages.values()) {
        if (s.jobId !== j.jobId) continue;
        numTasks += s.numTasks;
        completedTasks += s.completedTasks;
        submitted.add(s.stageId);
      }
      return { ...j, numTasks, completedTasks, stagesSubmitted: submitted.size };
    });
    return { ...a.view, executors: a.executors.size, jobs, stages, queries: [...a.queries.values()] };
  }

  private tick(n: number): void {
    const sec = Math.floor(this.opts.now() / 1000);
    if (sec !== this.ringSecond) {
      const gap = Math.min(sec - this.ringSecond, this.ring.length);
      for (let i = 1; i <= gap; i++) this.ring[(((sec - gap + i) % this.ring.length) + this.ring.length) % this.ring.length] = 0;
      this.ringSecond = sec;
    }
    this.ring[sec % this.ring.length] += n;
    this.total += n;
  }

  private app(ev: SparkEvent): App {
    let a = this.apps.get(ev.appId);
    if (!a) {
      a = {
        view: { appId: ev.appId, appName: ev.appName, attemptId: ev.appAttemptId, status: 'running', lastEventMs: this.opts.now(), events: 0 },
        executors: new Set(),
        jobs: new Map(),
        stages: new Map(),
        stageJob: new Map(),
        queries: new Map(),
      };
      this.evictApps();
      this.apps.set(ev.appId, a);
    }
    a.view.events++;
    a.view.lastEventMs = this.opts.now();
    if (ev.appName) a.view.appName = ev.appName;
    return a;
  }

  private apply(ev: SparkEvent): void {
    const b = ev.body;
    if (!b || !ev.appId) return;
    const a = this.app(ev);
    const at = Number(ev.eventTimeMs);
    switch (b.$case) {
      case 'applicationStart':
        a.view.startMs = Number(b.value.startTimeMs) || at;
        a.view.sparkUser = b.value.sparkUser;
        a.view.sparkVersion = b.value.sparkVersion;
        a.view.status = 'running';
        break;
      case 'applicationEnd':
        a.view.status = 'ended';
        a.view.endMs = Number(b.value.completionTimeMs) || at;
        break;
      case 'executorAdded':
        a.executors.add(b.value.executorId);
        break;
      case 'executorRemoved':
        a.executors.delete(b.value.executorId);
        break;
      case 'jobStart': {
        const v = b.value;
        a.jobs.delete(v.jobId);
        a.jobs.set(v.jobId, { jobId: v.jobId, description: v.description, status: 'running', stageIds: [...v.stageIds], startMs: at, numTasks: 0, completedTasks: 0, stagesSubmitted: 0 });
        for (const s of v.stageIds) a.stageJob.set(s, v.jobId);
        this.evict(a.jobs, this.opts.maxJobs, 'jobs', (j) => {
          for (const s of j.stageIds) a.stageJob.delete(s);
        });
        break;
      }
      case 'jobEnd': {
        const j = a.jobs.get(b.value.jobId);
        if (!j) break;
        j.status = b.value.result === JobResult.JOB_RESULT_FAILED ? 'failed' : 'succeeded';
        j.endMs = at;
        if (b.value.failureReason) j.failureReason = b.value.failureReason;
        break;
      }
      case 'stageSubmitted': {
        const s = b.value.stage;
        if (!s) break;
        const key = `${s.stageId}.${s.attemptNumber}`;
        a.stages.delete(key);
        a.stages.set(key, {
          stageId: s.stageId,
          attempt: s.attemptNumber,
          name: s.name,
          jobId: b.value.jobId ?? a.stageJob.get(s.stageId),
          status: 'running',
          numTasks: s.numTasks,
          completedTasks: 0,
          runningTasks: 0,
          failedTasks: 0,
          submittedMs: s.submissionTimeMs === undefined ? at : Number(s.submissionTimeMs),
          done: new Set(),
          running: new Set(),
        });
        this.evict(a.stages, this.opts.maxStages, 'stages');
        break;
      }
      case 'stageCompleted': {
        const s = b.value.stage;
        if (!s) break;
        const st = a.stages.get(`${s.stageId}.${s.attemptNumber}`);
        if (!st) break;
        st.status = s.failureReason ? 'failed' : 'succeeded';
        if (s.failureReason) st.failureReason = s.failureReason;
        st.completedMs = s.completionTimeMs === undefined ? at : Number(s.completionTimeMs);
        st.numTasks = s.numTasks || st.numTasks;
        st.running.clear();
        // Without task events (extended mode off) a successful stage completed all its tasks.
        if (!s.failureReason && st.done.size === 0) st.completedTasks = st.numTasks;
        break;
      }
      case 'taskStart': {
        const st = a.stages.get(`${b.value.stageId}.${b.value.stageAttemptId}`);
        const info = b.value.info;
        if (!st || !info || st.status !== 'running') break;
        st.running.add(String(info.taskId));
        break;
      }
      case 'taskEnd': {
        const st = a.stages.get(`${b.value.stageId}.${b.value.stageAttemptId}`);
        const info = b.value.info;
        if (!st || !info) break;
        st.running.delete(String(info.taskId));
        if (info.failed || info.killed) st.failedTasks++;
        else if (!st.done.has(info.index)) {
          // A task index counts once, however many attempts (retries, speculation) succeed.
          st.done.add(info.index);
          st.completedTasks = st.done.size;
        }
        break;
      }
      case 'streamingQueryStarted':
        a.queries.set(b.value.id, { id: b.value.id, runId: b.value.runId, name: b.value.name, status: 'active', batches: [] });
        break;
      case 'streamingProgress': {
        const v = b.value;
        let q = a.queries.get(v.id);
        if (!q) a.queries.set(v.id, (q = { id: v.id, runId: v.runId, name: v.name, status: 'active', batches: [] }));
        if (v.name) q.name = v.name;
        q.runId = v.runId || q.runId;
        let behind: number | undefined;
        for (const src of v.sources) {
          const m = Number(src.metrics?.maxOffsetsBehindLatest);
          if (src.metrics?.maxOffsetsBehindLatest !== undefined && Number.isFinite(m)) behind = Math.max(behind ?? 0, m);
        }
        q.batches.unshift({
          batchId: Number(v.batchId),
          timestamp: v.timestamp,
          numInputRows: Number(v.numInputRows),
          inputRowsPerSecond: v.inputRowsPerSecond,
          processedRowsPerSecond: v.processedRowsPerSecond,
          batchDurationMs: Number(v.batchDurationMs),
          offsetsBehind: behind,
        });
        q.batches.length = Math.min(q.batches.length, this.opts.maxBatches);
        break;
      }
      case 'streamingQueryTerminated': {
        const q = a.queries.get(b.value.id);
        if (!q) break;
        q.status = b.value.exception ? 'failed' : 'terminated';
        if (b.value.exception) q.exception = b.value.exception;
        break;
      }
      default:
        break;
    }
  }

  /** Keeps a map at its cap: the oldest finished entry goes first, else the oldest. */
  private evict<V extends { status: RunStatus }>(m: Map<string | number, V> | Map<number, V> | Map<string, V>, cap: number, what: 'jobs' | 'stages', onEvict?: (v: V) => void): void {
    const map = m as Map<string | number, V>;
    while (map.size > cap) {
      let victim: string | number | undefined;
      for (const [k, v] of map) {
        if (v.status !== 'running') {
          victim = k;
          break;
        }
      }
      victim ??= map.keys().next().value!;
      onEvict?.(map.get(victim)!);
      map.delete(victim);
      this.evicted[what]++;
    }
  }

  private evictApps(): void {
    while (this.apps.size >= this.opts.maxApps) {
      let victim: string | undefined;
      let oldest = Infinity;
      for (const [k, a] of this.apps) {
        // Ended applications go first; among them (or among running ones) the one silent longest.
        const score = (a.view.status === 'ended' ? 0 : 1e15) + a.view.lastEventMs;
        if (score < oldest) {
          oldest = score;
          victim = k;
        }
      }
      this.apps.delete(victim!);
      this.evicted.apps++;
    }
  }
}
