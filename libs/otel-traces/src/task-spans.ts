// spark.task: TaskInfo.launchTime .. finishTime, under its stage, built from TaskEnd alone
// (TaskEnd only arrives in extended mode). Successful tasks are sampled by span id, so the
// same task is kept or dropped on every replay; failed ones are always kept.
import { TaskLocality, type TaskEnd } from '@sparkwire/proto';
import { A, longAttr, metricAttributes } from './attributes';
import { sampleUnit, spanIdFor } from './ids';
import { exceptionEvent, type AppState, type TraceState } from './trace-state';

const LOCALITY: Record<number, string> = {
  [TaskLocality.TASK_LOCALITY_PROCESS_LOCAL]: 'PROCESS_LOCAL',
  [TaskLocality.TASK_LOCALITY_NODE_LOCAL]: 'NODE_LOCAL',
  [TaskLocality.TASK_LOCALITY_RACK_LOCAL]: 'RACK_LOCAL',
  [TaskLocality.TASK_LOCALITY_NO_PREF]: 'NO_PREF',
  [TaskLocality.TASK_LOCALITY_ANY]: 'ANY',
};

export function taskEnded(state: TraceState, app: AppState, v: TaskEnd, t: number, sampleRatio: number): void {
  const info = v.info!;
  const spanId = spanIdFor(app.appId, app.attemptId, 'task', String(info.taskId));
  const failed = info.failed && !info.killed;
  if (!failed && sampleRatio < 1 && sampleUnit(spanId) >= sampleRatio) {
    state.counters.tasksSampledOut++;
    return;
  }
  const end = Number(info.finishTimeMs) || t;
  const message = v.reasonMessage || v.reason || 'task failed';
  state.emit(app, 'task', {
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
}
