// Executors are not spans: their coming and going are events on the application span,
// capped so a long application with churning executors stays bounded.
import type { ExecutorAdded, ExecutorRemoved } from '@sparkwire/proto';
import { A, EVENT_NAMES } from './attributes';
import { cleanAttributes, msToHrTime } from './spans';
import type { AppState, SpanAttributes } from './trace-state';

const MAX_APP_EVENTS = 64;

export function executorAdded(app: AppState, v: ExecutorAdded, t: number): void {
  appEvent(app, t, EVENT_NAMES.executorAdded, { [A.executorId]: v.executorId, [A.executorHost]: v.host, 'spark.executor.cores': v.totalCores });
}

export function executorRemoved(app: AppState, v: ExecutorRemoved, t: number): void {
  appEvent(app, t, EVENT_NAMES.executorRemoved, { [A.executorId]: v.executorId, 'spark.executor.removed_reason': v.reason });
}

function appEvent(app: AppState, t: number, name: string, attrs: SpanAttributes): void {
  if (app.events.length < MAX_APP_EVENTS) {
    app.events.push({ time: msToHrTime(t), name, attributes: cleanAttributes(attrs) });
  } else app.droppedEvents++;
}
