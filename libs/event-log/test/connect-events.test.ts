// Spark Connect's operation and session events in a Connect server's event log, as Jackson
// writes the case classes: mapped like the listener's ConnectEvents maps them live.
import { describe, expect, it } from 'vitest';
import { ConnectOperationPhase, ConnectSessionPhase } from '@sparkwire/proto';
import { EventLogMapper } from '../src/index';

const S = '8c9c97ba-2e27-4842-a75c-d01301b41547';
const O = '6d86e80e-c792-4480-a342-22779000291f';
const TAG = `SparkConnect_OperationTag_User_bob_Session_${S}_Operation_${O}`;
const SVC = 'org.apache.spark.sql.connect.service.';

function mapped(lines: Record<string, unknown>[]) {
  const m = new EventLogMapper('app-c');
  m.map({ Event: 'SparkListenerApplicationStart', 'App Name': 'connect', 'App ID': 'app-c', Timestamp: 1_000, User: 'spark' }, 0);
  return lines.flatMap((l, i) => {
    const r = m.map(l, i + 1);
    return Array.isArray(r) ? r : [];
  });
}

describe('Spark Connect events of an event log', () => {
  it('maps every operation phase and both session events, with session and user on each', () => {
    const events = mapped([
      { Event: `${SVC}SparkListenerConnectSessionStarted`, sessionId: S, userId: 'bob', eventTime: 2_000, extraTags: { k: 'v' } },
      { Event: `${SVC}SparkListenerConnectOperationStarted`, jobTag: TAG, operationId: O, eventTime: 2_001, sessionId: S, userId: 'bob', userName: 'spark', statementText: 'SELECT 1', sparkSessionTags: ['z', 'a'], extraTags: {} },
      { Event: `${SVC}SparkListenerConnectOperationAnalyzed`, jobTag: TAG, operationId: O, eventTime: 2_002, extraTags: {} },
      { Event: `${SVC}SparkListenerConnectOperationReadyForExecution`, jobTag: TAG, operationId: O, eventTime: 2_003, extraTags: {} },
      { Event: `${SVC}SparkListenerConnectOperationFinished`, jobTag: TAG, operationId: O, eventTime: 2_004, producedRowCount: 3, extraTags: {} },
      { Event: `${SVC}SparkListenerConnectOperationFailed`, jobTag: TAG, operationId: O, eventTime: 2_005, errorMessage: 'boom', extraTags: {} },
      { Event: `${SVC}SparkListenerConnectOperationCanceled`, jobTag: TAG, operationId: O, eventTime: 2_006, extraTags: {} },
      { Event: `${SVC}SparkListenerConnectOperationClosed`, jobTag: TAG, operationId: O, eventTime: 2_007, extraTags: {} },
      { Event: `${SVC}SparkListenerConnectSessionClosed`, sessionId: S, userId: 'bob', eventTime: 2_008, extraTags: {} },
    ]);
    expect(events.map((e) => e.body?.$case)).toEqual(['connectSession', ...Array(7).fill('connectOperation'), 'connectSession']);
    expect(events.map((e) => e.eventTimeMs)).toEqual([2000n, 2001n, 2002n, 2003n, 2004n, 2005n, 2006n, 2007n, 2008n]);
    const ops = events.flatMap((e) => (e.body?.$case === 'connectOperation' ? [e.body.value] : []));
    const P = ConnectOperationPhase;
    expect(ops.map((o) => o.phase)).toEqual([P.CONNECT_OPERATION_PHASE_STARTED, P.CONNECT_OPERATION_PHASE_ANALYZED, P.CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION, P.CONNECT_OPERATION_PHASE_FINISHED, P.CONNECT_OPERATION_PHASE_FAILED, P.CONNECT_OPERATION_PHASE_CANCELED, P.CONNECT_OPERATION_PHASE_CLOSED]);
    for (const o of ops) expect(o).toMatchObject({ jobTag: TAG, operationId: O, sessionId: S, userId: 'bob' });
    expect(ops[0]).toMatchObject({ userName: 'spark', statementText: 'SELECT 1', jobTags: ['a', 'z'], errorMessage: '', producedRowCount: undefined });
    expect(ops[1]).toMatchObject({ userName: '', statementText: '', jobTags: [] });
    expect(ops[3].producedRowCount).toBe(3n);
    expect(ops[4].errorMessage).toBe('boom');
    const sessions = events.flatMap((e) => (e.body?.$case === 'connectSession' ? [e.body.value] : []));
    expect(sessions).toEqual([
      { phase: ConnectSessionPhase.CONNECT_SESSION_PHASE_STARTED, sessionId: S, userId: 'bob' },
      { phase: ConnectSessionPhase.CONNECT_SESSION_PHASE_CLOSED, sessionId: S, userId: 'bob' },
    ]);
  });

  it('a finished operation without a row count has none, and the service events are skipped', () => {
    const m = new EventLogMapper('app-c');
    m.map({ Event: 'SparkListenerApplicationStart', 'App ID': 'app-c', Timestamp: 1_000 }, 0);
    const [ev] = m.map({ Event: `${SVC}SparkListenerConnectOperationFinished`, jobTag: TAG, operationId: O, eventTime: 5, producedRowCount: null }, 1) as any[];
    expect(ev.body.value.producedRowCount).toBeUndefined();
    expect(m.map({ Event: `${SVC}SparkListenerConnectServiceStarted`, hostAddress: 'h', bindingPort: 1, eventTime: 6 }, 2)).toBe('skipped');
  });
});
