// spark.stage: StageInfo.submissionTime .. completionTime, under its job. StageCompleted
// carries the start time itself, so the span is built from it alone; the open entry only
// supplies the job (and a start Spark left out).
import type { StageCompleted, StageSubmitted } from '@sparkwire/proto';
import { A, metricAttributes } from './attributes';
import { spanIdFor } from './ids';
import { exceptionEvent, type AppState, type TraceState } from './trace-state';

export function stageSubmitted(state: TraceState, app: AppState, v: StageSubmitted, t: number): void {
  const st = v.stage!;
  const jobId = v.jobId ?? app.stageJob.get(st.stageId);
  const parent = jobId !== undefined ? spanIdFor(app.appId, app.attemptId, 'job', jobId) : app.appSpanId;
  const s = state.openSpan(app, 'stage', `${st.stageId}.${st.attemptNumber}`, parent, optMs(st.submissionTimeMs) ?? t, {
    [A.stageId]: st.stageId,
    [A.stageAttempt]: st.attemptNumber,
    [A.stageName]: st.name || undefined,
    [A.stageNumTasks]: st.numTasks,
    [A.stageParentIds]: st.parentIds,
    [A.jobId]: jobId,
  });
  s.jobId = jobId;
}

export function stageCompleted(state: TraceState, app: AppState, v: StageCompleted, t: number): void {
  const { stage: st, metrics } = v;
  const key = `${st!.stageId}.${st!.attemptNumber}`;
  const open = app.open.get(`stage:${key}`);
  if (open) state.forget(open);
  const jobId = v.jobId ?? open?.jobId ?? app.stageJob.get(st!.stageId);
  const spanId = spanIdFor(app.appId, app.attemptId, 'stage', key);
  if (state.wasClosedEarly(spanId)) return;
  const failure = st!.failureReason || undefined;
  state.emit(app, 'stage', {
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
}

/** An optional Spark time in ms as a number (a double holds every real epoch time exactly). */
function optMs(ms: bigint | undefined): number | undefined {
  return ms === undefined ? undefined : Number(ms);
}
