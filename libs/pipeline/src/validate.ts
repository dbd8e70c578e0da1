// Step 1 of the pipeline: refuse a batch that is malformed, whole, before anything of it
// is published. Every message names the field at fault and the event index.
import { JobResult, TaskLocality, type PublishRequest, type SparkEvent } from '@sparkwire/proto';
import { invalid, PipelineError, Status } from './errors';

export interface BatchLimits {
  /** Most events one batch may carry. */
  maxBatchEvents: number;
  /** Most bytes one serialized batch may take. */
  maxBatchBytes: number;
}

// Spark timestamps before 2000 or more than a day ahead are a client bug (seconds sent
// as milliseconds, an unset clock), never real events.
// Times are int64 (bigint): compared exactly, whatever a client sends.
const EARLIEST_MS = BigInt(Date.UTC(2000, 0, 1));
const MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000;
const MAX_ID_LENGTH = 256;

const KNOWN_LOCALITY = new Set<number>(Object.values(TaskLocality).filter((v): v is number => typeof v === 'number' && v >= 0));
const KNOWN_JOB_RESULT = new Set<number>(Object.values(JobResult).filter((v): v is number => typeof v === 'number' && v >= 0));

export function validateBatch(req: PublishRequest, sizeBytes: number, limits: BatchLimits, nowMs = Date.now()): void {
  if (!req.clientId) throw invalid('client_id', 'is required');
  if (req.clientId.length > MAX_ID_LENGTH) throw invalid('client_id', `is longer than ${MAX_ID_LENGTH} characters`);
  if (sizeBytes > limits.maxBatchBytes) {
    throw new PipelineError(
      Status.RESOURCE_EXHAUSTED,
      `batch: ${sizeBytes} bytes exceeds max_batch_bytes ${limits.maxBatchBytes}; send smaller batches`,
      'batch',
    );
  }
  if (req.events.length > limits.maxBatchEvents) {
    throw new PipelineError(
      Status.RESOURCE_EXHAUSTED,
      `events: ${req.events.length} events exceed max_batch_events ${limits.maxBatchEvents}; send smaller batches`,
      'events',
    );
  }
  const seen = new Set<string>();
  const latest = BigInt(Math.floor(nowMs + MAX_CLOCK_SKEW_MS));
  for (let i = 0; i < req.events.length; i++) {
    const ev = req.events[i];
    const at = `events[${i}]`;
    if (!ev.eventId) throw invalid(`${at}.event_id`, 'is required');
    if (ev.eventId.length > MAX_ID_LENGTH) throw invalid(`${at}.event_id`, `is longer than ${MAX_ID_LENGTH} characters`);
    if (seen.has(ev.eventId)) throw invalid(`${at}.event_id`, `duplicate event id ${JSON.stringify(ev.eventId)} within the batch`);
    seen.add(ev.eventId);
    if (!ev.appId) throw invalid(`${at}.app_id`, 'is required');
    checkTime(ev.eventTimeMs, `${at}.event_time_ms`, latest, true);
    checkTime(ev.emittedTimeMs, `${at}.emitted_time_ms`, latest, false);
    if (!ev.body) throw invalid(`${at}.body`, 'is required (one of application_start ... observation)');
    checkBody(ev, at);
  }
}

function checkTime(ms: bigint, field: string, latest: bigint, required: boolean): void {
  if (ms === 0n && !required) return;
  if (ms < EARLIEST_MS) throw invalid(field, `${ms} is not an epoch time in milliseconds after 2000-01-01`);
  if (ms > latest) throw invalid(field, `${ms} is more than 24h in the future`);
}

function checkBody(ev: SparkEvent, at: string): void {
  const body = ev.body!;
  switch (body.$case) {
    case 'jobEnd':
      if (!KNOWN_JOB_RESULT.has(body.value.result)) throw invalid(`${at}.job_end.result`, `unknown enum value ${body.value.result}`);
      return;
    case 'stageSubmitted':
    case 'stageCompleted':
      if (!body.value.stage) throw invalid(`${at}.${snake(body.$case)}.stage`, 'is required');
      return;
    case 'taskStart':
    case 'taskEnd': {
      const info = body.value.info;
      if (!info) throw invalid(`${at}.${snake(body.$case)}.info`, 'is required');
      if (!KNOWN_LOCALITY.has(info.locality)) throw invalid(`${at}.${snake(body.$case)}.info.locality`, `unknown enum value ${info.locality}`);
      return;
    }
    case 'observation':
      if (!body.value.name) throw invalid(`${at}.observation.name`, 'is required');
      return;
    default:
      return;
  }
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** True for the O(tasks) events that only extended mode publishes. */
export function isTaskEvent(ev: SparkEvent): boolean {
  const c = ev.body?.$case;
  return c === 'taskStart' || c === 'taskEnd';
}
