// StreamingQueryListener's QueryStarted / Progress / Terminated, as Jackson writes them. Only
// progress and start carry a time; termination takes the last event's.
import { dbl, long, str, type Json } from './json';
import type { MappedBody, MapperState } from './mapper-state';
import { MAX_MESSAGE_CHARS, parseIso, truncate } from './values';

export const QUERY_STARTED = 'org.apache.spark.sql.streaming.StreamingQueryListener$QueryStartedEvent';
export const QUERY_PROGRESS = 'org.apache.spark.sql.streaming.StreamingQueryListener$QueryProgressEvent';
export const QUERY_TERMINATED = 'org.apache.spark.sql.streaming.StreamingQueryListener$QueryTerminatedEvent';

export function queryStarted(s: MapperState, e: Json): MappedBody {
  return {
    timeMs: parseIso(e.timestamp) ?? s.now(),
    body: { $case: 'streamingQueryStarted', value: { id: str(e.id), runId: str(e.runId), name: str(e.name) } },
  };
}

export function queryTerminated(s: MapperState, e: Json): MappedBody {
  return {
    timeMs: s.now(),
    body: {
      $case: 'streamingQueryTerminated',
      value: { id: str(e.id), runId: str(e.runId), exception: e.exception === undefined || e.exception === null ? '' : truncate(e.exception, MAX_MESSAGE_CHARS) },
    },
  };
}

export function queryProgress(s: MapperState, e: Json): MappedBody {
  const p = e.progress ?? {};
  return { timeMs: parseIso(p.timestamp) ?? s.now(), body: { $case: 'streamingProgress', value: progress(p) } };
}

function numMap(v: unknown): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = long(x);
  return out;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = typeof x === 'object' ? JSON.stringify(x) : String(x);
  return out;
}

/** StreamingQueryProgress as Jackson writes it (numInputRows and the rates are sums over sources, as in Spark). */
export function progress(p: Json) {
  const sources: Json[] = Array.isArray(p.sources) ? p.sources.filter((s: unknown) => s && typeof s === 'object') : [];
  const stateOps: Json[] = Array.isArray(p.stateOperators) ? p.stateOperators.filter((s: unknown) => s && typeof s === 'object') : [];
  const sum = (k: string) => sources.reduce((n, s) => n + dbl(s[k]), 0);
  return {
    id: str(p.id),
    runId: str(p.runId),
    name: str(p.name),
    timestamp: str(p.timestamp),
    batchId: long(p.batchId),
    batchDurationMs: long(p.batchDuration),
    numInputRows: sources.reduce((n, s) => n + long(s.numInputRows), 0n),
    inputRowsPerSecond: sum('inputRowsPerSecond'),
    processedRowsPerSecond: sum('processedRowsPerSecond'),
    durationMs: numMap(p.durationMs),
    eventTime: strMap(p.eventTime),
    stateOperators: stateOps.map((s) => ({
      operatorName: str(s.operatorName),
      numRowsTotal: long(s.numRowsTotal),
      numRowsUpdated: long(s.numRowsUpdated),
      memoryUsedBytes: long(s.memoryUsedBytes),
      numRowsDroppedByWatermark: long(s.numRowsDroppedByWatermark),
      customMetrics: numMap(s.customMetrics),
    })),
    sources: sources.map((s) => ({
      description: str(s.description),
      startOffset: offset(s.startOffset),
      endOffset: offset(s.endOffset),
      latestOffset: offset(s.latestOffset),
      numInputRows: long(s.numInputRows),
      inputRowsPerSecond: dbl(s.inputRowsPerSecond),
      processedRowsPerSecond: dbl(s.processedRowsPerSecond),
      metrics: strMap(s.metrics),
    })),
    sink: p.sink && typeof p.sink === 'object' ? { description: str(p.sink.description), numOutputRows: long(p.sink.numOutputRows) } : undefined,
    observedMetrics: strMap(p.observedMetrics),
  };
}

/** A source offset is the source's own JSON text; Jackson writes it as a string (or null). */
function offset(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
