export { KafkaSink, type KafkaSinkEvents } from './kafka-sink';
export type { KafkaSinkConfig, KafkaTls, KafkaSasl, TopicSpec, Compression } from './config';
export type { SinkLogger } from './kafka-client';
