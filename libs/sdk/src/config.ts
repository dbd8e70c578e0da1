// The one configuration object, shared by the sidecar and embedding programs. Every value
// has a default except Kafka brokers; objects are strict so an unknown key is an error
// that names it. Flags, SPARKWIRE_* variables and files all fill this same shape
// (apps/sidecar/src/config-sources.ts).
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const MiB = 1024 * 1024;
const port = z.number().int().min(0).max(65535);
const positive = z.number().int().positive();

export const serverSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(50551),
  /** Binding a non-loopback address without a token needs this explicit opt-in. */
  allowUnauthenticatedNonLoopback: z.boolean().default(false),
  /** Bearer token required on every RPC when set. Secret: never logged. */
  token: z.string().min(16, 'must be at least 16 characters').optional(),
  /** File holding server.token (e.g. a mounted Kubernetes Secret), read at start; trailing whitespace is dropped. */
  tokenFile: z.string().min(1).optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  /** With a CA file the server requires client certificates (mutual TLS). */
  tlsCaFile: z.string().optional(),
  maxBatchBytes: positive.max(64 * MiB).default(8 * MiB),
  maxBatchEvents: positive.max(100_000).default(10_000),
  /** Request decoding (before any work on a frame): messages nested in each other, at most; a deeper frame is refused (RESOURCE_EXHAUSTED). */
  maxNestingDepth: positive.min(8).max(100).default(32),
  /** Request decoding: bytes of one string field (event ids, plan descriptions, failure messages), at most; a batch with a longer one is refused. */
  maxStringBytes: positive.max(64 * MiB).default(4 * MiB),
  /** Request decoding: entries of one repeated or map field of one message (stage ids, labels, configs, metrics), at most. Events per batch: maxBatchEvents. */
  maxRepeatedEntries: positive.max(10_000_000).default(100_000),
  /** Request decoding: messages, map entries and repeated values in one batch, at most, so a small frame cannot expand into millions of objects. */
  maxBatchValues: positive.max(100_000_000).default(1_000_000),
  maxInFlightPerStream: positive.max(10_000).default(64),
  /** Bytes of batches being processed at once, over all clients; beyond it streams stop being read and Publish gets RESOURCE_EXHAUSTED (retry later). */
  maxInFlightBytes: positive.max(4096 * MiB).default(64 * MiB),
  /** Open Stream calls per client_id; more are refused with RESOURCE_EXHAUSTED. */
  maxStreamsPerClient: positive.max(10_000).default(8),
  /** Open Stream calls in total. */
  maxStreams: positive.max(100_000).default(1_000),
  /** A stream with no batch and nothing in flight for this long is ended (UNAVAILABLE: reconnect when there is something to send). */
  idleStreamTimeoutMs: positive.default(1_800_000),
});

export const kafkaSchema = z.strictObject({
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).min(1),
  clientId: z.string().min(1).default('sparkwire'),
  topic: z.string().min(1).default('spark-events'),
  /** Task events go to this topic when set. */
  tasksTopic: z.string().min(1).optional(),
  encoding: z.enum(['json', 'protobuf']).default('json'),
  key: z.enum(['appId', 'none']).default('appId'),
  compression: z.enum(['none', 'gzip']).default('none'),
  createTopics: z.boolean().default(true),
  partitions: positive.max(10_000).default(6),
  replicationFactor: positive.max(32).default(1),
  maxBatchRecords: positive.max(1_000_000).default(20_000),
  /** Most bytes of one produce request (keys + values + record framing); requests are also kept under the topics' max.message.bytes as read from the broker. */
  maxRequestBytes: positive.max(64 * MiB).default(900 * 1024),
  /** How often the broker's message.max.bytes and the topics' max.message.bytes are read again (also at start and after a size refusal). */
  limitsRefreshMs: positive.min(1_000).default(30_000),
  /** An event whose record would be over the topic's limit: truncate its free-text fields (marked, counted) and refuse only if still too large, or refuse its batch (INVALID_ARGUMENT) at once. */
  oversizeEvents: z.enum(['truncate', 'refuse']).default('truncate'),
  connectTimeoutMs: positive.default(3_000),
  requestTimeoutMs: positive.default(30_000),
  retries: z.number().int().min(0).max(100).default(5),
  /** A metadata request this often while Kafka is reachable, so health (sparkwire.kafka) follows an outage within seconds even when idle; 0 turns it off. */
  healthProbeIntervalMs: z.number().int().min(0).max(600_000).default(2_000),
  tls: z.boolean().default(false),
  tlsCaFile: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsKeyFile: z.string().optional(),
  tlsRejectUnauthorized: z.boolean().default(true),
  saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  saslUsername: z.string().optional(),
  /** Secret: never logged. */
  saslPassword: z.string().optional(),
  /** File holding kafka.saslPassword (e.g. a mounted Kubernetes Secret), read at start; trailing whitespace is dropped. */
  saslPasswordFile: z.string().min(1).optional(),
});

export const fileSchema = z.strictObject({
  dir: z.string().min(1).default('sparkwire-data/events'),
  prefix: z.string().min(1).default('sparkwire-events'),
  maxBytes: positive.default(64 * MiB),
  maxFiles: positive.default(10),
});

/** The durable spool between ingest and Kafka (docs/reliability.md). */
export const spoolSchema = z.strictObject({
  /** Unset: on when Kafka is configured (the file sink fsyncs each batch itself and needs no spool). */
  enabled: z.boolean().optional(),
  /**
   * One sidecar per directory (a LOCK file holds the owner's pid). Unset: sparkwire-data/spool/<host>_<port>
   * of the gRPC server, so a restart on the same address replays; with server.port 0 a per-process
   * directory, removed once drained (no replay after a crash: set spool.dir for that).
   */
  dir: z.string().min(1).optional(),
  /** Cap on the spool on disk; at the cap batches are refused with UNAVAILABLE until Kafka takes some. */
  maxBytes: positive.default(1024 * MiB),
  /** Segment file size; at most maxBytes/4. */
  segmentBytes: positive.min(64 * 1024).default(64 * MiB),
  /** batch: fdatasync before each ack (group commit). interval: ack after write(), fdatasync every fsyncIntervalMs (power loss can lose that window). */
  fsync: z.enum(['batch', 'interval']).default('batch'),
  fsyncIntervalMs: positive.max(60_000).default(200),
  /** Appended batches kept in memory for publishing; beyond it they are read back from disk. */
  cacheBytes: z.number().int().min(0).default(32 * MiB),
  /** Cap of the dead-letter store (<spool dir>/dead-letter: records Kafka refused after they were acked); at the cap a refused record waits as in an outage. */
  deadLetterMaxBytes: positive.default(1024 * MiB),
});

const otlpProtocol = z.enum(['grpc', 'http/protobuf']);
const url = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL');

/** Traces (docs/observability.md). Unset values fall back to the standard OTEL_* variables. */
export const otelSchema = z.strictObject({
  /** Unset: on when an endpoint is configured (here or OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) or OTEL_TRACES_EXPORTER=otlp. */
  tracesEnabled: z.boolean().optional(),
  /** gRPC: http://collector:4317. HTTP: http://collector:4318 (/v1/traces is added when no path is given). */
  tracesEndpoint: url.optional(),
  /** Unset: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  tracesProtocol: otlpProtocol.optional(),
  /** spark.task spans (extended mode only). */
  taskSpans: z.boolean().default(true),
  /** Share of successful task spans kept (failed tasks always are). */
  taskSampleRatio: z.number().min(0).max(1).default(1),
  /** Open jobs/stages/SQL executions older than this, and applications silent this long, are closed (marked). */
  openSpanTimeoutMs: positive.default(24 * 3600 * 1000),
  /** Most open spans held at once; beyond it the oldest is closed (marked evicted). */
  maxOpenSpans: positive.max(1_000_000).default(10_000),
  /** Spans queued for export at most (then dropped, counted). Unset: OTEL_BSP_MAX_QUEUE_SIZE, else 16384. */
  maxQueueSize: positive.max(1_000_000).optional(),
  /** Unset: OTEL_EXPORTER_OTLP_TIMEOUT, else 10 s. */
  exportTimeoutMs: positive.optional(),
  /** service.name. Unset: OTEL_SERVICE_NAME, else the Spark application name (traces) and "sparkwire" (metrics). */
  serviceName: z.string().min(1).optional(),
});

/** Metrics: the Prometheus endpoint and optional OTLP push. */
export const metricsSchema = z.strictObject({
  /** The Prometheus scrape endpoint. */
  enabled: z.boolean().default(true),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (logged as metricsAddress). */
  port: port.default(9464),
  path: z.string().regex(/^\/\S*$/, 'must start with /').default('/metrics'),
  /** OTLP push, on when set (or OTEL_METRICS_EXPORTER=otlp). */
  otlpEndpoint: url.optional(),
  /** Unset: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  otlpProtocol: otlpProtocol.optional(),
  /** Unset: OTEL_METRIC_EXPORT_INTERVAL, else 60 s. */
  otlpIntervalMs: positive.optional(),
});

/** Offsets of Spark streaming jobs in Kafka itself (docs/offsets.md). Needs the kafka section. */
export const offsetsSchema = z.strictObject({
  /** Serve sparkwire.v1.OffsetsService and run the lag monitor (uses the kafka.* connection). */
  enabled: z.boolean().default(false),
  /** Where Fetch starts partitions without a committed offset, unless the request says. */
  defaultPolicy: z.enum(['earliest', 'latest']).default('earliest'),
  /** Groups the lag monitor follows from the start (it also follows every group committed to). */
  groups: z.array(z.string().min(1)).default([]),
  /** How often the lag monitor samples log-end and committed offsets. */
  lagPollMs: positive.min(100).default(5_000),
  /** Sliding window of the status rules: no commit for this long is STOPPED. */
  lagWindowMs: positive.min(1_000).default(300_000),
  /** No advance of the committed offset for this long (with lag) is STALLED. Must be below lagWindowMs. */
  stallAfterMs: positive.min(500).default(120_000),
  /** (log-end offset, time) points kept per partition for the lag-in-seconds estimate. */
  lagTableSize: positive.min(3).max(10_000).default(120),
  /** Commit from progress: "query name or id=group" entries; each Kafka micro-batch's end offsets are committed to the group. */
  commitFromProgress: z.array(z.string().regex(/^[^=]+=[^=]+$/, 'must be "query=group"')).default([]),
  /** Commit from progress without the from_offset check (not recommended). */
  commitFromProgressForce: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    /** Extended mode: task-level events are published (O(tasks) records). */
    extended: z.boolean().default(false),
    server: serverSchema.prefault({}),
    /** When absent, events go to the rotating file sink. */
    kafka: kafkaSchema.optional(),
    file: fileSchema.prefault({}),
    spool: spoolSchema.prefault({}),
    otel: otelSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    offsets: offsetsSchema.prefault({}),
    dedupeBatchWindow: positive.default(4096),
    dedupeEventWindow: z.number().int().min(0).default(100_000),
    /** How long a client waits for its batch to be confirmed before it hears UNAVAILABLE. */
    ackTimeoutMs: positive.default(30_000),
    shutdownDeadlineMs: positive.default(10_000),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    const s = c.server;
    if (!isLoopback(s.host) && !s.token && !s.tokenFile && !s.allowUnauthenticatedNonLoopback) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'host'],
        message: `${s.host} is not a loopback address: set server.token (or explicitly server.allowUnauthenticatedNonLoopback)`,
      });
    }
    if (Boolean(s.tlsCertFile) !== Boolean(s.tlsKeyFile)) {
      ctx.addIssue({ code: 'custom', path: ['server', s.tlsCertFile ? 'tlsKeyFile' : 'tlsCertFile'], message: 'TLS needs both tlsCertFile and tlsKeyFile' });
    }
    if (s.tlsCaFile && !s.tlsCertFile) ctx.addIssue({ code: 'custom', path: ['server', 'tlsCaFile'], message: 'mutual TLS needs tlsCertFile and tlsKeyFile too' });
    const k = c.kafka;
    if (k?.saslMechanism && (!k.saslUsername || !(k.saslPassword || k.saslPasswordFile))) {
      ctx.addIssue({ code: 'custom', path: ['kafka', 'saslUsername'], message: 'SASL needs saslUsername and saslPassword' });
    }
    if (k?.tasksTopic && k.tasksTopic === k.topic) ctx.addIssue({ code: 'custom', path: ['kafka', 'tasksTopic'], message: 'must differ from kafka.topic' });
    if (c.spool.segmentBytes * 4 > c.spool.maxBytes) ctx.addIssue({ code: 'custom', path: ['spool', 'segmentBytes'], message: 'must be at most spool.maxBytes / 4' });
    const o = c.offsets;
    if (o.enabled && !k) ctx.addIssue({ code: 'custom', path: ['offsets', 'enabled'], message: 'offsets are stored in Kafka: set kafka.brokers too' });
    if (o.stallAfterMs >= o.lagWindowMs) ctx.addIssue({ code: 'custom', path: ['offsets', 'stallAfterMs'], message: 'must be below offsets.lagWindowMs' });
  });

export type SparkwireConfig = z.output<typeof configSchema>;
export type SparkwireConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    /** Dotted path of the value at fault, e.g. "kafka.brokers". */
    readonly key: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates and fills defaults; throws a ConfigError naming the first bad value. */
export function parseConfig(input: unknown): SparkwireConfig {
  const r = configSchema.safeParse(input ?? {});
  if (r.success) return readSecretFiles(r.data);
  const issue = r.error.issues[0];
  let key = issue.path.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    key = [...issue.path, issue.keys[0]].join('.');
    message = `unknown key ${JSON.stringify(key)}`;
    return fail(message, key);
  }
  return fail(`${key || 'config'}: ${message}`, key);
}

/**
 * Fills server.token / kafka.saslPassword from their *File settings. Parsing an already parsed
 * configuration again is fine: the value then equals the file's.
 */
function readSecretFiles(c: SparkwireConfig): SparkwireConfig {
  const read = (file: string, key: string): string => {
    try {
      return readFileSync(file, 'utf8').trimEnd();
    } catch (err) {
      return fail(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, key);
    }
  };
  if (c.server.tokenFile) {
    const token = read(c.server.tokenFile, 'server.tokenFile');
    if (c.server.token !== undefined && c.server.token !== token) fail('server.tokenFile: set server.token or server.tokenFile, not both', 'server.tokenFile');
    if (token.length < 16) fail(`server.tokenFile: the token in ${c.server.tokenFile} must be at least 16 characters`, 'server.tokenFile');
    c.server.token = token;
  }
  const k = c.kafka;
  if (k?.saslPasswordFile) {
    const password = read(k.saslPasswordFile, 'kafka.saslPasswordFile');
    if (k.saslPassword !== undefined && k.saslPassword !== password) fail('kafka.saslPasswordFile: set kafka.saslPassword or kafka.saslPasswordFile, not both', 'kafka.saslPasswordFile');
    if (password === '') fail(`kafka.saslPasswordFile: ${k.saslPasswordFile} is empty`, 'kafka.saslPasswordFile');
    k.saslPassword = password;
  }
  return c;
}

function fail(message: string, key: string): never {
  throw new ConfigError(message, key);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Paths of secret values: redacted from logs. */
export const SECRET_PATHS = ['server.token', 'kafka.saslPassword'];
