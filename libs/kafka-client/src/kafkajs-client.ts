// KafkaClient on kafkajs: one kafkajs client per KafkaClient, so everything built from it
// shares the brokers, TLS, SASL, retries and log routing of connection.ts. With
// kafka.client = platformatic the producer is @platformatic/kafka's (platformatic-producer.ts,
// the same settings); admin, read-ranges and the group committer stay on kafkajs in this step.
import { Kafka } from 'kafkajs';
import type { KafkaClient, KafkaLogger } from './client';
import { DEFAULT_KAFKA_CLIENT, MIN_PRODUCER_RETRIES, type KafkaConnectionSettings } from './config';
import { kafkajsConfig, type ClientTuning } from './connection';
import { kafkajsAdmin } from './admin';
import { kafkajsProducer } from './producer';
import { platformaticProducer } from './platformatic-producer';
import { groupCommitter } from './offset-commit';
import { dropKafkajsTimeoutWarning } from './kafkajs-timeout-warning';
import { fixKafkajsIdleTimer } from './kafkajs-idle-timer';

export function createKafkaClient(conn: KafkaConnectionSettings, log: KafkaLogger, tuning?: ClientTuning): KafkaClient {
  dropKafkajsTimeoutWarning();
  fixKafkajsIdleTimer();
  const kafka = new Kafka(kafkajsConfig(conn, log, tuning));
  return {
    admin: () => kafkajsAdmin(kafka),
    producer: () => {
      const kind = conn.client ?? DEFAULT_KAFKA_CLIENT;
      // What the config check (kafkaProducerIssues) refuses, for settings built by hand: say which setting, not kafkajs's own words.
      if (conn.retries < MIN_PRODUCER_RETRIES[kind]) throw new Error(`kafka.retries ${conn.retries} is not possible with kafka.client ${kind}: its idempotent producer needs at least ${MIN_PRODUCER_RETRIES[kind]}`);
      return kind === 'platformatic' ? platformaticProducer(conn, log, tuning) : kafkajsProducer(kafka);
    },
    groupCommitter: () => groupCommitter(kafka),
  };
}
