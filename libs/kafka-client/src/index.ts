export * from './config';
export type { KafkaClient, KafkaAdmin, KafkaProducer, KafkaGroupCommitter, KafkaLogger, Compression, ProducerRecord, NewTopic, PartitionOffsets, PartitionOffset, CommittedOffset, OffsetToCommit, OffsetRange, ConfigResource, RecordPosition, OnRecord, GroupState } from './client';
export { createKafkaClient } from './kafkajs-client';
export { PlatformaticKafkaError } from './platformatic-errors';
export { zstdAvailable } from './platformatic-producer';
export { SINK_TUNING, type ClientTuning } from './connection';
export { kafkajsLogLevel, type KafkaLogLevel } from './kafka-log';
export { KafkaLimits, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, BATCH_OVERHEAD_BYTES, RECORD_OVERHEAD_BYTES, compressionMargin, type LimitsSnapshot, type LimitsLogger } from './limits';
export { RequestBudget, chunkByBytes, recordRequestBytes } from './batcher';
