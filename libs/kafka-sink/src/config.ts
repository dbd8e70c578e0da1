// The Kafka sink's configuration. Its schema holds the sink's own settings; the sidecar's
// `kafka` section is one strict object of these and the connection settings every Kafka
// component shares (libs/kafka-client/src/config.ts).
import { z } from 'zod';
import { kafkaConnectionIssues, kafkaConnectionSettings, kafkaProducerIssues, kafkaConnectionShape, zstdAvailable, type KafkaConnectionSettings } from '@sparkwire/kafka-client';

export type { KafkaTls, KafkaSasl } from '@sparkwire/kafka-client';

const MiB = 1024 * 1024;
const positive = z.number().int().positive();

export const kafkaSinkShape = {
  topic: z.string().min(1).default('spark-events').describe("Topic of the records."),
  tasksTopic: z.string().min(1).optional().describe("Task records (extended mode) go to this topic when set; unset: kafka.topic."),
  encoding: z.enum(['json', 'protobuf']).default('json').describe("Record values: json (sparkMeasure-compatible) or protobuf (serialized sparkwire.v1.SparkEvent)."),
  key: z.enum(['appId', 'none']).default('appId').describe("Record key: appId keeps one application in order in one partition; none spreads them."),
  compression: z.enum(['none', 'gzip', 'lz4', 'zstd']).default('none').describe("Compression of produce requests. lz4 and zstd need kafka.client platformatic; zstd also Node 22.15+ (node:zlib zstd)."),
  createTopics: z.boolean().default(true).describe("Create missing topics at start (admin API) with kafka.partitions and kafka.replicationFactor."),
  partitions: positive.max(10_000).default(6).describe("Partitions of topics the sidecar creates."),
  replicationFactor: positive.max(32).default(1).describe("Replication factor of topics the sidecar creates."),
  maxBatchRecords: positive.max(1_000_000).default(20_000).describe("Most records in one produce request."),
  maxRequestBytes: positive.max(64 * MiB).default(900 * 1024).describe("Most bytes of one produce request (keys + values + framing); also kept under the topics' max.message.bytes read from the broker."),
  limitsRefreshMs: positive.min(1_000).default(30_000).describe("How often the broker's message.max.bytes and the topics' max.message.bytes are read again (also at start and after a size refusal)."),
  oversizeEvents: z.enum(['truncate', 'refuse']).default('truncate').describe("An event whose record would be over the topic's limit: truncate its free-text fields (marked, counted), or refuse its batch (INVALID_ARGUMENT)."),
  healthProbeIntervalMs: z.number().int().min(0).max(600_000).default(2_000).describe("A metadata request this often so health (sparkwire.kafka) follows an outage within seconds even when idle; 0 turns it off."),
};

/** The `kafka` section: connection and sink settings in one object, as users write them. */
export const kafkaSectionSchema = z.strictObject({ ...kafkaConnectionShape, ...kafkaSinkShape });

export type KafkaSectionConfig = z.output<typeof kafkaSectionSchema>;
export type KafkaSectionInput = z.input<typeof kafkaSectionSchema>;

/** The sink settings' defaults, for code that builds a sink without parsing a section. */
export const KAFKA_SINK_DEFAULTS = Object.freeze(z.strictObject(kafkaSinkShape).parse({}));

export type Compression = KafkaSectionConfig['compression'];

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

/**
 * What KafkaSink takes: the connection, the produce settings of the section and the topics.
 * maxRequestBytes is also kept under the topics' max.message.bytes, read from the broker
 * (limits.ts), since a partition's records travel as one batch.
 */
export interface KafkaSinkConfig
  extends KafkaConnectionSettings,
    Pick<KafkaSectionConfig, 'compression' | 'createTopics' | 'maxBatchRecords' | 'maxRequestBytes'>,
    // Optional for sinks built by hand (tests); unset probe interval: no periodic check.
    Partial<Pick<KafkaSectionConfig, 'limitsRefreshMs' | 'healthProbeIntervalMs'>> {
  /** Topics to create through the admin API at start when missing. */
  topics: TopicSpec[];
}

/** Checks across the section's settings (connection and sink), paths relative to it; see kafkaConnectionIssues. */
export function kafkaSectionIssues(c: KafkaSectionConfig): { path: string[]; message: string }[] {
  const issues = [...kafkaConnectionIssues(c), ...kafkaProducerIssues(c)];
  if (c.tasksTopic && c.tasksTopic === c.topic) issues.push({ path: ['tasksTopic'], message: 'must differ from kafka.topic' });
  if ((c.compression === 'lz4' || c.compression === 'zstd') && c.client !== 'platformatic') issues.push({ path: ['compression'], message: `${c.compression} needs kafka.client platformatic (kafkajs has no ${c.compression} codec)` });
  else if (c.compression === 'zstd' && !zstdAvailable()) issues.push({ path: ['compression'], message: `zstd needs Node 22.15+ (node:zlib zstd), this is Node ${process.versions.node}: use lz4 or gzip` });
  return issues;
}

/** The topics the section names (records, and task records when they have their own). */
export function sectionTopics(c: KafkaSectionConfig): TopicSpec[] {
  return [c.topic, ...(c.tasksTopic ? [c.tasksTopic] : [])].map((name) => ({ name, partitions: c.partitions, replicationFactor: c.replicationFactor }));
}

/** KafkaSink's settings from a parsed section (saslPassword already read from saslPasswordFile). */
export function kafkaSinkConfig(c: KafkaSectionConfig): KafkaSinkConfig {
  return {
    ...kafkaConnectionSettings(c),
    compression: c.compression,
    topics: sectionTopics(c),
    createTopics: c.createTopics,
    maxBatchRecords: c.maxBatchRecords,
    maxRequestBytes: c.maxRequestBytes,
    limitsRefreshMs: c.limitsRefreshMs,
    healthProbeIntervalMs: c.healthProbeIntervalMs,
  };
}
