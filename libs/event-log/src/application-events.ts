// SparkListenerApplicationStart / End. The end carries the totals the listener counts over
// the application's events (MapperState.totals) and the configuration read at start-up.
import { int, long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';

export function applicationStart(s: MapperState, e: Json): MappedBody {
  const time = long(e.Timestamp);
  s.totals.startTimeMs = time;
  return {
    timeMs: time,
    body: { $case: 'applicationStart', value: { startTimeMs: time, sparkUser: str(e.User), sparkVersion: s.sparkVersion, traceparent: s.traceparent, sparkConfigs: { ...s.sparkConfigs } } },
  };
}

export function applicationEnd(s: MapperState, e: Json): MappedBody {
  const t = s.totals;
  const ts = long(e.Timestamp);
  const time = ts > 0n ? ts : s.now();
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
        sparkConfigs: { ...s.sparkConfigs },
      },
    },
  };
}
