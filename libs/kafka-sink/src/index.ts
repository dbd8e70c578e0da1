export { KafkaSink, chunkByBytes, type KafkaSinkEvents, type KafkaSinkStats } from './kafka-sink';
export type { KafkaSinkConfig, KafkaTls, KafkaSasl, TopicSpec, Compression } from './config';
export type { SinkLogger } from './kafka-client';
export { kafkajsLogLevel, type KafkaLogLevel } from './kafka-log';
export { KafkaLimits, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, BATCH_OVERHEAD_BYTES, RECORD_OVERHEAD_BYTES, compressionMargin, type LimitsSnapshot } from './limits';
export { classify, kafkaErrorType, RECORD_ERRORS, PRODUCER_ERRORS, type FailureKind } from './errors';
