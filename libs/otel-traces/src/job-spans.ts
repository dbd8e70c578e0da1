// spark.job: open from JobStart to JobEnd, under its SQL execution when it has one. The job
// remembers its stage ids so a stage submitted without a job id still finds its parent.
import { JobResult, type JobEnd, type JobStart } from '@sparkwire/proto';
import { A, longAttr } from './attributes';
import { spanIdFor } from './ids';
import type { AppState, TraceState } from './trace-state';

export function jobStarted(state: TraceState, app: AppState, v: JobStart, t: number): void {
  const parent = v.sqlExecutionId !== undefined ? spanIdFor(app.appId, app.attemptId, 'sql', String(v.sqlExecutionId)) : app.appSpanId;
  const s = state.openSpan(app, 'job', String(v.jobId), parent, t, {
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
}

export function jobEnded(state: TraceState, app: AppState, v: JobEnd, t: number): void {
  const failed = v.result === JobResult.JOB_RESULT_FAILED;
  const open = app.open.get(`job:${v.jobId}`);
  for (const sid of open?.stageIds ?? []) if (app.stageJob.get(sid) === v.jobId) app.stageJob.delete(sid);
  state.endSpan(app, 'job', String(v.jobId), t, { [A.jobId]: v.jobId, [A.jobResult]: failed ? 'failed' : 'succeeded' }, failed ? v.failureReason || 'job failed' : undefined, app.appSpanId);
}
