// Finished spans built directly as ReadableSpan objects.
//
// Why not a Tracer: a Tracer invents random span ids and needs the parent Span object
// alive to start a child. Spark spans arrive out of order (a task ends after its stage's
// StageCompleted, a job's start may never be seen by a restarted sidecar), and holding
// every open stage and task as a live Span is the unbounded state we must avoid. Built
// by hand, each span carries a deterministic id derived from Spark's own ids (ids.ts), so
// a child names its parent by computing the parent's id; spans are created only once
// they have ended, with Spark's start and end times; and nothing but a few open jobs,
// stages and SQL executions per application is ever held. The result is the same
// ReadableSpan the SDK would produce, handed to the SDK's BatchSpanProcessor and OTLP
// exporters unchanged.
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type AttributeValue, type HrTime, type SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

export const INSTRUMENTATION_SCOPE = Object.freeze({ name: '@sparkwire/otel-traces', version: '0.1.0' });

/** Longest string attribute value kept (SQL text can be huge); longer ones are cut. */
export const MAX_ATTRIBUTE_LENGTH = 4096;

export function msToHrTime(ms: number): HrTime {
  const whole = Math.floor(ms);
  const sec = Math.floor(whole / 1000);
  return [sec, (whole - sec * 1000) * 1_000_000];
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let sec = end[0] - start[0];
  let ns = end[1] - start[1];
  if (ns < 0) {
    sec -= 1;
    ns += 1_000_000_000;
  }
  return [sec, ns];
}

export interface SpanSpec {
  name: string;
  kind?: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** The parent lives in another process (a W3C traceparent from the caller). */
  parentIsRemote?: boolean;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  error?: string;
  events?: TimedEvent[];
  droppedEventsCount?: number;
  resource: Resource;
}

/** Copies defined values, cutting long strings. */
export function cleanAttributes(attrs: Record<string, AttributeValue | undefined>): Attributes {
  const out: Attributes = {};
  for (const k in attrs) {
    const v = attrs[k];
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' && v.length > MAX_ATTRIBUTE_LENGTH ? `${v.slice(0, MAX_ATTRIBUTE_LENGTH - 3)}...` : v;
  }
  return out;
}

export function buildSpan(s: SpanSpec): ReadableSpan {
  const startTime = msToHrTime(s.startMs);
  // Clocks of different hosts can put an end a hair before its start: never a negative duration.
  const endTime = msToHrTime(Math.max(s.endMs, s.startMs));
  const status: SpanStatus = s.error !== undefined ? { code: SpanStatusCode.ERROR, message: s.error } : { code: SpanStatusCode.UNSET };
  const ctx = { traceId: s.traceId, spanId: s.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: false };
  return {
    name: s.name,
    kind: s.kind ?? SpanKind.INTERNAL,
    spanContext: () => ctx,
    parentSpanContext: s.parentSpanId
      ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: Boolean(s.parentIsRemote) }
      : undefined,
    startTime,
    endTime,
    duration: hrDuration(startTime, endTime),
    status,
    attributes: s.attributes,
    links: [],
    events: s.events ?? [],
    ended: true,
    resource: s.resource,
    instrumentationScope: INSTRUMENTATION_SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: s.droppedEventsCount ?? 0,
    droppedLinksCount: 0,
  };
}
