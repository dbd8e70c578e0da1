// Deterministic trace and span ids, so every sidecar (and a restarted one) that sees the
// same Spark application names its spans the same way, and a child span can name its
// parent without the parent being held in memory.
//
//   traceId = first 16 bytes of SHA-256("sparkwire/trace/v1\n" + appId + "\n" + attemptId)
//   spanId  = first  8 bytes of SHA-256("sparkwire/span/v1\n"  + appId + "\n" + attemptId
//                                       + "\n" + kind + "\n" + key)
//
// attemptId is Spark's application attempt id as the client sends it ("" when Spark has
// none, as in client mode). The span keys per kind are listed in SPAN_KEYS below.
import { createHash } from 'node:crypto';

export type SparkSpanKind = 'application' | 'sql' | 'job' | 'stage' | 'task' | 'streaming_query' | 'streaming_batch';

/** What identifies a span of each kind within one application attempt. */
export const SPAN_KEYS: Record<SparkSpanKind, string> = {
  application: '"" (empty)',
  sql: 'executionId',
  job: 'jobId',
  stage: 'stageId + "." + stageAttemptId',
  task: 'taskId',
  streaming_query: 'runId',
  streaming_batch: 'runId + "." + batchId',
};

const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A valid id is never all zeros; a hash that starts with 16 zero bytes gets its last digit set. */
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

export function traceIdFor(appId: string, attemptId: string): string {
  return nonZero(sha256Hex(`sparkwire/trace/v1\n${appId}\n${attemptId}`).slice(0, 32));
}

export function spanIdFor(appId: string, attemptId: string, kind: SparkSpanKind, key: string | number): string {
  return nonZero(sha256Hex(`sparkwire/span/v1\n${appId}\n${attemptId}\n${kind}\n${key}`).slice(0, 16));
}

/** A number in [0, 1) taken from a span id: the same task is always kept or always dropped. */
export function sampleUnit(spanId: string): number {
  return parseInt(spanId.slice(0, 8), 16) / 0x1_0000_0000;
}

export interface RemoteParent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/**
 * Parses a W3C traceparent ("00-<32 hex trace id>-<16 hex span id>-<2 hex flags>").
 * Returns undefined for anything malformed, version ff, or all-zero ids. A future version
 * is accepted by its first four fields, as the W3C spec asks.
 */
export function parseTraceparent(value: string | undefined): RemoteParent | undefined {
  if (!value) return undefined;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}
