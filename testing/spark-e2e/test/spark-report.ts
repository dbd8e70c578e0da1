// What Spark itself reported (the job scripts read it from the Spark UI REST API before
// spark.stop(), see jobs/common.py), and the Kafka records that implies.

export interface StageAttempt {
  stageId: number;
  attemptId: number;
  status: string; // COMPLETE, FAILED, SKIPPED, ACTIVE, PENDING
  numTasks: number;
  numCompleteTasks: number;
  numFailedTasks: number;
  numKilledTasks: number;
}

export interface SparkReport {
  appId: string;
  jobs: Array<{ jobId: number; status: string }>;
  stages: StageAttempt[];
  sql: Array<{ id: number; status: string }>;
  executors: string[];
}

/** Stage attempts that ran (a SKIPPED stage was never submitted: no stage events). */
export const ranStages = (r: SparkReport): StageAttempt[] => r.stages.filter((s) => s.status === 'COMPLETE' || s.status === 'FAILED');

const attemptsOf = (s: StageAttempt) => s.numCompleteTasks + s.numFailedTasks + s.numKilledTasks;

/** Every task attempt Spark ran: the failed and killed ones included. */
export const taskAttempts = (r: SparkReport): number => ranStages(r).reduce((n, s) => n + attemptsOf(s), 0);
export const failedTasks = (r: SparkReport): number => ranStages(r).reduce((n, s) => n + s.numFailedTasks, 0);
export const killedTasks = (r: SparkReport): number => ranStages(r).reduce((n, s) => n + s.numKilledTasks, 0);

/** Task attempts per stage attempt, keyed "stageId.attempt". */
export function attemptsByStage(r: SparkReport): Record<string, number> {
  return Object.fromEntries(ranStages(r).map((s) => [`${s.stageId}.${s.attemptId}`, attemptsOf(s)]));
}

export interface Extras {
  extended: boolean;
  streamingQueries?: number;
  streamingProgress?: number;
  observations?: number;
}

/** Record name -> how many records the sidecar must have written for this application. */
export function expectedRecords(r: SparkReport, x: Extras): Record<string, number> {
  const stages = ranStages(r).length;
  const tasks = taskAttempts(r);
  const out: Record<string, number> = {
    applications_started: 1,
    applications_ended: 1,
    executors_started: r.executors.length,
    jobs_started: r.jobs.length,
    jobs_ended: r.jobs.length,
    stages_started: stages,
    stages_ended: stages,
    stage_metrics: stages,
    queries_started: r.sql.length,
    queries_ended: r.sql.length,
  };
  if (x.extended) Object.assign(out, { tasks_started: tasks, tasks_ended: tasks, task_metrics: tasks });
  if (x.streamingQueries) {
    Object.assign(out, {
      streaming_query_started: x.streamingQueries,
      streaming_query_terminated: x.streamingQueries,
      streaming_progress: x.streamingProgress ?? 0,
    });
  }
  if (x.observations) out.observations = x.observations;
  return out;
}

/**
 * Listener events (not records) the JVM client builds for this application in a mode where
 * it builds task events: what it must account for when nothing is delivered.
 */
export function expectedListenerEvents(r: SparkReport, taskEvents: boolean): number {
  const e = expectedRecords(r, { extended: false });
  const events =
    e.applications_started + e.applications_ended + e.executors_started + e.jobs_started + e.jobs_ended + e.stages_started + e.stages_ended + e.queries_started + e.queries_ended;
  return events + (taskEvents ? 2 * taskAttempts(r) : 0);
}
