// The end of the pipeline: where encoded records go (Kafka, a file, a test double).

export interface OutRecord {
  topic: string;
  /** Partitioning key; null lets the sink spread records. */
  key: string | null;
  value: string | Buffer;
}

export interface Sink {
  readonly name: string;
  /** Connects; must not throw when the backend is down (the sink reports not ready instead). */
  start(): Promise<void>;
  /** Resolves once every record is durably accepted (Kafka acked, file written); rejects otherwise. */
  write(records: OutRecord[]): Promise<void>;
  /** False while the backend is unreachable: the pipeline answers UNAVAILABLE instead of queueing. */
  isReady(): boolean;
  /** Waits for writes in flight, then releases the backend. */
  close(): Promise<void>;
}
