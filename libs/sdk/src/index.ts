export { configSchema, offsetsSchema, parseConfig, ConfigError, isLoopback, SECRET_PATHS, type SparkwireConfig, type SparkwireConfigInput } from './config';
export { createPipeline, createSink, spoolDirFor, type BuiltPipeline, type PipelineHooks } from './create-pipeline';
export { createTelemetry, type Telemetry } from './telemetry';
export { startSidecar, type Sidecar } from './sidecar';
export { SIDECAR_READY_MESSAGE } from './ready';
export { createLogger, type Logger } from './logger';
export { Pipeline, PipelineError, Status, type PublishResult, type Sink, type OutRecord } from '@sparkwire/pipeline';
export * as proto from '@sparkwire/proto';
export * as report from '@sparkwire/report';
// What report.readRecords reads through: the Kafka client the sidecar itself uses.
export { createKafkaClient, kafkaConnectionSettings, type KafkaClient, type KafkaAdmin, type KafkaConnectionSettings } from '@sparkwire/kafka-client';
