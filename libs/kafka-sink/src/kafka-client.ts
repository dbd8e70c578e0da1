// Builds the kafkajs client. kafkajs is effectively unmaintained (tulios/kafkajs#1603), so
// it stays behind this file and kafka-sink.ts: swapping it means rewriting only these.
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { KafkaSinkConfig } from './config';
import { kafkajsLogLevel } from './kafka-log';

export interface SinkLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export function createKafka(config: KafkaSinkConfig, log: SinkLogger): Kafka {
  const kc: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    retry: { retries: config.retries, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    // kafkajs logs every failed connection attempt; route them through our structured
    // logger, without the payloads (they could carry SASL details).
    logCreator: () => (entry: LogEntry) => {
      const { message, broker, error } = entry.log as { message: string; broker?: string; error?: string };
      const fields = { component: 'kafkajs', namespace: entry.namespace, broker, error };
      const level = kafkajsLogLevel(entry);
      if (level === 'debug') log.debug?.(fields, message);
      else log[level](fields, message);
    },
  };
  if (config.tls?.enabled) {
    kc.ssl = {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ca: config.tls.caFile ? [readFileSync(config.tls.caFile, 'utf8')] : undefined,
      cert: config.tls.certFile ? readFileSync(config.tls.certFile, 'utf8') : undefined,
      key: config.tls.keyFile ? readFileSync(config.tls.keyFile, 'utf8') : undefined,
    };
  }
  if (config.sasl) {
    const { mechanism, username, password } = config.sasl;
    kc.sasl = { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return new Kafka(kc);
}
