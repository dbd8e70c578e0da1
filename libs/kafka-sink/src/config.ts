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
   * Most bytes (keys + values) in one produce request. Must stay under the broker's
   * message.max.bytes (1 MiB by default): a partition's records travel as one batch.
   */
  maxRequestBytes: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Attempts per produce request before a batch is failed back to its clients (who resend). */
  retries: number;
}
