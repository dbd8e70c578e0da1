// Connection settings -> the kafkajs client options: TLS (PEM files read here, at start),
// SASL, timeouts, retries, and kafkajs's log lines routed into the project's structured log.
import { readFileSync } from 'node:fs';
import { logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { KafkaLogger } from './client';
import type { KafkaConnectionSettings } from './config';
import { kafkajsLogLevel, type KafkaLogLevel } from './kafka-log';

/**
 * How a component wants its client to behave where the sink and the offsets service differ:
 * the sink retries a produce request patiently, the offsets service answers its gRPC clients
 * quickly and logs what kafkajs reports at warn at most.
 */
export interface ClientTuning {
  /** First and largest delay between retries of one request (kafkajs's exponential backoff). */
  retryInitialMs: number;
  retryMaxMs: number;
  /** Lowest kafkajs level logged at all. */
  minLevel: 'warn' | 'error';
  /** Level of every kafkajs line not recognised as benign (default: kafkajs's own, error or warn). */
  logAs?: KafkaLogLevel;
}

export const SINK_TUNING: ClientTuning = { retryInitialMs: 200, retryMaxMs: 5000, minLevel: 'warn' };

export function kafkajsConfig(conn: KafkaConnectionSettings, log: KafkaLogger, tuning: ClientTuning = SINK_TUNING): KafkaConfig {
  const kc: KafkaConfig = {
    clientId: conn.clientId,
    brokers: conn.brokers,
    connectionTimeout: conn.connectTimeoutMs,
    requestTimeout: conn.requestTimeoutMs,
    retry: { retries: conn.retries, initialRetryTime: tuning.retryInitialMs, maxRetryTime: tuning.retryMaxMs },
    logLevel: tuning.minLevel === 'error' ? logLevel.ERROR : logLevel.WARN,
    // kafkajs logs every failed connection attempt; route them through our structured
    // logger, without the payloads (they could carry SASL details).
    logCreator: () => (entry: LogEntry) => {
      const { message, broker, error } = entry.log as { message: string; broker?: string; error?: string };
      const fields = { component: 'kafkajs', namespace: entry.namespace, broker, error };
      const level = kafkajsLogLevel(entry, tuning.logAs);
      if (level === 'debug') log.debug?.(fields, message);
      else log[level](fields, message);
    },
  };
  if (conn.tls?.enabled) {
    kc.ssl = {
      rejectUnauthorized: conn.tls.rejectUnauthorized,
      ca: conn.tls.caFile ? [readFileSync(conn.tls.caFile, 'utf8')] : undefined,
      cert: conn.tls.certFile ? readFileSync(conn.tls.certFile, 'utf8') : undefined,
      key: conn.tls.keyFile ? readFileSync(conn.tls.keyFile, 'utf8') : undefined,
    };
  }
  if (conn.sasl) {
    const { mechanism, username, password } = conn.sasl;
    kc.sasl = { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return kc;
}
