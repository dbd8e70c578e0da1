// What the event mappers remember between lines, as the live listener does: the context from
// LogStart and EnvironmentUpdate, stage -> job links from JobStart, the Spark Connect context
// of running jobs, and the ApplicationEnd totals counted over the events seen.
import type { ConnectContext, SparkEvent } from '@sparkwire/proto';

export type Body = NonNullable<SparkEvent['body']>;

/** One event's body and Spark time, as each mapper returns it. */
export interface MappedBody {
  timeMs: bigint;
  body: Body;
}

export class MapperState {
  sparkVersion = '';
  traceparent = '';
  labels: Record<string, string> = {};
  sparkConfigs: Record<string, string> = {};
  lastTimeMs = 0n;
  readonly stageToJob = new Map<number, number>();
  readonly jobStages = new Map<number, number[]>();
  // Spark Connect context of running jobs, copied from the job start onto its end (as the listener does)
  private readonly jobConnect = new Map<number, ConnectContext>();
  readonly totals = {
    startTimeMs: 0n, executorsFailed: 0n, executorsKilled: 0n, jobsCompleted: 0n, jobsSucceeded: 0n, jobsFailed: 0n,
    stagesCompleted: 0n, stagesSucceeded: 0n, stagesFailed: 0n, tasks: 0n, tasksFailed: 0n, tasksKilled: 0n,
  };

  rememberConnect(jobId: number, c: ConnectContext | undefined): ConnectContext | undefined {
    if (c) this.jobConnect.set(jobId, c);
    return c;
  }

  takeConnect(jobId: number): ConnectContext | undefined {
    const c = this.jobConnect.get(jobId);
    this.jobConnect.delete(jobId);
    return c;
  }

  /** Where the listener reads the wall clock: the time of the last event that had one. */
  now(): bigint {
    return this.lastTimeMs;
  }
}
