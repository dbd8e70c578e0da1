// Spark Connect's operation and session events (org.apache.spark.sql.connect.service
// SparkListenerConnect*, Jackson-serialized case classes in a Connect server's log), mapped as
// the listener's ConnectEvents maps them live: session and user from the job tag where Spark
// gives them only on the started event; never extraTags or plans.
import { ConnectOperationPhase, ConnectSessionPhase } from '@sparkwire/proto';
import { connectContext } from './job-events';
import { long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, MAX_TEXT_CHARS, optLong, truncate } from './values';

const PREFIX = 'org.apache.spark.sql.connect.service.SparkListenerConnect';

const OPERATION_PHASES: Record<string, ConnectOperationPhase> = {
  OperationStarted: ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED,
  OperationAnalyzed: ConnectOperationPhase.CONNECT_OPERATION_PHASE_ANALYZED,
  OperationReadyForExecution: ConnectOperationPhase.CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION,
  OperationFinished: ConnectOperationPhase.CONNECT_OPERATION_PHASE_FINISHED,
  OperationFailed: ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED,
  OperationCanceled: ConnectOperationPhase.CONNECT_OPERATION_PHASE_CANCELED,
  OperationClosed: ConnectOperationPhase.CONNECT_OPERATION_PHASE_CLOSED,
};

/** The log's Event names of the Connect events, each with its mapper. */
export const CONNECT_MAPPERS: ReadonlyArray<[string, (s: MapperState, e: Json) => MappedBody]> = [
  ...Object.entries(OPERATION_PHASES).map(([k, phase]) => [PREFIX + k, (s: MapperState, e: Json) => operation(s, e, phase)] as [string, (s: MapperState, e: Json) => MappedBody]),
  [PREFIX + 'SessionStarted', (s, e) => session(s, e, ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED)],
  [PREFIX + 'SessionClosed', (s, e) => session(s, e, ConnectSessionPhase.CONNECT_SESSION_PHASE_CLOSED)],
];

function time(s: MapperState, e: Json): bigint {
  const t = long(e.eventTime);
  return t > 0n ? t : s.now();
}

function operation(s: MapperState, e: Json, phase: ConnectOperationPhase): MappedBody {
  const jobTag = str(e.jobTag);
  const fromTag = connectContext(jobTag);
  const started = phase === ConnectOperationPhase.CONNECT_OPERATION_PHASE_STARTED;
  const has = (v: unknown) => v !== undefined && v !== null;
  const tags = started && Array.isArray(e.sparkSessionTags) ? [...new Set(e.sparkSessionTags.filter((t: unknown) => has(t) && str(t) !== '').map((t: unknown) => truncate(t, 256)))].sort().slice(0, 32) : [];
  return {
    timeMs: time(s, e),
    body: {
      $case: 'connectOperation',
      value: {
        phase,
        jobTag,
        operationId: str(e.operationId) || (fromTag?.operationId ?? ''),
        sessionId: has(e.sessionId) ? str(e.sessionId) : (fromTag?.sessionId ?? ''),
        userId: has(e.userId) ? str(e.userId) : (fromTag?.userId ?? ''),
        userName: started ? str(e.userName) : '',
        statementText: started ? truncate(e.statementText, MAX_TEXT_CHARS) : '',
        jobTags: tags as string[],
        errorMessage: phase === ConnectOperationPhase.CONNECT_OPERATION_PHASE_FAILED ? truncate(e.errorMessage, MAX_MESSAGE_CHARS) : '',
        producedRowCount: phase === ConnectOperationPhase.CONNECT_OPERATION_PHASE_FINISHED ? optLong(e.producedRowCount) : undefined,
      },
    },
  };
}

function session(s: MapperState, e: Json, phase: ConnectSessionPhase): MappedBody {
  return { timeMs: time(s, e), body: { $case: 'connectSession', value: { phase, sessionId: str(e.sessionId), userId: str(e.userId) } } };
}
