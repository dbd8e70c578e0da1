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
  host: z.string().min(1).default('127.0.0.1').describe("Address the gRPC server binds; a non-loopback one needs server.token (or allowUnauthenticatedNonLoopback)."),
  port: port.default(50551).describe("gRPC port (ListenerService, OffsetsService, health, reflection); 0 picks a free one (logged)."),
  allowUnauthenticatedNonLoopback: z.boolean().default(false).describe("Binding a non-loopback address without a token needs this explicit opt-in."),
  token: z.string().min(16, 'must be at least 16 characters').optional().describe("Bearer token required on every RPC when set (at least 16 characters). Secret: never logged."),
  tokenFile: z.string().min(1).optional().describe("File holding server.token (e.g. a mounted Kubernetes Secret), read at start; trailing whitespace is dropped."),
  tlsCertFile: z.string().optional().describe("PEM certificate of the gRPC server: TLS on (needs tlsKeyFile)."),
  tlsKeyFile: z.string().optional().describe("PEM private key of tlsCertFile."),
  tlsCaFile: z.string().optional().describe("PEM CA bundle: the server then requires client certificates (mutual TLS)."),
  maxBatchBytes: positive.max(64 * MiB).default(8 * MiB).describe("Largest request (one batch) accepted, in bytes; larger is refused with RESOURCE_EXHAUSTED."),
  maxBatchEvents: positive.max(100_000).default(10_000).describe("Most events in one batch."),
  maxNestingDepth: positive.min(8).max(100).default(32).describe("Request decoding: messages nested in each other, at most; a deeper frame is refused (RESOURCE_EXHAUSTED)."),
  maxStringBytes: positive.max(64 * MiB).default(4 * MiB).describe("Request decoding: bytes of one string field (event ids, plan descriptions, failure messages), at most."),
  maxRepeatedEntries: positive.max(10_000_000).default(100_000).describe("Request decoding: entries of one repeated or map field of one message (stage ids, labels, configs, metrics), at most."),
  maxBatchValues: positive.max(100_000_000).default(1_000_000).describe("Request decoding: messages, map entries and repeated values in one batch, at most (no small frame expands into millions of objects)."),
  maxInFlightPerStream: positive.max(10_000).default(64).describe("Batches of one Stream call being processed at once; beyond it the stream is not read."),
  maxInFlightBytes: positive.max(4096 * MiB).default(64 * MiB).describe("Bytes of batches being processed at once, over all clients; beyond it streams stop being read and Publish gets RESOURCE_EXHAUSTED."),
  maxStreamsPerClient: positive.max(10_000).default(8).describe("Open Stream calls per client_id; more are refused with RESOURCE_EXHAUSTED."),
  maxStreams: positive.max(100_000).default(1_000).describe("Open Stream calls in total."),
  idleStreamTimeoutMs: positive.default(1_800_000).describe("A stream with no batch and nothing in flight for this long is ended (UNAVAILABLE: the client reconnects when it has something to send)."),
});

export const kafkaSchema = z.strictObject({
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).min(1).describe("Kafka bootstrap brokers, host:port (comma-separated); setting any kafka.* value selects the Kafka sink."),
  clientId: z.string().min(1).default('sparkwire').describe("Kafka client id of the producer."),
  topic: z.string().min(1).default('spark-events').describe("Topic of the records."),
  tasksTopic: z.string().min(1).optional().describe("Task records (extended mode) go to this topic when set; unset: kafka.topic."),
  encoding: z.enum(['json', 'protobuf']).default('json').describe("Record values: json (sparkMeasure-compatible) or protobuf (serialized sparkwire.v1.SparkEvent)."),
  key: z.enum(['appId', 'none']).default('appId').describe("Record key: appId keeps one application in order in one partition; none spreads them."),
  compression: z.enum(['none', 'gzip']).default('none').describe("Compression of produce requests."),
  createTopics: z.boolean().default(true).describe("Create missing topics at start (admin API) with kafka.partitions and kafka.replicationFactor."),
  partitions: positive.max(10_000).default(6).describe("Partitions of topics the sidecar creates."),
  replicationFactor: positive.max(32).default(1).describe("Replication factor of topics the sidecar creates."),
  maxBatchRecords: positive.max(1_000_000).default(20_000).describe("Most records in one produce request."),
  maxRequestBytes: positive.max(64 * MiB).default(900 * 1024).describe("Most bytes of one produce request (keys + values + framing); also kept under the topics' max.message.bytes read from the broker."),
  limitsRefreshMs: positive.min(1_000).default(30_000).describe("How often the broker's message.max.bytes and the topics' max.message.bytes are read again (also at start and after a size refusal)."),
  oversizeEvents: z.enum(['truncate', 'refuse']).default('truncate').describe("An event whose record would be over the topic's limit: truncate its free-text fields (marked, counted), or refuse its batch (INVALID_ARGUMENT)."),
  connectTimeoutMs: positive.default(3_000).describe("Timeout of a broker connection attempt."),
  requestTimeoutMs: positive.default(30_000).describe("Timeout of one Kafka request."),
  retries: z.number().int().min(0).max(100).default(5).describe("Retries of a failed Kafka request before the spool drainer backs off and tries again."),
  healthProbeIntervalMs: z.number().int().min(0).max(600_000).default(2_000).describe("A metadata request this often so health (sparkwire.kafka) follows an outage within seconds even when idle; 0 turns it off."),
  tls: z.boolean().default(false).describe("TLS to the brokers."),
  tlsCaFile: z.string().optional().describe("PEM CA bundle the brokers are verified against (default: the system CAs)."),
  tlsCertFile: z.string().optional().describe("PEM client certificate (mutual TLS to the brokers)."),
  tlsKeyFile: z.string().optional().describe("PEM private key of kafka.tlsCertFile."),
  tlsRejectUnauthorized: z.boolean().default(true).describe("Refuse brokers whose certificate does not verify."),
  saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe("SASL authentication to the brokers (needs saslUsername and saslPassword or saslPasswordFile)."),
  saslUsername: z.string().optional().describe("SASL user name."),
  saslPassword: z.string().optional().describe("SASL password. Secret: never logged; prefer saslPasswordFile."),
  saslPasswordFile: z.string().min(1).optional().describe("File holding kafka.saslPassword (e.g. a mounted Kubernetes Secret), read at start; trailing whitespace is dropped."),
});

export const fileSchema = z.strictObject({
  dir: z.string().min(1).default('sparkwire-data/events').describe("Directory of the rotating NDJSON files (the sink when no Kafka is configured)."),
  prefix: z.string().min(1).default('sparkwire-events').describe("File name prefix of the NDJSON files."),
  maxBytes: positive.default(64 * MiB).describe("Size at which the current file is rotated."),
  maxFiles: positive.default(10).describe("Rotated files kept; older ones are deleted."),
});

/** The durable spool between ingest and Kafka (docs/reliability.md). */
export const spoolSchema = z.strictObject({
  enabled: z.boolean().optional().describe("Durable spool on disk between ingest and Kafka; unset: on when Kafka is configured."),
  dir: z.string().min(1).optional().describe("Spool directory (one sidecar per directory); unset: sparkwire-data/spool/<host>_<port> of the gRPC server (a per-process one with server.port 0)."),
  maxBytes: positive.default(1024 * MiB).describe("Cap on the spool on disk; at the cap batches are refused with UNAVAILABLE until Kafka takes some."),
  segmentBytes: positive.min(64 * 1024).default(64 * MiB).describe("Spool segment file size; at most spool.maxBytes/4."),
  fsync: z.enum(['batch', 'interval']).default('batch').describe("batch: fdatasync before each ack (group commit); interval: ack after write(), fdatasync every fsyncIntervalMs."),
  fsyncIntervalMs: positive.max(60_000).default(200).describe("fdatasync period with spool.fsync interval (power loss can lose that window)."),
  cacheBytes: z.number().int().min(0).default(32 * MiB).describe("Appended batches kept in memory for publishing; beyond it they are read back from disk."),
  deadLetterMaxBytes: positive.default(1024 * MiB).describe("Cap of the dead-letter store (records Kafka refused after they were acked); at the cap a refused record waits as in an outage."),
});

const otlpProtocol = z.enum(['grpc', 'http/protobuf']);
const url = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL');

/** Traces (docs/observability.md). Unset values fall back to the standard OTEL_* variables. */
export const otelSchema = z.strictObject({
  tracesEnabled: z.boolean().optional().describe("OTLP traces; unset: on when an endpoint is configured (here or OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) or OTEL_TRACES_EXPORTER=otlp."),
  tracesEndpoint: url.optional().describe("OTLP traces endpoint: http://collector:4317 (grpc) or http://collector:4318 (http/protobuf)."),
  tracesProtocol: otlpProtocol.optional().describe("OTLP protocol; unset: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf."),
  taskSpans: z.boolean().default(true).describe("spark.task spans (extended mode only)."),
  taskSampleRatio: z.number().min(0).max(1).default(1).describe("Share of successful task spans kept (failed tasks always are)."),
  openSpanTimeoutMs: positive.default(24 * 3600 * 1000).describe("Open jobs/stages/SQL executions older than this, and applications silent this long, are closed (marked)."),
  maxOpenSpans: positive.max(1_000_000).default(10_000).describe("Most open spans held at once; beyond it the oldest is closed (marked evicted)."),
  maxQueueSize: positive.max(1_000_000).optional().describe("Spans queued for export at most (then dropped, counted); unset: OTEL_BSP_MAX_QUEUE_SIZE, else 16384."),
  exportTimeoutMs: positive.optional().describe("Timeout of one span export; unset: OTEL_EXPORTER_OTLP_TIMEOUT, else 10 s."),
  serviceName: z.string().min(1).optional().describe("service.name; unset: OTEL_SERVICE_NAME, else the Spark application name (traces) and \"sparkwire\" (metrics)."),
});

/** Metrics: the Prometheus endpoint and optional OTLP push. */
export const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("The Prometheus scrape endpoint."),
  host: z.string().min(1).default('127.0.0.1').describe("Address the Prometheus endpoint binds."),
  port: port.default(9464).describe("Port of the Prometheus endpoint; 0 picks a free one (logged as metricsAddress)."),
  path: z.string().regex(/^\/\S*$/, 'must start with /').default('/metrics').describe("Path of the Prometheus endpoint."),
  otlpEndpoint: url.optional().describe("OTLP metrics push, on when set (or OTEL_METRICS_EXPORTER=otlp)."),
  otlpProtocol: otlpProtocol.optional().describe("OTLP metrics protocol; unset: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf."),
  otlpIntervalMs: positive.optional().describe("OTLP metrics export interval; unset: OTEL_METRIC_EXPORT_INTERVAL, else 60 s."),
});

/** Offsets of Spark streaming jobs in Kafka itself (docs/offsets.md). Needs the kafka section. */
export const offsetsSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Serve sparkwire.v1.OffsetsService and run the lag monitor (uses the kafka.* connection)."),
  defaultPolicy: z.enum(['earliest', 'latest']).default('earliest').describe("Where Fetch starts partitions without a committed offset, unless the request says."),
  groups: z.array(z.string().min(1)).default([]).describe("Groups the lag monitor follows from the start (it also follows every group committed to)."),
  lagPollMs: positive.min(100).default(5_000).describe("How often the lag monitor samples log-end and committed offsets."),
  lagWindowMs: positive.min(1_000).default(300_000).describe("Sliding window of the lag status rules: no commit for this long is STOPPED."),
  stallAfterMs: positive.min(500).default(120_000).describe("No advance of the committed offset for this long (with lag) is STALLED; below lagWindowMs."),
  lagTableSize: positive.min(3).max(10_000).default(120).describe("(log-end offset, time) points kept per partition for the lag-in-seconds estimate."),
  commitFromProgress: z.array(z.string().regex(/^[^=]+=[^=]+$/, 'must be "query=group"')).default([]).describe("\"query name or id=group\" entries: each Kafka micro-batch's end offsets are committed to the group."),
  commitFromProgressForce: z.boolean().default(false).describe("Commit from progress without the from_offset check (not recommended)."),
});

/** The live status page (README "Status page"): its own small HTTP server. */
export const statusSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Serve the live status page (applications, jobs, stages with task progress, streaming queries, Kafka, spool, drops) at http://status.host:status.port/status."),
  host: z.string().min(1).default('127.0.0.1').describe("Address the status page binds; a non-loopback one needs server.token (or server.allowUnauthenticatedNonLoopback)."),
  port: port.default(9465).describe("Port of the status page; 0 picks a free one (logged as statusUrl)."),
  maxApps: positive.max(1_000).default(20).describe("Applications the page keeps; beyond it ended (then the longest silent) ones are dropped."),
  maxJobs: positive.max(10_000).default(50).describe("Jobs kept per application; finished ones are dropped first, oldest first."),
  maxStages: positive.max(10_000).default(200).describe("Stages kept per application; finished ones are dropped first, oldest first."),
});

export const configSchema = z
  .strictObject({
    extended: z.boolean().default(false).describe("Extended mode: task-level events are published too (O(tasks) records; stage level is O(stages))."),
    server: serverSchema.prefault({}),
    /** When absent, events go to the rotating file sink. */
    kafka: kafkaSchema.optional(),
    file: fileSchema.prefault({}),
    spool: spoolSchema.prefault({}),
    otel: otelSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    offsets: offsetsSchema.prefault({}),
    status: statusSchema.prefault({}),
    dedupeBatchWindow: positive.default(4096).describe("Batches remembered per client to answer a resent batch as a duplicate."),
    dedupeEventWindow: z.number().int().min(0).default(100_000).describe("Event ids remembered to drop repeated events; 0 turns event dedupe off."),
    ackTimeoutMs: positive.default(30_000).describe("How long a client waits for its batch to be confirmed before it hears UNAVAILABLE."),
    shutdownDeadlineMs: positive.default(10_000).describe("On SIGTERM/SIGINT: flush in-flight batches and close within this long."),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe("Log level of the JSON log on stdout."),
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
    if (c.status.enabled && !isLoopback(c.status.host) && !s.token && !s.tokenFile && !s.allowUnauthenticatedNonLoopback) {
      ctx.addIssue({ code: 'custom', path: ['status', 'host'], message: `${c.status.host} is not a loopback address: set server.token (the status page then asks for it) or server.allowUnauthenticatedNonLoopback` });
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
