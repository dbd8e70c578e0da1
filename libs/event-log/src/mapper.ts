// Spark's JSON event log (org.apache.spark.util.JsonProtocol; SQL and streaming events are
// Jackson-serialized case classes) -> sparkwire.v1 SparkEvents, filled field by field the way
// the JVM listener fills them from live events (libs/spark-listener EventMapper, SqlEvents,
// StreamingEvents, ConnectEvents, SparkwireListener's job/stage bookkeeping and ApplicationEnd totals).
// Where the listener uses the wall clock (`now`, an event without Spark's own time) the
// replay uses the time of the last event before it that had one: deterministic, and close.
//
// This file holds the envelope (identity, labels, ids) and routes each event to its entity's
// mapper (*-events.ts); what they remember between lines is in mapper-state.ts.
import { SparkEvent } from '@sparkwire/proto';
import { applicationEnd, applicationStart } from './application-events';
import { CONNECT_MAPPERS } from './connect-events';
import { readEnvironment } from './environment';
import { executorAdded, executorRemoved } from './executor-events';
import { jobEnd, jobStart } from './job-events';
import { str, type Json } from './json';
import { MapperState, type MappedBody } from './mapper-state';
import { sqlExecutionEnd, sqlExecutionStart, SQL_END, SQL_START } from './sql-events';
import { stageCompleted, stageSubmitted } from './stage-events';
import { queryProgress, queryStarted, queryTerminated, QUERY_PROGRESS, QUERY_STARTED, QUERY_TERMINATED } from './streaming-events';
import { taskEnd, taskStart } from './task-events';

export { MAX_MESSAGE_CHARS, MAX_TEXT_CHARS, truncate } from './values';
export { SPARK_CONFIG_ALLOW_LIST } from './environment';
export { connectContext } from './job-events';
export { stageInfo, stageMetrics } from './stage-events';
export { taskInfo, taskMetrics, reasonMessage } from './task-events';
export { progress, QUERY_PROGRESS, QUERY_STARTED, QUERY_TERMINATED } from './streaming-events';
export { SQL_END, SQL_START } from './sql-events';

/** Event-log events read only for context (version, configuration); not counted as skipped. */
export const CONTEXT_EVENTS = new Set(['SparkListenerLogStart', 'SparkListenerEnvironmentUpdate']);

/** The events sparkwire carries, by the log's Event name; any other is skipped. */
const MAPPERS = new Map<string, (s: MapperState, e: Json) => MappedBody>([
  ['SparkListenerApplicationStart', applicationStart],
  ['SparkListenerApplicationEnd', applicationEnd],
  ['SparkListenerJobStart', jobStart],
  ['SparkListenerJobEnd', jobEnd],
  ['SparkListenerStageSubmitted', stageSubmitted],
  ['SparkListenerStageCompleted', stageCompleted],
  ['SparkListenerTaskStart', taskStart],
  ['SparkListenerTaskEnd', taskEnd],
  ['SparkListenerExecutorAdded', executorAdded],
  ['SparkListenerExecutorRemoved', executorRemoved],
  [SQL_START, sqlExecutionStart],
  [SQL_END, sqlExecutionEnd],
  [QUERY_STARTED, queryStarted],
  [QUERY_TERMINATED, queryTerminated],
  [QUERY_PROGRESS, queryProgress],
  ...CONNECT_MAPPERS,
]);

/** One mapped event before its envelope is known (events Spark logs before ApplicationStart). */
interface Mapped extends MappedBody {
  position: number;
}

export interface AppIdentity {
  appId: string;
  appName: string;
  attemptId: string;
}

/** "evlog:<appId>:<attempt or ->:<position>": the same for every replay of the same log. */
export function replayEventId(appId: string, attemptId: string, position: number): string {
  return `evlog:${appId}:${attemptId || '-'}:${position}`;
}

/**
 * Maps one application's event log, line by line, in order. Stateful like the live listener:
 * stage -> job from JobStart, ApplicationEnd totals counted over the events seen.
 */
export class EventLogMapper {
  private identity: AppIdentity | undefined;
  private readonly fallback: AppIdentity;
  private readonly pending: Mapped[] = [];
  private readonly state = new MapperState();

  /** @param fallbackAppId the app id from the log's file name, for a log without ApplicationStart. */
  constructor(fallbackAppId = '', fallbackAttemptId = '') {
    this.fallback = { appId: fallbackAppId, appName: '', attemptId: fallbackAttemptId };
  }

  get app(): AppIdentity | undefined {
    return this.identity;
  }

  /**
   * Maps one parsed line. Returns the events ready to publish (the envelope known), 'context'
   * for lines read only for context, or 'skipped' for an event sparkwire does not carry.
   */
  map(e: Json, position: number): SparkEvent[] | 'context' | 'skipped' {
    const kind = str(e.Event);
    if (kind === 'SparkListenerLogStart') {
      this.state.sparkVersion = str(e['Spark Version']);
      return 'context';
    }
    if (kind === 'SparkListenerEnvironmentUpdate') {
      const appId = readEnvironment(this.state, e);
      if (!this.fallback.appId && appId) this.fallback.appId = appId;
      return 'context';
    }
    const body = MAPPERS.get(kind)?.(this.state, e);
    if (!body) return 'skipped';
    const out: Mapped = { position, timeMs: body.timeMs, body: body.body };
    if (body.timeMs > 0n) this.state.lastTimeMs = body.timeMs;
    if (!this.identity) {
      if (kind !== 'SparkListenerApplicationStart') {
        this.pending.push(out);
        return [];
      }
      this.identity = { appId: str(e['App ID']) || this.fallback.appId, appName: str(e['App Name']), attemptId: str(e['App Attempt ID']) };
      const flushed = this.pending.splice(0).map((m) => this.envelope(m));
      return [...flushed, this.envelope(out)];
    }
    return [this.envelope(out)];
  }

  /** Events still waiting for an ApplicationStart (end of a log that has none). */
  finish(): SparkEvent[] {
    if (!this.identity) this.identity = { ...this.fallback, appName: this.sparkConfigsAppName() };
    return this.pending.splice(0).map((m) => this.envelope(m));
  }

  private sparkConfigsAppName(): string {
    return this.state.sparkConfigs['spark.app.name'] ?? '';
  }

  private envelope(m: Mapped): SparkEvent {
    const id = this.identity!;
    return SparkEvent.fromPartial({
      eventId: replayEventId(id.appId, id.attemptId, m.position),
      appId: id.appId,
      appName: id.appName || this.sparkConfigsAppName(),
      appAttemptId: id.attemptId,
      eventTimeMs: m.timeMs,
      emittedTimeMs: 0n,
      labels: { ...this.state.labels },
      body: m.body as any,
    });
  }
}
