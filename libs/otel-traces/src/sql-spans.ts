// spark.sql.execution: open from SqlExecutionStart to SqlExecutionEnd; a nested execution
// hangs under its root, a root under the application.
import type { SqlExecutionEnd, SqlExecutionStart } from '@sparkwire/proto';
import { A, longAttr } from './attributes';
import { spanIdFor } from './ids';
import type { AppState, TraceState } from './trace-state';

export function sqlExecutionStarted(state: TraceState, app: AppState, v: SqlExecutionStart, t: number): void {
  const root = v.rootExecutionId;
  const parent = root !== undefined && root !== v.executionId ? spanIdFor(app.appId, app.attemptId, 'sql', String(root)) : app.appSpanId;
  state.openSpan(app, 'sql', String(v.executionId), parent, t, {
    [A.sqlExecutionId]: longAttr(v.executionId),
    [A.sqlRootExecutionId]: longAttr(root),
    [A.sqlDescription]: v.description || undefined,
  });
}

export function sqlExecutionEnded(state: TraceState, app: AppState, v: SqlExecutionEnd, t: number): void {
  state.endSpan(app, 'sql', String(v.executionId), t, {}, v.errorMessage || undefined, app.appSpanId);
}
