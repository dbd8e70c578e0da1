// The Kafka connection settings: what every component that talks to Kafka (the sink, the
// offsets service, the lag monitor) shares. The sidecar's `kafka` section is this shape
// extended with the sink's own settings (libs/kafka-sink/src/config.ts).
import { z } from 'zod';

const positive = z.number().int().positive();

/** The client libraries a producer can be built on (kafka.client). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];
/** The producer's library when kafka.client is not set (also for settings built without `client`). */
export const DEFAULT_KAFKA_CLIENT: KafkaClientKind = 'platformatic';

export const kafkaConnectionShape = {
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).min(1).describe("Kafka bootstrap brokers, host:port (comma-separated); setting any kafka.* value selects the Kafka sink."),
  clientId: z.string().min(1).default('sparkwire').describe("Kafka client id of the producer."),
  client: z.enum(KAFKA_CLIENTS).default(DEFAULT_KAFKA_CLIENT).describe("Kafka client library of the producer: platformatic (@platformatic/kafka, the default: about half kafkajs's CPU per record; needed for kafka.compression lz4 and zstd), or kafkajs. Admin and offset calls use kafkajs either way."),
  connectTimeoutMs: positive.default(3_000).describe("Timeout of a broker connection attempt."),
  requestTimeoutMs: positive.default(30_000).describe("Timeout of one Kafka request."),
  retries: z.number().int().min(0).max(100).default(5).describe("Retries of a failed Kafka request before the spool drainer backs off and tries again. 0 (each request sent once) only with kafka.client platformatic: kafkajs's idempotent producer needs at least 1."),
  tls: z.boolean().default(false).describe("TLS to the brokers."),
  tlsCaFile: z.string().optional().describe("PEM CA bundle the brokers are verified against (default: the system CAs)."),
  tlsCertFile: z.string().optional().describe("PEM client certificate (mutual TLS to the brokers)."),
  tlsKeyFile: z.string().optional().describe("PEM private key of kafka.tlsCertFile."),
  tlsRejectUnauthorized: z.boolean().default(true).describe("Refuse brokers whose certificate does not verify."),
  saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe("SASL authentication to the brokers (needs saslUsername and saslPassword or saslPasswordFile)."),
  saslUsername: z.string().optional().describe("SASL user name."),
  saslPassword: z.string().optional().describe("SASL password. Secret: never logged; prefer saslPasswordFile."),
  saslPasswordFile: z.string().min(1).optional().describe("File holding kafka.saslPassword (e.g. a mounted Kubernetes Secret), read at start; trailing whitespace is dropped."),
};

export const kafkaConnectionSchema = z.strictObject(kafkaConnectionShape);

/** The connection settings after parsing (defaults filled, saslPassword read from its file by the SDK). */
export type KafkaConnectionConfig = z.output<typeof kafkaConnectionSchema>;

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

/** A connection as the clients take it: the TLS and SASL settings grouped. */
export interface KafkaConnectionSettings {
  brokers: string[];
  clientId: string;
  /** Library of the producer (admin and offset calls are on kafkajs either way); default DEFAULT_KAFKA_CLIENT. */
  client?: KafkaClientKind;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  retries: number;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

/**
 * Checks across the connection settings, paths relative to the section. Not a refinement of
 * the schema: the SDK runs every section's checks once all sections parsed, in a fixed order,
 * so which error is reported first does not depend on the nesting.
 */
export function kafkaConnectionIssues(c: KafkaConnectionConfig): { path: string[]; message: string }[] {
  if (c.saslMechanism && (!c.saslUsername || !(c.saslPassword || c.saslPasswordFile))) return [{ path: ['saslUsername'], message: 'SASL needs saslUsername and saslPassword' }];
  return [];
}

/** The smallest kafka.retries the producer of each client library honours (kafkajs refuses 0 for its idempotent producer). */
export const MIN_PRODUCER_RETRIES: Readonly<Record<KafkaClientKind, number>> = { kafkajs: 1, platformatic: 0 };

/**
 * Settings the producer of the chosen library cannot honour, paths relative to the section
 * (for components that build a producer: the sink). The schema allows what some library takes.
 */
export function kafkaProducerIssues(c: Pick<KafkaConnectionConfig, 'client' | 'retries'>): { path: string[]; message: string }[] {
  const min = MIN_PRODUCER_RETRIES[c.client];
  if (c.retries < min) return [{ path: ['retries'], message: `${c.retries} is not possible with kafka.client ${c.client}: its idempotent producer needs at least ${min} (kafka.client platformatic sends each request once with 0)` }];
  return [];
}

/** The one mapping of the flat connection settings to what the clients take; saslPassword must already be read from saslPasswordFile. */
export function kafkaConnectionSettings(c: KafkaConnectionConfig): KafkaConnectionSettings {
  return {
    brokers: c.brokers,
    clientId: c.clientId,
    client: c.client,
    connectTimeoutMs: c.connectTimeoutMs,
    requestTimeoutMs: c.requestTimeoutMs,
    retries: c.retries,
    tls: c.tls ? { enabled: true, caFile: c.tlsCaFile, certFile: c.tlsCertFile, keyFile: c.tlsKeyFile, rejectUnauthorized: c.tlsRejectUnauthorized } : undefined,
    sasl: c.saslMechanism ? { mechanism: c.saslMechanism, username: c.saslUsername!, password: c.saslPassword! } : undefined,
  };
}
