// spark.application: ApplicationStart remembers what the span will carry; the span itself is
// built at ApplicationEnd (or when the application is closed early: TraceState.closeApp).
import type { ApplicationEnd, ApplicationStart } from '@sparkwire/proto';
import { A, confAttributes, longAttr } from './attributes';
import { parseTraceparent } from './ids';
import type { AppState, TraceState } from './trace-state';

export function applicationStarted(app: AppState, v: ApplicationStart, t: number): void {
  app.startMs = Number(v.startTimeMs) || t;
  const parent = parseTraceparent(v.traceparent);
  if (parent) {
    app.remoteParent = parent;
    app.traceId = parent.traceId;
  }
  app.startAttributes = { [A.sparkUser]: v.sparkUser || undefined, [A.sparkVersion]: v.sparkVersion || undefined, ...confAttributes(v.sparkConfigs) };
}

export function applicationEnded(state: TraceState, app: AppState, v: ApplicationEnd, t: number): void {
  const end = Number(v.completionTimeMs) || t;
  app.startMs ??= Number(v.startTimeMs) || undefined;
  state.emitApp(app, end, {
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
}
