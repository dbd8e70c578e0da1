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
}

/** A record's identity by content: topic, key and value bytes. */
export function recordKey(topic: string, key: string | Uint8Array | null, value: string | Uint8Array): string {
  const h = createHash('sha1').update(topic).update('\0');
  if (key === null) h.update('\u0001');
  else h.update('\u0002').update(key);
  return h.update('\0').update(value).digest('base64');
}
