export type Compression = 'none' | 'gzip';

export interface KafkaTls {
  enabled: boolean;
  /** PEM files; read at start. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized: boolean;
}

export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export interface KafkaSinkConfig {
  brokers: string[];
  clientId: string;
  compression: Compression;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
  /** Topics to create through the admin API at start when missing. */
  topics: TopicSpec[];
  createTopics: boolean;
  /** Most records coalesced into one produce request. */
  maxBatchRecords: number;
  /**
   * Most bytes (keys + values, UTF-8, plus each record's framing) in one produce request.
   * The sink also keeps every request under the topics' max.message.bytes, read from the
   * broker (limits.ts): a partition's records travel as one batch.
   */
  maxRequestBytes: number;
  /** How often the broker's message.max.bytes and the topics' max.message.bytes are read again (default 30 s). */
  limitsRefreshMs?: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Attempts per produce request before a batch is failed back to its clients (who resend). */
  retries: number;
  /**
   * While reachable, a metadata request this often (ms) checks the broker is still there, so
   * readiness follows an outage while no batch is being sent. 0 or unset: no periodic check.
   */
  healthProbeIntervalMs?: number;
}
