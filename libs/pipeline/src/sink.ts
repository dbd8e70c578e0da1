// The end of the pipeline: where encoded records go (Kafka, a file, a test double).
import { createHash } from 'node:crypto';

export interface OutRecord {
  topic: string;
  /** Partitioning key; null lets the sink spread records. */
  key: string | null;
  value: string | Buffer;
}

/** What the pipeline knows about a write besides its records (sinks may ignore it). */
export interface WriteMeta {
  /** Ids of the events the records came from (the durable spool keeps them for dedupe after a restart). */
  eventIds: string[];
}

export interface Sink {
  readonly name: string;
  /** Connects; must not throw when the backend is down (the sink reports not ready instead). */
  start(): Promise<void>;
  /** Resolves once every record is durably accepted (Kafka acked, file written); rejects otherwise. */
  write(records: OutRecord[], meta?: WriteMeta): Promise<void>;
  /** False while the backend is unreachable: the pipeline answers UNAVAILABLE instead of queueing. */
  isReady(): boolean;
  /** Waits for writes in flight, then releases the backend. */
  close(): Promise<void>;
  /** Why isReady() is false, for the UNAVAILABLE message (default: "not reachable"). */
  unavailableReason?(): string;
  /**
   * Content keys (recordKey) of the records the backend holds in these topics that were
   * written at or after sinceMs; undefined when more than `limit` would have to be read.
   * Lets the spool skip records a crashed sidecar had already published.
   */
  recentRecordKeys?(topics: string[], sinceMs: number, limit: number): Promise<Set<string> | undefined>;
  /**
   * The largest record (recordBytes: key + value, UTF-8) the backend takes for `topic` now;
   * undefined: no limit. The pipeline truncates or refuses a larger event before the ack
   * (docs/reliability.md, "Records too large for Kafka"); the spool sets aside larger
   * records it already holds.
   */
  maxRecordBytes?(topic: string): number | undefined;
  /**
   * How the sink sizes one request: records whose sum of (recordBytes + perRecordBytes) stays
   * within maxBytes go out in one request, so the spool builds its groups with the same rule.
   */
  requestLimit?(): { maxBytes: number; perRecordBytes: number };
  /** Reads the backend's limits again now (before a record is set aside as too large). */
  refreshLimits?(): Promise<void>;
}

/**
 * A write refused for what the records are (too large, invalid for the topic): sending the
 * same records again cannot succeed. Anything else a sink throws is taken as retryable.
 */
export class RecordsRefusedError extends Error {
  readonly refused = true;
  constructor(
    message: string,
    /** Why, e.g. the Kafka error name MESSAGE_TOO_LARGE or INVALID_RECORD. */
    readonly reason: string,
    /** The limit in force when the refusal is about size. */
    readonly limitBytes?: number,
  ) {
    super(message);
    this.name = 'RecordsRefusedError';
  }
}

export function isRecordsRefused(err: unknown): err is RecordsRefusedError {
  return typeof err === 'object' && err !== null && (err as { refused?: unknown }).refused === true;
}

/** Bytes of a record's key and value as the backend stores them (UTF-8). */
export function recordBytes(r: OutRecord): number {
  const v = typeof r.value === 'string' ? Buffer.byteLength(r.value, 'utf8') : r.value.length;
  return r.key === null ? v : v + Buffer.byteLength(r.key, 'utf8');
}

/** A record's identity by content: topic, key and value bytes. */
export function recordKey(topic: string, key: string | Uint8Array | null, value: string | Uint8Array): string {
  const h = createHash('sha1').update(topic).update('\0');
  if (key === null) h.update('\u0001');
  else h.update('\u0002').update(key);
  return h.update('\0').update(value).digest('base64');
}
