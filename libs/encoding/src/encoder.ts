import type { SparkEvent } from '@sparkwire/proto';

/** Turns one event into the values of the Kafka records it becomes (one or two). */
export interface Encoder {
  readonly name: 'json' | 'protobuf';
  encode(event: SparkEvent): Array<string | Buffer>;
}
