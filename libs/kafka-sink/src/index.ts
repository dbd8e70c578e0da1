export { KafkaSink, type KafkaSinkEvents, type KafkaSinkStats, type SinkLogger } from './kafka-sink';
export * from './config';
// The limits live in @sparkwire/kafka-client (limits.ts); what the sink's stats and events speak of is re-exported.
export { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, BATCH_OVERHEAD_BYTES, RECORD_OVERHEAD_BYTES, compressionMargin, type LimitsSnapshot } from '@sparkwire/kafka-client';
export { classify, kafkaErrorType, RECORD_ERRORS, PRODUCER_ERRORS, type FailureKind } from './errors';
